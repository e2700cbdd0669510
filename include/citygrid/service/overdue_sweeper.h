#pragma once

// The background overdue sweeper (超时检查): every `interval` of real time it calls
// CaseService::SweepOverdue(clock.Now()). The work itself reads only the store, so a restarted
// process (or another node) picks up every deadline that passed while it was down.
//
// Thread safety: Start/Stop from one owning thread; the counters may be read from any thread.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "citygrid/common/status.h"
#include "citygrid/common/time.h"
#include "citygrid/service/case_service.h"

namespace citygrid::service {

class OverdueSweeper {
 public:
  // `service` must outlive the sweeper.
  explicit OverdueSweeper(CaseService& service, Duration interval = std::chrono::seconds(10))
      : service_(service), interval_(interval) {}
  ~OverdueSweeper() { Stop(); }
  OverdueSweeper(const OverdueSweeper&) = delete;
  OverdueSweeper& operator=(const OverdueSweeper&) = delete;

  // Starts the thread; the first sweep runs at once. No-op when running.
  void Start();
  // Stops and joins the thread (the sweep in progress finishes first). Idempotent.
  void Stop();
  // Runs one sweep now on the calling thread (also what the thread does).
  Result<int> SweepNow();

  int64_t sweeps() const { return sweeps_.load(); }
  int64_t marked() const { return marked_.load(); }
  int64_t failures() const { return failures_.load(); }

 private:
  void Run();

  CaseService& service_;
  const Duration interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // protected by mu_
  std::thread thread_;
  std::atomic<int64_t> sweeps_{0}, marked_{0}, failures_{0};
};

}  // namespace citygrid::service
