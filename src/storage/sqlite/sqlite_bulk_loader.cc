// CaseBulkLoader on SQLite (storage/bulk_loader.h): one connection of its own, one IMMEDIATE
// transaction per batch, statements prepared once per batch. The rows it writes are those of
// SqliteCaseStore::CreateCase + Append, written through the same SQL text and row binders
// (sqlite_case_store.h); tests/storage/bulk_loader_test.cc compares the two row by row.

#include <filesystem>
#include <functional>
#include <system_error>

#include "citygrid/common/case_number.h"
#include "citygrid/storage/audit_chain.h"
#include "citygrid/storage/bulk_loader.h"
#include "citygrid/storage/case_codec.h"
#include "citygrid/storage/case_query.h"
#include "citygrid/storage/sqlite_store.h"
#include "src/storage/sqlite/sqlite_case_store.h"
#include "src/storage/sqlite/sqlite_connection.h"
#include "src/storage/sqlite/sqlite_schema.h"

namespace citygrid::storage {
namespace {

using sqlite::Connection;
using sqlite::Statement;

constexpr char kNextNumber[] =
    "INSERT INTO case_number_days (day, last_seq) VALUES (?, 1) "
    "ON CONFLICT (day) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq";
constexpr char kInsertKey[] =
    "INSERT INTO idempotency_keys (key, fingerprint, case_id) VALUES (?, ?, ?)";

// Readies a statement that ran to completion for new bindings.
void Rewind(Statement& st) {
  sqlite3_reset(st.get());
  sqlite3_clear_bindings(st.get());
}

Status Validate(const std::vector<BulkCase>& cases) {
  for (size_t i = 0; i < cases.size(); ++i) {
    const BulkCase& c = cases[i];
    if (c.new_case.created.type != EventType::kCreated) {
      return InvalidArgumentError("bulk case " + std::to_string(i) +
                                  ": the first event of a case must be 'created', not '" +
                                  std::string(Name(c.new_case.created.type)) + "'");
    }
    if (!c.events.empty()) {
      const int64_t expected = 1 + static_cast<int64_t>(c.events.size());
      if (c.final_case.version != expected) {
        return InvalidArgumentError("bulk case " + std::to_string(i) + ": final_case.version is " +
                                    std::to_string(c.final_case.version) + ", expected " +
                                    std::to_string(expected) + " after " +
                                    std::to_string(c.events.size()) + " event(s)");
      }
    }
  }
  return OkStatus();
}

// Runs `fn` in one IMMEDIATE transaction on `conn`.
Status InTransaction(Connection& conn, const std::function<Status()>& fn) {
  CITYGRID_RETURN_IF_ERROR(conn.Exec("BEGIN IMMEDIATE"));
  Status s = fn();
  if (s.ok()) s = conn.Exec("COMMIT");
  if (!s.ok()) (void)conn.Exec("ROLLBACK");
  return s;
}

Result<bool> HasDeferredIndexes(Connection& conn) {
  CITYGRID_ASSIGN_OR_RETURN(
      Statement st, conn.Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                 "name = 'bulk_deferred_indexes'"));
  return st.Step();
}

// Builds the indexes listed in bulk_deferred_indexes and drops that table.
Status RestoreIndexes(Connection& conn) {
  CITYGRID_ASSIGN_OR_RETURN(bool deferred, HasDeferredIndexes(conn));
  if (!deferred) return OkStatus();
  return InTransaction(conn, [&]() -> Status {
    std::vector<std::string> sqls;
    {
      CITYGRID_ASSIGN_OR_RETURN(Statement st,
                                conn.Prepare("SELECT sql FROM bulk_deferred_indexes ORDER BY name"));
      while (true) {
        CITYGRID_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        sqls.push_back(st.String(0));
      }
    }
    for (const std::string& sql : sqls) {
      Status s = conn.Exec(sql);
      if (!s.ok()) return s.WithContext("rebuilding a deferred index");
    }
    return conn.Exec("DROP TABLE bulk_deferred_indexes");
  });
}

// Saves the definitions of the secondary indexes of cases and events in bulk_deferred_indexes
// and drops them.
Status DeferIndexes(Connection& conn) {
  return InTransaction(conn, [&]() -> Status {
    CITYGRID_RETURN_IF_ERROR(conn.Exec(
        "CREATE TABLE bulk_deferred_indexes (name TEXT PRIMARY KEY, sql TEXT NOT NULL); "
        "INSERT INTO bulk_deferred_indexes (name, sql) SELECT name, sql FROM sqlite_master "
        "WHERE type = 'index' AND tbl_name IN ('cases', 'events') AND sql IS NOT NULL"));
    std::vector<std::string> names;
    {
      CITYGRID_ASSIGN_OR_RETURN(Statement st,
                                conn.Prepare("SELECT name FROM bulk_deferred_indexes"));
      while (true) {
        CITYGRID_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        names.push_back(st.String(0));
      }
    }
    for (const std::string& name : names) {
      CITYGRID_RETURN_IF_ERROR(conn.Exec("DROP INDEX \"" + name + "\""));
    }
    return OkStatus();
  });
}

class SqliteBulkLoader final : public CaseBulkLoader {
 public:
  explicit SqliteBulkLoader(std::unique_ptr<Connection> conn) : conn_(std::move(conn)) {}
  ~SqliteBulkLoader() override { (void)Finish(); }

