#pragma once

// The embedded SQLite backend (the default): DATA_DIR/citygrid.db in WAL mode with
// synchronous=FULL, and photos under DATA_DIR/media.
//
// Durability: a write returns OK only after the COMMIT of its transaction returned, and with
// synchronous=FULL SQLite fsyncs the WAL before COMMIT returns, so an acknowledged write
// survives kill -9 and power loss. Concurrent writes queue up and are committed by one writer
// at a time, in groups that share one transaction and one fsync (leader-based group commit);
// reads use a pool of separate connections and never wait for writes.

#include <memory>
#include <string>

#include "citygrid/common/status.h"
#include "citygrid/storage/store.h"

namespace citygrid::storage {

struct SqliteStoreOptions {
  std::string data_dir;          // created when missing
  int max_batch = 256;           // writes per group transaction
  int max_readers = 8;           // pooled reader connections
  int busy_timeout_ms = 10'000;  // waiting for another process's lock
  // Holds an exclusive lock on DATA_DIR/citygrid.lock (flock, with the holder's pid in the
  // file) while the store is open: a second owner, in this or another process, gets
  // kFailedPrecondition naming the directory and the holder. The owner is then the only writer
  // of cases, so it answers CaseVersionSource::CurrentVersion from the versions it committed or read,
  // without reading the database. Other openers (citygrid user, check, backup) take no lock and
  // must not change cases while an owner runs.
  bool own_data_dir = false;
};

// Opens (creating and migrating as needed) DATA_DIR/citygrid.db. kFailedPrecondition, naming
// both versions, when the database was written by a newer citygrid, or naming the directory
// and the other process when own_data_dir is set and another owner holds it; kUnavailable when
// the directory or file cannot be opened.
Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteStoreOptions& options);

// "DATA_DIR/citygrid.db".
std::string SqliteDatabasePath(const std::string& data_dir);

// The owner lock's file name in a data directory (own_data_dir above).
inline constexpr char kSqliteLockFile[] = "citygrid.lock";

// Takes the owner lock of DATA_DIR (which must exist) as own_data_dir does: an exclusive flock on
// DATA_DIR/citygrid.lock with this process's pid written into the file. Returns the descriptor,
// which holds the lock until closed. kFailedPrecondition naming the directory and the holder's
// pid when another process or another open store holds it; kUnavailable when the file cannot be
// opened or written. `citygrid demo` takes it before it looks at or clears an unfinished seed.
Result<int> LockSqliteDataDir(const std::string& data_dir);

}  // namespace citygrid::storage
