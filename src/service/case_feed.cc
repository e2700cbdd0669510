#include "citygrid/service/case_feed.h"

#include <algorithm>
#include <map>
#include <optional>

#include "citygrid/service/visibility.h"

namespace citygrid::service {

Result<std::vector<FeedItem>> FeedSubscription::Next(Duration timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [this] { return !queue_.empty() || dropped_ || closed_; });
  if (dropped_) {
    return ResourceExhaustedError("live feed subscriber fell more than " +
                                  std::to_string(capacity_) +
                                  " events behind and was dropped; reconnect and reload");
  }
  if (closed_ && queue_.empty()) return UnavailableError("live feed closed");
  std::vector<FeedItem> out(std::make_move_iterator(queue_.begin()),
                            std::make_move_iterator(queue_.end()));
  queue_.clear();
  return out;
}

void FeedSubscription::Close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool FeedSubscription::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

bool FeedSubscription::Push(FeedItem item) {
  bool dropped_now = false;
  {
    std::lock_guard lock(mu_);
    if (dropped_ || closed_) return false;
    if (queue_.size() >= capacity_) {
      dropped_ = dropped_now = true;
      queue_.clear();
    } else {
      queue_.push_back(std::move(item));
    }
  }
  cv_.notify_all();
  return dropped_now;
}

CaseFeed::CaseFeed(storage::CaseStore& store, FeedOptions options)
    : store_(store), options_(options) {}

CaseFeed::~CaseFeed() { Close(); }

Status CaseFeed::SeekToEnd() {
  CITYGRID_ASSIGN_OR_RETURN(int64_t last, store_.LastGlobalSeq());
  std::lock_guard lock(mu_);
  position_ = last;
  return OkStatus();
}

void CaseFeed::Close() {
  std::vector<std::weak_ptr<FeedSubscription>> subs;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    subs.swap(subscribers_);
  }
  for (auto& weak : subs) {
    if (auto s = weak.lock()) s->Close();
  }
}

int64_t CaseFeed::position() const {
  std::lock_guard lock(mu_);
  return position_;
}

size_t CaseFeed::subscriber_count() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& weak : subscribers_) {
    if (auto s = weak.lock(); s && !s->dropped()) ++n;
  }
  return n;
}

FeedStats CaseFeed::stats() const {
  FeedStats out;
  out.subscribers = subscriber_count();
  std::lock_guard lock(mu_);
  out.replays = replays_;
  out.resets = resets_;
  out.dropped = dropped_;
  return out;
}

std::shared_ptr<FeedSubscription> CaseFeed::Subscribe(const Actor& viewer) {
  auto sub = std::make_shared<FeedSubscription>(viewer, options_.queue_capacity);
  Register(sub);
  return sub;
}

void CaseFeed::Register(const std::shared_ptr<FeedSubscription>& sub) {
  std::lock_guard lock(mu_);
  if (closed_) {
    sub->Close();
  } else {
    subscribers_.push_back(sub);
  }
}

namespace {

// The cases of a batch of events, each read once; nullptr for a case that is gone.
class CaseCache {
 public:
  explicit CaseCache(storage::CaseStore& store) : store_(store) {}
  Result<const Case*> Get(int64_t case_id) {
    auto it = cases_.find(case_id);
    if (it == cases_.end()) {
      Result<Case> c = store_.LoadCase(case_id);
      if (!c.ok() && c.status().code() != StatusCode::kNotFound) return c.status();
      it =
          cases_.emplace(case_id, c.ok() ? std::optional<Case>(std::move(*c)) : std::nullopt).first;
    }
    return it->second ? &*it->second : nullptr;
  }

