#pragma once

// Storage of ledger (台账) rows and their events: the current-state row and the append-only,
// hash-chained history of every row (domain/ledger.h). Definitions are versioned documents
// (DocumentStore kind "ledger", key = ledger id) and are not kept here.
//
// The audit chain of a row works like a case's (storage/audit_chain.h, whose Sha256Hex it
// uses): each event carries the SHA-256 of the one before it. Canonical encoding, version 1:
// netstrings (see audit_chain.h) of
//    "citygrid-ledger-event-v1", ledger_id, row_key, version, type, actor.user, actor.role,
//    actor.unit, at (Unix ms, decimal), note, number of photos, each photo hash, payload_json,
//    prev_hash
// seq and hash are not part of it.
//
// Thread safety: every method may be called concurrently from many threads.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/domain/ledger.h"

namespace citygrid::storage {

// One row's change within a LedgerStore::Write.
struct LedgerRowWrite {
  LedgerRow next;                   // the row after the events; next.version must be
                                    // expected_version + events.size()
  int64_t expected_version = 0;     // 0 = the row must not exist yet
  std::vector<LedgerEvent> events;  // at least one; ledger_id, row_key, version, seq and
                                    // hashes are set by the store
};

class LedgerStore {
 public:
  virtual ~LedgerStore() = default;

  // Applies every write of `writes` to ledger `ledger_id` atomically: all of them or none.
  // Per write: expected_version 0 and the row exists → kAlreadyExists; expected_version > 0
  // and the row is missing → kNotFound; at another version → kAborted (someone else moved
  // first). kInvalidArgument for an empty ledger id or row key, a row key used twice in one
  // call, no events, or next.version != expected_version + events.size(). Errors name the row.
  // Returns the stored events (sealed, with seq), in write order.
  virtual Result<std::vector<LedgerEvent>> Write(const std::string& ledger_id,
                                                 std::vector<LedgerRowWrite> writes) = 0;

  // kNotFound when there is no such row.
  virtual Result<LedgerRow> LoadRow(const std::string& ledger_id, const std::string& row_key) = 0;
  // Every row of the ledger, ordered by key (bytewise).
  virtual Result<std::vector<LedgerRow>> ListRows(const std::string& ledger_id) = 0;
  // One row's history, oldest first (empty when the row does not exist).
  virtual Result<std::vector<LedgerEvent>> LoadRowHistory(const std::string& ledger_id,
                                                          const std::string& row_key) = 0;
  // Every event of the ledger in commit (seq) order.
  virtual Result<std::vector<LedgerEvent>> LoadLedgerEvents(const std::string& ledger_id) = 0;
};

// The canonical encoding above, its SHA-256 (lowercase hex), and sealing: sets prev_hash and
// hash. Storage calls SealLedgerEvent for each event it appends.
std::string CanonicalLedgerEventEncoding(const LedgerEvent& event);
std::string LedgerEventHash(const LedgerEvent& event);
void SealLedgerEvent(LedgerEvent& event, const std::string& prev_hash);

// The first break found by VerifyLedgerChains.
struct LedgerChainBreak {
  std::string row_key;
  int64_t version = 0;
  std::string problem;  // "stored hash does not match the event's contents", ...
  std::string expected;
  std::string found;

  // "row R0003 version 2: stored hash does not match the event's contents: expected 3fa9…,
  // found 77c0…"
  std::string ToString() const;
};

struct LedgerChainReport {
  int64_t events_checked = 0;
  int64_t rows_seen = 0;
  std::optional<LedgerChainBreak> first_break;
  bool ok() const { return !first_break.has_value(); }
};

// Verifies the chains of `events` (one ledger's, each row's events in version order, rows may
// interleave, e.g. LoadLedgerEvents) and, when `rows` is given, that each row's version equals
// its last event's (catching a rewritten or dropped last event).
LedgerChainReport VerifyLedgerChains(const std::vector<LedgerEvent>& events,
                                     const std::vector<LedgerRow>* rows = nullptr);

// Checks a write batch before a backend applies it (shared by the backends): the
// kInvalidArgument cases of LedgerStore::Write.
Status CheckLedgerWrites(const std::string& ledger_id, const std::vector<LedgerRowWrite>& writes);

}  // namespace citygrid::storage
