#include "citygrid/service/case_feed.h"

#include <algorithm>
#include <map>

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

void FeedSubscription::Push(FeedItem item) {
  {
    std::lock_guard lock(mu_);
    if (dropped_ || closed_) return;
    if (queue_.size() >= capacity_) {
      dropped_ = true;
      queue_.clear();
    } else {
      queue_.push_back(std::move(item));
    }
  }
  cv_.notify_all();
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

std::shared_ptr<FeedSubscription> CaseFeed::Subscribe(const Actor& viewer) {
  auto sub = std::make_shared<FeedSubscription>(viewer, options_.queue_capacity);
  std::lock_guard lock(mu_);
  if (closed_) {
    sub->Close();
  } else {
    subscribers_.push_back(sub);
  }
  return sub;
}

Result<int> CaseFeed::PollOnce() { return FollowEventLog(store_, *this, options_.batch); }

Status CaseFeed::Apply(const std::vector<CaseEvent>& events) {
  if (events.empty()) return OkStatus();
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
  std::map<int64_t, Case> cases;  // each case read once per batch
  for (const CaseEvent& e : events) {
    if (subs.empty()) break;
    auto it = cases.find(e.case_id);
    if (it == cases.end()) {
      Result<Case> c = store_.LoadCase(e.case_id);
      if (!c.ok()) {
        if (c.status().code() == StatusCode::kNotFound) continue;
        return c.status();
      }
      it = cases.emplace(e.case_id, std::move(*c)).first;
    }
    const Case& c = it->second;
    for (const auto& s : subs) {
      if (!MayView(s->viewer(), c)) continue;
      FeedItem item;
      item.event = MaskEvent(e, s->viewer().role);
      item.number = c.number;
      item.state = c.state;
      item.category = c.category;
      item.unit = c.unit;
      item.subdistrict = c.location.subdistrict_code;
      item.overdue = c.overdue;
      item.version = c.version;
      s->Push(std::move(item));
    }
  }
  std::lock_guard lock(mu_);
  position_ = std::max(position_, events.back().global_seq);
  return OkStatus();
}

}  // namespace citygrid::service
