// The SQLite half of snapshots (storage/backup.h, src/storage/snapshot_io.h): VACUUM INTO from a
// live database, the snapshot file's writer and reader, its inspection, and copying it into a
// data directory with SQLite's online backup API. SQLite does every copy; no file is copied by
// hand.

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "citygrid/storage/backup.h"
#include "citygrid/storage/sqlite_store.h"
#include "src/storage/snapshot_io.h"
#include "src/storage/sqlite/sqlite_connection.h"
#include "src/storage/sqlite/sqlite_schema.h"

namespace citygrid::storage::snapshot {
namespace {

namespace fs = std::filesystem;
using sqlite::Connection;
using sqlite::SqliteError;

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, CloseDb>;

struct FinalizeStmt {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, FinalizeStmt>;

// A file: URI for `path` (percent-encoding what URIs reserve), opened immutable: no locks, no
// -wal/-shm files, nothing written — for snapshot files nobody else writes.
std::string ImmutableUri(const std::string& path) {
  std::string uri = "file:";
  for (char c : fs::absolute(path).string()) {
    if (c == '%' || c == '?' || c == '#') {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      uri += buf;
    } else {
      uri += c;
    }
  }
  return uri + "?immutable=1";
}

Result<DbPtr> OpenReadOnly(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return NotFoundError(path + ": no such file");
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(ImmutableUri(path).c_str(), &raw,
                           SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) return SqliteError(rc, raw, "opening " + path);
  return db;
}

Result<DbPtr> OpenReadWrite(const std::string& path, bool create) {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) return SqliteError(rc, raw, "opening " + path);
  sqlite3_busy_timeout(raw, 10'000);
  return db;
}

Status Exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return OkStatus();
  std::string message = sql + ": " + (err ? err : sqlite3_errstr(rc));
  sqlite3_free(err);
  return SqliteError(rc, nullptr, message);
}

Result<StmtPtr> Prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return SqliteError(rc, db, sql);
  return stmt;
}

// One integer from `sql` (0 when there is no row).
Result<int64_t> QueryInt(sqlite3* db, const std::string& sql) {
  CITYGRID_ASSIGN_OR_RETURN(StmtPtr stmt, Prepare(db, sql));
  int rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_ROW) return static_cast<int64_t>(sqlite3_column_int64(stmt.get(), 0));
  if (rc == SQLITE_DONE) return int64_t{0};
  return SqliteError(rc, db, sql);
}

Result<bool> HasTable(sqlite3* db, const std::string& name) {
  CITYGRID_ASSIGN_OR_RETURN(
      int64_t n, QueryInt(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '" +
                                  name + "'"));
  return n > 0;
}

// Schema version, counts and the last global_seq of an open snapshot or database. With
// `require_tables`, a missing table is kInvalidArgument; otherwise it counts as empty.
Result<SnapshotInfo> ReadInfo(sqlite3* db, const std::string& what, bool require_tables) {
  SnapshotInfo info;
  CITYGRID_ASSIGN_OR_RETURN(bool has_version, HasTable(db, "schema_version"));
  if (has_version) {
    CITYGRID_ASSIGN_OR_RETURN(int64_t v, QueryInt(db, "SELECT max(version) FROM schema_version"));
    info.schema_version = static_cast<int>(v);
  } else if (require_tables) {
    return InvalidArgumentError(what + " is not a citygrid database (no schema_version table)");
  }
  for (const Table& table : Tables()) {
    CITYGRID_ASSIGN_OR_RETURN(bool exists, HasTable(db, table.name));
    if (!exists) {
      if (require_tables) {
        return InvalidArgumentError(what + " has no table '" + table.name + "'");
      }
      info.counts.push_back({table.name, 0});
      continue;
    }
    CITYGRID_ASSIGN_OR_RETURN(int64_t n, QueryInt(db, "SELECT count(*) FROM " + table.name));
    info.counts.push_back({table.name, n});
    if (table.name == "events") {
      CITYGRID_ASSIGN_OR_RETURN(info.last_global_seq,
                                QueryInt(db, "SELECT COALESCE(max(global_seq), 0) FROM events"));
    }
  }
  return info;
}

class FileWriter final : public SnapshotFileWriter {
 public:
  FileWriter(std::unique_ptr<Connection> conn, std::string path)
      : conn_(std::move(conn)), path_(std::move(path)) {}
  ~FileWriter() override {
    if (conn_ != nullptr) {
      (void)conn_->Exec("ROLLBACK");
      conn_.reset();
      std::error_code ec;
      fs::remove(path_, ec);
      fs::remove(path_ + "-wal", ec);
      fs::remove(path_ + "-shm", ec);
    }
  }

