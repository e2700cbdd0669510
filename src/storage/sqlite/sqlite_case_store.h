#pragma once

// CaseStore on SQLite: the events table is the log, the cases table the current-state rows.

#include "citygrid/storage/store.h"
#include "src/storage/sqlite/sqlite_database.h"

namespace citygrid::storage::sqlite {

class SqliteCaseStore final : public CaseStore {
 public:
  explicit SqliteCaseStore(SqliteDatabase& db) : db_(db) {}

  Result<CreateResult> CreateCase(const NewCase& new_case,
                                  const std::vector<CounterDelta>& counters) override;
  Result<std::vector<CaseEvent>> Append(int64_t case_id, int64_t expected_version,
                                        std::vector<CaseEvent> events, const Case& next,
                                        const std::vector<CounterDelta>& counters) override;
  Result<Case> LoadCase(int64_t case_id) override;
  Result<Case> LoadCaseByNumber(const std::string& number) override;
  Result<std::vector<CaseEvent>> LoadHistory(int64_t case_id) override;
  Result<CasePage> QueryCases(const CaseQuery& query) override;
  Result<int64_t> CountCases(const CaseQuery& query) override;
  Result<std::vector<CaseEvent>> EventsAfter(int64_t after_seq, int limit) override;
  Result<int64_t> LastGlobalSeq() override;
  Result<std::vector<CounterDelta>> ReadCounters(const std::string& prefix) override;

 private:
  SqliteDatabase& db_;
};

}  // namespace citygrid::storage::sqlite
