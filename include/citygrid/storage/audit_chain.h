#pragma once

// The audit chain: every event of a case carries the SHA-256 of the event before it, so a
// rewritten, removed or reordered event breaks the chain and `citygrid check` finds it.
//
// Canonical encoding, version 1 (what EventHash hashes). A sequence of netstrings
//     field := <decimal byte length> ":" <bytes> ","      e.g. "3:abc,", "0:,"
// (lengths in ASCII decimal without leading zeros, bytes verbatim, no escaping) in this fixed
// order:
//      1  "citygrid-event-v1"            domain separator and encoding version
//      2  case_id                        decimal, e.g. "42"
//      3  version                        decimal
//      4  type                           Name(EventType), e.g. "created", "action"
//      5  action                         Name(Action), e.g. "dispatch"; "" when unset
//      6  actor.user
//      7  actor.role                     Name(Role)
//      8  actor.unit
//      9  at                             Unix milliseconds, decimal, "-" for negative
//     10  note
//     11  number of photos               decimal
//     12… each photo hash, in order
//      …  payload_json                   the stored text, byte for byte
//      …  prev_hash                      lowercase hex, "" for version 1
// global_seq and hash itself are not part of the encoding: global_seq is a position in one
// database's log (a restore may renumber it), and the hash is what is computed. The hash is the
// lowercase hex SHA-256 (libsodium crypto_hash_sha256) of the encoding.
//
// The chain anchors nothing outside the database: someone who rewrites the *last* event of a case
// and its hash consistently is caught only by the current-state row disagreeing (see
// chain_check.h). Everything before the last event is covered by its successor's prev_hash.
//
// Thread safety: the free functions are thread-safe; a ChainVerifier is not.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "citygrid/domain/case.h"

namespace citygrid::storage {

// Lowercase hex SHA-256 of `bytes`.
std::string Sha256Hex(std::string_view bytes);

// Appends one field of a canonical encoding: "<byte length>:<bytes>," (netstring-like, so no
// two field lists encode alike). Ledger row events (ledger_store.h) use it too.
void AppendField(std::string& out, std::string_view bytes);

// The canonical encoding above.
std::string CanonicalEventEncoding(const CaseEvent& event);

// Lowercase hex SHA-256 of CanonicalEventEncoding(event).
std::string EventHash(const CaseEvent& event);

// Sets event.prev_hash = prev_hash and event.hash = EventHash(event). Storage calls this for each
// event it appends, with the previous event's hash ("" for version 1).
void SealEvent(CaseEvent& event, const std::string& prev_hash);

// The first place a chain breaks.
struct BrokenLink {
  int64_t case_id = 0;
  std::string case_number;  // "" unless the caller looked it up (VerifyStoreChains does)
  int64_t version = 0;      // the event (or current-state row) version where the break shows
  int64_t global_seq = 0;   // 0 when the break is not at a stored event
  std::string problem;      // what is wrong, in words
  std::string expected;     // the hash (or version) that should be there
  std::string found;        // the hash (or version) that is there

  // "case 20200412-000123 (id 42) version 3 (seq 917): stored hash does not match the event's
  //  contents: expected 3fa9…, found 77c0…"
  std::string ToString() const;
};

// Verifies chains over a stream of events. Events of one case must arrive in version order
// (e.g. CaseStore::EventsAfter, or one case's LoadHistory); events of different cases may
// interleave. Checks, per event: its version follows the previous one of its case (1 first),
// its prev_hash equals that event's hash ("" first), and its hash equals EventHash(event).
// Memory: one entry (version + hash) per case seen.
class ChainVerifier {
 public:
  // Feeds the next event. Returns false once a broken link has been seen; first_broken() then
  // holds it and further events are ignored.
  bool Add(const CaseEvent& event);

  const std::optional<BrokenLink>& first_broken() const { return first_broken_; }
  bool ok() const { return !first_broken_.has_value(); }
  int64_t events_checked() const { return events_checked_; }
  int64_t cases_seen() const { return static_cast<int64_t>(tips_.size()); }

  // The last verified version of `case_id`, 0 when none was seen.
  int64_t LastVersion(int64_t case_id) const;
  // Calls fn(case_id, last_version) for every case seen, in no particular order.
  template <typename Fn>
  void ForEachCase(Fn&& fn) const {
    for (const auto& [id, tip] : tips_) fn(id, tip.version);
  }

 private:
  struct Tip {
    int64_t version = 0;
    std::string hash;
  };
  std::unordered_map<int64_t, Tip> tips_;
  std::optional<BrokenLink> first_broken_;
  int64_t events_checked_ = 0;
};

}  // namespace citygrid::storage
