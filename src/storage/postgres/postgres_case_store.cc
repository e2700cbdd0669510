#include "postgres_case_store.h"

#include <poll.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>

#include "citygrid/common/case_number.h"
#include "citygrid/common/thread_name.h"
#include "citygrid/storage/audit_chain.h"
#include "citygrid/storage/case_codec.h"
#include "citygrid/storage/case_query.h"
#include "pg_codec.h"

namespace citygrid::storage::postgres {
namespace {

constexpr size_t kMaxBatchRequests = 256;
constexpr int kMaxBatchAttempts = 4;
constexpr size_t kEventsPerInsert = 500;  // 14 parameters each, far below libpq's 65535
constexpr char kChannel[] = "citygrid_events";

constexpr int kMaxEventsPerPage = 10000;

// Binds the case-row columns as "$n::type, ..." for INSERT ... SELECT.
std::string CaseRowPlaceholders(PgParams& params, const Case& c) {
  size_t first = params.size() + 1;
  AddCaseRow(params, c);
  std::string out;
  for (int i = 0; i < kCaseRowColumnCount; ++i) {
    if (i > 0) out += ", ";
    out += "$" + std::to_string(first + i) + "::" + kCaseRowColumnTypes[i];
  }
  return out;
}

std::string CaseRowColumnList() {
  std::string out;
  for (int i = 0; i < kCaseRowColumnCount; ++i) {
    if (i > 0) out += ", ";
    out += kCaseRowColumns[i];
  }
  return out;
}

Status CheckCounters(const std::vector<CounterDelta>& counters) {
  for (const CounterDelta& d : counters) {
    if (d.key.empty()) return InvalidArgumentError("a counter delta has an empty key");
  }
  return OkStatus();
}

Status Rollback(PgConnection& conn) {
  if (PQtransactionStatus(conn.raw()) == PQTRANS_IDLE) return OkStatus();
  return conn.Exec("ROLLBACK").status();
}

}  // namespace

struct PostgresCaseStore::WriteRequest {
  enum class Kind { kCreate, kAppend } kind = Kind::kAppend;
  // Inputs (owned by the submitting thread, alive until done).
  const NewCase* new_case = nullptr;
  int64_t case_id = 0;
  int64_t expected_version = 0;
  const std::vector<CaseEvent>* events = nullptr;
  const Case* next = nullptr;
  const std::vector<CounterDelta>* counters = nullptr;
  // Outputs, reset by every attempt.
  Status status;
  bool applies = false;  // wrote something: its counters and events join the batch
  CreateResult created;
  std::vector<CaseEvent> stored;
  // Set by the batch's leader under queue_mu_.
  bool done = false;
};

Result<std::unique_ptr<PostgresCaseStore>> PostgresCaseStore::Open(PgPool& pool) {
  auto store = std::unique_ptr<PostgresCaseStore>(new PostgresCaseStore(pool));
  CITYGRID_ASSIGN_OR_RETURN(store->writer_, PgConnection::Connect(pool.dsn()));
  CITYGRID_ASSIGN_OR_RETURN(int64_t last, store->LastGlobalSeq());
  store->known_seq_ = last;
  store->listener_ = std::thread([s = store.get()] { s->ListenerLoop(); });
  return store;
}

PostgresCaseStore::~PostgresCaseStore() {
  {
    std::lock_guard lock(async_mu_);
    async_stop_ = true;
  }
  async_cv_.notify_all();
  for (std::thread& t : async_writers_) t.join();  // after every queued create completed
  {
    std::lock_guard lock(seq_mu_);
    listener_stop_ = true;
  }
  seq_cv_.notify_all();
  if (listener_.joinable()) listener_.join();
}

// ---------------------------------------------------------------------------------------------
// Writes

Result<CreateResult> PostgresCaseStore::CreateCase(const NewCase& new_case,
                                                   const std::vector<CounterDelta>& counters) {
  if (new_case.created.type != EventType::kCreated) {
    return InvalidArgumentError("the first event of a case must be 'created', not '" +
                                std::string(Name(new_case.created.type)) + "'");
  }
  if (!new_case.idempotency_key.empty() && new_case.idempotency_key.size() > 200) {
    return InvalidArgumentError("idempotency key is " +
                                std::to_string(new_case.idempotency_key.size()) +
                                " bytes; at most 200 are allowed");
  }
  CITYGRID_RETURN_IF_ERROR(CheckCounters(counters));
  WriteRequest request;
  request.kind = WriteRequest::Kind::kCreate;
  request.new_case = &new_case;
  request.counters = &counters;
  CITYGRID_RETURN_IF_ERROR(Submit(request));
  if (request.created.created && !request.stored.empty()) {
    request.created.created_seq = request.stored.front().global_seq;
  }
  return std::move(request.created);
}

void PostgresCaseStore::CreateCaseAsync(NewCase new_case, std::vector<CounterDelta> counters,
                                        CreateDone done) {
  auto job = [this, new_case = std::move(new_case), counters = std::move(counters),
              done = std::move(done)] { done(CreateCase(new_case, counters)); };
  bool wake = false;
  {
    std::lock_guard lock(async_mu_);
    async_jobs_.push_back(std::move(job));
    // More jobs waiting than idle writers to take them: one more writer, up to the limit.
    if (async_jobs_.size() > async_idle_ && async_writers_.size() < kMaxAsyncWriters) {
      async_writers_.emplace_back([this] { AsyncWriterLoop(); });
    }
    wake = async_idle_ > 0;
  }
  if (wake) async_cv_.notify_one();
}

void PostgresCaseStore::AsyncWriterLoop() {
  NameThisThread("cg-pg-writer");
  std::unique_lock lock(async_mu_);
  for (;;) {
    while (async_jobs_.empty() && !async_stop_) {
      ++async_idle_;
      async_cv_.wait(lock);
      --async_idle_;
    }
    if (async_jobs_.empty()) return;  // stopping, and every queued job ran
    std::function<void()> job = std::move(async_jobs_.front());
    async_jobs_.pop_front();
    lock.unlock();
    job();
    job = nullptr;  // what it holds goes before the next wait
    lock.lock();
  }
}

Result<std::vector<CaseEvent>> PostgresCaseStore::Append(
    int64_t case_id, int64_t expected_version, std::vector<CaseEvent> events, const Case& next,
    const std::vector<CounterDelta>& counters) {
  if (events.empty()) return InvalidArgumentError("append to case " + std::to_string(case_id) +
                                                  ": no events");
  if (expected_version < 1) {
    return InvalidArgumentError("append to case " + std::to_string(case_id) +
                                ": expected version " + std::to_string(expected_version) +
                                " is not a version (versions start at 1)");
  }
  const int64_t want = expected_version + static_cast<int64_t>(events.size());
  if (next.version != want) {
    return InvalidArgumentError("append to case " + std::to_string(case_id) + ": next.version " +
                                std::to_string(next.version) + " should be " +
                                std::to_string(want) + " (expected version " +
                                std::to_string(expected_version) + " + " +
                                std::to_string(events.size()) + " events)");
  }
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].type == EventType::kCreated) {
      return InvalidArgumentError("append to case " + std::to_string(case_id) + ": event " +
                                  std::to_string(i) + " is 'created'; only CreateCase adds it");
    }
  }
  CITYGRID_RETURN_IF_ERROR(CheckCounters(counters));
  WriteRequest request;
  request.kind = WriteRequest::Kind::kAppend;
  request.case_id = case_id;
  request.expected_version = expected_version;
  request.events = &events;
  request.next = &next;
  request.counters = &counters;
  CITYGRID_RETURN_IF_ERROR(Submit(request));
  return std::move(request.stored);
}

