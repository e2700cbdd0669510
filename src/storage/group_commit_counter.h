#pragma once

// Counts what a backend's group commit did (Store::group_commit_stats), for both backends.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "citygrid/storage/store.h"

namespace citygrid::storage {

class GroupCommitCounter {
 public:
  // Times one batch of `writes` queued writes: from construction to destruction.
  class Timer {
   public:
    Timer(GroupCommitCounter& counter, size_t writes)
        : counter_(counter), writes_(writes), started_(std::chrono::steady_clock::now()) {}
    ~Timer() {
      counter_.nanos_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::steady_clock::now() - started_)
                                    .count(),
                                std::memory_order_relaxed);
      counter_.writes_.fetch_add(static_cast<int64_t>(writes_), std::memory_order_relaxed);
      counter_.batches_.fetch_add(1, std::memory_order_relaxed);
    }
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

   private:
    GroupCommitCounter& counter_;
    const size_t writes_;
    const std::chrono::steady_clock::time_point started_;
  };

  // Thread-safe; each field read on its own.
  GroupCommitStats stats() const {
    GroupCommitStats s;
    s.batches = batches_.load(std::memory_order_relaxed);
    s.writes = writes_.load(std::memory_order_relaxed);
    s.commit_seconds = static_cast<double>(nanos_.load(std::memory_order_relaxed)) / 1e9;
    return s;
  }

 private:
  std::atomic<int64_t> batches_{0};
  std::atomic<int64_t> writes_{0};
  std::atomic<int64_t> nanos_{0};
};

}  // namespace citygrid::storage
