#include "src/storage/sqlite/sqlite_schema.h"

#include "src/storage/sqlite/sqlite_connection.h"

namespace citygrid::storage::sqlite {
namespace {

// Migration 1: the case event log, current-state rows, idempotency keys, case-number
// counters per day and roll-up counters.
constexpr std::string_view kMigration1 = R"sql(
CREATE TABLE cases (
  id           INTEGER PRIMARY KEY,  -- assigned max(id)+1 by the single writer; never reused
  number       TEXT NOT NULL UNIQUE, -- "20200412-000123"
  version      INTEGER NOT NULL,
  state        TEXT NOT NULL,
  channel      TEXT NOT NULL,
  category     TEXT NOT NULL,
  unit         TEXT NOT NULL,
  district     TEXT NOT NULL,
  subdistrict  TEXT NOT NULL,
  community    TEXT NOT NULL,
  grid         TEXT NOT NULL,
  lon          REAL NOT NULL,
  lat          REAL NOT NULL,
  description  TEXT NOT NULL,
  address      TEXT NOT NULL,
  created_at   INTEGER NOT NULL,     -- Unix ms
  updated_at   INTEGER NOT NULL,
  deadline_key INTEGER NOT NULL,     -- stage_deadline in Unix ms, 9223372036854775807 if none
  overdue      INTEGER NOT NULL,
  idempotency_key TEXT NOT NULL,
  body         BLOB NOT NULL         -- the whole Case, storage/case_codec.h
);
CREATE INDEX cases_by_created ON cases (created_at, id);
CREATE INDEX cases_by_updated ON cases (updated_at, id);
CREATE INDEX cases_by_deadline ON cases (deadline_key, id);
CREATE INDEX cases_by_state ON cases (state, created_at, id);
CREATE INDEX cases_by_category ON cases (category, created_at, id);
CREATE INDEX cases_by_unit ON cases (unit, created_at, id);
CREATE INDEX cases_by_subdistrict ON cases (subdistrict, created_at, id);
CREATE INDEX cases_by_community ON cases (community, created_at, id);
CREATE INDEX cases_by_grid ON cases (grid, created_at, id);

-- The append-only event log. global_seq is the commit order: one writer assigns it.
CREATE TABLE events (
  global_seq   INTEGER PRIMARY KEY,
  case_id      INTEGER NOT NULL REFERENCES cases (id),
  version      INTEGER NOT NULL,
  type         TEXT NOT NULL,
  action       TEXT NOT NULL,         -- "" unless type = 'action'
  actor_user   TEXT NOT NULL,
  actor_role   TEXT NOT NULL,
  actor_unit   TEXT NOT NULL,
  at           INTEGER NOT NULL,      -- Unix ms
  note         TEXT NOT NULL,
  photos       BLOB NOT NULL,         -- netstrings, storage/case_codec.h
  payload_json TEXT NOT NULL,
  prev_hash    TEXT NOT NULL,
  hash         TEXT NOT NULL,         -- storage/audit_chain.h
  UNIQUE (case_id, version)
);

CREATE TABLE idempotency_keys (
  key         TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  case_id     INTEGER NOT NULL REFERENCES cases (id)
) WITHOUT ROWID;

CREATE TABLE case_number_days (
  day      TEXT PRIMARY KEY,          -- Asia/Shanghai civil date "2020-04-12"
  last_seq INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE counters (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Migration 2: reference data as versioned documents.
constexpr std::string_view kMigration2 = R"sql(
CREATE TABLE documents (
  kind    TEXT NOT NULL,
  key     TEXT NOT NULL,
  json    TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (kind, key)
) WITHOUT ROWID;
)sql";

// Migration 3: ledger (台账) rows and their hash-chained events (storage/ledger_store.h).
constexpr std::string_view kMigration3 = R"sql(
CREATE TABLE ledger_rows (
  ledger_id TEXT NOT NULL,
  row_key   TEXT NOT NULL,
  version   INTEGER NOT NULL,
  body      TEXT NOT NULL,            -- the whole LedgerRow, domain/ledger.h EncodeLedgerRow
  PRIMARY KEY (ledger_id, row_key)
) WITHOUT ROWID;

CREATE TABLE ledger_events (
  seq          INTEGER PRIMARY KEY,   -- commit order; one writer assigns it
  ledger_id    TEXT NOT NULL,
  row_key      TEXT NOT NULL,
  version      INTEGER NOT NULL,
  type         TEXT NOT NULL,
  actor_user   TEXT NOT NULL,
  actor_role   TEXT NOT NULL,
  actor_unit   TEXT NOT NULL,
  at           INTEGER NOT NULL,      -- Unix ms
  note         TEXT NOT NULL,
  photos       TEXT NOT NULL,         -- hashes joined by ';'
  payload_json TEXT NOT NULL,
  prev_hash    TEXT NOT NULL,
  hash         TEXT NOT NULL,
  UNIQUE (ledger_id, row_key, version)
);
CREATE INDEX ledger_events_by_ledger ON ledger_events (ledger_id, seq);
)sql";

// Migration 4: the duplicate search (same category, a small box around a point) reads a thin
// band of latitudes instead of every case of the category.
constexpr std::string_view kMigration4 = R"sql(
CREATE INDEX cases_by_category_lat ON cases (category, lat);
)sql";

// Migration 5: the duplicate search runs in memory (service/duplicate_index.h); no query needs
// the latitude band any more, and every create paid for writing it. The store's own duplicate
// query (used without the index) reads the category's window through cases_by_category.
constexpr std::string_view kMigration5 = R"sql(
DROP INDEX IF EXISTS cases_by_category_lat;
)sql";

