#include "src/storage/sqlite/recent_events.h"

#include <algorithm>

namespace citygrid::storage::sqlite {
namespace {

bool SeqBefore(const CaseEvent& e, int64_t seq) { return e.global_seq < seq; }

}  // namespace

void RecentEvents::Add(const std::vector<CaseEvent>& events) {
  std::lock_guard lock(mu_);
  for (const CaseEvent& e : events) AddLocked(e);
}

void RecentEvents::Add(const CaseEvent& event) {
  std::lock_guard lock(mu_);
  AddLocked(event);
}

void RecentEvents::AddLocked(const CaseEvent& event) {
  if (capacity_ == 0 || event.global_seq <= 0) return;
  if (events_.empty() || events_.back().global_seq < event.global_seq) {
    events_.push_back(event);  // the usual case: commit order
  } else {
    auto at = std::lower_bound(events_.begin(), events_.end(), event.global_seq, SeqBefore);
    if (at != events_.end() && at->global_seq == event.global_seq) return;  // held already
    if (at == events_.begin() && events_.size() >= capacity_) return;       // older than all
    events_.insert(at, event);
  }
  while (events_.size() > capacity_) events_.pop_front();
}

std::optional<std::vector<CaseEvent>> RecentEvents::After(int64_t after_seq, int limit) const {
  std::lock_guard lock(mu_);
  auto it = std::lower_bound(events_.begin(), events_.end(), after_seq + 1, SeqBefore);
  if (it == events_.end() || it->global_seq != after_seq + 1) return std::nullopt;
  std::vector<CaseEvent> out;
  int64_t next = after_seq + 1;
  for (; it != events_.end() && static_cast<int>(out.size()) < limit; ++it, ++next) {
    // A gap before the end of what is held: an event committed there is not here (yet).
    if (it->global_seq != next) return std::nullopt;
    out.push_back(*it);
  }
  return out;
}

size_t RecentEvents::size() const {
  std::lock_guard lock(mu_);
  return events_.size();
}

}  // namespace citygrid::storage::sqlite