// Group commit without a committer thread (as LevelDB's writer queue): requests queue up; the
// one at the front leads, running itself and everything queued behind it (up to a batch) in one
// transaction, while the rest wait. When it is done, the next request at the front leads. A
// lone writer thus talks to the server from its own thread, with no hand-off.
Status PostgresCaseStore::Submit(WriteRequest& request) {
  std::unique_lock lock(queue_mu_);
  queue_.push_back(&request);
  done_cv_.wait(lock, [&] { return request.done || queue_.front() == &request; });
  if (request.done) return request.status;
  const size_t n = std::min(queue_.size(), kMaxBatchRequests);
  std::vector<WriteRequest*> batch(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
  lock.unlock();
  {
    GroupCommitCounter::Timer timed(commits_, batch.size());
    ProcessBatch(batch);
  }
  lock.lock();
  for (WriteRequest* r : batch) {
    queue_.pop_front();
    r->done = true;
  }
  done_cv_.notify_all();
  return request.status;
}

void PostgresCaseStore::ProcessBatch(const std::vector<WriteRequest*>& batch) {
  auto fail_all = [&](const Status& s) {
    for (WriteRequest* r : batch) r->status = s;
  };
  Status last;
  for (int attempt = 0; attempt < kMaxBatchAttempts; ++attempt) {
    if (writer_ != nullptr && !writer_->CheckAlive()) writer_.reset();
    if (writer_ == nullptr) {
      Result<std::unique_ptr<PgConnection>> conn = PgConnection::Connect(pool_.dsn());
      if (!conn.ok()) return fail_all(conn.status());
      writer_ = std::move(conn).value();
    }
    bool commit_unknown = false;
    last = RunBatch(*writer_, batch, commit_unknown);
    if (last.ok()) return;
    if (writer_->Broken() || !Rollback(*writer_).ok()) writer_.reset();
    if (commit_unknown) {
      // The COMMIT may or may not have happened: retrying could apply a batch twice.
      return fail_all(UnavailableError("the outcome of the write is unknown: " + last.message()));
    }
    // A deadlock, a serialization failure, or a connection lost before COMMIT (the server
    // rolled the transaction back): the batch can run again from the start.
    if (!IsRetryable(last) && last.code() != StatusCode::kUnavailable) break;
  }
  if (batch.size() > 1 && last.code() != StatusCode::kUnavailable) {
    // One request broke the batch; run each alone so only that one fails.
    for (WriteRequest* r : batch) ProcessBatch({r});
    return;
  }
  fail_all(last);
}

// A batch is three pipelines, each one round trip:
//   A   BEGIN, then each request's statement: the guarded UPDATE of an append, the whole
//       INSERT chain of an unkeyed create, or the claim of a keyed create's idempotency key;
//   A2  (keyed creates only) the INSERT chain of each claimed key, or the lookup of a used one;
//   B   the batch's counters in key order, the log head's UPDATE (its row lock orders commits
//       and NOTIFY announces them), the events numbered from it, COMMIT.
// Hashes are computed between the pipelines, from the previous hashes A returned.
Status PostgresCaseStore::RunBatch(PgConnection& conn, const std::vector<WriteRequest*>& batch,
                                   bool& commit_unknown) {
  PendingTips tips;
  std::vector<PgStatement> a;
  a.reserve(batch.size() + 1);
  a.push_back({"BEGIN", {}});
  for (WriteRequest* r : batch) {
    r->status = OkStatus();
    r->applies = false;
    r->stored.clear();
    if (r->kind == WriteRequest::Kind::kAppend) {
      a.push_back(AppendStatement(*r));
    } else if (r->new_case->idempotency_key.empty()) {
      a.push_back(CreateStatement(*r));
    } else {
      a.push_back(ClaimStatement(*r));
    }
  }
  CITYGRID_ASSIGN_OR_RETURN(std::vector<Result<PgResult>> ra, conn.ExecPipeline(a));
  for (const Result<PgResult>& res : ra) CITYGRID_RETURN_IF_ERROR(res);

  std::vector<PgStatement> a2;
  std::vector<std::pair<WriteRequest*, bool>> a2_for;  // (request, claimed)
  for (size_t i = 0; i < batch.size(); ++i) {
    WriteRequest& r = *batch[i];
    const PgResult& res = *ra[i + 1];
    if (r.kind == WriteRequest::Kind::kAppend) {
      CITYGRID_RETURN_IF_ERROR(FinishAppend(r, res, tips));
    } else if (r.new_case->idempotency_key.empty()) {
      CITYGRID_RETURN_IF_ERROR(FinishCreate(r, res, tips));
    } else {
      const bool claimed = res.rows() == 1;
      a2.push_back(claimed ? CreateStatement(r) : LookupStatement(r));
      a2_for.push_back({&r, claimed});
    }
  }
  if (!a2.empty()) {
    CITYGRID_ASSIGN_OR_RETURN(std::vector<Result<PgResult>> r2, conn.ExecPipeline(a2));
    for (const Result<PgResult>& res : r2) CITYGRID_RETURN_IF_ERROR(res);
    for (size_t i = 0; i < a2_for.size(); ++i) {
      auto [r, claimed] = a2_for[i];
      CITYGRID_RETURN_IF_ERROR(claimed ? FinishCreate(*r, *r2[i], tips)
                                       : FinishLookup(*r, *r2[i]));
    }
  }

  // Counters of the whole batch in key order, so two batches never wait on each other's
  // counters in opposite orders.
  std::map<std::string, int64_t> deltas;
  std::vector<CaseEvent*> events;
  for (WriteRequest* r : batch) {
    if (!r->applies) continue;
    for (const CounterDelta& d : *r->counters) deltas[d.key] += d.delta;
    for (CaseEvent& e : r->stored) events.push_back(&e);
  }
  std::vector<PgStatement> b;
  if (!deltas.empty()) {
    PgStatement st;
    st.sql = "INSERT INTO counters (key, value) VALUES ";
    bool first = true;
    for (const auto& [key, delta] : deltas) {
      if (!first) st.sql += ", ";
      first = false;
      st.sql += "(" + st.params.Next() + "::text, ";
      st.params.Add(key);
      st.sql += st.params.Next() + "::bigint)";
      st.params.Add(delta);
    }
    st.sql += " ON CONFLICT (key) DO UPDATE SET value = counters.value + EXCLUDED.value";
    b.push_back(std::move(st));
  }
  const int64_t n = static_cast<int64_t>(events.size());
  size_t head_index = 0;
  if (n > 0) {
    // From here to COMMIT this transaction holds the log head's row lock: the next batch (of
    // any node) numbers its events only after this one is visible, so global_seq order is
    // commit order. The events read their numbers from the row this transaction updated.
    head_index = b.size();
    PgStatement head;
    head.sql = std::string(
                   "WITH h AS (UPDATE event_log_head SET last_seq = last_seq + $1::bigint"
                   " WHERE id = 1 RETURNING last_seq)"
                   " SELECT last_seq, pg_notify('") +
               kChannel + "', last_seq::text) FROM h";
    head.params.Add(n);
    b.push_back(std::move(head));
    for (size_t from = 0; from < events.size(); from += kEventsPerInsert) {
      const size_t to = std::min(events.size(), from + kEventsPerInsert);
      PgStatement st;
      st.params.Add(n);
      st.sql = "INSERT INTO events (" + std::string(kEventColumns) +
               ") SELECT h.last_seq - $1 + v.ord, v.case_id, v.version, v.type, v.action,"
               " v.actor_user, v.actor_role, v.actor_unit, v.at, v.note, v.photos,"
               " v.payload_json, v.prev_hash, v.hash FROM event_log_head h, (VALUES ";
      for (size_t i = from; i < to; ++i) {
        const CaseEvent& e = *events[i];
        const size_t base = st.params.size();
        auto ph = [&](int k, const char* type) {
          return "$" + std::to_string(base + k) + "::" + type;
        };
        if (i > from) st.sql += ", ";
        st.sql += "(" + ph(1, "bigint") + "," + ph(2, "bigint") + "," + ph(3, "bigint") + "," +
                  ph(4, "text") + "," + ph(5, "text") + "," + ph(6, "text") + "," +
                  ph(7, "text") + "," + ph(8, "text") + "," + ph(9, "bigint") + "," +
                  ph(10, "text") + "," + ph(11, "bytea") + "," + ph(12, "text") + "," +
                  ph(13, "text") + "," + ph(14, "text") + ")";
        st.params.Add(static_cast<int64_t>(i + 1))
            .Add(e.case_id)
            .Add(e.version)
            .Add(Name(e.type))
            .Add(e.action ? Name(*e.action) : std::string_view())
            .Add(e.actor.user)
            .Add(Name(e.actor.role))
            .Add(e.actor.unit)
            .Add(ToUnixMillis(e.at))
            .Add(e.note)
            .Add(ByteaLiteral(EncodeStringList(e.photos)))
            .Add(e.payload_json)
            .Add(e.prev_hash)
            .Add(e.hash);
      }
      st.sql +=
          ") AS v (ord, case_id, version, type, action, actor_user, actor_role, actor_unit, at,"
          " note, photos, payload_json, prev_hash, hash) WHERE h.id = 1";
      b.push_back(std::move(st));
    }
  }
  b.push_back({"COMMIT", {}});

  Result<std::vector<Result<PgResult>>> rb = conn.ExecPipeline(b);
  if (!rb.ok()) {
    commit_unknown = true;  // the connection failed; COMMIT may have been executed
    return rb.status();
  }
  for (size_t i = 0; i + 1 < rb->size(); ++i) CITYGRID_RETURN_IF_ERROR((*rb)[i]);
  const Result<PgResult>& committed = rb->back();
  if (!committed.ok()) {
    commit_unknown = committed.status().code() == StatusCode::kUnavailable;
    return committed.status();
  }
  if (n > 0) {
    const int64_t last_seq = (*rb)[head_index]->Int(0, 0);
    int64_t seq = last_seq - n;
    for (CaseEvent* e : events) e->global_seq = ++seq;
    PublishSeq(last_seq);
  }
  return OkStatus();
}

PgStatement PostgresCaseStore::ClaimStatement(const WriteRequest& r) {
  // A key used before (or earlier in this batch) inserts nothing. ON CONFLICT waits for a
  // concurrent claimer to finish, so the lookup that follows sees its row.
  PgStatement st;
  st.sql =
      "INSERT INTO idempotency_keys (key, fingerprint, case_id) VALUES ($1, $2, 0)"
      " ON CONFLICT (key) DO NOTHING RETURNING 1";
  st.params.Add(r.new_case->idempotency_key).Add(r.new_case->request_fingerprint);
  return st;
}

PgStatement PostgresCaseStore::LookupStatement(const WriteRequest& r) {
  PgStatement st;
  st.sql =
      "SELECT k.fingerprint, c.id, c.number, c.version, c.idempotency_key, c.body"
      " FROM idempotency_keys k LEFT JOIN cases c ON c.id = k.case_id WHERE k.key = $1";
  st.params.Add(r.new_case->idempotency_key);
  return st;
}

PgStatement PostgresCaseStore::CreateStatement(const WriteRequest& r) {
  const NewCase& nc = *r.new_case;
  const std::string& key = nc.idempotency_key;
  Case c = nc.initial;
  c.version = 1;
  c.idempotency_key = key;
  const std::chrono::year_month_day day = CaseNumberDay(c.created_at);
  std::string prefix = CaseNumber{day, 1}.ToString();
  prefix.resize(prefix.find('-') + 1);  // "20200412-"

  // The day's number row is locked before the id is drawn, so a day's numbers follow id order
  // even across nodes.
  PgStatement st;
  st.params.Add(FormatDate(day)).Add(prefix).Add(key);
  st.sql =
      "WITH n AS (INSERT INTO case_number_days (day, last_seq) VALUES ($1, 1)"
      " ON CONFLICT (day) DO UPDATE SET last_seq = case_number_days.last_seq + 1"
      " RETURNING last_seq), "
      "c AS (INSERT INTO cases (id, number, idempotency_key, " +
      CaseRowColumnList() +
      ") SELECT nextval('case_ids'), $2::text || CASE WHEN n.last_seq < 1000000"
      " THEN lpad(n.last_seq::text, 6, '0') ELSE n.last_seq::text END, $3::text, " +
      CaseRowPlaceholders(st.params, c) + " FROM n RETURNING id, number)";
  if (key.empty()) {
    st.sql += " SELECT id, number FROM c";
  } else {
    // The key row was inserted by the claim, an earlier statement, so it can be updated here.
    st.sql +=
        ", k AS (UPDATE idempotency_keys SET case_id = c.id FROM c WHERE key = $3)"
        " SELECT id, number FROM c";
  }
  return st;
}

Status PostgresCaseStore::FinishCreate(WriteRequest& r, const PgResult& res, PendingTips& tips) {
  if (res.rows() != 1) return InternalError("creating a case inserted no row");
  const NewCase& nc = *r.new_case;
  Case c = nc.initial;
  c.version = 1;
  c.idempotency_key = nc.idempotency_key;
  c.id = res.Int(0, 0);
  c.number = res.String(0, 1);
  CaseEvent e = nc.created;
  e.case_id = c.id;
  e.version = 1;
  e.global_seq = 0;
  SealEvent(e, "");
  tips[c.id] = {1, e.hash};
  r.stored.push_back(std::move(e));
  r.created.created_case = std::move(c);
  r.created.created = true;
  r.applies = true;
  return OkStatus();
}

Status PostgresCaseStore::FinishLookup(WriteRequest& r, const PgResult& used) {
  const std::string& key = r.new_case->idempotency_key;
  if (used.rows() == 0 || used.IsNull(0, 1)) {
    // The claimer rolled back after our claim waited on it: run the batch again.
    return AbortedError("idempotency key '" + key + "' changed hands [SQLSTATE 40001]");
  }
  if (used.Text(0, 0) != r.new_case->request_fingerprint) {
    r.status = AlreadyExistsError("idempotency key '" + key +
                                  "' was already used for a different request (case id " +
                                  used.String(0, 1) + ")");
    return OkStatus();
  }
  CITYGRID_ASSIGN_OR_RETURN(r.created.created_case, DecodeCaseRow(used, 0, 1));
  r.created.created = false;
  return OkStatus();
}

PgStatement PostgresCaseStore::AppendStatement(const WriteRequest& r) {
  PgStatement st;
  st.params.Add(r.case_id).Add(r.expected_version);
  std::string sets;
  const size_t first = st.params.size() + 1;
  AddCaseRow(st.params, *r.next);
  for (int i = 0; i < kCaseRowColumnCount; ++i) {
    if (i > 0) sets += ", ";
    sets += std::string(kCaseRowColumns[i]) + " = $" + std::to_string(first + i);
  }
  // A stale version matches no row instead of raising an error, so the batch goes on. Under
  // READ COMMITTED an UPDATE that waited for a concurrent writer re-checks the version on the
  // row that writer committed: of two appends with the same expected version, one wins.
  st.sql = "WITH u AS (UPDATE cases SET " + sets +
           " WHERE id = $1 AND version = $2 RETURNING 1)"
           " SELECT (SELECT count(*) FROM u),"
           " (SELECT hash FROM events WHERE case_id = $1 AND version = $2),"
           " (SELECT version FROM cases WHERE id = $1)";
  return st;
}

Status PostgresCaseStore::FinishAppend(WriteRequest& r, const PgResult& res, PendingTips& tips) {
  const std::string id = std::to_string(r.case_id);
  if (res.Int(0, 0) == 0) {
    if (res.IsNull(0, 2)) {
      r.status = NotFoundError("case id " + id + " not found");
    } else {
      const int64_t found = res.Int(0, 2);
      r.status = AbortedError(
          "case id " + id + " is no longer at version " + std::to_string(r.expected_version) +
          (found != r.expected_version ? " (it is at " + std::to_string(found) + ")"
                                       : std::string()) +
          ": someone else changed it first");
    }
    return OkStatus();
  }
  std::string prev;
  if (auto it = tips.find(r.case_id); it != tips.end()) {
    // An earlier request of this batch appended to the same case: its events are not in the
    // table yet.
    if (it->second.first != r.expected_version) {
      return InternalError("case id " + id + ": batch tip is version " +
                           std::to_string(it->second.first) + ", expected " +
                           std::to_string(r.expected_version));
    }
    prev = it->second.second;
  } else if (res.IsNull(0, 1)) {
    return InternalError("case id " + id + " has no event version " +
                         std::to_string(r.expected_version));
  } else {
    prev = res.String(0, 1);
  }
  r.stored = *r.events;
  int64_t version = r.expected_version;
  for (CaseEvent& e : r.stored) {
    e.case_id = r.case_id;
    e.version = ++version;
    e.global_seq = 0;
    SealEvent(e, prev);
    prev = e.hash;
  }
  tips[r.case_id] = {version, prev};
  r.applies = true;
  return OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Reads

Result<Case> PostgresCaseStore::LoadCase(int64_t case_id) {
  CITYGRID_ASSIGN_OR_RETURN(
      PgResult r, pool_.Exec("SELECT " + std::string(kCaseSelect) + " FROM cases WHERE id = $1",
                             PgParams().Add(case_id)));
  if (r.rows() == 0) return NotFoundError("case id " + std::to_string(case_id) + " not found");
  return DecodeCaseRow(r, 0);
}

Result<Case> PostgresCaseStore::LoadCaseByNumber(const std::string& number) {
  CITYGRID_ASSIGN_OR_RETURN(
      PgResult r,
      pool_.Exec("SELECT " + std::string(kCaseSelect) + " FROM cases WHERE number = $1",
                 PgParams().Add(number)));
  if (r.rows() == 0) return NotFoundError("case " + number + " not found");
  return DecodeCaseRow(r, 0);
}

Result<std::vector<CaseEvent>> PostgresCaseStore::LoadHistory(int64_t case_id) {
  CITYGRID_ASSIGN_OR_RETURN(
      PgResult r, pool_.Exec("SELECT " + std::string(kEventColumns) +
                                 " FROM events WHERE case_id = $1 ORDER BY version",
                             PgParams().Add(case_id)));
  // Every case has its 'created' event, so no events means no case.
  if (r.rows() == 0) return NotFoundError("case id " + std::to_string(case_id) + " not found");
  std::vector<CaseEvent> events;
  events.reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) {
    CITYGRID_ASSIGN_OR_RETURN(CaseEvent e, DecodeEvent(r, i));
    events.push_back(std::move(e));
  }
  return events;
}

namespace {

const char* SortColumn(CaseSort sort) {
  switch (sort) {
    case CaseSort::kCreatedDesc:
    case CaseSort::kCreatedAsc:
      return "created_at";
    case CaseSort::kDeadlineAsc:
      return "deadline_key";
    case CaseSort::kUpdatedDesc:
      return "updated_at";
  }
  return "created_at";
}

// The WHERE clause (without the keyword; "TRUE" when unfiltered) for the filters of `q`,
// following storage/case_query.h.
std::string WhereClause(const CaseQuery& q, PgParams& p) {
  std::vector<std::string> terms;
  auto add = [&](std::string condition_head, auto value, const char* type) {
    terms.push_back(std::move(condition_head) + p.Next() + "::" + type);
    p.Add(value);
  };
  if (!q.states.empty()) {
    std::string in = "state IN (";
    for (size_t i = 0; i < q.states.size(); ++i) {
      if (i > 0) in += ", ";
      in += p.Next();
      p.Add(Name(q.states[i]));
    }
    terms.push_back(in + ")");
  }
  if (!q.category.empty()) add("category = ", q.category, "text");
  if (!q.unit.empty()) add("unit = ", q.unit, "text");
  if (!q.district.empty()) add("district = ", q.district, "text");
  if (!q.subdistrict.empty()) add("subdistrict = ", q.subdistrict, "text");
  if (!q.community.empty()) add("community = ", q.community, "text");
  if (!q.grid.empty()) add("grid = ", q.grid, "text");
  if (q.channel) add("channel = ", Name(*q.channel), "text");
  if (q.created_from) add("created_at >= ", ToUnixMillis(*q.created_from), "bigint");
  if (q.created_to) add("created_at < ", ToUnixMillis(*q.created_to), "bigint");
  if (q.overdue) add("overdue = ", *q.overdue, "bool");
  if (q.deadline_before) add("deadline_key < ", ToUnixMillis(*q.deadline_before), "bigint");
  if (q.bbox) {
    add("lon >= ", q.bbox->min_lon, "float8");
    add("lon <= ", q.bbox->max_lon, "float8");
    add("lat >= ", q.bbox->min_lat, "float8");
    add("lat <= ", q.bbox->max_lat, "float8");
  }
  if (!q.text.empty()) {
    // strpos compares bytes of UTF-8 text: a case-sensitive substring test, no LIKE escaping.
    std::string n = p.Next();
    terms.push_back("(strpos(description, " + n + "::text) > 0 OR strpos(address, " + n +
                    "::text) > 0)");
    p.Add(q.text);
  }
  if (terms.empty()) return "TRUE";
  std::string out;
  for (size_t i = 0; i < terms.size(); ++i) {
    if (i > 0) out += " AND ";
    out += terms[i];
  }
  return out;
}

}  // namespace

Result<CasePage> PostgresCaseStore::QueryCases(const CaseQuery& q) {
  CITYGRID_RETURN_IF_ERROR(ValidateCaseQuery(q));
  PgParams p;
  std::string where = WhereClause(q, p);
  const char* column = SortColumn(q.sort);
  const bool desc = IsDescending(q.sort);
  if (!q.cursor.empty()) {
    CITYGRID_ASSIGN_OR_RETURN(CaseSortKey after, DecodeCaseCursor(q.cursor, q.sort));
    where += std::string(" AND (") + column + ", id) " + (desc ? "<" : ">") + " (" + p.Next() +
             "::bigint, ";
    p.Add(after.key);
    where += p.Next() + "::bigint)";
    p.Add(after.id);
  }
  const char* dir = desc ? " DESC" : " ASC";
  std::string sql = "SELECT " + std::string(kCaseSelect) + " FROM cases WHERE " + where +
                    " ORDER BY " + column + dir + ", id" + dir + " LIMIT " +
                    std::to_string(q.limit + 1);
  CITYGRID_ASSIGN_OR_RETURN(PgResult r, pool_.Exec(sql, p));
  CasePage page;
  const int n = std::min(r.rows(), q.limit);
  page.cases.reserve(n);
  for (int i = 0; i < n; ++i) {
    CITYGRID_ASSIGN_OR_RETURN(Case c, DecodeCaseRow(r, i));
    page.cases.push_back(std::move(c));
  }
  if (r.rows() > q.limit) {
    page.next_cursor = EncodeCaseCursor(q.sort, SortKeyOf(page.cases.back(), q.sort));
  }
  return page;
}

Result<int64_t> PostgresCaseStore::CountCases(const CaseQuery& q) {
  CaseQuery filters = q;
  filters.cursor.clear();
  filters.limit = 1;
  CITYGRID_RETURN_IF_ERROR(ValidateCaseQuery(filters));
  PgParams p;
  std::string where = WhereClause(filters, p);
  CITYGRID_ASSIGN_OR_RETURN(PgResult r, pool_.Exec("SELECT count(*) FROM cases WHERE " + where, p));
  return r.Int(0, 0);
}

Result<std::vector<CaseEvent>> PostgresCaseStore::EventsAfter(int64_t after_seq, int limit) {
  if (limit < 1 || limit > kMaxEventsPerPage) {
    return InvalidArgumentError("limit " + std::to_string(limit) + " is outside 1.." +
                                std::to_string(kMaxEventsPerPage));
  }
  CITYGRID_ASSIGN_OR_RETURN(
      PgResult r, pool_.Exec("SELECT " + std::string(kEventColumns) +
                                 " FROM events WHERE global_seq > $1"
                                 " ORDER BY global_seq LIMIT $2",
                             PgParams().Add(after_seq).Add(limit)));
  std::vector<CaseEvent> events;
  events.reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) {
    CITYGRID_ASSIGN_OR_RETURN(CaseEvent e, DecodeEvent(r, i));
    events.push_back(std::move(e));
  }
  return events;
}

