#include "citygrid/service/duplicate_index.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_set>

#include "citygrid/storage/case_query.h"

namespace citygrid::service {
namespace {

constexpr CaseState kOpenStates[] = {
    CaseState::kReported, CaseState::kPending,  CaseState::kRegistered, CaseState::kDispatched,
    CaseState::kHandling, CaseState::kSuspended, CaseState::kChecking,  CaseState::kChecked};

int64_t CellCoordinate(double degrees, double cell) {
  return static_cast<int64_t>(std::floor(degrees / cell));
}

uint64_t PackCell(int64_t x, int64_t y) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(x)) << 32) |
         static_cast<uint64_t>(static_cast<uint32_t>(y));
}

}  // namespace

geo::BoundingBox SearchBox(geo::LonLat p, double radius_m) {
  const double dlat = radius_m / geo::kMetresPerDegree * 1.01;  // widened against rounding
  const double dlon = dlat / std::max(std::cos(p.lat * 3.14159265358979323846 / 180), 0.01);
  return geo::BoundingBox{p.lon - dlon, p.lat - dlat, p.lon + dlon, p.lat + dlat};
}

void SortAndTrimCandidates(std::vector<DuplicateCandidate>& out, size_t limit) {
  std::sort(out.begin(), out.end(), [](const DuplicateCandidate& a, const DuplicateCandidate& b) {
    if (a.metres != b.metres) return a.metres < b.metres;
    if (a.created_at != b.created_at) return a.created_at < b.created_at;
    return a.number < b.number;
  });
  if (out.size() > limit) out.resize(limit);
}

DuplicateIndex::DuplicateIndex(storage::CaseStore& store, DuplicateIndexOptions options)
    : store_(store), options_(options) {}

uint64_t DuplicateIndex::CellOf(double lon, double lat) const {
  return PackCell(CellCoordinate(lon, options_.cell_degrees),
                  CellCoordinate(lat, options_.cell_degrees));
}

Status DuplicateIndex::Load() {
  std::lock_guard poll(poll_mu_);
  // The position is read first: whatever commits after it is read again by the follower, and an
  // entry only moves forward by version, so the overlap is harmless.
  CITYGRID_ASSIGN_OR_RETURN(int64_t last, store_.LastGlobalSeq());
  storage::CaseQuery q;
  q.states.assign(std::begin(kOpenStates), std::end(kOpenStates));
  q.sort = storage::CaseSort::kCreatedAsc;
  q.limit = storage::kMaxCaseQueryLimit;
  std::vector<Case> open;
  for (;;) {
    CITYGRID_ASSIGN_OR_RETURN(storage::CasePage page, store_.QueryCases(q));
    for (Case& c : page.cases) open.push_back(std::move(c));
    if (page.next_cursor.empty()) break;
    q.cursor = page.next_cursor;
  }
  std::unique_lock lock(mu_);
  categories_.clear();
  where_.clear();
  for (const Case& c : open) UpsertLocked(c);
  position_ = last;
  return OkStatus();
}

Result<int> DuplicateIndex::PollOnce() { return FollowEventLog(store_, *this, options_.batch); }

Status DuplicateIndex::Apply(const std::vector<CaseEvent>& events) {
  std::lock_guard poll(poll_mu_);
  if (events.empty()) return OkStatus();
  // Which cases need their current row: those whose events this index has not seen through
  // Record() (a newer version than the entry, or a creation it does not hold). Cases neither held
  // nor created in this batch are terminal and stay out.
  std::vector<int64_t> stale;
  {
    std::unordered_set<int64_t> created;
    for (const CaseEvent& e : events) {
      if (e.type == EventType::kCreated) created.insert(e.case_id);
    }
    std::unordered_set<int64_t> seen;
    std::shared_lock lock(mu_);
    for (const CaseEvent& e : events) {
      auto it = where_.find(e.case_id);
      bool needs_row = it != where_.end() ? it->second.version < e.version
                                          : created.count(e.case_id) > 0;
      if (needs_row && seen.insert(e.case_id).second) stale.push_back(e.case_id);
    }
  }
  std::vector<Case> rows;
  std::vector<int64_t> missing;
  rows.reserve(stale.size());
  for (int64_t id : stale) {
    Result<Case> c = store_.LoadCase(id);
    if (c.ok()) {
      rows.push_back(std::move(c).value());
    } else if (c.status().code() == StatusCode::kNotFound) {
      missing.push_back(id);
    } else {
      return c.status();
    }
  }
  std::unique_lock lock(mu_);
  for (const Case& c : rows) UpsertLocked(c);
  for (int64_t id : missing) RemoveLocked(id, std::numeric_limits<int64_t>::max());
  position_ = std::max(position_, events.back().global_seq);
  return OkStatus();
}

