// Optimistic concurrency across PROCESSES on one PostgreSQL database: two citygrid nodes (forked
// child processes, each with its own store and connections) append to the same case from the
// same expected version, round after round. Exactly one wins each round, the other gets
// kAborted, and no update is lost. (The same contest between threads of one node runs for every
// backend in contested_append_test.cc.)

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "citygrid/storage/audit_chain.h"
#include "citygrid/storage/store.h"
#include "src/storage/postgres/pg_admin.h"
#include "tests/storage/postgres_test_database.h"

namespace citygrid::storage {
namespace {

constexpr int kRounds = 5000;  // x 2 processes = 10,000 contested appends

// Lives in a MAP_SHARED page both children see; lock-free atomics work across processes.
struct Shared {
  std::atomic<int> arrived[2];     // rounds each process has reached
  std::atomic<int> winner[kRounds];  // -1 none yet; else the winning process
  std::atomic<int> wins[2];
  std::atomic<int> aborted[2];
  std::atomic<int> other[2];
  std::atomic<int> ready;
};
static_assert(std::atomic<int>::is_always_lock_free);

CaseEvent Note(const std::string& text) {
  CaseEvent e;
  e.type = EventType::kAction;
  e.action = Action::kComment;
  e.actor = Actor{"dispatcher", Role::kDispatcher, ""};
  e.payload_json = "{}";
  e.note = text;
  return e;
}

// One node: opens its own store, then contests every round against the other process.
[[noreturn]] void RunNode(testing::PostgresTestDatabase& db, Shared& shared, int me,
                          const Case& start) {
  auto store = db.Open();
  if (!store.ok()) ::_exit(2);
  shared.ready.fetch_add(1);
  while (shared.ready.load() < 2) std::this_thread::yield();
  CaseStore& cases = (*store)->cases();
  for (int round = 0; round < kRounds; ++round) {
    // A two-party barrier: both start the round from the same version 1 + round.
    shared.arrived[me].store(round + 1);
    while (shared.arrived[1 - me].load() < round + 1) std::this_thread::yield();
    const int64_t v = 1 + round;
    Case next = start;
    next.version = v + 1;
    next.description = "node " + std::to_string(me) + " round " + std::to_string(round);
    auto r = cases.Append(start.id, v, {Note(next.description)}, next, {{"wins", 1}});
    if (r.ok()) {
      shared.wins[me].fetch_add(1);
      int none = -1;
      if (!shared.winner[round].compare_exchange_strong(none, me)) shared.other[me].fetch_add(1);
    } else if (r.status().code() == StatusCode::kAborted) {
      shared.aborted[me].fetch_add(1);
    } else {
      shared.other[me].fetch_add(1);
    }
  }
  store->reset();
  ::_exit(0);
}

TEST(PostgresContentionTest, TwoProcessesAppendingFromTheSameVersionHaveExactlyOneWinner) {
  CITYGRID_PG_TEST_DATABASE(db);
  // Contention, not durability, is under test: commits need not wait for the WAL flush.
  ASSERT_TRUE(postgres::ExecSql(db->dsn(), "ALTER DATABASE " + db->name() +
                                               " SET synchronous_commit = off")
                  .ok());
  Case start;
  {
    auto store = db->Open();
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    NewCase nc;
    nc.initial.created_at = nc.initial.updated_at = *ParseIso8601("2020-04-12T09:00:00+08:00");
    nc.created.type = EventType::kCreated;
    nc.created.at = nc.initial.created_at;
    nc.created.payload_json = "{}";
    auto created = (*store)->cases().CreateCase(nc);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    start = created->created_case;
  }  // the parent holds no store (and no threads) while it forks

  void* page = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                      -1, 0);
  ASSERT_NE(page, MAP_FAILED);
  Shared& shared = *new (page) Shared();
  for (auto& w : shared.winner) w.store(-1);

  pid_t pids[2];
  for (int me = 0; me < 2; ++me) {
    pids[me] = ::fork();
    ASSERT_GE(pids[me], 0);
    if (pids[me] == 0) RunNode(*db, shared, me, start);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }

  EXPECT_EQ(shared.other[0] + shared.other[1], 0) << "unexpected errors or a second winner";
  EXPECT_EQ(shared.wins[0] + shared.wins[1], kRounds) << "every round has exactly one winner";
  EXPECT_EQ(shared.aborted[0] + shared.aborted[1], kRounds) << "and exactly one loser";
  EXPECT_GT(shared.wins[0].load(), 0);
  EXPECT_GT(shared.wins[1].load(), 0);

  // No lost update: the history holds every winner's event in round order.
  auto store = db->Open();
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto history = (*store)->cases().LoadHistory(start.id);
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), size_t{kRounds + 1});
  ChainVerifier verifier;
  for (int round = 0; round < kRounds; ++round) {
    ASSERT_EQ((*history)[round + 1].note, "node " + std::to_string(shared.winner[round].load()) +
                                              " round " + std::to_string(round));
  }
  for (const CaseEvent& e : *history) verifier.Add(e);
  EXPECT_TRUE(verifier.ok()) << verifier.first_broken()->ToString();
  auto row = (*store)->cases().LoadCase(start.id);
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->version, kRounds + 1);
  EXPECT_EQ((*(*store)->cases().ReadCounters("wins"))[0].delta, kRounds);
  ::munmap(page, sizeof(Shared));
}

}  // namespace
}  // namespace citygrid::storage
