#pragma once

// CaseStore on PostgreSQL (private to src/storage/postgres; see postgres_store.h for the
// contract and the design notes).
//
// Writes (CreateCase, Append) queue up; the request at the front runs every request waiting at
// that moment in ONE transaction on the store's writer connection: group commit, so
// concurrent writers share one WAL flush. The transaction is sent as two or three libpq
// pipelines (one round trip each, however many requests), which matters on a loaded machine
// where every round trip costs a context switch. Each request is a single statement that either
// applies fully or matches no row (a stale version, a used idempotency key), so one request's
// expected failure never aborts its batch; an unexpected error re-runs the batch's requests one
// by one. Reads use the connection pool.
//
// Thread safety: every method may be called concurrently.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "citygrid/storage/event_notifier.h"
#include "citygrid/storage/store.h"
#include "src/storage/group_commit_counter.h"
#include "pg_connection.h"
#include "pg_pool.h"

namespace citygrid::storage::postgres {

class PostgresCaseStore final : public CaseStore, public EventNotifier {
 public:
  // Opens the writer connection and starts the LISTEN thread. `pool` must outlive the store.
  static Result<std::unique_ptr<PostgresCaseStore>> Open(PgPool& pool);
  ~PostgresCaseStore() override;

  Result<CreateResult> CreateCase(const NewCase& new_case,
                                  const std::vector<CounterDelta>& counters) override;
  // Runs CreateCase on a pool of blocking writer threads (started as needed, at most
  // kMaxAsyncWriters), so the caller's thread never waits for PostgreSQL; `done` runs there.
  void CreateCaseAsync(NewCase new_case, std::vector<CounterDelta> counters,
                       CreateDone done) override;
  Result<std::vector<CaseEvent>> Append(int64_t case_id, int64_t expected_version,
                                        std::vector<CaseEvent> events, const Case& next,
                                        const std::vector<CounterDelta>& counters) override;
  Result<Case> LoadCase(int64_t case_id) override;
  Result<Case> LoadCaseByNumber(const std::string& number) override;
  Result<std::vector<CaseEvent>> LoadHistory(int64_t case_id) override;
  Result<CasePage> QueryCases(const CaseQuery& query) override;
  Result<int64_t> CountCases(const CaseQuery& query) override;
  Result<std::vector<CaseEvent>> EventsAfter(int64_t after_seq, int limit) override;
  Result<int64_t> LastGlobalSeq() override;
  Result<std::vector<CounterDelta>> ReadCounters(const std::string& prefix) override;

  Result<int64_t> WaitForEvents(int64_t after_seq, Duration timeout) override;

  // The batches Submit's leaders ran so far (Store::group_commit_stats). Thread-safe.
  GroupCommitStats group_commit_stats() const { return commits_.stats(); }

 private:
  struct WriteRequest;
  // case id → (version, hash) of its newest event written earlier in the same batch.
  using PendingTips = std::unordered_map<int64_t, std::pair<int64_t, std::string>>;

  explicit PostgresCaseStore(PgPool& pool) : pool_(pool) {}

  Status Submit(WriteRequest& request);
  void ProcessBatch(const std::vector<WriteRequest*>& batch);
  Status RunBatch(PgConnection& conn, const std::vector<WriteRequest*>& batch,
                  bool& commit_unknown);
  // Statements of one request, and what to do with their results.
  static PgStatement ClaimStatement(const WriteRequest& request);
  static PgStatement LookupStatement(const WriteRequest& request);
  static PgStatement CreateStatement(const WriteRequest& request);
  static PgStatement AppendStatement(const WriteRequest& request);
  static Status FinishCreate(WriteRequest& request, const PgResult& result, PendingTips& tips);
  static Status FinishLookup(WriteRequest& request, const PgResult& result);
  static Status FinishAppend(WriteRequest& request, const PgResult& result, PendingTips& tips);

  void ListenerLoop();
  void PublishSeq(int64_t seq);

  PgPool& pool_;

  GroupCommitCounter commits_;  // counted by each batch's leader, read by anyone

  std::mutex queue_mu_;
  std::condition_variable done_cv_;  // waiting requests: done, or now at the front
  // State below is protected by queue_mu_.
  std::deque<WriteRequest*> queue_;  // the front batch is being written by its leader

  // Used only by the leader of the moment (the request at the front of queue_).
  std::unique_ptr<PgConnection> writer_;

  std::mutex seq_mu_;
  std::condition_variable seq_cv_;
  // State below is protected by seq_mu_.
  int64_t known_seq_ = 0;       // highest committed global_seq seen by this node
  bool listener_up_ = false;    // LISTEN is active, so other nodes' commits wake waiters
  bool listener_stop_ = false;

  std::thread listener_;

  // The blocking writers of CreateCaseAsync: each runs one queued job at a time; concurrent
  // jobs meet in the group commit above. Enough of them to fill a batch.
  static constexpr size_t kMaxAsyncWriters = 32;
  void AsyncWriterLoop();
  std::mutex async_mu_;
  std::condition_variable async_cv_;
  // State below is protected by async_mu_.
  std::deque<std::function<void()>> async_jobs_;
  size_t async_idle_ = 0;  // writers waiting for a job
  bool async_stop_ = false;
  std::vector<std::thread> async_writers_;
};

}  // namespace citygrid::storage::postgres
