#pragma once

// The storage contract used by the service layer. The storage is the source of truth: anything
// kept in memory above it (spatial index, roll-ups, caches) is rebuilt from it.
//
// Implementations: SQLite (embedded default, DIR/citygrid.db), PostgreSQL (--db postgresql://...),
// and an in-memory fake for service tests (tests/testing). One conformance suite
// (tests/storage/store_conformance_test.cc) runs against all of them.
//
// Thread safety: every method may be called concurrently from many threads.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/common/time.h"
#include "citygrid/domain/case.h"
#include "citygrid/geo/geometry.h"
#include "citygrid/storage/ledger_store.h"

namespace citygrid::storage {

// A new case as intake builds it.
struct NewCase {
  Case initial;             // id, number and version are assigned by the store
  CaseEvent created;        // the kCreated event (version 1); hashes are set by the store
  std::string idempotency_key;     // "" = none
  std::string request_fingerprint; // hash of the request payload, compared on a retried key
};

struct CreateResult {
  Case created_case;
  bool created = true;  // false when an idempotent retry returned the original case
  int64_t created_seq = 0;  // global_seq of the kCreated event when created (0 on a retry)
};

// A roll-up counter change committed atomically with the events that cause it.
struct CounterDelta {
  std::string key;  // e.g. "d:2020-04-12|u:410103001|m:closed"
  int64_t delta = 0;
};

enum class CaseSort { kCreatedDesc, kCreatedAsc, kDeadlineAsc, kUpdatedDesc };

struct CaseQuery {
  std::vector<CaseState> states;  // empty = any
  std::string category;           // exact code, "" = any
  std::string unit;               // assigned unit, "" = any
  std::string district;
  std::string subdistrict;
  std::string community;
  std::string grid;
  std::optional<Channel> channel;
  std::optional<Timestamp> created_from;  // inclusive
  std::optional<Timestamp> created_to;    // exclusive
  std::optional<bool> overdue;
  std::optional<Timestamp> deadline_before;  // stage_deadline < this (for the overdue sweeper)
  std::optional<geo::BoundingBox> bbox;      // location inside (for duplicate search)
  std::string text;                          // substring of description or address
  CaseSort sort = CaseSort::kCreatedDesc;    // ties broken by id, so the order is stable
  std::string cursor;                        // opaque, from CasePage::next_cursor
  int limit = 50;                            // 1..1000
};

struct CasePage {
  std::vector<Case> cases;
  std::string next_cursor;  // "" on the last page
};

// Case events and current state.
class CaseStore {
 public:
  virtual ~CaseStore() = default;

  // Creates a case: assigns id, the next case number of the Asia/Shanghai day of
  // initial.created_at (CaseNumberDay), version 1, idempotency_key, and appends its kCreated
  // event (case_id, version 1, global_seq, prev_hash "" and hash set by the store), atomically
  // with `counters`. With an idempotency key already used: same fingerprint → the original
  // case as it is now (created = false, nothing written); different fingerprint →
  // kAlreadyExists. kInvalidArgument when `created.type` is not kCreated.
  virtual Result<CreateResult> CreateCase(const NewCase& new_case,
                                          const std::vector<CounterDelta>& counters = {}) = 0;

  // Called exactly once with what CreateCase would return.
  using CreateDone = std::function<void(Result<CreateResult>)>;
  // CreateCase without waiting for the commit: returns at once (or after a synchronous
  // rejection), and `done` is called once the case is durably stored or the write failed — on a
  // thread of the store (SQLite: its committer; PostgreSQL: a pool of blocking writers), or on
  // the calling thread for a rejection found before queuing. `done` should not block: the
  // store's next writes may wait for it. The default runs CreateCase and then `done`, both on
  // the calling thread.
  virtual void CreateCaseAsync(NewCase new_case, std::vector<CounterDelta> counters,
                               CreateDone done);

  // Appends `events` to case `case_id` and replaces its current-state row by `next`,
  // atomically with `counters`: all of it or nothing. The store sets each event's case_id,
  // version (expected_version+1, +2, ...), global_seq, prev_hash and hash, and keeps the row's
  // id, number and idempotency_key (those of `next` are ignored).
  // kAborted when the stored version is not `expected_version` (someone else moved first);
  // kNotFound when there is no such case; kInvalidArgument when `events` is empty or
  // next.version != expected_version + events.size(). Returns the stored events.
  virtual Result<std::vector<CaseEvent>> Append(int64_t case_id, int64_t expected_version,
                                                std::vector<CaseEvent> events, const Case& next,
                                                const std::vector<CounterDelta>& counters = {}) = 0;