Result<int64_t> PostgresCaseStore::LastGlobalSeq() {
  CITYGRID_ASSIGN_OR_RETURN(PgResult r,
                            pool_.Exec("SELECT last_seq FROM event_log_head WHERE id = 1"));
  if (r.rows() == 0) return InternalError("the event log head row is missing");
  return r.Int(0, 0);
}

Result<std::vector<CounterDelta>> PostgresCaseStore::ReadCounters(const std::string& prefix) {
  CITYGRID_ASSIGN_OR_RETURN(
      PgResult r, pool_.Exec("SELECT key, value FROM counters WHERE starts_with(key, $1::text)"
                             " ORDER BY key COLLATE \"C\"",
                             PgParams().Add(prefix)));
  std::vector<CounterDelta> out;
  out.reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) out.push_back({r.String(i, 0), r.Int(i, 1)});
  return out;
}

// ---------------------------------------------------------------------------------------------
// Notifications

void PostgresCaseStore::PublishSeq(int64_t seq) {
  {
    std::lock_guard lock(seq_mu_);
    if (seq <= known_seq_) return;
    known_seq_ = seq;
  }
  seq_cv_.notify_all();
}

Result<int64_t> PostgresCaseStore::WaitForEvents(int64_t after_seq, Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  constexpr auto kPollWhileDeaf = std::chrono::milliseconds(100);
  while (true) {
    bool deaf = false;
    {
      std::unique_lock lock(seq_mu_);
      auto until = deadline;
      if (!listener_up_) until = std::min(until, std::chrono::steady_clock::now() + kPollWhileDeaf);
      seq_cv_.wait_until(lock, until, [&] { return known_seq_ > after_seq || listener_stop_; });
      if (known_seq_ > after_seq) return known_seq_;
      deaf = !listener_up_;
    }
    if (deaf || std::chrono::steady_clock::now() >= deadline) {
      // Without LISTEN, other nodes' commits only show by asking; at the deadline, ask once
      // more so a lost notification costs at most one timeout.
      CITYGRID_ASSIGN_OR_RETURN(int64_t last, LastGlobalSeq());
      PublishSeq(last);
      if (last > after_seq || std::chrono::steady_clock::now() >= deadline) return last;
    }
  }
}

