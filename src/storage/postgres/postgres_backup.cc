// The PostgreSQL half of snapshots (storage/backup.h, src/storage/snapshot_io.h): reading every
// table in one REPEATABLE READ READ ONLY transaction into a snapshot file, and loading a
// snapshot file into an empty database in one transaction.

#include <string>

#include "citygrid/storage/backup.h"
#include "pg_codec.h"
#include "pg_connection.h"
#include "postgres_schema.h"
#include "src/storage/snapshot_io.h"

namespace citygrid::storage::snapshot {
namespace {

using postgres::PgConnection;
using postgres::PgParams;
using postgres::PgResult;

constexpr int kFetchRows = 2000;
constexpr int kInsertRows = 500;

Result<bool> TableExists(PgConnection& conn, const std::string& name) {
  PgParams params;
  params.Add(name);
  CITYGRID_ASSIGN_OR_RETURN(PgResult r,
                            conn.Exec("SELECT to_regclass($1) IS NOT NULL", params));
  return r.Bool(0, 0);
}

// Rolls back an open transaction when a step failed.
Status RollbackOn(PgConnection& conn, Status s) {
  if (!s.ok()) (void)conn.Exec("ROLLBACK");
  return s;
}

Status InsertBatch(PgConnection& conn, const Table& table, const RowBatch& rows) {
  std::string sql = "INSERT INTO " + table.name + " (" + ColumnList(table) + ") VALUES ";
  PgParams params;
  for (size_t r = 0; r < rows.size(); ++r) {
    sql += r ? ", (" : "(";
    for (size_t i = 0; i < table.columns.size(); ++i) {
      if (i) sql += ", ";
      sql += params.Next();
      const std::string& v = rows[r][i];
      switch (table.columns[i].type) {
        case ColumnType::kBool:
          params.Add(v != "0");
          break;
        case ColumnType::kBlob:
          params.Add(postgres::ByteaLiteral(v));
          break;
        default:
          params.Add(v);
          break;
      }
    }
    sql += ")";
  }
  Result<PgResult> r = conn.Exec(sql, params);
  if (!r.ok()) return r.status().WithContext("restoring table " + table.name);
  return OkStatus();
}

}  // namespace

Result<SnapshotInfo> WritePostgresSnapshot(const std::string& db_url, const std::string& out_path) {
  CITYGRID_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, PgConnection::Connect(db_url));
  // One snapshot for every table: what one commit left, whatever writers do meanwhile.
  CITYGRID_RETURN_IF_ERROR(conn->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  Result<int64_t> version = postgres::CurrentSchemaVersion(*conn);
  if (!version.ok()) return RollbackOn(*conn, version.status());
  if (*version == 0) {
    return RollbackOn(*conn, FailedPreconditionError(
                                 "the PostgreSQL database holds no citygrid schema: nothing to "
                                 "back up"));
  }
  Result<std::unique_ptr<SnapshotFileWriter>> writer =
      CreateSnapshotFile(out_path, static_cast<int>(*version));
  if (!writer.ok()) return RollbackOn(*conn, writer.status());
  for (const Table& table : Tables()) {
    Status s = [&]() -> Status {
      CITYGRID_RETURN_IF_ERROR(conn->Exec("DECLARE snapshot_rows NO SCROLL CURSOR FOR SELECT " +
                                          ColumnList(table) + " FROM " + table.name +
                                          " ORDER BY " + table.order_by));
      while (true) {
        CITYGRID_ASSIGN_OR_RETURN(
            PgResult r, conn->Exec("FETCH " + std::to_string(kFetchRows) + " FROM snapshot_rows"));
        if (r.rows() == 0) break;
        RowBatch rows;
        rows.reserve(static_cast<size_t>(r.rows()));
        for (int i = 0; i < r.rows(); ++i) {
          Row row;
          row.reserve(table.columns.size());
          for (size_t c = 0; c < table.columns.size(); ++c) {
            const int col = static_cast<int>(c);
            switch (table.columns[c].type) {
              case ColumnType::kBool:
                row.push_back(r.Bool(i, col) ? "1" : "0");
                break;
              case ColumnType::kBlob: {
                CITYGRID_ASSIGN_OR_RETURN(std::string bytes, postgres::ParseBytea(r.Text(i, col)));
                row.push_back(std::move(bytes));
                break;
              }
              case ColumnType::kReal:
                row.push_back(FormatReal(r.Double(i, col)));
                break;
              default:
                row.push_back(r.String(i, col));
                break;
            }
          }
          rows.push_back(std::move(row));
        }
        CITYGRID_RETURN_IF_ERROR((*writer)->Insert(table, rows));
      }
      return conn->Exec("CLOSE snapshot_rows").status();
    }();
    if (!s.ok()) return RollbackOn(*conn, s.WithContext("backing up table " + table.name));
  }
  CITYGRID_RETURN_IF_ERROR(conn->Exec("COMMIT"));
  CITYGRID_RETURN_IF_ERROR((*writer)->Finish());
  CITYGRID_ASSIGN_OR_RETURN(SnapshotInfo info, InspectSnapshot(out_path));
  info.source_backend = "postgres";
  return info;
}

Result<std::vector<TableCount>> CountPostgresRows(const std::string& db_url) {
  CITYGRID_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, PgConnection::Connect(db_url));
  std::vector<TableCount> counts;
  for (const Table& table : Tables()) {
    CITYGRID_ASSIGN_OR_RETURN(bool exists, TableExists(*conn, table.name));
    int64_t n = 0;
    if (exists) {
      CITYGRID_ASSIGN_OR_RETURN(PgResult r, conn->Exec("SELECT count(*) FROM " + table.name));
      n = r.Int(0, 0);
    }
    counts.push_back({table.name, n});
  }
  return counts;
}

}  // namespace citygrid::storage::snapshot

