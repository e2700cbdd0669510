#include "tests/testing/memory_store.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "citygrid/common/case_number.h"
#include "citygrid/storage/audit_chain.h"
#include "citygrid/storage/case_query.h"

namespace citygrid::testing {
namespace {

using storage::CaseQuery;
using storage::CounterDelta;
using storage::Document;

constexpr int kMaxEventsPerPage = 10000;

bool IsHexSha256(const std::string& s) {
  if (s.size() != 64) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Status CheckCounters(const std::vector<CounterDelta>& counters) {
  for (const CounterDelta& d : counters) {
    if (d.key.empty()) return InvalidArgumentError("a counter delta has an empty key");
  }
  return OkStatus();
}

std::string Describe(const std::string& kind, const std::string& key) {
  return kind + " '" + key + "'";
}

}  // namespace

struct MemoryStore::State {
  struct StoredCase {
    Case row;
    std::vector<size_t> events;  // indexes into log, in version order
  };
  struct KeyUse {
    std::string fingerprint;
    int64_t case_id = 0;
  };

  mutable std::mutex mu;
  // State below is protected by mu.
  std::map<int64_t, StoredCase> cases;  // by id; ids are 1, 2, ... and never reused
  std::unordered_map<std::string, int64_t> ids_by_number;
  std::vector<CaseEvent> log;  // the global event log; global_seq = index + 1
  std::map<std::string, int64_t> last_number_of_day;  // "2020-04-12" → last sequence
  std::unordered_map<std::string, KeyUse> idempotency_keys;
  std::map<std::string, int64_t> counters;                           // ordered for prefix scans
  std::map<std::string, std::map<std::string, Document>> documents;  // kind → key → document
  std::unordered_map<std::string, std::string> media;                // sha256 → bytes
  // Ledgers: (ledger id, row key) → row; the ledger event log, seq = index + 1.
  std::map<std::pair<std::string, std::string>, LedgerRow> ledger_rows;
  std::vector<LedgerEvent> ledger_log;
  Status injected_failure;
  int injected_failures_left = 0;
  int64_t committed_writes = 0;

  // REQUIRES: mu is held. The injected failure for this write, if any.
  Status TakeInjectedFailure() {
    if (injected_failures_left == 0) return OkStatus();
    --injected_failures_left;
    return injected_failure;
  }

  // REQUIRES: mu is held.
  void ApplyCounters(const std::vector<CounterDelta>& deltas) {
    for (const CounterDelta& d : deltas) counters[d.key] += d.delta;
  }

  // REQUIRES: mu is held. Appends a sealed event to the log and its case.
  void Commit(StoredCase& stored, CaseEvent event) {
    event.global_seq = static_cast<int64_t>(log.size()) + 1;
    stored.events.push_back(log.size());
    log.push_back(std::move(event));
  }
};

// ---- cases --------------------------------------------------------------------------------------

class MemoryStore::Cases final : public storage::CaseStore {
 public:
  explicit Cases(std::shared_ptr<State> state) : s_(std::move(state)) {}

  Result<storage::CreateResult> CreateCase(const storage::NewCase& new_case,
                                           const std::vector<CounterDelta>& counters) override {
    if (new_case.created.type != EventType::kCreated) {
      return InvalidArgumentError("the first event of a case must be 'created', not '" +
                                  std::string(Name(new_case.created.type)) + "'");
    }
    std::lock_guard<std::mutex> lock(s_->mu);
    CITYGRID_RETURN_IF_ERROR(s_->TakeInjectedFailure());
    const std::string& key = new_case.idempotency_key;
    if (!key.empty()) {
      if (auto it = s_->idempotency_keys.find(key); it != s_->idempotency_keys.end()) {
        if (it->second.fingerprint != new_case.request_fingerprint) {
          return AlreadyExistsError("idempotency key '" + key +
                                    "' was already used for a different request (case id " +
                                    std::to_string(it->second.case_id) + ")");
        }
        return storage::CreateResult{s_->cases.at(it->second.case_id).row, false};
      }
    }
    CITYGRID_RETURN_IF_ERROR(CheckCounters(counters));

    Case c = new_case.initial;
    c.id = s_->cases.empty() ? 1 : s_->cases.rbegin()->first + 1;
    const std::chrono::year_month_day day = CaseNumberDay(c.created_at);
    const int64_t seq = ++s_->last_number_of_day[FormatDate(day)];
    c.number = CaseNumber{day, seq}.ToString();
    c.version = 1;
    c.idempotency_key = key;

    CaseEvent e = new_case.created;
    e.case_id = c.id;
    e.version = 1;
    storage::SealEvent(e, "");

    State::StoredCase& stored = s_->cases[c.id];
    stored.row = c;
    s_->Commit(stored, std::move(e));
    s_->ids_by_number[c.number] = c.id;
    if (!key.empty()) s_->idempotency_keys[key] = {new_case.request_fingerprint, c.id};
    s_->ApplyCounters(counters);
    ++s_->committed_writes;
    return storage::CreateResult{std::move(c), true, static_cast<int64_t>(s_->log.size())};
  }

