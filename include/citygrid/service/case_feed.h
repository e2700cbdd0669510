#pragma once

// CaseFeed: the service half of the live feed (GET /api/v1/stream, server-sent events).
//
// The feed follows the deployment-wide event log as a subscriber of the process's
// EventLogFollower (event_log_follower.h), so it sees the writes of every node sharing the
// database, and fans each event out to the feed's subscribers allowed to see its case
// (visibility.h: a handler only its own unit's cases, judged by the case as it is when the event
// is read). Each item carries the event (reporter masked for the subscriber's role) and a summary
// of the case.
//
// Back-pressure: each subscriber has a bounded queue (`queue_capacity` items). A subscriber that
// falls that far behind is dropped: its queue is cleared and Next() answers kResourceExhausted,
// so the client reconnects and reloads instead of the server growing without bound.
//
// Replay: a client that reconnects names the last event it received (SSE's Last-Event-ID, the
// event's global_seq) and SubscribeAfter() queues the events it missed, filtered and masked as
// live ones, before the live ones, with no gap and no repeat. When they cannot be replayed (more
// than `replay_limit` events behind, more than the queue holds, or an id this log never gave),
// the subscription starts with one reset item instead: the client reloads what it shows.
//
// Thread safety: all methods may be called from any thread.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/common/time.h"
#include "citygrid/domain/case.h"
#include "citygrid/service/event_log_follower.h"
#include "citygrid/storage/store.h"

namespace citygrid::service {

struct FeedItem {
  // A reset item (SubscribeAfter) carries no case: the missed events could not be replayed, so
  // the client reloads; event.global_seq is the position the stream goes on from, reset_reason
  // says why.
  bool reset = false;
  std::string reset_reason;
  CaseEvent event;  // reporter masked for the subscriber's role
  // The case as it stands when the event is read (for a replay, or several events of one case
  // in a batch, its latest state and version, not the event's).
  std::string number;
  CaseState state = CaseState::kReported;
  std::string category;
  std::string unit;
  std::string subdistrict;
  bool overdue = false;
  int64_t version = 0;  // the case's version when the event was read
};

// What the feed has done since it started, for /metrics.
struct FeedStats {
  size_t subscribers = 0;  // open subscriptions (as subscriber_count())
  uint64_t replays = 0;    // SubscribeAfter() calls that replayed (perhaps nothing)
  uint64_t resets = 0;     // SubscribeAfter() calls answered with a reset item
  uint64_t dropped = 0;    // subscribers dropped for falling behind
};

struct FeedOptions {
  size_t queue_capacity = 1024;
  int batch = 500;  // events read per EventsAfter call by PollOnce() (the follower has its own)
  int64_t replay_limit = 10000;  // events SubscribeAfter() reads at most to replay
};

class FeedSubscription {
 public:
  FeedSubscription(Actor viewer, size_t capacity) : viewer_(std::move(viewer)), capacity_(capacity) {}

  // Waits up to `timeout` for items and returns all that are queued, oldest first (empty after a
  // timeout). kResourceExhausted once the subscriber has been dropped for falling behind;
  // kUnavailable once the feed was closed or the subscription was.
  Result<std::vector<FeedItem>> Next(Duration timeout);
  // Ends the subscription (the feed forgets it).
  void Close();

  const Actor& viewer() const { return viewer_; }
  bool dropped() const;

 private:
  friend class CaseFeed;
  // Queues `item`, or drops the subscriber when full; true when this push dropped it.
  bool Push(FeedItem item);

  const Actor viewer_;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // State below is protected by mu_.
  std::deque<FeedItem> queue_;
  bool dropped_ = false;
  bool closed_ = false;
};

class CaseFeed final : public EventLogSubscriber {
 public:
  // `store` must outlive the feed.
  explicit CaseFeed(storage::CaseStore& store, FeedOptions options = {});
  ~CaseFeed() override;
  CaseFeed(const CaseFeed&) = delete;
  CaseFeed& operator=(const CaseFeed&) = delete;

  // EventLogSubscriber: CatchUp() is SeekToEnd(); Apply() fans the events out.
  Status CatchUp() override { return SeekToEnd(); }
  int64_t position() const override;
  Status Apply(const std::vector<CaseEvent>& events) override;

  // Sets the position to the log's current end. Errors are the store's.
  Status SeekToEnd();
  // Reads every event after the position, fans it out and advances (FollowEventLog). Returns
  // the number of events read. For callers that drive the feed without a follower.
  Result<int> PollOnce();

  // Ends every subscription (they answer kUnavailable) and answers later Subscribe() calls with
  // a closed subscription. Idempotent.
  void Close();

  std::shared_ptr<FeedSubscription> Subscribe(const Actor& viewer);
  // Subscribe() that first queues the events after `after_seq` up to the feed's position which
  // `viewer` may see (or one reset item, see above). Errors are the store's.
  Result<std::shared_ptr<FeedSubscription>> SubscribeAfter(const Actor& viewer, int64_t after_seq);
  size_t subscriber_count() const;
  FeedStats stats() const;

 private:
  // Registers `sub` (closes it when the feed is closed). Takes mu_.
  void Register(const std::shared_ptr<FeedSubscription>& sub);

  storage::CaseStore& store_;
  const FeedOptions options_;

  // Held through Apply() and SubscribeAfter(), so a replay ends exactly where Apply() goes on.
  // Taken before mu_.
  std::mutex apply_mu_;
  mutable std::mutex mu_;
  // State below is protected by mu_.
  int64_t position_ = 0;
  bool closed_ = false;
  uint64_t replays_ = 0;
  uint64_t resets_ = 0;
  uint64_t dropped_ = 0;
  std::vector<std::weak_ptr<FeedSubscription>> subscribers_;
};

}  // namespace citygrid::service
