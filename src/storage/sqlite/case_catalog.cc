#include "src/storage/sqlite/case_catalog.h"

#include <algorithm>
#include <limits>
#include <mutex>
#include <numeric>
#include <queue>

namespace citygrid::storage::sqlite {

struct CaseCatalog::Filter {
  uint64_t states = 0;  // bit per CaseState; 0 = any
  std::optional<uint32_t> category, unit, district, subdistrict, community, grid;
  int channel = -1;  // -1 = any
  int overdue = -1;
  std::optional<int64_t> created_from, created_to, deadline_before;  // Unix ms
  std::optional<geo::BoundingBox> bbox;
};

CaseCatalog::Row CaseCatalog::RowOf(const Case& c) {
  Row r;
  r.id = c.id;
  r.version = c.version;
  r.created_at = ToUnixMillis(c.created_at);
  r.updated_at = ToUnixMillis(c.updated_at);
  r.deadline_key = SortKeyOf(c, CaseSort::kDeadlineAsc).key;
  r.lon = c.location.lon;
  r.lat = c.location.lat;
  r.state = c.state;
  r.channel = c.channel;
  r.overdue = c.overdue;
  r.category = c.category;
  r.unit = c.unit;
  r.district = c.location.district_code;
  r.subdistrict = c.location.subdistrict_code;
  r.community = c.location.community_code;
  r.grid = c.location.grid_code;
  return r;
}

uint32_t CaseCatalog::Intern(const std::string& text) {
  auto [it, inserted] = codes_.try_emplace(text, static_cast<uint32_t>(codes_.size()));
  return it->second;
}

bool CaseCatalog::CreatedBefore(uint32_t a, uint32_t b) const {
  return created_[a] != created_[b] ? created_[a] < created_[b] : id_[a] < id_[b];
}

void CaseCatalog::SetRow(size_t i, const Row& r) {
  id_[i] = r.id;
  version_[i] = static_cast<uint32_t>(r.version);
  created_[i] = r.created_at;
  updated_[i] = r.updated_at;
  deadline_[i] = r.deadline_key;
  lon_[i] = r.lon;
  lat_[i] = r.lat;
  category_[i] = Intern(r.category);
  unit_[i] = Intern(r.unit);
  district_[i] = Intern(r.district);
  subdistrict_[i] = Intern(r.subdistrict);
  community_[i] = Intern(r.community);
  grid_[i] = Intern(r.grid);
  state_[i] = static_cast<uint8_t>(r.state);
  channel_[i] = static_cast<uint8_t>(r.channel);
  overdue_[i] = r.overdue ? 1 : 0;
}

void CaseCatalog::Append(const Row& r) {
  const size_t n = id_.size() + 1;
  ForEachColumn(*this, [n](auto& column) { column.resize(n); });
  SetRow(n - 1, r);
}

void CaseCatalog::ComputeBlock(size_t block) {
  const size_t begin = block * kBlock;
  const size_t end = std::min(id_.size(), begin + kBlock);
  if (block_min_deadline_.size() <= block) {
    block_min_deadline_.resize(block + 1);
    block_max_updated_.resize(block + 1);
  }
  int64_t least = kNoDeadlineSortKey;
  int64_t greatest = std::numeric_limits<int64_t>::min();
  for (size_t i = begin; i < end; ++i) {
    least = std::min(least, deadline_[i]);
    greatest = std::max(greatest, updated_[i]);
  }
  block_min_deadline_[block] = least;
  block_max_updated_[block] = greatest;
}

void CaseCatalog::ComputeBlocks() {
  const size_t blocks = (id_.size() + kBlock - 1) / kBlock;
  block_min_deadline_.resize(blocks);
  block_max_updated_.resize(blocks);
  for (size_t b = 0; b < blocks; ++b) ComputeBlock(b);
}

void CaseCatalog::Clear() {
  ForEachColumn(*this, [](auto& column) { column.clear(); });
  by_created_.clear();
  block_min_deadline_.clear();
  block_max_updated_.clear();
  codes_.clear();
}

void CaseCatalog::SortByCreated() {
  by_created_.resize(id_.size());
  std::iota(by_created_.begin(), by_created_.end(), 0u);
  std::sort(by_created_.begin(), by_created_.end(),
            [this](uint32_t a, uint32_t b) { return CreatedBefore(a, b); });
}

std::optional<size_t> CaseCatalog::RowOf(int64_t id) const {
  auto it = std::lower_bound(id_.begin(), id_.end(), id);
  if (it == id_.end() || *it != id) return std::nullopt;
  return static_cast<size_t>(it - id_.begin());
}

void CaseCatalog::Put(const Row& r) {
  std::unique_lock lock(mu_);
  if (id_.empty() || r.id > id_.back()) {  // a new case: the usual way
    Append(r);
    const auto row = static_cast<uint32_t>(id_.size() - 1);
    auto at = std::upper_bound(by_created_.begin(), by_created_.end(), row,
                               [this](uint32_t a, uint32_t b) { return CreatedBefore(a, b); });
    by_created_.insert(at, row);  // at the end unless the clock went back
    const size_t block = row / kBlock;
    if (block < block_min_deadline_.size()) {
      block_min_deadline_[block] = std::min(block_min_deadline_[block], r.deadline_key);
      block_max_updated_[block] = std::max(block_max_updated_[block], r.updated_at);
    } else {
      ComputeBlock(block);  // its first row
    }
    return;
  }
  if (std::optional<size_t> row = RowOf(r.id)) {
    if (r.version < version_[*row]) return;  // a later version is recorded already
    const bool moved = created_[*row] != r.created_at;
    const size_t block = *row / kBlock;
    // A bound only needs the whole block read again when this row held it and got worse.
    const bool rescan = (deadline_[*row] == block_min_deadline_[block] &&
                         r.deadline_key > deadline_[*row]) ||
                        (updated_[*row] == block_max_updated_[block] &&
                         r.updated_at < updated_[*row]);
    SetRow(*row, r);
    if (moved) SortByCreated();  // created_at never changes in the workflow
    if (rescan) {
      ComputeBlock(block);
    } else {
      block_min_deadline_[block] = std::min(block_min_deadline_[block], r.deadline_key);
      block_max_updated_[block] = std::max(block_max_updated_[block], r.updated_at);
    }
    return;
  }
  // An id below the last one that is not there: ids are handed out in order, so only a store
  // written by someone else gets here.
  Append(r);
  SortById();
  SortByCreated();
  ComputeBlocks();
}

void CaseCatalog::SortById() {
  std::vector<uint32_t> order(id_.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(),
                   [this](uint32_t a, uint32_t b) { return id_[a] < id_[b]; });
  ForEachColumn(*this, [&order](auto& column) {
    auto copy = column;
    for (size_t i = 0; i < order.size(); ++i) column[i] = copy[order[i]];
  });
}

Status CaseCatalog::Load(const std::function<Result<bool>(Row&)>& next) {
  std::unique_lock lock(mu_);
  Clear();
  Row r;
  bool sorted = true;
  while (true) {
    Result<bool> more = next(r);
    if (!more.ok()) {
      Clear();
      return more.status();
    }
    if (!*more) break;
    if (!id_.empty() && r.id <= id_.back()) sorted = false;
    Append(r);
  }
  if (!sorted) SortById();
  // Loading grew the columns by doubling; what follows appends a few cases a second.
  ForEachColumn(*this, [](auto& column) { column.shrink_to_fit(); });
  SortByCreated();
  ComputeBlocks();
  return OkStatus();
}

size_t CaseCatalog::size() const {
  std::shared_lock lock(mu_);
  return id_.size();
}

size_t CaseCatalog::memory_bytes() const {
  std::shared_lock lock(mu_);
  size_t bytes = 0;
  auto add = [&bytes](const auto& v) { bytes += v.capacity() * sizeof(v[0]); };
  ForEachColumn(*this, add);
  add(by_created_), add(block_min_deadline_), add(block_max_updated_);
  for (const auto& [text, code] : codes_) bytes += sizeof(text) + text.capacity() + 32;
  return bytes;
}

std::optional<CaseCatalog::Filter> CaseCatalog::Compile(const CaseQuery& q) const {
  Filter f;
  for (CaseState s : q.states) f.states |= uint64_t{1} << static_cast<int>(s);
  // A code no case has: nothing can match.
  auto code = [this](const std::string& text, std::optional<uint32_t>& out) {
    if (text.empty()) return true;
    auto it = codes_.find(text);
    if (it == codes_.end()) return false;
    out = it->second;
    return true;
  };
  if (!code(q.category, f.category) || !code(q.unit, f.unit) ||
      !code(q.district, f.district) || !code(q.subdistrict, f.subdistrict) ||
      !code(q.community, f.community) || !code(q.grid, f.grid)) {
    return std::nullopt;
  }
  if (q.channel) f.channel = static_cast<int>(*q.channel);
  if (q.overdue) f.overdue = *q.overdue ? 1 : 0;
  if (q.created_from) f.created_from = ToUnixMillis(*q.created_from);
  if (q.created_to) f.created_to = ToUnixMillis(*q.created_to);
  if (q.deadline_before) f.deadline_before = ToUnixMillis(*q.deadline_before);
  f.bbox = q.bbox;
  return f;
}

bool CaseCatalog::Passes(const Filter& f, size_t i) const {
  if (f.states != 0 && !((f.states >> state_[i]) & 1)) return false;
  if (f.category && category_[i] != *f.category) return false;
  if (f.unit && unit_[i] != *f.unit) return false;
  if (f.district && district_[i] != *f.district) return false;
  if (f.subdistrict && subdistrict_[i] != *f.subdistrict) return false;
  if (f.community && community_[i] != *f.community) return false;
  if (f.grid && grid_[i] != *f.grid) return false;
  if (f.channel >= 0 && channel_[i] != f.channel) return false;
  if (f.overdue >= 0 && overdue_[i] != f.overdue) return false;
  if (f.created_from && created_[i] < *f.created_from) return false;
  if (f.created_to && created_[i] >= *f.created_to) return false;
  // deadline_ of a case without a stage deadline is kNoDeadlineSortKey, later than any bound.
  if (f.deadline_before && !(deadline_[i] < *f.deadline_before)) return false;
  if (f.bbox && !(f.bbox->min_lon <= lon_[i] && lon_[i] <= f.bbox->max_lon &&
                  f.bbox->min_lat <= lat_[i] && lat_[i] <= f.bbox->max_lat)) {
    return false;
  }
  return true;
}

CaseSortKey CaseCatalog::KeyAt(size_t i, CaseSort sort) const {
  switch (sort) {
    case CaseSort::kCreatedDesc:
    case CaseSort::kCreatedAsc:
      return {created_[i], id_[i]};
    case CaseSort::kDeadlineAsc:
      return {deadline_[i], id_[i]};
    case CaseSort::kUpdatedDesc:
      return {updated_[i], id_[i]};
  }
  return {created_[i], id_[i]};
}

std::vector<CaseSortKey> CaseCatalog::Next(const CaseQuery& query,
                                           const std::optional<CaseSortKey>& after,
                                           size_t max) const {
  std::shared_lock lock(mu_);
  std::vector<CaseSortKey> out;
  std::optional<Filter> f = Compile(query);
  if (!f || max == 0) return out;
  const CaseSort sort = query.sort;
  if (sort == CaseSort::kCreatedDesc || sort == CaseSort::kCreatedAsc) {
    // Walk by_created_ from the first position past the cursor and the created bounds.
    auto below = [this](uint32_t row, const CaseSortKey& k) {
      return created_[row] != k.key ? created_[row] < k.key : id_[row] < k.id;
    };
    auto first_at_or_after = [&](const CaseSortKey& k) {
      return static_cast<size_t>(
          std::lower_bound(by_created_.begin(), by_created_.end(), k, below) -
          by_created_.begin());
    };
    constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
    if (sort == CaseSort::kCreatedDesc) {
      // Positions [0, end) hold the candidates; walk down.
      size_t end = by_created_.size();
      if (after) end = std::min(end, first_at_or_after(*after));
      if (f->created_to) end = std::min(end, first_at_or_after({*f->created_to, kMin}));
      for (size_t p = end; p-- > 0 && out.size() < max;) {
        const uint32_t row = by_created_[p];
        if (f->created_from && created_[row] < *f->created_from) break;
        if (Passes(*f, row)) out.push_back(KeyAt(row, sort));
      }
    } else {
      size_t begin = 0;
      if (after) {
        begin = first_at_or_after(*after);
        if (begin < by_created_.size() && KeyAt(by_created_[begin], sort) == *after) ++begin;
      }
      if (f->created_from) begin = std::max(begin, first_at_or_after({*f->created_from, kMin}));
      for (size_t p = begin; p < by_created_.size() && out.size() < max; ++p) {
        const uint32_t row = by_created_[p];
        if (f->created_to && created_[row] >= *f->created_to) break;
        if (Passes(*f, row)) out.push_back(KeyAt(row, sort));
      }
    }
    return out;
  }
  return NextByBlocks(*f, sort, after, max);
}

std::vector<CaseSortKey> CaseCatalog::NextByBlocks(const Filter& f, CaseSort sort,
                                                   const std::optional<CaseSortKey>& after,
                                                   size_t max) const {
  // The best key any row of a block can have, and the blocks in that order.
  const bool by_deadline = sort == CaseSort::kDeadlineAsc;
  auto bound = [&](size_t b) {
    return by_deadline ? block_min_deadline_[b] : block_max_updated_[b];
  };
  std::vector<uint32_t> blocks(block_min_deadline_.size());
  std::iota(blocks.begin(), blocks.end(), 0u);
  std::sort(blocks.begin(), blocks.end(), [&](uint32_t a, uint32_t b) {
    return by_deadline ? bound(a) < bound(b) : bound(a) > bound(b);
  });
  // The first `max` rows in the order, in a heap whose top is the last of them.
  auto before = [sort](const CaseSortKey& a, const CaseSortKey& b) {
    return SortsBefore(a, b, sort);
  };
  std::priority_queue<CaseSortKey, std::vector<CaseSortKey>, decltype(before)> best(before);
  for (uint32_t b : blocks) {
    if (best.size() == max) {
      // A row of this block sorts no earlier than (bound, any id): stop when even that is
      // after the page's last row (equal keys may still win on the id).
      const int64_t top = best.top().key;
      if (by_deadline ? bound(b) > top : bound(b) < top) break;
    }
    const size_t end = std::min(id_.size(), (b + 1) * kBlock);
    for (size_t i = b * kBlock; i < end; ++i) {
      if (!Passes(f, i)) continue;
      const CaseSortKey k = KeyAt(i, sort);
      if (after && !SortsBefore(*after, k, sort)) continue;
      if (best.size() < max) {
        best.push(k);
      } else if (SortsBefore(k, best.top(), sort)) {
        best.pop();
        best.push(k);
      }
    }
  }
  std::vector<CaseSortKey> out(best.size());
  for (size_t i = out.size(); i-- > 0;) {
    out[i] = best.top();
    best.pop();
  }
  return out;
}

int64_t CaseCatalog::Count(const CaseQuery& query) const {
  std::shared_lock lock(mu_);
  std::optional<Filter> f = Compile(query);
  if (!f) return 0;
  int64_t n = 0;
  for (size_t i = 0; i < id_.size(); ++i) n += Passes(*f, i) ? 1 : 0;
  return n;
}

}  // namespace citygrid::storage::sqlite