  Result<std::vector<CaseEvent>> Append(int64_t case_id, int64_t expected_version,
                                        std::vector<CaseEvent> events, const Case& next,
                                        const std::vector<CounterDelta>& counters) override {
    if (events.empty()) return InvalidArgumentError("no events to append");
    const int64_t new_version = expected_version + static_cast<int64_t>(events.size());
    if (next.version != new_version) {
      return InvalidArgumentError("the next state has version " + std::to_string(next.version) +
                                  ", expected " + std::to_string(new_version) + " after " +
                                  std::to_string(events.size()) + " event(s) on version " +
                                  std::to_string(expected_version));
    }
    std::lock_guard<std::mutex> lock(s_->mu);
    CITYGRID_RETURN_IF_ERROR(s_->TakeInjectedFailure());
    auto it = s_->cases.find(case_id);
    if (it == s_->cases.end()) {
      return NotFoundError("case id " + std::to_string(case_id) + " not found");
    }
    State::StoredCase& stored = it->second;
    if (stored.row.version != expected_version) {
      return AbortedError("case " + stored.row.number + " is at version " +
                          std::to_string(stored.row.version) + ", not " +
                          std::to_string(expected_version) + ": someone else changed it first");
    }
    CITYGRID_RETURN_IF_ERROR(CheckCounters(counters));

    std::string prev_hash = s_->log[stored.events.back()].hash;
    for (size_t i = 0; i < events.size(); ++i) {
      CaseEvent& e = events[i];
      e.case_id = case_id;
      e.version = expected_version + 1 + static_cast<int64_t>(i);
      storage::SealEvent(e, prev_hash);
      prev_hash = e.hash;
      e.global_seq = static_cast<int64_t>(s_->log.size()) + 1;
      s_->Commit(stored, e);
    }
    Case row = next;
    row.id = case_id;
    row.number = stored.row.number;
    row.idempotency_key = stored.row.idempotency_key;
    stored.row = std::move(row);
    s_->ApplyCounters(counters);
    ++s_->committed_writes;
    return events;
  }

  Result<Case> LoadCase(int64_t case_id) override {
    std::lock_guard<std::mutex> lock(s_->mu);
    auto it = s_->cases.find(case_id);
    if (it == s_->cases.end()) {
      return NotFoundError("case id " + std::to_string(case_id) + " not found");
    }
    return it->second.row;
  }

  Result<Case> LoadCaseByNumber(const std::string& number) override {
    std::lock_guard<std::mutex> lock(s_->mu);
    auto it = s_->ids_by_number.find(number);
    if (it == s_->ids_by_number.end()) return NotFoundError("case " + number + " not found");
    return s_->cases.at(it->second).row;
  }

  Result<std::vector<CaseEvent>> LoadHistory(int64_t case_id) override {
    std::lock_guard<std::mutex> lock(s_->mu);
    auto it = s_->cases.find(case_id);
    if (it == s_->cases.end()) {
      return NotFoundError("case id " + std::to_string(case_id) + " not found");
    }
    std::vector<CaseEvent> out;
    out.reserve(it->second.events.size());
    for (size_t index : it->second.events) out.push_back(s_->log[index]);
    return out;
  }

