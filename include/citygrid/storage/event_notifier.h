#pragma once

// Waiting for new events in the global log (CaseStore::EventsAfter) without busy polling.
//
// Followers of the log (roll-ups, the spatial index, the SSE live feed) loop:
//     seq = WaitForEvents(my_seq, 1s); if (seq > my_seq) EventsAfter(my_seq, ...)
// The wait ends when an event with global_seq > after_seq has committed on this node or on any
// other node sharing the database, or at the timeout. A wake-up is a hint, never data: followers
// always read the events themselves, so a lost or spurious wake-up costs latency, never
// correctness.
//
// PostgreSQL delivers wake-ups from other nodes by LISTEN/NOTIFY on channel "citygrid_events"
// (payload: the batch's last global_seq), and falls back to polling LastGlobalSeq() while its
// listening connection is down. PollingEventNotifier serves any CaseStore by polling.
//
// Thread safety: WaitForEvents may be called from many threads at once.

#include <cstdint>

#include "citygrid/common/status.h"
#include "citygrid/common/time.h"

namespace citygrid::storage {

class CaseStore;

class EventNotifier {
 public:
  virtual ~EventNotifier() = default;
  // Blocks until the highest committed global_seq exceeds `after_seq` or `timeout` passes, and
  // returns the highest committed global_seq known (<= after_seq after a timeout). kUnavailable
  // when the database cannot be reached.
  virtual Result<int64_t> WaitForEvents(int64_t after_seq, Duration timeout) = 0;
};

// Polls store.LastGlobalSeq() every `interval`. For backends without push notifications.
class PollingEventNotifier final : public EventNotifier {
 public:
  explicit PollingEventNotifier(CaseStore& store, Duration interval = Duration(50))
      : store_(store), interval_(interval) {}
  Result<int64_t> WaitForEvents(int64_t after_seq, Duration timeout) override;

 private:
  CaseStore& store_;
  const Duration interval_;
};

}  // namespace citygrid::storage