// Migration 6: a server (the owner of the data directory) lists and counts cases from its
// in-memory catalog (sqlite/case_catalog.h); these indexes cost every create a scattered page
// write each and served only those lists. Lists by other openers (citygrid export) read the
// table in created order through cases_by_created.
constexpr std::string_view kMigration6 = R"sql(
DROP INDEX cases_by_updated;
DROP INDEX cases_by_deadline;
DROP INDEX cases_by_state;
DROP INDEX cases_by_category;
DROP INDEX cases_by_unit;
DROP INDEX cases_by_subdistrict;
DROP INDEX cases_by_community;
DROP INDEX cases_by_grid;
)sql";

constexpr std::string_view kMigrations[] = {kMigration1, kMigration2, kMigration3,
                                            kMigration4, kMigration5, kMigration6};

}  // namespace

int LatestSqliteSchemaVersion() { return static_cast<int>(std::size(kMigrations)); }

std::string_view SqliteMigrationSql(int version) { return kMigrations[version - 1]; }

Result<int> SqliteSchemaVersion(Connection& conn) {
  CITYGRID_ASSIGN_OR_RETURN(
      Statement has_table,
      conn.Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"));
  CITYGRID_ASSIGN_OR_RETURN(bool exists, has_table.Step());
  if (!exists) return 0;
  CITYGRID_ASSIGN_OR_RETURN(Statement read, conn.Prepare("SELECT max(version) FROM schema_version"));
  CITYGRID_ASSIGN_OR_RETURN(bool row, read.Step());
  return row ? static_cast<int>(read.Int(0)) : 0;
}

Status MigrateSqlite(Connection& conn, int target) {
  const int latest = LatestSqliteSchemaVersion();
  if (target < 0) target = latest;
  if (target > latest) {
    return InvalidArgumentError("no schema version " + std::to_string(target) + " (latest is " +
                                std::to_string(latest) + ")");
  }
  // IMMEDIATE: two processes opening one new database at once migrate one after the other.
  CITYGRID_RETURN_IF_ERROR(conn.Exec("BEGIN IMMEDIATE"));
  auto migrate = [&]() -> Status {
    CITYGRID_ASSIGN_OR_RETURN(int current, SqliteSchemaVersion(conn));
    if (current > latest) {
      return FailedPreconditionError(
          conn.path() + " has schema version " + std::to_string(current) +
          ", written by a newer citygrid; this citygrid " CITYGRID_VERSION
          " knows schema versions up to " + std::to_string(latest) +
          ". Upgrade citygrid, or restore a backup made by this version.");
    }
    if (current >= target) return OkStatus();
    if (current == 0) {
      CITYGRID_RETURN_IF_ERROR(conn.Exec("CREATE TABLE schema_version (version INTEGER NOT NULL)"));
    }
    for (int v = current + 1; v <= target; ++v) {
      Status s = conn.Exec(SqliteMigrationSql(v));
      if (!s.ok()) return s.WithContext("schema migration " + std::to_string(v));
    }
    CITYGRID_RETURN_IF_ERROR(conn.Exec("DELETE FROM schema_version"));
    CITYGRID_ASSIGN_OR_RETURN(Statement set,
                              conn.Prepare("INSERT INTO schema_version (version) VALUES (?)"));
    set.Bind(1, target);
    return set.Run();
  };
  Status s = migrate();
  if (!s.ok()) {
    (void)conn.Exec("ROLLBACK");
    return s;
  }
  return conn.Exec("COMMIT");
}

}  // namespace citygrid::storage::sqlite
