#pragma once

// The events this process committed most recently, by global_seq: the answer of
// CaseStore::EventsAfter for a reader that follows the log closely (the event-log follower of a
// server that owns its data directory), without reading them back from the database.
//
// Only committed events are added (after their commit returned), in any order. After() answers
// only with consecutive sequence numbers from right after the reader's position to the limit or
// to the newest event held, so an event committed but not yet added here, one written by another
// path (the bulk loader, another opener), or one older than what is kept, makes it answer
// nothing and the caller reads the database. (An event written by another path after the newest
// one held is read from the database at the next call, which starts past the newest.)
// Sequence numbers are consecutive in SQLite (a rowid is max + 1, and events are never deleted);
// where they are not (a log restored from PostgreSQL, whose sequence can skip), After() stops at
// the gap and the database answers past it. Thread-safe.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "citygrid/domain/case.h"

namespace citygrid::storage::sqlite {

class RecentEvents {
 public:
  explicit RecentEvents(size_t capacity = 8192) : capacity_(capacity) {}

  // Keeps `events` (committed; global_seq set), dropping the oldest past the capacity.
  void Add(const std::vector<CaseEvent>& events);
  void Add(const CaseEvent& event);

  // The events after `after_seq`, at most `limit`, when they are held with consecutive sequence
  // numbers from after_seq + 1 on. nullopt when after_seq + 1 is not held (not yet added, never
  // added, or dropped) or a number is missing before the limit and the newest held: read the
  // database.
  std::optional<std::vector<CaseEvent>> After(int64_t after_seq, int limit) const;

  size_t size() const;

 private:
  // REQUIRES: mu_ held.
  void AddLocked(const CaseEvent& event);

  const size_t capacity_;
  mutable std::mutex mu_;
  std::deque<CaseEvent> events_;  // GUARDED_BY(mu_); ascending global_seq, no two equal
};

}  // namespace citygrid::storage::sqlite