namespace citygrid::storage {

Status LoadSnapshotIntoPostgres(const std::string& snapshot_path, const std::string& db_url) {
  using namespace snapshot;
  CITYGRID_ASSIGN_OR_RETURN(SnapshotInfo info, InspectSnapshot(snapshot_path));
  CITYGRID_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, PgConnection::Connect(db_url));
  CITYGRID_RETURN_IF_ERROR(postgres::Migrate(*conn));
  CITYGRID_ASSIGN_OR_RETURN(int64_t version, postgres::CurrentSchemaVersion(*conn));
  if (version != info.schema_version) {
    return FailedPreconditionError(
        "the backup has schema version " + std::to_string(info.schema_version) +
        " and the PostgreSQL database " + std::to_string(version) +
        "; restore it into SQLite first (citygrid restore --data DIR), which migrates it");
  }
  CITYGRID_RETURN_IF_ERROR(conn->Exec("BEGIN"));
  for (const Table& table : Tables()) {
    // EXCLUSIVE: no other writer slips a row in between the emptiness check and the COMMIT.
    Status s = conn->Exec("LOCK TABLE " + table.name + " IN EXCLUSIVE MODE").status();
    if (!s.ok()) return RollbackOn(*conn, s);
    Result<PgResult> any = conn->Exec("SELECT EXISTS (SELECT 1 FROM " + table.name + ")");
    if (!any.ok()) return RollbackOn(*conn, any.status());
    if (any->Bool(0, 0)) {
      return RollbackOn(*conn, FailedPreconditionError(
                                   "the PostgreSQL database is not empty: table '" + table.name +
                                   "' holds rows; restore only into an empty database"));
    }
  }
  for (const Table& table : Tables()) {
    Status s = ReadSnapshotRows(snapshot_path, table, kInsertRows,
                                [&](const RowBatch& rows) { return InsertBatch(*conn, table, rows); });
    if (!s.ok()) return RollbackOn(*conn, s);
  }
  // New writes continue after the restored rows: the event-log head (global_seq), case ids and
  // ledger-event numbers.
  Status s = conn->Exec(
                     "UPDATE event_log_head SET last_seq = "
                     "(SELECT COALESCE(max(global_seq), 0) FROM events) WHERE id = 1; "
                     "SELECT setval('case_ids', (SELECT COALESCE(max(id), 0) FROM cases) + 1, "
                     "false); "
                     "SELECT setval(pg_get_serial_sequence('ledger_events', 'seq'), "
                     "(SELECT COALESCE(max(seq), 0) FROM ledger_events) + 1, false)")
                 .status();
  if (!s.ok()) return RollbackOn(*conn, s);
  return conn->Exec("COMMIT").status();
}

}  // namespace citygrid::storage