  Result<storage::CasePage> QueryCases(const CaseQuery& query) override {
    CITYGRID_RETURN_IF_ERROR(storage::ValidateCaseQuery(query));
    std::optional<storage::CaseSortKey> after;
    if (!query.cursor.empty()) {
      CITYGRID_ASSIGN_OR_RETURN(after, storage::DecodeCaseCursor(query.cursor, query.sort));
    }
    // (sort key, row) of every match after the cursor, then the first `limit` in order.
    std::vector<std::pair<storage::CaseSortKey, const Case*>> hits;
    storage::CasePage page;
    std::lock_guard<std::mutex> lock(s_->mu);
    for (const auto& [id, stored] : s_->cases) {
      if (!storage::MatchesCaseQuery(stored.row, query)) continue;
      storage::CaseSortKey key = storage::SortKeyOf(stored.row, query.sort);
      if (after && !storage::SortsBefore(*after, key, query.sort)) continue;
      hits.emplace_back(key, &stored.row);
    }
    auto before = [&](const auto& a, const auto& b) {
      return storage::SortsBefore(a.first, b.first, query.sort);
    };
    const size_t limit = static_cast<size_t>(query.limit);
    const size_t take = std::min(hits.size(), limit);
    std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(take), hits.end(),
                      before);
    for (size_t i = 0; i < take; ++i) page.cases.push_back(*hits[i].second);
    if (hits.size() > limit) {
      page.next_cursor = storage::EncodeCaseCursor(query.sort, hits[take - 1].first);
    }
    return page;
  }

  Result<int64_t> CountCases(const CaseQuery& query) override {
    CaseQuery filters = query;
    filters.cursor.clear();
    filters.limit = 1;
    CITYGRID_RETURN_IF_ERROR(storage::ValidateCaseQuery(filters));
    std::lock_guard<std::mutex> lock(s_->mu);
    int64_t n = 0;
    for (const auto& [id, stored] : s_->cases) {
      if (storage::MatchesCaseQuery(stored.row, filters)) ++n;
    }
    return n;
  }

  Result<std::vector<CaseEvent>> EventsAfter(int64_t after_seq, int limit) override {
    if (limit < 1 || limit > kMaxEventsPerPage) {
      return InvalidArgumentError("limit " + std::to_string(limit) + " is outside 1.." +
                                  std::to_string(kMaxEventsPerPage));
    }
    std::lock_guard<std::mutex> lock(s_->mu);
    std::vector<CaseEvent> out;
    const int64_t size = static_cast<int64_t>(s_->log.size());
    for (int64_t seq = std::max<int64_t>(after_seq, 0) + 1;
         seq <= size && static_cast<int>(out.size()) < limit; ++seq) {
      out.push_back(s_->log[static_cast<size_t>(seq - 1)]);
    }
    return out;
  }

  Result<int64_t> LastGlobalSeq() override {
    std::lock_guard<std::mutex> lock(s_->mu);
    return static_cast<int64_t>(s_->log.size());
  }

  Result<std::vector<CounterDelta>> ReadCounters(const std::string& prefix) override {
    std::lock_guard<std::mutex> lock(s_->mu);
    std::vector<CounterDelta> out;
    for (auto it = s_->counters.lower_bound(prefix);
         it != s_->counters.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      out.push_back(CounterDelta{it->first, it->second});
    }
    return out;
  }

 private:
  std::shared_ptr<State> s_;
};

// ---- documents ----------------------------------------------------------------------------------

class MemoryStore::Documents final : public storage::DocumentStore {
 public:
  explicit Documents(std::shared_ptr<State> state) : s_(std::move(state)) {}

  Result<Document> Put(const std::string& kind, const std::string& key, const std::string& json,
                       int64_t expected_version) override {
    if (kind.empty() || key.empty()) {
      return InvalidArgumentError("document kind and key are required");
    }
    if (expected_version < -1) {
      return InvalidArgumentError("expected_version " + std::to_string(expected_version) +
                                  " is not -1, 0 or a version");
    }
    std::lock_guard<std::mutex> lock(s_->mu);
    CITYGRID_RETURN_IF_ERROR(s_->TakeInjectedFailure());
    auto& of_kind = s_->documents[kind];
    auto it = of_kind.find(key);
    const int64_t stored = it == of_kind.end() ? 0 : it->second.version;
    if (expected_version == 0 && stored != 0) {
      return AlreadyExistsError(Describe(kind, key) + " already exists (version " +
                                std::to_string(stored) + ")");
    }
    if (expected_version > 0 && stored == 0) {
      return NotFoundError(Describe(kind, key) + " not found");
    }
    if (expected_version > 0 && stored != expected_version) {
      return AbortedError(Describe(kind, key) + " is at version " + std::to_string(stored) +
                          ", not " + std::to_string(expected_version));
    }
    Document doc{kind, key, json, stored + 1};
    of_kind[key] = doc;
    ++s_->committed_writes;
    return doc;
  }