  virtual Result<Case> LoadCase(int64_t case_id) = 0;
  virtual Result<Case> LoadCaseByNumber(const std::string& number) = 0;
  // The full history, oldest first.
  virtual Result<std::vector<CaseEvent>> LoadHistory(int64_t case_id) = 0;

  // One page of the cases matching `query` (semantics: storage/case_query.h, which every
  // backend follows). kInvalidArgument for a limit outside 1..1000 or a cursor that is
  // malformed or was made for another sort order.
  virtual Result<CasePage> QueryCases(const CaseQuery& query) = 0;
  // The number of cases matching `query` (cursor, sort and limit ignored).
  virtual Result<int64_t> CountCases(const CaseQuery& query) = 0;

  // Events with global_seq > after_seq, in commit order, at most `limit` (1..10000, else
  // kInvalidArgument). A reader that saw global_seq N never later sees a new event below N.
  virtual Result<std::vector<CaseEvent>> EventsAfter(int64_t after_seq, int limit) = 0;
  // The highest committed global_seq (0 when empty).
  virtual Result<int64_t> LastGlobalSeq() = 0;

  // Current values of roll-up counters whose key starts with `prefix`.
  virtual Result<std::vector<CounterDelta>> ReadCounters(const std::string& prefix) = 0;
};

// Reference data as versioned JSON documents: geography layers, categories, units, users,
// API keys, sessions, routing rules, settings. The service layer owns each kind's encoding.
struct Document {
  std::string kind;  // "user", "session", "unit", "category", "geography", "setting", ...
  std::string key;
  std::string json;
  int64_t version = 0;  // 1 on first write
};

class DocumentStore {
 public:
  virtual ~DocumentStore() = default;
  // Writes a document and returns it with its new version (stored version + 1, or 1).
  // expected_version: -1 = unconditional; 0 = must not exist (kAlreadyExists if it does);
  // N > 0 = must be at version N (kNotFound if missing, kAborted if at another version).
  // kInvalidArgument for an empty kind or key, or expected_version < -1.
  virtual Result<Document> Put(const std::string& kind, const std::string& key,
                               const std::string& json, int64_t expected_version = -1) = 0;
  // kNotFound when there is no such document.
  virtual Result<Document> Get(const std::string& kind, const std::string& key) = 0;
  // Every document of `kind`, ordered by key (bytewise).
  virtual Result<std::vector<Document>> List(const std::string& kind) = 0;
  // kNotFound when there is no such document.
  virtual Status Delete(const std::string& kind, const std::string& key) = 0;
};

// Photos and other blobs: files in a media directory named by their SHA-256, never in the DB.
class MediaStore {
 public:
  virtual ~MediaStore() = default;
  // Stores `bytes` durably and returns its lowercase hex SHA-256 (idempotent).
  virtual Result<std::string> Put(const std::string& bytes) = 0;
  // kInvalidArgument unless `hash` is 64 lowercase hex digits; kNotFound when not stored.
  virtual Result<std::string> Get(const std::string& hash) = 0;
};

// What the store's group commit did so far in this process (both backends queue writes and
// commit them in batches, one transaction and one disk flush per batch): /metrics shows it, and
// bench/http divides by the creates of a run.
struct GroupCommitStats {
  int64_t batches = 0;         // batches of queued writes run (committed or failed; a batch
                               // run again write by write after a failure counts once)
  int64_t writes = 0;          // the queued writes they carried
  double commit_seconds = 0;   // wall time from a batch's first statement to its COMMIT's end
};

// One opened database.
class Store {
 public:
  virtual ~Store() = default;
  virtual CaseStore& cases() = 0;
  virtual DocumentStore& documents() = 0;
  virtual MediaStore& media() = 0;
  // Ledger (台账) rows and their events (storage/ledger_store.h).
  virtual LedgerStore& ledgers() = 0;
  // "sqlite" or "postgres".
  virtual std::string backend() const = 0;
  // Thread-safe; a snapshot, each field read on its own.
  virtual GroupCommitStats group_commit_stats() const = 0;
};

struct StoreOptions {
  std::string data_dir;  // SQLite file DIR/citygrid.db and media DIR/media
  std::string db_url;    // "postgresql://..." selects PostgreSQL (media still under data_dir)
  int db_pool_size = 8;  // PostgreSQL: pooled connections per store (postgres_store.h)
};

// Opens (creating and migrating as needed) the store `options` names. A database written by a
// newer citygrid returns kFailedPrecondition naming both schema versions.
Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options);

}  // namespace citygrid::storage
