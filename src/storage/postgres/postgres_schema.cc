#include "postgres_schema.h"

#include <string>

namespace citygrid::storage::postgres {
namespace {

// Any constant: the key of the advisory lock that serializes migrations across nodes.
constexpr int64_t kMigrationLockKey = 0x6369747967726964;  // "citygrid"

// The same numbering and meaning as the SQLite backend's migrations (sqlite_schema.cc), in
// PostgreSQL types: BIGINT for INTEGER, DOUBLE PRECISION for REAL, BOOLEAN, BYTEA for BLOB.
constexpr Migration kMigrations[] = {
    {1, "case event log, current-state rows, idempotency keys, case numbers, counters", R"sql(
CREATE TABLE cases (
  id               BIGINT PRIMARY KEY,  -- from the case_ids sequence; never reused
  number           TEXT NOT NULL UNIQUE,
  version          BIGINT NOT NULL,
  state            TEXT NOT NULL,
  channel          TEXT NOT NULL,
  category         TEXT NOT NULL,
  unit             TEXT NOT NULL,
  district         TEXT NOT NULL,
  subdistrict      TEXT NOT NULL,
  community        TEXT NOT NULL,
  grid             TEXT NOT NULL,
  lon              DOUBLE PRECISION NOT NULL,
  lat              DOUBLE PRECISION NOT NULL,
  description      TEXT NOT NULL,
  address          TEXT NOT NULL,
  created_at       BIGINT NOT NULL,     -- Unix ms
  updated_at       BIGINT NOT NULL,
  deadline_key     BIGINT NOT NULL,     -- stage_deadline in Unix ms, 9223372036854775807 if none
  overdue          BOOLEAN NOT NULL,
  idempotency_key  TEXT NOT NULL,
  body             BYTEA NOT NULL       -- the whole Case, storage/case_codec.h
);
CREATE SEQUENCE case_ids AS BIGINT;
CREATE INDEX cases_by_created ON cases (created_at, id);
CREATE INDEX cases_by_updated ON cases (updated_at, id);
CREATE INDEX cases_by_deadline ON cases (deadline_key, id);
CREATE INDEX cases_by_state ON cases (state, created_at, id);
CREATE INDEX cases_by_category ON cases (category, created_at, id);
CREATE INDEX cases_by_unit ON cases (unit, created_at, id);
CREATE INDEX cases_by_subdistrict ON cases (subdistrict, created_at, id);
CREATE INDEX cases_by_community ON cases (community, created_at, id);
CREATE INDEX cases_by_grid ON cases (grid, created_at, id);

-- The append-only event log. global_seq is the commit order: it is allocated from the one row
-- of event_log_head, whose row lock the writing transaction holds until it commits.
CREATE TABLE events (
  global_seq    BIGINT PRIMARY KEY,
  case_id       BIGINT NOT NULL REFERENCES cases (id),
  version       BIGINT NOT NULL,
  type          TEXT NOT NULL,
  action        TEXT NOT NULL,          -- "" unless type = 'action'
  actor_user    TEXT NOT NULL,
  actor_role    TEXT NOT NULL,
  actor_unit    TEXT NOT NULL,
  at            BIGINT NOT NULL,        -- Unix ms
  note          TEXT NOT NULL,
  photos        BYTEA NOT NULL,         -- netstrings, storage/case_codec.h
  payload_json  TEXT NOT NULL,
  prev_hash     TEXT NOT NULL,
  hash          TEXT NOT NULL,          -- storage/audit_chain.h
  UNIQUE (case_id, version)
);
CREATE TABLE event_log_head (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  last_seq  BIGINT NOT NULL
);
INSERT INTO event_log_head (id, last_seq) VALUES (1, 0);

CREATE TABLE idempotency_keys (
  key          TEXT PRIMARY KEY,
  fingerprint  TEXT NOT NULL,
  case_id      BIGINT NOT NULL          -- 0 only inside the creating transaction
);

CREATE TABLE case_number_days (
  day       TEXT PRIMARY KEY,           -- Asia/Shanghai civil date "2020-04-12"
  last_seq  BIGINT NOT NULL
);

CREATE TABLE counters (
  key    TEXT PRIMARY KEY,
  value  BIGINT NOT NULL
);
)sql"},
    {2, "reference data as versioned documents", R"sql(
CREATE TABLE documents (
  kind     TEXT NOT NULL,
  key      TEXT NOT NULL,
  json     TEXT NOT NULL,
  version  BIGINT NOT NULL,
  PRIMARY KEY (kind, key)
);
)sql"},
    {3, "ledger rows and their hash-chained events", R"sql(
CREATE TABLE ledger_rows (
  ledger_id  TEXT NOT NULL,
  row_key    TEXT NOT NULL,
  version    BIGINT NOT NULL,
  body       TEXT NOT NULL,           -- the whole LedgerRow, domain/ledger.h EncodeLedgerRow
  PRIMARY KEY (ledger_id, row_key)
);

CREATE TABLE ledger_events (
  seq           BIGSERIAL PRIMARY KEY, -- order within one ledger's rows follows versions
  ledger_id     TEXT NOT NULL,
  row_key       TEXT NOT NULL,
  version       BIGINT NOT NULL,
  type          TEXT NOT NULL,
  actor_user    TEXT NOT NULL,
  actor_role    TEXT NOT NULL,
  actor_unit    TEXT NOT NULL,
  at            BIGINT NOT NULL,       -- Unix ms
  note          TEXT NOT NULL,
  photos        TEXT NOT NULL,         -- hashes joined by ';'
  payload_json  TEXT NOT NULL,
  prev_hash     TEXT NOT NULL,
  hash          TEXT NOT NULL,
  UNIQUE (ledger_id, row_key, version)
);
CREATE INDEX ledger_events_by_ledger ON ledger_events (ledger_id, seq);
)sql"},
    {4, "an index for the duplicate search (category, latitude band)", R"sql(
CREATE INDEX cases_by_category_lat ON cases (category, lat);
)sql"},
    // The duplicate search runs in memory (service/duplicate_index.h): no query reads the
    // latitude band any more, and every create paid for writing it.
    {5, "drop the duplicate search's latitude-band index", R"sql(
DROP INDEX IF EXISTS cases_by_category_lat;
)sql"},
    // SQLite's schema 6 drops the cases table's per-filter indexes, as the SQLite server lists
    // cases from memory (sqlite/case_catalog.h). Several PostgreSQL nodes share one database
    // and list by SQL, so they keep theirs: nothing changes here. The version moves with
    // SQLite's so that a backup (a SQLite snapshot) names the same version on both backends.
    {6, "keep the per-filter indexes (SQLite's schema 6 drops its own)", R"sql(
SELECT 1;
)sql"},
};

}  // namespace

std::span<const Migration> Migrations() { return kMigrations; }

int64_t LatestSchemaVersion() { return kMigrations[std::size(kMigrations) - 1].version; }

Result<int64_t> CurrentSchemaVersion(PgConnection& conn) {
  CITYGRID_ASSIGN_OR_RETURN(PgResult exists,
                            conn.Exec("SELECT to_regclass('schema_version') IS NOT NULL"));
  if (!exists.Bool(0, 0)) return int64_t{0};
  CITYGRID_ASSIGN_OR_RETURN(PgResult r,
                            conn.Exec("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
  return r.Int(0, 0);
}

Status Migrate(PgConnection& conn, int64_t target) {
  const int64_t latest = LatestSchemaVersion();
  if (target < 0) target = latest;
  if (target > latest) {
    return InvalidArgumentError("no schema version " + std::to_string(target) + " (latest is " +
                                std::to_string(latest) + ")");
  }
  auto run = [&]() -> Status {
    CITYGRID_RETURN_IF_ERROR(conn.Exec("BEGIN"));
    CITYGRID_RETURN_IF_ERROR(
        conn.Exec("SELECT pg_advisory_xact_lock($1)", PgParams().Add(kMigrationLockKey)));
    CITYGRID_RETURN_IF_ERROR(
        conn.Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
    CITYGRID_ASSIGN_OR_RETURN(int64_t current, CurrentSchemaVersion(conn));
    if (current > latest) {
      return FailedPreconditionError(
          "the PostgreSQL database has schema version " + std::to_string(current) +
          ", written by a newer citygrid; this citygrid " CITYGRID_VERSION
          " knows schema versions up to " + std::to_string(latest) +
          ". Upgrade citygrid, or restore a backup made by this version.");
    }
    if (current >= target) return conn.Exec("COMMIT").status();
    for (const Migration& m : Migrations()) {
      if (m.version <= current || m.version > target) continue;
      Status applied = conn.Exec(m.sql).status();
      if (!applied.ok()) {
        return applied.WithContext("schema migration " + std::to_string(m.version) + " (" +
                                   m.description + ")");
      }
    }
    CITYGRID_RETURN_IF_ERROR(conn.Exec("DELETE FROM schema_version"));
    CITYGRID_RETURN_IF_ERROR(conn.Exec("INSERT INTO schema_version (version) VALUES ($1)",
                                       PgParams().Add(target)));
    return conn.Exec("COMMIT").status();
  };
  Status s = run();
  if (!s.ok() && PQtransactionStatus(conn.raw()) != PQTRANS_IDLE) {
    (void)conn.Exec("ROLLBACK");
  }
  return s;
}

}  // namespace citygrid::storage::postgres
