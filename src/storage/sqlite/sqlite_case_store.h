#pragma once

// CaseStore on SQLite: the events table is the log, the cases table the current-state rows.

#include "citygrid/storage/case_version_source.h"
#include "citygrid/storage/store.h"
#include "src/storage/sqlite/case_catalog.h"
#include "src/storage/sqlite/case_version_map.h"
#include "src/storage/sqlite/recent_events.h"
#include "src/storage/sqlite/sqlite_database.h"

namespace citygrid::storage::sqlite {

// One row of `cases` and one of `events` exactly as this store writes them; the bulk loader
// (sqlite_bulk_loader.cc) writes its rows through the same text and binders.
extern const char kInsertCaseSql[];   // parameters 1..20 as BindCaseRow, then 21 = the case id
extern const char kInsertEventSql[];  // parameters 1..13 as BindEventRow
// Binds the 20 row values of `c` (everything but its id) to parameters 1..20.
void BindCaseRow(Statement& st, const Case& c);
// Binds a sealed event's 13 row values to parameters 1..13.
void BindEventRow(Statement& st, const CaseEvent& e);

class SqliteCaseStore final : public CaseStore, public CaseVersionSource {
 public:
  explicit SqliteCaseStore(SqliteDatabase& db) : db_(db) {}

  Result<CreateResult> CreateCase(const NewCase& new_case,
                                  const std::vector<CounterDelta>& counters) override;
  // Queued on the database's committer (SqliteDatabase::WriteAsync); `done` runs there.
  void CreateCaseAsync(NewCase new_case, std::vector<CounterDelta> counters,
                       CreateDone done) override;
  Result<std::vector<CaseEvent>> Append(int64_t case_id, int64_t expected_version,
                                        std::vector<CaseEvent> events, const Case& next,
                                        const std::vector<CounterDelta>& counters) override;
  Result<Case> LoadCase(int64_t case_id) override;
  Result<Case> LoadCaseByNumber(const std::string& number) override;
  // With the data directory owned (SqliteDatabase::owns_data_dir) a case this process wrote
  // or looked up before is answered from memory; otherwise one indexed read of (id, version).
  Result<CaseVersion> CurrentVersion(const std::string& number) override;
  Result<std::vector<CaseEvent>> LoadHistory(int64_t case_id) override;
  // With the data directory owned, from the catalog (LoadCatalog) and the bodies of the cases
  // it names; otherwise by SQL on the cases table.
  Result<CasePage> QueryCases(const CaseQuery& query) override;
  Result<int64_t> CountCases(const CaseQuery& query) override;
  // With the data directory owned, the events this store committed lately are answered from
  // memory (RecentEvents) when they follow `after_seq` without a gap; otherwise by SQL.
  Result<std::vector<CaseEvent>> EventsAfter(int64_t after_seq, int limit) override;
  Result<int64_t> LastGlobalSeq() override;
  Result<std::vector<CounterDelta>> ReadCounters(const std::string& prefix) override;

  // Reads the filter and sort columns of every case into the catalog, which from then on
  // answers QueryCases and CountCases and follows every write of this store. Only for a store
  // that owns its data directory (the only writer of cases); call before serving.
  Status LoadCatalog();

 private:
  // Records a created case's version (CurrentVersion), catalog row and event (EventsAfter) once
  // its write committed.
  void Committed(const CreateResult& result, const CaseEvent& created_event);
  Result<CasePage> QueryCatalog(const CaseQuery& query);
  // The cases of `keys`' ids, in that order, that match `query` (text included): the bodies are
  // read now, so a case that changed since the catalog was read is checked as it is now.
  Result<std::vector<std::pair<CaseSortKey, Case>>> LoadMatching(
      const CaseQuery& query, const std::vector<CaseSortKey>& keys);

  SqliteDatabase& db_;
  // Versions committed or read here; authoritative only while db_.owns_data_dir().
  CaseVersionMap versions_;
  CaseCatalog catalog_;
  RecentEvents recent_;  // filled only while db_.owns_data_dir()
  bool catalog_loaded_ = false;  // set once, by LoadCatalog before any other call
};

}  // namespace citygrid::storage::sqlite
