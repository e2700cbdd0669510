#pragma once

// EventLogFollower: the one reader of the deployment-wide event log (CaseStore::EventsAfter) in a
// process. It reads each new batch of events once and hands it to every subscriber, in the order
// they subscribed: the in-memory duplicate search (DuplicateIndex), the live feed (CaseFeed) and
// the evaluation roll-ups (EvaluationEngine). Because it reads the shared log, subscribers see
// the writes of every node sharing the database, not only this process's.
//
// Positions: every subscriber keeps its own position (the global_seq of the last event it has
// applied) and chooses where it starts (CatchUp: the feed at the log's end, the duplicate index
// after loading the open cases, the evaluation engine after folding the log from seq 0). The
// follower reads after the lowest position of its caught-up subscribers and hands each one only
// the events after its own position, in global_seq order, in batches of at most `batch`.
//
// Failures: a subscriber whose CatchUp or Apply fails keeps its position and gets the same events
// again at the next wake-up; the other subscribers go on. last_error() tells the latest failure.
//
// Wake-ups: the follower waits on `notifier` (e.g. PostgreSQL LISTEN/NOTIFY) when it has one,
// else sleeps up to `poll_interval`; Notify() (CaseService::SetWriteListener) wakes it at once
// after a local write that it has not read yet.
//
// Thread safety: all methods may be called from any thread. Subscribers' CatchUp and Apply run
// one at a time (the follower never calls two subscribers, or one subscriber twice, at once).

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/common/time.h"
#include "citygrid/domain/case.h"
#include "citygrid/storage/event_notifier.h"
#include "citygrid/storage/store.h"

namespace citygrid::service {

// Something that follows the event log.
class EventLogSubscriber {
 public:
  virtual ~EventLogSubscriber() = default;

  // Brings the subscriber to a starting position of its own choosing (see the file comment).
  // Errors are the store's; the follower calls it again at its next wake-up.
  virtual Status CatchUp() = 0;
  // The global_seq of the last event applied (0 before any).
  virtual int64_t position() const = 0;
  // Applies `events` (non-empty, ascending global_seq, all after position()) and advances
  // position() to the last one. On an error the position stays where it was.
  virtual Status Apply(const std::vector<CaseEvent>& events) = 0;
};

// Events read per EventsAfter call by default.
inline constexpr int kEventLogBatch = 1000;

// Reads the events after `subscriber`'s position until the log's end, `batch` at a time, and
// applies them: what the follower does for one subscriber, for callers that drive a subscriber
// without a follower (tests, tools). Returns the number of events read. Errors are the store's or
// the subscriber's.
Result<int> FollowEventLog(storage::CaseStore& store, EventLogSubscriber& subscriber,
                           int batch = kEventLogBatch);

struct EventLogFollowerOptions {
  Duration poll_interval = Duration(200);  // wake-up without a notifier or a Notify()
  int batch = kEventLogBatch;              // events per EventsAfter call (1..10000)
};

class EventLogFollower {
 public:
  // Where a new subscriber's CatchUp runs.
  enum class CatchUpOn {
    kCaller,    // in Subscribe(), which returns its error (the subscriber is then not added)
    kFollower,  // on the follower's thread before the subscriber's first events (a long
                // catch-up, such as the evaluation engine's rebuild, does not hold up start-up)
  };

  // `store` (and `notifier`, when given) must outlive the follower.
  explicit EventLogFollower(storage::CaseStore& store, EventLogFollowerOptions options = {},
                            storage::EventNotifier* notifier = nullptr);
  ~EventLogFollower();
  EventLogFollower(const EventLogFollower&) = delete;
  EventLogFollower& operator=(const EventLogFollower&) = delete;

  // Adds `subscriber` (which must outlive its subscription) after the others. A subscriber
  // already added is left as it is. May be called while the follower runs.
  Status Subscribe(EventLogSubscriber& subscriber, CatchUpOn catch_up = CatchUpOn::kCaller);
  // Removes `subscriber`, waiting for a PollOnce in progress. No-op when it is not subscribed.
  void Unsubscribe(EventLogSubscriber& subscriber);

  // Starts the follower thread. Idempotent; Start() after Stop() goes on from the subscribers'
  // positions.
  Status Start();
  // Stops the thread (subscriptions stay). Idempotent.
  void Stop();
  // Wakes the follower now, unless `written_seq` > 0 and every subscriber has applied the event
  // of that global_seq already (a write the follower read while its writer was still busy).
  void Notify(int64_t written_seq = 0);

  // One wake-up's work: catches up the subscribers that need it, then reads the events after the
  // lowest position until the log's end and fans them out. Returns the number of events read;
  // kUnavailable (or the store's error) when the log could not be read. Subscribers' failures
  // are not returned: see last_error(). Used by the thread; callable directly when it is not
  // running.
  Result<int> PollOnce();

  // The latest failure of a read, a CatchUp or an Apply (OK when none since the last success).
  Status last_error() const;
  size_t subscriber_count() const;

 private:
  struct Entry {
    EventLogSubscriber* subscriber = nullptr;
    bool caught_up = false;
  };

  void Run();
  void SetError(Status status);

  storage::CaseStore& store_;
  const EventLogFollowerOptions options_;
  storage::EventNotifier* notifier_;

  std::mutex poll_mu_;  // one PollOnce at a time; held while subscribers run
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // State below is protected by mu_.
  std::vector<Entry> entries_;
  Status last_error_;
  int64_t low_position_ = 0;  // lowest position of the caught-up subscribers after a poll
  bool all_caught_up_ = true;
  bool stop_ = false;
  bool notified_ = false;
  std::thread thread_;
};

}  // namespace citygrid::service