void PostgresCaseStore::ListenerLoop() {
  NameThisThread("cg-pg-listen");
  std::unique_ptr<PgConnection> conn;
  auto stopping = [&] {
    std::lock_guard lock(seq_mu_);
    return listener_stop_;
  };
  auto set_up = [&](bool up) {
    std::lock_guard lock(seq_mu_);
    listener_up_ = up;
  };
  while (!stopping()) {
    if (conn == nullptr) {
      Result<std::unique_ptr<PgConnection>> c = PgConnection::Connect(pool_.dsn());
      if (c.ok() && (*c)->Exec(std::string("LISTEN ") + kChannel).ok()) {
        conn = std::move(c).value();
        set_up(true);
        // Commits between the last notification seen and LISTEN taking effect.
        Result<PgResult> r = conn->Exec("SELECT last_seq FROM event_log_head WHERE id = 1");
        if (r.ok() && r->rows() == 1) PublishSeq(r->Int(0, 0));
      } else {
        std::unique_lock lock(seq_mu_);
        seq_cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return listener_stop_; });
        continue;
      }
    }
    pollfd pfd{PQsocket(conn->raw()), POLLIN, 0};
    int ready = ::poll(&pfd, 1, 100);  // short, so a stop request is seen promptly
    if (ready < 0) continue;
    if (ready > 0 && PQconsumeInput(conn->raw()) == 0) {
      conn.reset();
      set_up(false);
      continue;
    }
    int64_t newest = 0;
    while (PGnotify* n = PQnotifies(conn->raw())) {
      int64_t seq = 0;
      std::string_view payload = n->extra ? n->extra : "";
      std::from_chars(payload.data(), payload.data() + payload.size(), seq);
      newest = std::max(newest, seq);
      PQfreemem(n);
    }
    if (newest > 0) PublishSeq(newest);
  }
  set_up(false);
}

}  // namespace citygrid::storage::postgres
