#pragma once

// CaseFeed: the service half of the live feed (GET /api/v1/stream, server-sent events).
//
// One follower per process reads the deployment-wide event log (CaseStore::EventsAfter) from
// where it started, so it sees the writes of every node sharing the database, and fans each
// event out to the subscribers allowed to see its case (visibility.h: a handler only its own
// unit's cases, judged by the case as it is when the event is read). Each item carries the
// event (reporter masked for the subscriber's role) and a summary of the case.
//
// Wake-ups: the follower polls every `poll_interval`, or waits on an EventNotifier when given
// one; Notify() (e.g. CaseService::SetWriteListener) wakes it at once after a local write.
//
// Back-pressure: each subscriber has a bounded queue (`queue_capacity` items). A subscriber that
// falls that far behind is dropped: its queue is cleared and Next() answers kResourceExhausted,
// so the client reconnects and reloads instead of the server growing without bound.
//
// Events committed before Start() are not replayed (a reconnecting client reloads the list).
//
// Thread safety: all methods may be called from any thread.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/common/time.h"
#include "citygrid/domain/case.h"
#include "citygrid/storage/event_notifier.h"
#include "citygrid/storage/store.h"

namespace citygrid::service {

struct FeedItem {
  CaseEvent event;  // reporter masked for the subscriber's role
  std::string number;
  CaseState state = CaseState::kReported;
  std::string category;
  std::string unit;
  std::string subdistrict;
  bool overdue = false;
  int64_t version = 0;  // the case's version when the event was read
};

struct FeedOptions {
  Duration poll_interval = Duration(200);
  size_t queue_capacity = 1024;
  int batch = 500;  // events read per EventsAfter call
};

class FeedSubscription {
 public:
  FeedSubscription(Actor viewer, size_t capacity) : viewer_(std::move(viewer)), capacity_(capacity) {}

  // Waits up to `timeout` for items and returns all that are queued, oldest first (empty after a
  // timeout). kResourceExhausted once the subscriber has been dropped for falling behind;
  // kUnavailable once the feed has stopped or the subscription was closed.
  Result<std::vector<FeedItem>> Next(Duration timeout);
  // Ends the subscription (the feed forgets it).
  void Close();

  const Actor& viewer() const { return viewer_; }
  bool dropped() const;

 private:
  friend class CaseFeed;
  void Push(FeedItem item);  // drops the subscriber when full

  const Actor viewer_;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // State below is protected by mu_.
  std::deque<FeedItem> queue_;
  bool dropped_ = false;
  bool closed_ = false;
};

class CaseFeed {
 public:
  // `store` (and `notifier`, when given) must outlive the feed.
  explicit CaseFeed(storage::CaseStore& store, FeedOptions options = {},
                    storage::EventNotifier* notifier = nullptr);
  ~CaseFeed();
  CaseFeed(const CaseFeed&) = delete;
  CaseFeed& operator=(const CaseFeed&) = delete;

  // Sets the position to the log's current end and starts the follower thread.
  Status Start();
  // Stops the follower; open subscriptions then answer kUnavailable. Idempotent.
  void Stop();

  // Sets the position without starting a thread (for callers that drive PollOnce themselves).
  Status SeekToEnd();
  // Reads every event after the position, fans it out and advances. Returns the number of
  // events read. Used by the follower; callable directly when the follower is not running.
  Result<int> PollOnce();

  std::shared_ptr<FeedSubscription> Subscribe(const Actor& viewer);
  // Wakes the follower now (call after a local write).
  void Notify();

  int64_t position() const;
  size_t subscriber_count() const;

 private:
  void Run();

  storage::CaseStore& store_;
  const FeedOptions options_;
  storage::EventNotifier* notifier_;

  std::mutex poll_mu_;  // one PollOnce at a time
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // State below is protected by mu_.
  int64_t position_ = 0;
  bool stop_ = false;
  bool notified_ = false;
  std::vector<std::weak_ptr<FeedSubscription>> subscribers_;
  std::thread thread_;
};

}  // namespace citygrid::service
