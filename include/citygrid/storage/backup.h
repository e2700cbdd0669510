#pragma once

// The database half of `citygrid backup` / `citygrid restore`: a transactionally consistent
// copy of a store's tables in one portable file, and loading such a file into an empty store.
//
// The portable format is a SQLite database file with the SQLite backend's schema (the same
// numbered migrations as PostgreSQL's), in rollback-journal mode so it is one self-contained
// file. Every table of the schema is copied: cases, events (with their audit hash chains),
// idempotency keys, case-number days, roll-up counters, documents (reference data, users,
// sessions, API keys, ledger definitions), ledger rows and ledger events. A snapshot of either
// backend restores into either backend.
//
// Media files are not in the database; the CLI copies and hashes them (src/cli/cli_backup.cc).
//
// Consistency: SQLite sources are copied with VACUUM INTO, which reads inside one read
// transaction (WAL: writers go on meanwhile and are not seen); PostgreSQL sources are read in
// one REPEATABLE READ READ ONLY transaction. Either way the copy is the database as of one
// commit.

#include <cstdint>
#include <string>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/storage/store.h"

namespace citygrid::storage {

// The tables a snapshot holds, in the order counts are reported and restored.
const std::vector<std::string>& SnapshotTables();

struct TableCount {
  std::string table;
  int64_t rows = 0;
};

struct SnapshotInfo {
  std::string source_backend;  // "sqlite" or "postgres" ("" when inspecting a file)
  int schema_version = 0;
  std::vector<TableCount> counts;  // SnapshotTables() order
  int64_t last_global_seq = 0;     // the newest event in the snapshot (0 when none)
};

// Writes a consistent copy of the database `source` names (SQLite: source.data_dir;
// PostgreSQL: source.db_url) into the new file `out_path`. kAlreadyExists when `out_path`
// exists; kNotFound when a SQLite source has no database; kUnavailable when a database cannot
// be opened or written. On an error `out_path` is removed.
Result<SnapshotInfo> WriteSnapshot(const StoreOptions& source, const std::string& out_path);

// Reads a snapshot file without changing it: runs SQLite's integrity check, then reads the
// schema version, the row count of every table and the last global_seq. kInvalidArgument,
// naming the problem, when the file is not a SQLite database, fails the integrity check,
// misses a table, or has a schema newer than this citygrid.
Result<SnapshotInfo> InspectSnapshot(const std::string& path);

// Copies the snapshot file into DATA_DIR/citygrid.db with SQLite's online backup API.
// kAlreadyExists when DATA_DIR/citygrid.db exists. The result is then opened with OpenStore,
// which migrates an older schema to the current one.
Status CopySnapshotToSqlite(const std::string& snapshot_path, const std::string& data_dir);

// Loads the snapshot file into the PostgreSQL database `db_url` (creating the schema when
// missing) in ONE transaction, then moves the event-log head, the case-id sequence and the
// ledger-event sequence past the loaded rows. kFailedPrecondition, naming the table, when any
// table already holds a row (nothing is written); kFailedPrecondition when the snapshot's
// schema version is not the database's. On any error nothing is committed.
Status LoadSnapshotIntoPostgres(const std::string& snapshot_path, const std::string& db_url);

// The row counts of the database `target` names (SQLite: target.data_dir, a missing database
// counts as empty; PostgreSQL: target.db_url, a database without our schema counts as empty).
// Opens nothing for writing and creates nothing.
Result<std::vector<TableCount>> CountTargetRows(const StoreOptions& target);

}  // namespace citygrid::storage
