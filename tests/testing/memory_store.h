#pragma once

// An in-memory storage::Store for service and HTTP tests that should not touch disk: the whole
// contract of citygrid/storage/store.h with the same observable behaviour as the SQLite backend
// (the storage conformance suite runs against it: tests/storage/memory_store_test.cc):
//
//  - CreateCase: ids 1, 2, ...; case numbers per Asia/Shanghai day of initial.created_at
//    (common/case_number.h); idempotency keys (same fingerprint → the original case,
//    created = false; another fingerprint → kAlreadyExists).
//  - Append: optimistic concurrency (kAborted on a stale version), the row's id, number and
//    idempotency key kept, each event sealed into its case's audit chain
//    (storage/audit_chain.h: SealEvent), one global sequence in commit order.
//  - Queries follow storage/case_query.h (filters, stable sort, keyset cursor, count).
//  - Counters, versioned documents, media addressed by SHA-256, ledger rows and their sealed
//    events (storage/ledger_store.h).
// Every write is all-or-nothing: it validates everything before it changes anything.
//
// Nothing survives the object: it is not durable, so the crash suite does not run on it.
//
// Thread safety: every method may be called from many threads; one mutex guards all state, so
// writes are serialised exactly like a single-writer database.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "citygrid/common/status.h"
#include "citygrid/domain/case.h"
#include "citygrid/storage/store.h"

namespace citygrid::testing {

class MemoryStore final : public storage::Store {
 public:
  MemoryStore();
  ~MemoryStore() override;
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  storage::CaseStore& cases() override;
  storage::DocumentStore& documents() override;
  storage::MediaStore& media() override;
  storage::LedgerStore& ledgers() override;
  std::string backend() const override { return "memory"; }
  // Writes are applied one by one under a lock: no group commit.
  storage::GroupCommitStats group_commit_stats() const override { return {}; }

  // ---- Test hooks (not part of storage::Store) ----

  // Makes the next `count` writes (CreateCase, Append, documents Put/Delete, media Put) fail
  // with `status` without changing anything, as a database that is down (kUnavailable) or a
  // writer that always loses the race (kAborted) would. REQUIRES: !status.ok().
  void FailNextWrites(Status status, int count = 1);

  // The number of writes committed so far.
  int64_t committed_writes() const;

  // Edits stored event (case_id, version) behind the store's back, as an attacker with access
  // to the database would: nothing is re-sealed, so the audit chain check must notice.
  // kNotFound when there is no such event.
  Status TamperWithEvent(int64_t case_id, int64_t version,
                         const std::function<void(CaseEvent&)>& edit);
  // The same for ledger row event (ledger_id, row_key, version).
  Status TamperWithLedgerEvent(const std::string& ledger_id, const std::string& row_key,
                               int64_t version, const std::function<void(LedgerEvent&)>& edit);

 private:
  struct State;
  class Cases;
  class Documents;
  class Media;
  class Ledgers;

  std::shared_ptr<State> state_;
  std::unique_ptr<Cases> cases_;
  std::unique_ptr<Documents> documents_;
  std::unique_ptr<Media> media_;
  std::unique_ptr<Ledgers> ledgers_;
};

// A fresh, empty MemoryStore behind the storage::Store interface.
std::unique_ptr<storage::Store> MakeMemoryStore();

}  // namespace citygrid::testing