  Status Finish() override { return RestoreIndexes(*conn_); }

  Result<BulkLoadStats> Load(std::vector<BulkCase>& cases) override {
    CITYGRID_RETURN_IF_ERROR(Validate(cases));
    if (cases.empty()) return BulkLoadStats{};
    CITYGRID_RETURN_IF_ERROR(conn_->Exec("BEGIN IMMEDIATE"));
    Result<BulkLoadStats> stats = Write(cases);
    if (!stats.ok()) {
      (void)conn_->Exec("ROLLBACK");
      return stats.status();
    }
    Status committed = conn_->Exec("COMMIT");
    if (!committed.ok()) {
      (void)conn_->Exec("ROLLBACK");
      return committed;
    }
    return stats;
  }

 private:
  Result<BulkLoadStats> Write(std::vector<BulkCase>& cases) {
    Connection& conn = *conn_;
    int64_t next_id = 0;
    {
      CITYGRID_ASSIGN_OR_RETURN(Statement st, conn.Prepare("SELECT ifnull(max(id), 0) + 1 FROM cases"));
      CITYGRID_ASSIGN_OR_RETURN(bool row, st.Step());
      (void)row;
      next_id = st.Int(0);
    }
    CITYGRID_ASSIGN_OR_RETURN(Statement insert_case, conn.Prepare(sqlite::kInsertCaseSql));
    CITYGRID_ASSIGN_OR_RETURN(Statement insert_event, conn.Prepare(sqlite::kInsertEventSql));
    CITYGRID_ASSIGN_OR_RETURN(Statement next_number, conn.Prepare(kNextNumber));
    CITYGRID_ASSIGN_OR_RETURN(Statement insert_key, conn.Prepare(kInsertKey));
    BulkLoadStats stats;
    std::string day_text;
    std::chrono::year_month_day last_day{};
    for (BulkCase& bc : cases) {
      Case& initial = bc.new_case.initial;
      initial.id = next_id++;
      const std::chrono::year_month_day day = CaseNumberDay(initial.created_at);
      if (day_text.empty() || day != last_day) {
        day_text = FormatDate(day);
        last_day = day;
      }
      Rewind(next_number);
      next_number.Bind(1, day_text);
      CITYGRID_ASSIGN_OR_RETURN(bool numbered, next_number.Step());
      if (!numbered) return InternalError("allocating a case number returned nothing");
      initial.number = CaseNumber{day, next_number.Int(0)}.ToString();
      Rewind(next_number);
      initial.version = 1;
      initial.idempotency_key = bc.new_case.idempotency_key;

      // The row as it stands after the last event (CreateCase writes `initial`, Append replaces
      // it by `next` keeping id, number and idempotency key).
      const Case* row = &initial;
      if (!bc.events.empty()) {
        bc.final_case.id = initial.id;
        bc.final_case.number = initial.number;
        bc.final_case.idempotency_key = initial.idempotency_key;
        row = &bc.final_case;
      }
      Rewind(insert_case);
      sqlite::BindCaseRow(insert_case, *row);
      insert_case.Bind(21, row->id);
      CITYGRID_RETURN_IF_ERROR(insert_case.Run());

      std::string prev_hash;
      auto append = [&](CaseEvent& e, int64_t version) -> Status {
        e.case_id = initial.id;
        e.version = version;
        SealEvent(e, prev_hash);
        prev_hash = e.hash;
        Rewind(insert_event);
        sqlite::BindEventRow(insert_event, e);
        CITYGRID_RETURN_IF_ERROR(insert_event.Run());
        e.global_seq = static_cast<int64_t>(sqlite3_last_insert_rowid(conn.db()));
        ++stats.events;
        return OkStatus();
      };
      CITYGRID_RETURN_IF_ERROR(append(bc.new_case.created, 1));
      for (size_t i = 0; i < bc.events.size(); ++i) {
        CITYGRID_RETURN_IF_ERROR(append(bc.events[i], 2 + static_cast<int64_t>(i)));
      }
      if (!initial.idempotency_key.empty()) {
        Rewind(insert_key);
        insert_key.Bind(1, initial.idempotency_key);
        insert_key.Bind(2, bc.new_case.request_fingerprint);
        insert_key.Bind(3, initial.id);
        Status s = insert_key.Run();
        if (!s.ok()) {
          if (s.code() == StatusCode::kAlreadyExists) {
            return AlreadyExistsError("idempotency key '" + initial.idempotency_key +
                                      "' was already used");
          }
          return s;
        }
      }
      ++stats.cases;
    }
    Rewind(insert_case);
    Rewind(insert_event);
    Rewind(insert_key);
    return stats;
  }

