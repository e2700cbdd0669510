#include "citygrid/service/overdue_sweeper.h"

#include "citygrid/common/thread_name.h"

namespace citygrid::service {

void OverdueSweeper::Start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void OverdueSweeper::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<int> OverdueSweeper::SweepNow() {
  Result<int> marked = service_.SweepOverdue(service_.clock().Now());
  ++sweeps_;
  if (marked.ok()) {
    marked_ += *marked;
  } else {
    ++failures_;
  }
  return marked;
}

void OverdueSweeper::Run() {
  NameThisThread("cg-overdue");
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    // A failed sweep (database briefly unavailable) is retried at the next interval; the
    // failures() counter makes it visible.
    (void)SweepNow();
    lock.lock();
    cv_.wait_for(lock, interval_, [this] { return stop_; });
  }
}

}  // namespace citygrid::service