  Result<Document> Get(const std::string& kind, const std::string& key) override {
    std::lock_guard<std::mutex> lock(s_->mu);
    auto k = s_->documents.find(kind);
    if (k != s_->documents.end()) {
      if (auto it = k->second.find(key); it != k->second.end()) return it->second;
    }
    return NotFoundError(Describe(kind, key) + " not found");
  }

  Result<std::vector<Document>> List(const std::string& kind) override {
    std::lock_guard<std::mutex> lock(s_->mu);
    std::vector<Document> out;
    if (auto k = s_->documents.find(kind); k != s_->documents.end()) {
      for (const auto& [key, doc] : k->second) out.push_back(doc);  // std::map: bytewise order
    }
    return out;
  }

  Status Delete(const std::string& kind, const std::string& key) override {
    std::lock_guard<std::mutex> lock(s_->mu);
    CITYGRID_RETURN_IF_ERROR(s_->TakeInjectedFailure());
    auto k = s_->documents.find(kind);
    if (k == s_->documents.end() || k->second.erase(key) == 0) {
      return NotFoundError(Describe(kind, key) + " not found");
    }
    ++s_->committed_writes;
    return OkStatus();
  }

 private:
  std::shared_ptr<State> s_;
};

// ---- media --------------------------------------------------------------------------------------

class MemoryStore::Media final : public storage::MediaStore {
 public:
  explicit Media(std::shared_ptr<State> state) : s_(std::move(state)) {}

  Result<std::string> Put(const std::string& bytes) override {
    std::string hash = storage::Sha256Hex(bytes);  // outside the lock: hashing may take a while
    std::lock_guard<std::mutex> lock(s_->mu);
    CITYGRID_RETURN_IF_ERROR(s_->TakeInjectedFailure());
    s_->media.try_emplace(hash, bytes);
    ++s_->committed_writes;
    return hash;
  }

  Result<std::string> Get(const std::string& hash) override {
    if (!IsHexSha256(hash)) {
      return InvalidArgumentError("media hash '" + hash.substr(0, 80) +
                                  "' is not 64 lowercase hex digits");
    }
    std::lock_guard<std::mutex> lock(s_->mu);
    auto it = s_->media.find(hash);
    if (it == s_->media.end()) return NotFoundError("media " + hash + " not found");
    return it->second;
  }

 private:
  std::shared_ptr<State> s_;
};

// ---- ledgers ------------------------------------------------------------------------------------

class MemoryStore::Ledgers final : public storage::LedgerStore {
 public:
  explicit Ledgers(std::shared_ptr<State> state) : s_(std::move(state)) {}

  Result<std::vector<LedgerEvent>> Write(const std::string& ledger_id,
                                         std::vector<storage::LedgerRowWrite> writes) override {
    CITYGRID_RETURN_IF_ERROR(storage::CheckLedgerWrites(ledger_id, writes));
    std::lock_guard<std::mutex> lock(s_->mu);
    CITYGRID_RETURN_IF_ERROR(s_->TakeInjectedFailure());
    // Validate everything first: all or nothing.
    std::vector<std::string> prev_hashes;
    for (const storage::LedgerRowWrite& w : writes) {
      const std::string what = "ledger " + ledger_id + " row " + w.next.key;
      auto it = s_->ledger_rows.find({ledger_id, w.next.key});
      const int64_t current = it == s_->ledger_rows.end() ? 0 : it->second.version;
      if (w.expected_version == 0 && current != 0) {
        return AlreadyExistsError(what + " already exists (version " + std::to_string(current) +
                                  ")");
      }
      if (w.expected_version > 0 && current == 0) return NotFoundError(what + " not found");
      if (w.expected_version > 0 && current != w.expected_version) {
        return AbortedError(what + " is at version " + std::to_string(current) + ", not " +
                            std::to_string(w.expected_version) +
                            ": someone else changed it first");
      }
      std::string prev;
      if (current > 0) {
        for (auto e = s_->ledger_log.rbegin(); e != s_->ledger_log.rend(); ++e) {
          if (e->ledger_id == ledger_id && e->row_key == w.next.key && e->version == current) {
            prev = e->hash;
            break;
          }
        }
      }
      prev_hashes.push_back(prev);
    }
    std::vector<LedgerEvent> stored;
    for (size_t i = 0; i < writes.size(); ++i) {
      storage::LedgerRowWrite& w = writes[i];
      w.next.ledger_id = ledger_id;
      std::string prev = prev_hashes[i];
      int64_t version = w.expected_version;
      for (LedgerEvent& e : w.events) {
        e.ledger_id = ledger_id;
        e.row_key = w.next.key;
        e.version = ++version;
        e.seq = static_cast<int64_t>(s_->ledger_log.size()) + 1;
        storage::SealLedgerEvent(e, prev);
        prev = e.hash;
        s_->ledger_log.push_back(e);
        stored.push_back(e);
      }
      s_->ledger_rows[{ledger_id, w.next.key}] = w.next;
    }
    ++s_->committed_writes;
    return stored;
  }