 private:
  storage::CaseStore& store_;
  std::map<int64_t, std::optional<Case>> cases_;
};

FeedItem ItemFor(const CaseEvent& e, const Case& c, Role viewer_role) {
  FeedItem item;
  item.event = MaskEvent(e, viewer_role);
  item.number = c.number;
  item.state = c.state;
  item.category = c.category;
  item.unit = c.unit;
  item.subdistrict = c.location.subdistrict_code;
  item.overdue = c.overdue;
  item.version = c.version;
  return item;
}

FeedItem ResetItem(int64_t position, std::string reason) {
  FeedItem item;
  item.reset = true;
  item.reset_reason = std::move(reason);
  item.event.global_seq = position;
  return item;
}

}  // namespace

Result<std::shared_ptr<FeedSubscription>> CaseFeed::SubscribeAfter(const Actor& viewer,
                                                                   int64_t after_seq) {
  auto sub = std::make_shared<FeedSubscription>(viewer, options_.queue_capacity);
  std::lock_guard apply(apply_mu_);
  const int64_t end = position();
  std::vector<FeedItem> items;
  if (after_seq < 0 || after_seq > end) {
    items.push_back(ResetItem(end, "event " + std::to_string(after_seq) +
                                       " is not one this feed has sent (it is at event " +
                                       std::to_string(end) + "); reload"));
  } else if (end - after_seq > options_.replay_limit) {
    items.push_back(ResetItem(
        end, std::to_string(end - after_seq) + " events were missed, more than the " +
                 std::to_string(options_.replay_limit) + " a reconnection replays; reload"));
  } else {
    CaseCache cases(store_);
    bool overflow = false;  // more than the queue holds: stop reading, it is a reset
    for (int64_t seq = after_seq; seq < end && !overflow;) {
      CITYGRID_ASSIGN_OR_RETURN(std::vector<CaseEvent> events,
                                store_.EventsAfter(seq, options_.batch));
      if (events.empty()) break;
      for (const CaseEvent& e : events) {
        if (e.global_seq > end) break;
        CITYGRID_ASSIGN_OR_RETURN(const Case* c, cases.Get(e.case_id));
        if (c == nullptr || !MayView(viewer, *c)) continue;
        items.push_back(ItemFor(e, *c, viewer.role));
        if (items.size() > options_.queue_capacity) {
          overflow = true;
          break;
        }
      }
      seq = events.back().global_seq;
    }
    if (overflow) {
      items.clear();
      items.push_back(ResetItem(end, "more events were missed than a stream queues (" +
                                         std::to_string(options_.queue_capacity) + "); reload"));
    }
  }
  {
    std::lock_guard lock(mu_);
    if (items.size() == 1 && items[0].reset) {
      ++resets_;
    } else {
      ++replays_;
    }
  }
  for (FeedItem& item : items) sub->Push(std::move(item));
  Register(sub);
  return sub;
}

Result<int> CaseFeed::PollOnce() { return FollowEventLog(store_, *this, options_.batch); }

Status CaseFeed::Apply(const std::vector<CaseEvent>& events) {
  if (events.empty()) return OkStatus();
  std::lock_guard apply(apply_mu_);
  // Live subscribers (closed ones are forgotten here).
  std::vector<std::shared_ptr<FeedSubscription>> subs;
  {
    std::lock_guard lock(mu_);
    std::erase_if(subscribers_, [&](const std::weak_ptr<FeedSubscription>& weak) {
      auto s = weak.lock();
      if (!s) return true;
      std::lock_guard sl(s->mu_);
      if (s->closed_ || s->dropped_) return true;
      subs.push_back(std::move(s));
      return false;
    });
  }
  CaseCache cases(store_);
  uint64_t dropped = 0;
  for (const CaseEvent& e : events) {
    if (subs.empty()) break;
    CITYGRID_ASSIGN_OR_RETURN(const Case* c, cases.Get(e.case_id));
    if (c == nullptr) continue;
    for (const auto& s : subs) {
      if (MayView(s->viewer(), *c)) dropped += s->Push(ItemFor(e, *c, s->viewer().role));
    }
  }
  std::lock_guard lock(mu_);
  position_ = std::max(position_, events.back().global_seq);
  dropped_ += dropped;
  return OkStatus();
}

}  // namespace citygrid::service