  Status Insert(const Table& table, const RowBatch& rows) override {
    std::string sql = "INSERT INTO " + table.name + " (" + ColumnList(table) + ") VALUES (";
    for (size_t i = 0; i < table.columns.size(); ++i) sql += i ? ", ?" : "?";
    sql += ")";
    CITYGRID_ASSIGN_OR_RETURN(sqlite::Statement stmt, conn_->Prepare(sql));
    for (const Row& row : rows) {
      if (row.size() != table.columns.size()) {
        return InternalError(table.name + ": a row of " + std::to_string(row.size()) +
                             " values for " + std::to_string(table.columns.size()) + " columns");
      }
      for (size_t i = 0; i < row.size(); ++i) {
        const int col = static_cast<int>(i) + 1;
        switch (table.columns[i].type) {
          case ColumnType::kInt:
          case ColumnType::kBool:
            stmt.Bind(col, static_cast<int64_t>(std::stoll(row[i])));
            break;
          case ColumnType::kReal:
            stmt.Bind(col, std::stod(row[i]));
            break;
          case ColumnType::kText:
            stmt.Bind(col, row[i]);
            break;
          case ColumnType::kBlob:
            stmt.BindBlob(col, row[i]);
            break;
        }
      }
      CITYGRID_RETURN_IF_ERROR(stmt.Run().WithContext("writing " + table.name + " to " + path_));
      sqlite3_reset(stmt.get());
      sqlite3_clear_bindings(stmt.get());
    }
    return OkStatus();
  }

  Status Finish() override {
    CITYGRID_RETURN_IF_ERROR(conn_->Exec("COMMIT"));
    CITYGRID_RETURN_IF_ERROR(conn_->Exec("PRAGMA journal_mode = DELETE"));
    conn_.reset();
    return OkStatus();
  }

 private:
  std::unique_ptr<Connection> conn_;
  std::string path_;
};

}  // namespace

