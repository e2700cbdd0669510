#include "citygrid/service/duplicate_index.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_set>

#include "citygrid/domain/case_state_machine.h"
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

// Nearest first, then oldest, then by number.
bool CandidateBefore(const DuplicateCandidate& a, const DuplicateCandidate& b) {
  if (a.metres != b.metres) return a.metres < b.metres;
  if (a.created_at != b.created_at) return a.created_at < b.created_at;
  return a.number < b.number;
}

}  // namespace

geo::BoundingBox SearchBox(geo::LonLat p, double radius_m) {
  const double dlat = radius_m / geo::kMetresPerDegree * 1.01;  // widened against rounding
  const double dlon = dlat / std::max(std::cos(p.lat * 3.14159265358979323846 / 180), 0.01);
  return geo::BoundingBox{p.lon - dlon, p.lat - dlat, p.lon + dlon, p.lat + dlat};
}

void SortAndTrimCandidates(std::vector<DuplicateCandidate>& out, size_t limit) {
  std::sort(out.begin(), out.end(), CandidateBefore);
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
  std::erase_if(closed_ahead_, [&](const auto& kv) { return kv.second <= position_; });
  return OkStatus();
}

Result<int> DuplicateIndex::PollOnce() { return FollowEventLog(store_, *this, options_.batch); }