  Result<LedgerRow> LoadRow(const std::string& ledger_id, const std::string& row_key) override {
    std::lock_guard<std::mutex> lock(s_->mu);
    auto it = s_->ledger_rows.find({ledger_id, row_key});
    if (it == s_->ledger_rows.end()) {
      return NotFoundError("ledger " + ledger_id + " has no row " + row_key);
    }
    return it->second;
  }

  Result<std::vector<LedgerRow>> ListRows(const std::string& ledger_id) override {
    std::lock_guard<std::mutex> lock(s_->mu);
    std::vector<LedgerRow> out;
    for (auto it = s_->ledger_rows.lower_bound({ledger_id, ""});
         it != s_->ledger_rows.end() && it->first.first == ledger_id; ++it) {
      out.push_back(it->second);
    }
    return out;
  }

  Result<std::vector<LedgerEvent>> LoadRowHistory(const std::string& ledger_id,
                                                  const std::string& row_key) override {
    std::lock_guard<std::mutex> lock(s_->mu);
    std::vector<LedgerEvent> out;
    for (const LedgerEvent& e : s_->ledger_log) {
      if (e.ledger_id == ledger_id && e.row_key == row_key) out.push_back(e);
    }
    return out;
  }

  Result<std::vector<LedgerEvent>> LoadLedgerEvents(const std::string& ledger_id) override {
    std::lock_guard<std::mutex> lock(s_->mu);
    std::vector<LedgerEvent> out;
    for (const LedgerEvent& e : s_->ledger_log) {
      if (e.ledger_id == ledger_id) out.push_back(e);
    }
    return out;
  }

 private:
  std::shared_ptr<State> s_;
};

// ---- the store ----------------------------------------------------------------------------------

MemoryStore::MemoryStore()
    : state_(std::make_shared<State>()),
      cases_(std::make_unique<Cases>(state_)),
      documents_(std::make_unique<Documents>(state_)),
      media_(std::make_unique<Media>(state_)),
      ledgers_(std::make_unique<Ledgers>(state_)) {}

MemoryStore::~MemoryStore() = default;

storage::CaseStore& MemoryStore::cases() { return *cases_; }
storage::DocumentStore& MemoryStore::documents() { return *documents_; }
storage::MediaStore& MemoryStore::media() { return *media_; }
storage::LedgerStore& MemoryStore::ledgers() { return *ledgers_; }

void MemoryStore::FailNextWrites(Status status, int count) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->injected_failure = std::move(status);
  state_->injected_failures_left = state_->injected_failure.ok() ? 0 : std::max(count, 0);
}

int64_t MemoryStore::committed_writes() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->committed_writes;
}

Status MemoryStore::TamperWithEvent(int64_t case_id, int64_t version,
                                    const std::function<void(CaseEvent&)>& edit) {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->cases.find(case_id);
  if (it == state_->cases.end() || version < 1 ||
      version > static_cast<int64_t>(it->second.events.size())) {
    return NotFoundError("no event version " + std::to_string(version) + " of case id " +
                         std::to_string(case_id));
  }
  edit(state_->log[it->second.events[static_cast<size_t>(version - 1)]]);
  return OkStatus();
}

Status MemoryStore::TamperWithLedgerEvent(const std::string& ledger_id, const std::string& row_key,
                                          int64_t version,
                                          const std::function<void(LedgerEvent&)>& edit) {
  std::lock_guard<std::mutex> lock(state_->mu);
  for (LedgerEvent& e : state_->ledger_log) {
    if (e.ledger_id == ledger_id && e.row_key == row_key && e.version == version) {
      edit(e);
      return OkStatus();
    }
  }
  return NotFoundError("no event version " + std::to_string(version) + " of ledger " +
                       ledger_id + " row " + row_key);
}

std::unique_ptr<storage::Store> MakeMemoryStore() { return std::make_unique<MemoryStore>(); }

}  // namespace citygrid::testing
