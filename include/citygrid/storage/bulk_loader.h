#pragma once

// Bulk loading of whole cases (creation plus later events) into a SQLite store, many cases per
// transaction: for importing history and for generating benchmark data (bench/evaluation).
//
// Contract: loading a case C through Load() leaves the database exactly as
//   CreateCase(C.new_case) followed, when C.events is not empty, by
//   Append(id, 1, C.events, C.final_case)
// would (one case after the other, in vector order): the same cases row (id = max(id)+1, the
// next case number of the Asia/Shanghai day of created_at, version, idempotency key, body), the
// same event rows (global_seq in commit order, versions 1.., prev_hash/hash of the audit chain,
// storage/audit_chain.h), the same case_number_days and idempotency_keys rows. So
// `citygrid check` (VerifyStoreChains) passes on the result and everything that reads the event
// log (the evaluation engine, feeds) sees the loaded cases like live ones. What it does not do:
// roll-up counters (CounterDelta) and idempotent retries (a key already used fails the batch).
//
// A batch is one IMMEDIATE transaction: all of it or nothing. Other writers (the store's own
// writer, other processes) wait for the transaction like for any SQLite writer, so the loader
// can run beside a live store, but big batches hold the write lock for their whole duration.
//
// Durability: by default the loader commits with synchronous=FULL like the store. With
// `synchronous_off` its connection (only) commits without fsync (PRAGMA synchronous=OFF): a
// crash of the machine during or shortly after the load may lose the last batches or corrupt
// the database. Use it only for data that can be generated again (benchmarks).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/domain/case.h"
#include "citygrid/storage/store.h"

namespace citygrid::storage {

// One case to load: its creation and the events that followed it.
struct BulkCase {
  NewCase new_case;               // as CreateCase takes it (counters not supported)
  std::vector<CaseEvent> events;  // appended after the kCreated event, oldest first
  Case final_case;                // the current state after `events`; ignored when empty
};

struct BulkLoadStats {
  int64_t cases = 0;
  int64_t events = 0;
};

class CaseBulkLoader {
 public:
  virtual ~CaseBulkLoader() = default;

  // Writes `cases` in one transaction. On success every case's new_case.initial and final_case
  // carry the assigned id, number and idempotency key, and every event (new_case.created and
  // events) its case_id, version, global_seq, prev_hash and hash, as the store wrote them.
  // kInvalidArgument (naming the case's index in the batch) and nothing written when a
  // new_case.created is not a kCreated event or a final_case.version is not 1 + events.size();
  // kAlreadyExists when an idempotency key is already used; kUnavailable when the database
  // cannot be written. On an error nothing of the batch is written (the cases' ids and
  // hashes may be partly set).
  virtual Result<BulkLoadStats> Load(std::vector<BulkCase>& cases) = 0;

  // Ends the load: recreates the indexes deferred by `defer_indexes` (no-op otherwise).
  // Idempotent; the destructor calls it too (ignoring errors).
  virtual Status Finish() = 0;
};

struct SqliteBulkLoaderOptions {
  std::string data_dir;          // DATA_DIR/citygrid.db, created and migrated when missing
  bool synchronous_off = false;  // see "Durability" above
  int cache_mb = 256;            // page cache of the loader's connection
  int busy_timeout_ms = 60'000;  // waiting for another writer
  // Drops the secondary indexes of the cases and events tables (all but the primary keys and
  // UNIQUE constraints, read from sqlite_master, so whatever the schema version has) before the
  // first batch and builds them again in Finish(): a sorted build at the end is much cheaper
  // than keeping the indexes current row by row. Queries by those columns are slow until
  // Finish. The dropped definitions are kept in the table bulk_deferred_indexes until rebuilt;
  // a loader opened on a database that still has that table (a load killed before Finish)
  // rebuilds them first.
  bool defer_indexes = false;
};

// Opens a loader on the SQLite database of `options.data_dir` (its own connection).
Result<std::unique_ptr<CaseBulkLoader>> OpenSqliteBulkLoader(const SqliteBulkLoaderOptions& options);

}  // namespace citygrid::storage