void DuplicateIndex::Record(const Case& c, int64_t seq) {
  std::unique_lock lock(mu_);
  if (seq != 0 && seq <= position_) return;  // the follower read a state at least this new
  UpsertLocked(c);
}

void DuplicateIndex::UpsertLocked(const Case& c) {
  if (IsTerminal(c.state)) {
    RemoveLocked(c.id, c.version);
    return;
  }
  const uint64_t cell = CellOf(c.location.lon, c.location.lat);
  auto it = where_.find(c.id);
  if (it != where_.end()) {
    if (it->second.version >= c.version) return;
    if (it->second.category == c.category && it->second.cell == cell) {
      for (Entry& e : categories_[c.category][cell]) {
        if (e.id == c.id) {
          e.version = c.version;
          e.state = c.state;
          it->second.version = c.version;
          return;
        }
      }
    }
    RemoveLocked(c.id, c.version);
  }
  Entry e;
  e.id = c.id;
  e.version = c.version;
  e.number = c.number;
  e.state = c.state;
  e.lon = c.location.lon;
  e.lat = c.location.lat;
  e.created_at = c.created_at;
  categories_[c.category][cell].push_back(std::move(e));
  where_[c.id] = Where{c.category, cell, c.version};
}

void DuplicateIndex::RemoveLocked(int64_t id, int64_t version) {
  auto it = where_.find(id);
  if (it == where_.end() || it->second.version > version) return;
  auto category = categories_.find(it->second.category);
  if (category != categories_.end()) {
    auto cell = category->second.find(it->second.cell);
    if (cell != category->second.end()) {
      std::vector<Entry>& entries = cell->second;
      for (size_t i = 0; i < entries.size(); ++i) {
        if (entries[i].id == id) {
          entries[i] = std::move(entries.back());
          entries.pop_back();
          break;
        }
      }
      if (entries.empty()) category->second.erase(cell);
    }
    if (category->second.empty()) categories_.erase(category);
  }
  where_.erase(it);
}

std::vector<DuplicateCandidate> DuplicateIndex::Find(const DuplicateSearch& s) const {
  const geo::BoundingBox box = SearchBox(s.point, s.radius_m);
  std::vector<DuplicateCandidate> out;
  auto consider = [&](const Entry& e) {
    if (e.id == s.exclude_id) return;
    if (e.created_at < s.created_from || e.created_at >= s.created_to) return;
    if (e.lon < box.min_lon || e.lon > box.max_lon || e.lat < box.min_lat || e.lat > box.max_lat) {
      return;
    }
    double metres = geo::HaversineMetres(s.point, {e.lon, e.lat});
    if (metres > s.radius_m) return;
    out.push_back({e.number, e.state, metres, e.created_at});
  };
  std::shared_lock lock(mu_);
  auto category = categories_.find(s.category);
  if (category == categories_.end()) return out;
  const Cells& cells = category->second;
  const double cell = options_.cell_degrees;
  const int64_t x0 = CellCoordinate(box.min_lon, cell), x1 = CellCoordinate(box.max_lon, cell);
  const int64_t y0 = CellCoordinate(box.min_lat, cell), y1 = CellCoordinate(box.max_lat, cell);
  const double span = static_cast<double>(x1 - x0 + 1) * static_cast<double>(y1 - y0 + 1);
  if (span > static_cast<double>(cells.size())) {
    // A wide radius over a sparse category: reading every held cell is cheaper.
    for (const auto& [key, entries] : cells) {
      for (const Entry& e : entries) consider(e);
    }
  } else {
    for (int64_t x = x0; x <= x1; ++x) {
      for (int64_t y = y0; y <= y1; ++y) {
        auto it = cells.find(PackCell(x, y));
        if (it == cells.end()) continue;
        for (const Entry& e : it->second) consider(e);
      }
    }
  }
  lock.unlock();
  SortAndTrimCandidates(out, s.limit);
  return out;
}

int64_t DuplicateIndex::position() const {
  std::shared_lock lock(mu_);
  return position_;
}

size_t DuplicateIndex::size() const {
  std::shared_lock lock(mu_);
  return where_.size();
}

}  // namespace citygrid::service