  std::unique_ptr<Connection> conn_;
};

}  // namespace

Result<std::unique_ptr<CaseBulkLoader>> OpenSqliteBulkLoader(const SqliteBulkLoaderOptions& options) {
  if (options.data_dir.empty()) return InvalidArgumentError("no data directory given");
  if (options.cache_mb < 1) {
    return InvalidArgumentError("cache_mb must be at least 1, got " + std::to_string(options.cache_mb));
  }
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return UnavailableError("cannot create data directory " + options.data_dir + ": " +
                            ec.message());
  }
  CITYGRID_ASSIGN_OR_RETURN(
      std::unique_ptr<Connection> conn,
      Connection::Open(SqliteDatabasePath(options.data_dir), /*create=*/true,
                       options.busy_timeout_ms));
  CITYGRID_RETURN_IF_ERROR(sqlite::MigrateSqlite(*conn));
  std::string pragmas = "PRAGMA cache_size=-" + std::to_string(int64_t{options.cache_mb} * 1024) +
                        "; PRAGMA journal_size_limit=268435456;";
  if (options.synchronous_off) pragmas += " PRAGMA synchronous=OFF;";
  // The loader assigns every case_id itself, in the same transaction as the case row: the
  // per-event foreign-key lookup cannot fail and is skipped.
  pragmas += " PRAGMA foreign_keys=OFF;";
  CITYGRID_RETURN_IF_ERROR(conn->Exec(pragmas));
  CITYGRID_RETURN_IF_ERROR(RestoreIndexes(*conn));
  if (options.defer_indexes) CITYGRID_RETURN_IF_ERROR(DeferIndexes(*conn));
  return std::unique_ptr<CaseBulkLoader>(new SqliteBulkLoader(std::move(conn)));
}

}  // namespace citygrid::storage
