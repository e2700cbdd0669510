#pragma once

// A CaseStore that passes every call to another one: tests derive from it to count or hold the
// calls they watch (duplicate_index_test counts LoadCase, case_feed_test holds it).

#include <string>
#include <vector>

#include "citygrid/storage/store.h"

namespace citygrid::service::testing {

class ForwardingCaseStore : public storage::CaseStore {
 public:
  explicit ForwardingCaseStore(storage::CaseStore& inner) : inner_(inner) {}

  Result<storage::CreateResult> CreateCase(
      const storage::NewCase& new_case,
      const std::vector<storage::CounterDelta>& counters) override {
    return inner_.CreateCase(new_case, counters);
  }
  Result<std::vector<CaseEvent>> Append(
      int64_t case_id, int64_t expected_version, std::vector<CaseEvent> events, const Case& next,
      const std::vector<storage::CounterDelta>& counters) override {
    return inner_.Append(case_id, expected_version, std::move(events), next, counters);
  }
  Result<Case> LoadCase(int64_t case_id) override { return inner_.LoadCase(case_id); }
  Result<Case> LoadCaseByNumber(const std::string& number) override {
    return inner_.LoadCaseByNumber(number);
  }
  Result<std::vector<CaseEvent>> LoadHistory(int64_t case_id) override {
    return inner_.LoadHistory(case_id);
  }
  Result<storage::CasePage> QueryCases(const storage::CaseQuery& query) override {
    return inner_.QueryCases(query);
  }
  Result<int64_t> CountCases(const storage::CaseQuery& query) override {
    return inner_.CountCases(query);
  }
  Result<std::vector<CaseEvent>> EventsAfter(int64_t after_seq, int limit) override {
    return inner_.EventsAfter(after_seq, limit);
  }
  Result<int64_t> LastGlobalSeq() override { return inner_.LastGlobalSeq(); }
  Result<std::vector<storage::CounterDelta>> ReadCounters(const std::string& prefix) override {
    return inner_.ReadCounters(prefix);
  }

 private:
  storage::CaseStore& inner_;
};

}  // namespace citygrid::service::testing
