#include "citygrid/storage/ledger_store.h"

#include <set>
#include <unordered_map>

#include "citygrid/storage/audit_chain.h"

namespace citygrid::storage {

std::string CanonicalLedgerEventEncoding(const LedgerEvent& e) {
  std::string out;
  out.reserve(256 + e.note.size() + e.payload_json.size() + 70 * e.photos.size());
  AppendField(out, "citygrid-ledger-event-v1");
  AppendField(out, e.ledger_id);
  AppendField(out, e.row_key);
  AppendField(out, std::to_string(e.version));
  AppendField(out, Name(e.type));
  AppendField(out, e.actor.user);
  AppendField(out, Name(e.actor.role));
  AppendField(out, e.actor.unit);
  AppendField(out, std::to_string(ToUnixMillis(e.at)));
  AppendField(out, e.note);
  AppendField(out, std::to_string(e.photos.size()));
  for (const std::string& photo : e.photos) AppendField(out, photo);
  AppendField(out, e.payload_json);
  AppendField(out, e.prev_hash);
  return out;
}

std::string LedgerEventHash(const LedgerEvent& event) {
  return Sha256Hex(CanonicalLedgerEventEncoding(event));
}

void SealLedgerEvent(LedgerEvent& event, const std::string& prev_hash) {
  event.prev_hash = prev_hash;
  event.hash = LedgerEventHash(event);
}

std::string LedgerChainBreak::ToString() const {
  std::string out = "row " + row_key + " version " + std::to_string(version) + ": " + problem;
  if (!expected.empty() || !found.empty()) {
    out += ": expected " + (expected.empty() ? std::string("\"\"") : expected) + ", found " +
           (found.empty() ? std::string("\"\"") : found);
  }
  return out;
}

LedgerChainReport VerifyLedgerChains(const std::vector<LedgerEvent>& events,
                                     const std::vector<LedgerRow>* rows) {
  struct Tip {
    int64_t version = 0;
    std::string hash;
  };
  LedgerChainReport report;
  std::unordered_map<std::string, Tip> tips;
  for (const LedgerEvent& e : events) {
    Tip& tip = tips[e.row_key];
    auto fail = [&](std::string problem, std::string expected, std::string found) {
      report.first_break =
          LedgerChainBreak{e.row_key, e.version, std::move(problem), std::move(expected),
                           std::move(found)};
    };
    if (e.version != tip.version + 1) {
      fail("event out of sequence", std::to_string(tip.version + 1), std::to_string(e.version));
      break;
    }
    if (e.prev_hash != tip.hash) {
      fail("prev_hash does not match the previous event's hash", tip.hash, e.prev_hash);
      break;
    }
    std::string hash = LedgerEventHash(e);
    if (hash != e.hash) {
      fail("stored hash does not match the event's contents", hash, e.hash);
      break;
    }
    tip.version = e.version;
    tip.hash = e.hash;
    ++report.events_checked;
  }
  report.rows_seen = static_cast<int64_t>(tips.size());
  if (report.ok() && rows != nullptr) {
    for (const LedgerRow& row : *rows) {
      auto it = tips.find(row.key);
      int64_t last = it == tips.end() ? 0 : it->second.version;
      if (last != row.version) {
        report.first_break = LedgerChainBreak{row.key, row.version,
                                              "the row's version does not match its last event",
                                              std::to_string(last), std::to_string(row.version)};
        break;
      }
    }
  }
  return report;
}

Status CheckLedgerWrites(const std::string& ledger_id, const std::vector<LedgerRowWrite>& writes) {
  if (ledger_id.empty()) return InvalidArgumentError("ledger id is empty");
  std::set<std::string> keys;
  for (const LedgerRowWrite& w : writes) {
    if (w.next.key.empty()) return InvalidArgumentError("ledger " + ledger_id + ": empty row key");
    if (!keys.insert(w.next.key).second) {
      return InvalidArgumentError("ledger " + ledger_id + ": row " + w.next.key +
                                  " is written twice in one batch");
    }
    if (w.events.empty()) {
      return InvalidArgumentError("ledger " + ledger_id + ": row " + w.next.key + ": no events");
    }
    if (w.expected_version < 0 ||
        w.next.version != w.expected_version + static_cast<int64_t>(w.events.size())) {
      return InvalidArgumentError("ledger " + ledger_id + ": row " + w.next.key + ": version " +
                                  std::to_string(w.next.version) + " is not " +
                                  std::to_string(w.expected_version) + " + " +
                                  std::to_string(w.events.size()) + " events");
    }
  }
  return OkStatus();
}

}  // namespace citygrid::storage
