#include "citygrid/service/event_log_follower.h"

#include <algorithm>
#include <limits>
#include <string>

#include "citygrid/common/thread_name.h"

namespace citygrid::service {
namespace {

// Reads the events after the lowest position of `subscribers` until the log's end and applies
// each batch to every subscriber whose position it goes past (only the events after that
// position). A subscriber whose Apply fails gets its error in `errors` and no further events in
// this call. Returns the number of events read, or the store's error.
Result<int> FanOut(storage::CaseStore& store, const std::vector<EventLogSubscriber*>& subscribers,
                   int batch, std::vector<Status>& errors) {
  errors.assign(subscribers.size(), OkStatus());
  if (subscribers.empty()) return 0;
  int64_t from = std::numeric_limits<int64_t>::max();
  for (const EventLogSubscriber* s : subscribers) from = std::min(from, s->position());
  size_t failed = 0;
  int total = 0;
  std::vector<CaseEvent> suffix;
  for (;;) {
    CITYGRID_ASSIGN_OR_RETURN(std::vector<CaseEvent> events, store.EventsAfter(from, batch));
    if (events.empty()) break;
    for (size_t i = 0; i < subscribers.size(); ++i) {
      if (!errors[i].ok()) continue;
      const int64_t position = subscribers[i]->position();
      if (position >= events.back().global_seq) continue;
      Status applied;
      if (position < events.front().global_seq) {
        applied = subscribers[i]->Apply(events);
      } else {
        // Ahead of the others (it started later, or it is catching up after a failure of
        // theirs): only its part of the batch.
        auto first = std::upper_bound(
            events.begin(), events.end(), position,
            [](int64_t seq, const CaseEvent& e) { return seq < e.global_seq; });
        suffix.assign(first, events.end());
        applied = subscribers[i]->Apply(suffix);
      }
      if (!applied.ok()) {
        errors[i] = std::move(applied);
        ++failed;
      }
    }
    total += static_cast<int>(events.size());
    from = events.back().global_seq;
    if (static_cast<int>(events.size()) < batch || failed == subscribers.size()) break;
  }
  return total;
}

}  // namespace

Result<int> FollowEventLog(storage::CaseStore& store, EventLogSubscriber& subscriber, int batch) {
  std::vector<Status> errors;
  CITYGRID_ASSIGN_OR_RETURN(int read, FanOut(store, {&subscriber}, batch, errors));
  if (!errors[0].ok()) return errors[0];
  return read;
}

EventLogFollower::EventLogFollower(storage::CaseStore& store, EventLogFollowerOptions options,
                                   storage::EventNotifier* notifier)
    : store_(store), options_(options), notifier_(notifier) {}

EventLogFollower::~EventLogFollower() { Stop(); }

Status EventLogFollower::Subscribe(EventLogSubscriber& subscriber, CatchUpOn catch_up) {
  {
    std::lock_guard lock(mu_);
    for (const Entry& e : entries_) {
      if (e.subscriber == &subscriber) return OkStatus();
    }
  }
  int64_t start = 0;
  if (catch_up == CatchUpOn::kCaller) {
    CITYGRID_RETURN_IF_ERROR(subscriber.CatchUp());
    start = subscriber.position();  // not under mu_: a subscriber's lock may be held long
  }
  {
    std::lock_guard lock(mu_);
    for (const Entry& e : entries_) {
      if (e.subscriber == &subscriber) return OkStatus();
    }
    entries_.push_back(Entry{&subscriber, catch_up == CatchUpOn::kCaller});
    // Notify() skips events below low_position_: a subscriber starting behind lowers it. (One
    // caught up on the follower's thread makes all_caught_up_ false, which stops the skipping.)
    low_position_ = std::min(low_position_, start);
    if (catch_up == CatchUpOn::kFollower) {
      all_caught_up_ = false;
      notified_ = true;
    }
  }
  cv_.notify_all();
  return OkStatus();
}

void EventLogFollower::Unsubscribe(EventLogSubscriber& subscriber) {
  std::lock_guard poll(poll_mu_);
  std::lock_guard lock(mu_);
  std::erase_if(entries_, [&](const Entry& e) { return e.subscriber == &subscriber; });
}

Status EventLogFollower::Start() {
  if (options_.batch < 1 || options_.batch > 10000) {
    return InvalidArgumentError("event log batch " + std::to_string(options_.batch) +
                                " is out of range [1, 10000]");
  }
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return OkStatus();
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
  return OkStatus();
}

void EventLogFollower::Stop() {
  std::thread thread;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    thread = std::move(thread_);
  }
  cv_.notify_all();
  if (thread.joinable()) thread.join();
}

void EventLogFollower::Notify(int64_t written_seq) {
  {
    std::lock_guard lock(mu_);
    // low_position_ is the lowest position of the caught-up subscribers after the last poll;
    // when some are not caught up yet the next poll is due anyway.
    if (written_seq > 0 && written_seq <= low_position_ && all_caught_up_) return;
    notified_ = true;
  }
  cv_.notify_all();
}

Status EventLogFollower::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

size_t EventLogFollower::subscriber_count() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void EventLogFollower::SetError(Status status) {
  std::lock_guard lock(mu_);
  last_error_ = std::move(status);
}

Result<int> EventLogFollower::PollOnce() {
  std::lock_guard poll(poll_mu_);
  // Subscribers are only removed under poll_mu_, so the pointers stay valid until the end.
  std::vector<Entry> entries;
  {
    std::lock_guard lock(mu_);
    entries = entries_;
  }
  Status error;
  std::vector<EventLogSubscriber*> ready;
  for (Entry& e : entries) {
    if (!e.caught_up) {
      Status caught_up = e.subscriber->CatchUp();
      if (!caught_up.ok()) {
        error = std::move(caught_up);
        continue;
      }
      std::lock_guard lock(mu_);
      for (Entry& live : entries_) {
        if (live.subscriber == e.subscriber) live.caught_up = true;
      }
    }
    ready.push_back(e.subscriber);
  }
  std::vector<Status> errors;
  Result<int> read = FanOut(store_, ready, options_.batch, errors);
  if (!read.ok()) error = read.status();
  for (Status& s : errors) {
    if (!s.ok()) error = std::move(s);
  }
  int64_t low = std::numeric_limits<int64_t>::max();
  for (const EventLogSubscriber* s : ready) low = std::min(low, s->position());
  {
    std::lock_guard lock(mu_);
    last_error_ = error;
    low_position_ = ready.empty() ? 0 : low;
    all_caught_up_ = ready.size() == entries.size() &&
                     std::all_of(entries_.begin(), entries_.end(),
                                 [](const Entry& e) { return e.caught_up; });
  }
  return read;
}

void EventLogFollower::Run() {
  NameThisThread("cg-follower");
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      notified_ = false;
    }
    // Failures are kept in last_error() and retried at the next wake-up.
    (void)PollOnce();
    int64_t low = 0;
    bool wait_on_notifier = false;
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      wait_on_notifier = notifier_ != nullptr && all_caught_up_ && last_error_.ok() && !notified_;
      low = low_position_;
    }
    if (wait_on_notifier) {
      (void)notifier_->WaitForEvents(low, options_.poll_interval);
    } else {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, options_.poll_interval, [this] { return stop_ || notified_; });
    }
  }
}

}  // namespace citygrid::service
