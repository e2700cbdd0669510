#pragma once

// DuplicateIndex: the open cases (id, number, state, category, location, created_at) in memory,
// in a grid of cells per category, so the duplicate search on intake (重复案件, DESIGN.md §2) is a
// few hash lookups instead of a database query that decodes every nearby case.
//
// The store stays the source of truth. Load() reads every open case; after that the index is
// kept current two ways:
//   - Record(): the writer that just committed a case's change (CaseService on this node) hands
//     over the case as it is now, with the global_seq of the write's last event;
//   - as a subscriber of the process's EventLogFollower (event_log_follower.h; or PollOnce()
//     called directly) it reads the deployment-wide event log after its position, so changes
//     made by other nodes sharing the database appear once it has read them. A case it does not
//     hold enters from its kCreated event, which carries everything an entry needs but the case
//     number (storage assigns that). For a later event it has not seen through Record() it
//     loads the case's current row.
// The number of a case that entered from its kCreated event comes from Record() (on this node
// it usually follows within microseconds: the follower often reads the event before the writer
// hands the case over). When Find() would answer a case still without one (another node's
// case), it loads that case's row once.
// An open case is one whose state is not terminal (IsTerminal); a case that becomes terminal
// (closed, cancelled, merged, invalid, not registered) leaves the index.
//
// Ordering: an entry only ever moves to a newer case version. Record() of a write the index has
// already read from the log (seq <= position()) only supplies a missing number, since the index
// holds a state at least as new; so a late Record() can never resurrect a case that has since
// been closed. A case Record() removed ahead of the log is not re-entered from its older events.
//
// Thread safety: all methods may be called from any thread.

#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/common/time.h"
#include "citygrid/domain/case.h"
#include "citygrid/geo/coordinates.h"
#include "citygrid/geo/geometry.h"
#include "citygrid/service/event_log_follower.h"
#include "citygrid/storage/store.h"

namespace citygrid::service {

// An open case the new report may duplicate.
struct DuplicateCandidate {
  std::string number;
  CaseState state = CaseState::kReported;
  double metres = 0;
  Timestamp created_at{};

  friend bool operator==(const DuplicateCandidate&, const DuplicateCandidate&) = default;
};

// What both duplicate searches (in memory and in the store) look for: open cases of `category`
// whose location lies in SearchBox(point, radius_m) and within `radius_m` metres (haversine) of
// `point`, created in [created_from, created_to), other than case `exclude_id`.
struct DuplicateSearch {
  std::string category;
  geo::LonLat point;
  double radius_m = 50;
  Timestamp created_from{};
  Timestamp created_to{};  // exclusive
  int64_t exclude_id = 0;
  size_t limit = 10;
};

// The lon/lat box that holds every point within `radius_m` of `p` (slightly widened).
geo::BoundingBox SearchBox(geo::LonLat p, double radius_m);

// Orders candidates nearest first, then oldest, then by number (a total order), and keeps the
// first `limit`.
void SortAndTrimCandidates(std::vector<DuplicateCandidate>& candidates, size_t limit);

struct DuplicateIndexOptions {
  int batch = 1000;             // events read per EventsAfter call by PollOnce()
  double cell_degrees = 0.001;  // grid cell edge (about 111 m of latitude)
};

class DuplicateIndex final : public EventLogSubscriber {
 public:
  // `store` must outlive the index.
  explicit DuplicateIndex(storage::CaseStore& store, DuplicateIndexOptions options = {});
  DuplicateIndex(const DuplicateIndex&) = delete;
  DuplicateIndex& operator=(const DuplicateIndex&) = delete;

  // Replaces the contents by every open case in the store and sets the position to the log's
  // end as of just before the read. Errors are the store's.
  Status Load();

  // EventLogSubscriber: CatchUp() is Load(); Apply() brings the cases the events touch up to
  // date (errors are the store's; the position then stays).
  Status CatchUp() override { return Load(); }
  int64_t position() const override;
  Status Apply(const std::vector<CaseEvent>& events) override;

  // Reads every event after the position and applies it (FollowEventLog). Returns the number of
  // events read. For callers that drive the index without a follower.
  Result<int> PollOnce();

  // `c` (with id and number set) as committed by a write whose last event has global_seq
  // `seq`; 0 = unknown (the entry is then only kept from going backwards by version).
  void Record(const Case& c, int64_t seq);

  // The candidates of `search`, SortAndTrimCandidates-ordered. Loads the row of a candidate
  // whose number the index does not know yet (see above); one whose row cannot be read is left
  // out of this answer.
  std::vector<DuplicateCandidate> Find(const DuplicateSearch& search);

  size_t size() const;  // open cases held

 private:
  struct Entry {
    int64_t id = 0;
    int64_t version = 0;
    std::string number;  // "" until Record() or a row supplies it (CompleteLocked)
    CaseState state = CaseState::kReported;
    double lon = 0;
    double lat = 0;
    Timestamp created_at{};
  };
  using Cells = std::unordered_map<uint64_t, std::vector<Entry>>;
  struct Where {
    std::string category;
    uint64_t cell = 0;
    int64_t version = 0;
  };

  struct Found {
    DuplicateCandidate candidate;
    int64_t id = 0;
  };

  uint64_t CellOf(double lon, double lat) const;
  // The entries matching `search`, sorted and trimmed; entries without a number whose id is in
  // `skip` are left out. REQUIRES: mu_ held (shared is enough).
  std::vector<Found> CollectLocked(const DuplicateSearch& search,
                                   const std::vector<int64_t>& skip) const;
  // REQUIRES: mu_ held exclusively.
  Entry* EntryLocked(int64_t id);
  // An entry that entered from its kCreated event takes the number and the exact coordinates
  // from `c` (the writer's case or the row): the event's went through JSON text and Boost.JSON
  // 1.81's parser, which may be a unit in the last place off. No-op for other entries.
  void CompleteLocked(const Case& c);
  void UpsertLocked(const Case& c);
  void RemoveLocked(int64_t id, int64_t version);

  storage::CaseStore& store_;
  const DuplicateIndexOptions options_;

  std::mutex poll_mu_;  // one Load / Apply at a time
  mutable std::shared_mutex mu_;
  // State below is protected by mu_.
  std::unordered_map<std::string, Cells> categories_;
  std::unordered_map<int64_t, Where> where_;
  // Cases Record() removed (terminal) by a write the log has not reached yet: id -> that write's
  // seq. Their older events do not bring them back; dropped once position_ passes the seq.
  std::unordered_map<int64_t, int64_t> closed_ahead_;
  int64_t position_ = 0;
};

}  // namespace citygrid::service
