#pragma once

// GeneratedLog: the event log of Generator's cases 0..n-1 served from memory, generated while
// it is read (nothing is kept but the current case's events), for evaluation_bench
// --in-memory: it times the engine's rebuild and the evaluation table at full size (every
// grid and day) without writing a database. Case i gets id i+1 and its events consecutive
// global_seq numbers, as the bulk loader writes them.
//
// Only EventsAfter and LastGlobalSeq answer; the rest is kFailedPrecondition (the benchmark
// store takes no writes or case reads). EventsAfter serves a forward scan: asked for a
// position before what it has already generated, it starts again from case 0.

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "bench/evaluation/case_generator.h"
#include "citygrid/storage/store.h"

namespace citygrid::bench {

class GeneratedLog final : public storage::CaseStore {
 public:
  GeneratedLog(const Generator& generator, int64_t cases) : generator_(generator), cases_(cases) {}

  Result<std::vector<CaseEvent>> EventsAfter(int64_t after_seq, int limit) override {
    if (limit < 1 || limit > 10000) return InvalidArgumentError("limit must be 1..10000");
    if (after_seq < first_pending_seq_ - 1) Restart();
    std::vector<CaseEvent> out;
    while (static_cast<int>(out.size()) < limit) {
      if (pending_.empty()) {
        if (next_case_ >= cases_) break;
        Generate();
      }
      CaseEvent e = std::move(pending_.front());
      pending_.pop_front();
      ++first_pending_seq_;
      if (e.global_seq > after_seq) out.push_back(std::move(e));
    }
    return out;
  }
  Result<int64_t> LastGlobalSeq() override {
    return FailedPreconditionError("generated log: the last sequence is known only at the end");
  }

  Result<storage::CreateResult> CreateCase(const storage::NewCase&,
                                           const std::vector<storage::CounterDelta>&) override {
    return ReadOnly();
  }
  Result<std::vector<CaseEvent>> Append(int64_t, int64_t, std::vector<CaseEvent>, const Case&,
                                        const std::vector<storage::CounterDelta>&) override {
    return ReadOnly();
  }
  Result<Case> LoadCase(int64_t) override { return ReadOnly(); }
  Result<Case> LoadCaseByNumber(const std::string&) override { return ReadOnly(); }
  Result<std::vector<CaseEvent>> LoadHistory(int64_t) override { return ReadOnly(); }
  Result<storage::CasePage> QueryCases(const storage::CaseQuery&) override { return ReadOnly(); }
  Result<int64_t> CountCases(const storage::CaseQuery&) override { return ReadOnly(); }
  Result<std::vector<storage::CounterDelta>> ReadCounters(const std::string&) override {
    return ReadOnly();
  }

 private:
  static Status ReadOnly() {
    return FailedPreconditionError("generated log: only EventsAfter is served");
  }
  void Restart() {
    pending_.clear();
    next_case_ = 0;
    next_seq_ = 1;
    first_pending_seq_ = 1;
  }
  void Generate() {
    Generated g = generator_.Make(static_cast<uint64_t>(next_case_));
    const int64_t id = ++next_case_;
    CaseEvent created = std::move(g.created.created);
    created.case_id = id;
    created.version = 1;
    created.global_seq = next_seq_++;
    pending_.push_back(std::move(created));
    int64_t version = 1;
    for (CaseEvent& e : g.events) {
      e.case_id = id;
      e.version = ++version;
      e.global_seq = next_seq_++;
      pending_.push_back(std::move(e));
    }
  }

  const Generator& generator_;
  const int64_t cases_;
  std::deque<CaseEvent> pending_;
  int64_t next_case_ = 0;
  int64_t next_seq_ = 1;
  int64_t first_pending_seq_ = 1;  // global_seq of pending_.front()
};

}  // namespace citygrid::bench