Status DuplicateIndex::Apply(const std::vector<CaseEvent>& events) {
  std::lock_guard poll(poll_mu_);
  if (events.empty()) return OkStatus();
  // A case the index does not hold enters from its kCreated event (without its number). Only a
  // later event of a case whose entry is older than it needs the case's current row; those of
  // cases neither held nor created in this batch are terminal and stay out.
  std::vector<Case> opened;
  std::vector<int64_t> stale;
  {
    std::unordered_set<int64_t> entering;  // opened from this batch
    std::unordered_set<int64_t> seen;      // in `stale`
    std::shared_lock lock(mu_);
    for (const CaseEvent& e : events) {
      auto it = where_.find(e.case_id);
      if (it != where_.end() && it->second.version >= e.version) continue;
      if (e.type == EventType::kCreated && it == where_.end()) {
        if (closed_ahead_.count(e.case_id) > 0) continue;
        Result<Case> c = DecodeCreatedEvent(e);
        if (c.ok()) {
          opened.push_back(std::move(c).value());
          entering.insert(e.case_id);
          continue;
        }
        // A payload the index cannot read: the row will do.
      } else if (it == where_.end() && entering.count(e.case_id) == 0) {
        continue;
      }
      if (seen.insert(e.case_id).second) stale.push_back(e.case_id);
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
  for (const Case& c : opened) {
    // Record() may have closed it out meanwhile.
    if (closed_ahead_.count(c.id) == 0) UpsertLocked(c);
  }
  for (const Case& c : rows) UpsertLocked(c);
  for (int64_t id : missing) RemoveLocked(id, std::numeric_limits<int64_t>::max());
  position_ = std::max(position_, events.back().global_seq);
  if (!closed_ahead_.empty()) {
    std::erase_if(closed_ahead_, [&](const auto& kv) { return kv.second <= position_; });
  }
  return OkStatus();
}

void DuplicateIndex::Record(const Case& c, int64_t seq) {
  std::unique_lock lock(mu_);
  if (seq != 0 && seq <= position_) {
    // The follower read a state at least this new, perhaps before the writer knew the number.
    CompleteLocked(c);
    return;
  }
  UpsertLocked(c);
  if (seq != 0 && IsTerminal(c.state)) closed_ahead_[c.id] = seq;
}

DuplicateIndex::Entry* DuplicateIndex::EntryLocked(int64_t id) {
  auto it = where_.find(id);
  if (it == where_.end()) return nullptr;
  auto category = categories_.find(it->second.category);
  if (category == categories_.end()) return nullptr;
  auto cell = category->second.find(it->second.cell);
  if (cell == category->second.end()) return nullptr;
  for (Entry& e : cell->second) {
    if (e.id == id) return &e;
  }
  return nullptr;
}

void DuplicateIndex::CompleteLocked(const Case& c) {
  auto it = where_.find(c.id);
  if (it == where_.end()) return;
  Entry* held = EntryLocked(c.id);
  if (held == nullptr || !held->number.empty()) return;
  held->number = c.number;
  held->lon = c.location.lon;
  held->lat = c.location.lat;
  const uint64_t cell = CellOf(held->lon, held->lat);
  if (cell == it->second.cell) return;
  Entry moved = std::move(*held);
  Where where = it->second;
  where.cell = cell;
  RemoveLocked(c.id, std::numeric_limits<int64_t>::max());
  categories_[where.category][cell].push_back(std::move(moved));
  where_[c.id] = std::move(where);
}

void DuplicateIndex::UpsertLocked(const Case& c) {
  if (IsTerminal(c.state)) {
    RemoveLocked(c.id, c.version);
    return;
  }
  const uint64_t cell = CellOf(c.location.lon, c.location.lat);
  CompleteLocked(c);
  auto it = where_.find(c.id);
  if (it != where_.end()) {
    Entry* held = EntryLocked(c.id);
    if (it->second.version >= c.version) return;
    if (held != nullptr && it->second.category == c.category && it->second.cell == cell) {
      held->version = c.version;
      held->state = c.state;
      it->second.version = c.version;
      return;
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

std::vector<DuplicateIndex::Found> DuplicateIndex::CollectLocked(
    const DuplicateSearch& s, const std::vector<int64_t>& skip) const {
  const geo::BoundingBox box = SearchBox(s.point, s.radius_m);
  std::vector<Found> out;
  auto consider = [&](const Entry& e) {
    if (e.id == s.exclude_id) return;
    if (e.created_at < s.created_from || e.created_at >= s.created_to) return;
    if (e.lon < box.min_lon || e.lon > box.max_lon || e.lat < box.min_lat || e.lat > box.max_lat) {
      return;
    }
    double metres = geo::HaversineMetres(s.point, {e.lon, e.lat});
    if (e.number.empty()) {
      // Coordinates from the kCreated event's text may be a unit in the last place off the
      // row's: one at the edge is taken too, and Find() decides on the row's.
      if (metres > s.radius_m + 1e-6) return;
      if (std::find(skip.begin(), skip.end(), e.id) != skip.end()) return;
    } else if (metres > s.radius_m) {
      return;
    }
    out.push_back({{e.number, e.state, metres, e.created_at}, e.id});
  };
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
  std::sort(out.begin(), out.end(), [](const Found& a, const Found& b) {
    return CandidateBefore(a.candidate, b.candidate);
  });
  if (out.size() > s.limit) out.resize(s.limit);
  return out;
}

std::vector<DuplicateCandidate> DuplicateIndex::Find(const DuplicateSearch& s) {
  // Cases whose row this call has read or tried to: one still without a number then (its row
  // could not be read) is left out rather than read again.
  std::vector<int64_t> tried;
  for (;;) {
    std::vector<Found> found;
    {
      std::shared_lock lock(mu_);
      found = CollectLocked(s, tried);
    }
    std::vector<int64_t> unnumbered;
    for (const Found& f : found) {
      if (f.candidate.number.empty()) unnumbered.push_back(f.id);
    }
    if (unnumbered.empty()) {
      std::vector<DuplicateCandidate> out;
      out.reserve(found.size());
      for (Found& f : found) out.push_back(std::move(f.candidate));
      return out;
    }
    // Cases read from the log that no writer here handed over (another node's): their rows
    // give the number, and perhaps a newer state. Then search again: a row may have moved its
    // case out of the answer and let another one in.
    for (int64_t id : unnumbered) {
      tried.push_back(id);
      Result<Case> c = store_.LoadCase(id);
      std::unique_lock lock(mu_);
      // An entry removed meanwhile was closed out; its row must not bring it back.
      if (where_.count(id) == 0) continue;
      if (c.ok()) {
        UpsertLocked(*c);
      } else if (c.status().code() == StatusCode::kNotFound) {
        RemoveLocked(id, std::numeric_limits<int64_t>::max());
      }
    }
  }
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