Result<std::unique_ptr<SnapshotFileWriter>> CreateSnapshotFile(const std::string& path,
                                                               int schema_version) {
  std::error_code ec;
  if (fs::exists(path, ec)) return AlreadyExistsError(path + " already exists");
  CITYGRID_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn,
                            Connection::Open(path, /*create=*/true, 10'000));
  Status migrated = sqlite::MigrateSqlite(*conn, schema_version);
  if (migrated.ok()) migrated = conn->Exec("BEGIN IMMEDIATE");
  if (!migrated.ok()) {
    conn.reset();
    fs::remove(path, ec);
    fs::remove(path + "-wal", ec);
    fs::remove(path + "-shm", ec);
    return migrated;
  }
  return std::unique_ptr<SnapshotFileWriter>(new FileWriter(std::move(conn), path));
}

Status ReadSnapshotRows(const std::string& path, const Table& table, int batch,
                        const std::function<Status(const RowBatch&)>& fn) {
  CITYGRID_ASSIGN_OR_RETURN(DbPtr db, OpenReadOnly(path));
  const std::string sql =
      "SELECT " + ColumnList(table) + " FROM " + table.name + " ORDER BY " + table.order_by;
  CITYGRID_ASSIGN_OR_RETURN(StmtPtr stmt, Prepare(db.get(), sql));
  RowBatch rows;
  while (true) {
    int rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return SqliteError(rc, db.get(), "reading " + table.name + " of " + path);
    Row row;
    row.reserve(table.columns.size());
    for (size_t i = 0; i < table.columns.size(); ++i) {
      const int col = static_cast<int>(i);
      switch (table.columns[i].type) {
        case ColumnType::kInt:
          row.push_back(std::to_string(sqlite3_column_int64(stmt.get(), col)));
          break;
        case ColumnType::kBool:
          row.push_back(sqlite3_column_int64(stmt.get(), col) != 0 ? "1" : "0");
          break;
        case ColumnType::kReal:
          row.push_back(FormatReal(sqlite3_column_double(stmt.get(), col)));
          break;
        case ColumnType::kText: {
          const unsigned char* p = sqlite3_column_text(stmt.get(), col);
          row.emplace_back(p ? reinterpret_cast<const char*>(p) : "",
                           static_cast<size_t>(sqlite3_column_bytes(stmt.get(), col)));
          break;
        }
        case ColumnType::kBlob: {
          const void* p = sqlite3_column_blob(stmt.get(), col);
          row.emplace_back(p ? static_cast<const char*>(p) : "",
                           static_cast<size_t>(sqlite3_column_bytes(stmt.get(), col)));
          break;
        }
      }
    }
    rows.push_back(std::move(row));
    if (static_cast<int>(rows.size()) >= batch) {
      CITYGRID_RETURN_IF_ERROR(fn(rows));
      rows.clear();
    }
  }
  if (!rows.empty()) CITYGRID_RETURN_IF_ERROR(fn(rows));
  return OkStatus();
}

Result<SnapshotInfo> WriteSqliteSnapshot(const std::string& data_dir, const std::string& out_path) {
  const std::string db_path = SqliteDatabasePath(data_dir);
  std::error_code ec;
  if (!fs::is_regular_file(db_path, ec)) {
    return NotFoundError("no citygrid database at " + db_path);
  }
  if (fs::exists(out_path, ec)) return AlreadyExistsError(out_path + " already exists");
  auto cleanup = [&] {
    fs::remove(out_path, ec);
    fs::remove(out_path + "-journal", ec);
  };
  {
    // An ordinary connection (the live server's WAL and -shm are shared with it); VACUUM INTO
    // reads the source inside one read transaction, so the copy is one commit's database while
    // writers carry on.
    CITYGRID_ASSIGN_OR_RETURN(std::unique_ptr<Connection> source,
                              Connection::Open(db_path, /*create=*/false, 10'000));
    CITYGRID_ASSIGN_OR_RETURN(sqlite::Statement vacuum, source->Prepare("VACUUM INTO ?"));
    vacuum.Bind(1, out_path);
    Status s = vacuum.Run();
    if (!s.ok()) {
      cleanup();
      return s.WithContext("VACUUM INTO " + out_path);
    }
  }
  Result<SnapshotInfo> info = [&]() -> Result<SnapshotInfo> {
    CITYGRID_ASSIGN_OR_RETURN(DbPtr out, OpenReadWrite(out_path, /*create=*/false));
    CITYGRID_RETURN_IF_ERROR(Exec(out.get(), "PRAGMA journal_mode = DELETE"));
    return ReadInfo(out.get(), out_path, /*require_tables=*/true);
  }();
  if (!info.ok()) {
    cleanup();
    return info.status();
  }
  info->source_backend = "sqlite";
  return info;
}

Result<std::vector<TableCount>> CountSqliteRows(const std::string& data_dir) {
  const std::string db_path = SqliteDatabasePath(data_dir);
  std::error_code ec;
  if (!fs::exists(db_path, ec)) {
    std::vector<TableCount> zero;
    for (const Table& t : Tables()) zero.push_back({t.name, 0});
    return zero;
  }
  CITYGRID_ASSIGN_OR_RETURN(DbPtr db, OpenReadWrite(db_path, /*create=*/false));
  CITYGRID_ASSIGN_OR_RETURN(SnapshotInfo info, ReadInfo(db.get(), db_path, false));
  return info.counts;
}

}  // namespace citygrid::storage::snapshot

namespace citygrid::storage {

Result<SnapshotInfo> InspectSnapshot(const std::string& path) {
  using namespace snapshot;
  Result<DbPtr> db = OpenReadOnly(path);
  if (!db.ok()) {
    return InvalidArgumentError("cannot open the backup database " + path + ": " +
                                db.status().message());
  }
  // integrity_check reads every page: a truncated or altered file fails here or in its query.
  Result<StmtPtr> check = Prepare(db->get(), "PRAGMA integrity_check(5)");
  std::string problems;
  if (!check.ok()) {
    problems = check.status().message();
  } else {
    while (true) {
      int rc = sqlite3_step(check->get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        problems = sqlite3_errmsg(db->get());
        break;
      }
      const unsigned char* text = sqlite3_column_text(check->get(), 0);
      std::string line = text ? reinterpret_cast<const char*>(text) : "";
      if (line == "ok") break;
      problems += (problems.empty() ? "" : "; ") + line;
    }
  }
  if (!problems.empty()) {
    return InvalidArgumentError("the backup database " + path +
                                " is damaged (SQLite integrity check: " + problems + ")");
  }
  Result<SnapshotInfo> info = ReadInfo(db->get(), "the backup database " + path, true);
  if (!info.ok()) {
    if (info.status().code() == StatusCode::kInvalidArgument) return info.status();
    return InvalidArgumentError("the backup database " + path +
                                " cannot be read: " + info.status().message());
  }
  if (info->schema_version > sqlite::LatestSqliteSchemaVersion()) {
    return InvalidArgumentError(
        "the backup database " + path + " has schema version " +
        std::to_string(info->schema_version) + ", written by a newer citygrid; this citygrid " +
        "knows schema versions up to " + std::to_string(sqlite::LatestSqliteSchemaVersion()));
  }
  return info;
}

Status CopySnapshotToSqlite(const std::string& snapshot_path, const std::string& data_dir) {
  namespace fs = std::filesystem;
  const std::string dest_path = SqliteDatabasePath(data_dir);
  std::error_code ec;
  if (fs::exists(dest_path, ec)) return AlreadyExistsError(dest_path + " already exists");
  fs::create_directories(data_dir, ec);
  if (ec) return UnavailableError("creating " + data_dir + ": " + ec.message());
  CITYGRID_ASSIGN_OR_RETURN(snapshot::DbPtr source, snapshot::OpenReadOnly(snapshot_path));
  CITYGRID_ASSIGN_OR_RETURN(snapshot::DbPtr dest, snapshot::OpenReadWrite(dest_path, true));
  sqlite3_backup* backup = sqlite3_backup_init(dest.get(), "main", source.get(), "main");
  if (backup == nullptr) {
    return sqlite::SqliteError(sqlite3_errcode(dest.get()), dest.get(),
                               "copying " + snapshot_path + " to " + dest_path);
  }
  int rc = sqlite3_backup_step(backup, -1);
  int finish = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE || finish != SQLITE_OK) {
    Status s = sqlite::SqliteError(rc != SQLITE_DONE ? rc : finish, dest.get(),
                                   "copying " + snapshot_path + " to " + dest_path);
    dest.reset();
    fs::remove(dest_path, ec);
    return s;
  }
  return OkStatus();
}

}  // namespace citygrid::storage
