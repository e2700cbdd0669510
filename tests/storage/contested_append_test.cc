// Optimistic concurrency under contention: writers that append to the same case from the same
// version — exactly one wins, the others get kAborted, and no update is ever lost.

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <mutex>
#include <set>
#include <thread>

#include "citygrid/storage/chain_check.h"
#include "citygrid/storage/store.h"
#include "tests/storage/store_factories.h"

namespace citygrid::storage {
namespace {

using testing::BackendTest;

constexpr int kRounds = 5000;  // x 2 writers = 10,000 contested appends

class ContestedAppendTest : public BackendTest {
 protected:
  ContestedAppendTest() { fast_commits_ = true; }

  Case CreateOne() {
    NewCase nc;
    nc.initial.created_at = nc.initial.updated_at = *ParseIso8601("2020-04-12T09:00:00+08:00");
    nc.created.type = EventType::kCreated;
    nc.created.at = nc.initial.created_at;
    nc.created.payload_json = "{}";
    auto r = cases().CreateCase(nc);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->created_case : Case{};
  }

  static CaseEvent Note(std::string note) {
    CaseEvent e;
    e.type = EventType::kAction;
    e.action = Action::kComment;
    e.actor = Actor{"dispatcher", Role::kDispatcher, ""};
    e.payload_json = "{}";
    e.note = std::move(note);
    return e;
  }
};

TEST_P(ContestedAppendTest, ExactlyOneOfTwoWritersWinsEveryVersion) {
  const Case start = CreateOne();
  std::barrier sync(2);
  int wins[2] = {0, 0}, aborted[2] = {0, 0}, other[2] = {0, 0};
  std::vector<int> winner(kRounds, -1);
  Status first_other_error;
  std::mutex error_mu;

  auto writer = [&](int me) {
    for (int round = 0; round < kRounds; ++round) {
      // Both writers start each round together, from the same version: with exactly one winner
      // per round, round r starts at version 1 + r (a second winner would make later rounds
      // fail for both, and the counts below would say so).
      sync.arrive_and_wait();
      const int64_t v = 1 + round;
      Case next = start;
      next.version = v + 1;
      next.description = "writer " + std::to_string(me) + " round " + std::to_string(round);
      auto r = cases().Append(start.id, v, {Note(next.description)}, next, {{"wins", 1}});
      if (r.ok()) {
        ++wins[me];
        winner[round] = me;
      } else if (r.status().code() == StatusCode::kAborted) {
        ++aborted[me];
      } else {
        ++other[me];
        std::lock_guard<std::mutex> lock(error_mu);
        if (first_other_error.ok()) first_other_error = r.status();
      }
    }
  };
  std::thread a(writer, 0), b(writer, 1);
  a.join();
  b.join();

  EXPECT_EQ(other[0] + other[1], 0) << first_other_error.ToString();
  EXPECT_EQ(wins[0] + wins[1], kRounds) << "every round has exactly one winner";
  EXPECT_EQ(aborted[0] + aborted[1], kRounds) << "and exactly one loser";
  EXPECT_GT(wins[0], 0);
  EXPECT_GT(wins[1], 0);

  // No lost update: the history holds every winner's event, in round order, and the row is the
  // last winner's state.
  auto history = cases().LoadHistory(start.id);
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), size_t{kRounds + 1});
  for (int round = 0; round < kRounds; ++round) {
    ASSERT_EQ((*history)[round + 1].note,
              "writer " + std::to_string(winner[round]) + " round " + std::to_string(round));
  }
  auto row = cases().LoadCase(start.id);
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->version, kRounds + 1);
  EXPECT_EQ(row->description, (*history)[kRounds].note);
  EXPECT_EQ((*cases().ReadCounters("wins"))[0].delta, kRounds);
  auto report = VerifyStoreChains(cases());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->broken->ToString();
}

TEST_P(ContestedAppendTest, RetryingWritersLoseNoUpdate) {
  // Free-running read-modify-write loops that retry on kAborted, as the service layer does.
  constexpr int kThreads = 4, kPerThread = 250;
  const Case start = CreateOne();
  std::atomic<int> aborted{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        while (true) {
          auto current = cases().LoadCase(start.id);
          if (!current.ok()) {
            ++failed;
            return;
          }
          Case next = *current;
          next.version = current->version + 1;
          next.rework_count = current->rework_count + 1;  // a read-modify-write of the row
          auto r = cases().Append(start.id, current->version,
                                  {Note(std::to_string(t) + "/" + std::to_string(i))}, next);
          if (r.ok()) break;
          if (r.status().code() != StatusCode::kAborted) {
            ++failed;
            return;
          }
          ++aborted;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed.load(), 0);
  auto row = cases().LoadCase(start.id);
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->version, 1 + kThreads * kPerThread);
  EXPECT_EQ(row->rework_count, kThreads * kPerThread) << "an increment was lost";
  auto history = cases().LoadHistory(start.id);
  ASSERT_TRUE(history.ok());
  std::set<std::string> notes;
  for (size_t i = 1; i < history->size(); ++i) notes.insert((*history)[i].note);
  EXPECT_EQ(notes.size(), size_t{kThreads * kPerThread}) << "an append was duplicated or lost";
  std::printf("contested: %d appends by %d writers, %d retries after kAborted\n",
              kThreads * kPerThread, kThreads, aborted.load());
}

INSTANTIATE_TEST_SUITE_P(Backends, ContestedAppendTest,
                         ::testing::ValuesIn(testing::StoreBackends()), testing::BackendName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ContestedAppendTest);

}  // namespace
}  // namespace citygrid::storage
