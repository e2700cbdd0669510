// The SQLite group-commit writer (src/storage/sqlite/sqlite_database.h): writes that share one
// transaction each get their own outcome, whether a failing write changed rows first or not;
// asynchronous writes hear it through exactly one completion each.

#include "src/storage/sqlite/sqlite_database.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/testing/paths.h"

namespace citygrid::storage::sqlite {
namespace {

class SqliteDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = citygrid::testing::MakeTempDir("citygrid-sqlite-db");
    SqliteStoreOptions options;
    options.data_dir = dir_;
    auto db = SqliteDatabase::Open(options);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  static Status Insert(Connection& conn, const std::string& key) {
    CITYGRID_ASSIGN_OR_RETURN(Statement st,
                              conn.Prepare("INSERT INTO counters (key, value) VALUES (?, 1)"));
    st.Bind(1, key);
    return st.Run();
  }

  std::vector<std::string> Keys() {
    std::vector<std::string> keys;
    Status s = db_->Read([&](Connection& conn) -> Status {
      CITYGRID_ASSIGN_OR_RETURN(Statement st,
                                conn.Prepare("SELECT key FROM counters ORDER BY key"));
      while (true) {
        CITYGRID_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) return OkStatus();
        keys.push_back(st.String(0));
      }
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return keys;
  }

  std::string dir_;
  std::unique_ptr<SqliteDatabase> db_;
};

// The first write holds the writer while the others queue up behind it, so they are committed
// as one batch: one fails after inserting a row (its row must go, the others stay), one fails
// before changing anything.
TEST_F(SqliteDatabaseTest, AWriteFailingAfterChangingRowsLeavesNothingAndTheBatchCommits) {
  std::atomic<bool> release{false};
  std::atomic<int> failing_runs{0};
  Status first, ok_write, failed_after_change, failed_before_change, last;
  std::thread leader([&] {
    first = db_->Write([&](Connection& conn) -> Status {
      while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return Insert(conn, "a");
    });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the leader holds the writer
  std::vector<std::thread> queued;
  queued.emplace_back([&] { ok_write = db_->Write([](Connection& c) { return Insert(c, "b"); }); });
  queued.emplace_back([&] {
    failed_after_change = db_->Write([&](Connection& c) -> Status {
      ++failing_runs;
      CITYGRID_RETURN_IF_ERROR(Insert(c, "c"));
      return AbortedError("changed its mind after inserting c");
    });
  });
  queued.emplace_back([&] {
    failed_before_change = db_->Write(
        [](Connection&) -> Status { return NotFoundError("nothing to change"); });
  });
  queued.emplace_back([&] { last = db_->Write([](Connection& c) { return Insert(c, "e"); }); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // all four are queued
  release = true;
  leader.join();
  for (auto& t : queued) t.join();

  EXPECT_TRUE(first.ok()) << first.ToString();
  EXPECT_TRUE(ok_write.ok()) << ok_write.ToString();
  EXPECT_EQ(failed_after_change.code(), StatusCode::kAborted);
  EXPECT_EQ(failed_before_change.code(), StatusCode::kNotFound);
  EXPECT_TRUE(last.ok()) << last.ToString();
  EXPECT_EQ(Keys(), (std::vector<std::string>{"a", "b", "e"}));
  EXPECT_GE(failing_runs.load(), 1);
}

TEST_F(SqliteDatabaseTest, AConstraintViolationFailsOnlyItsOwnWrite) {
  ASSERT_TRUE(db_->Write([](Connection& c) { return Insert(c, "x"); }).ok());
  std::vector<std::thread> threads;
  std::vector<Status> results(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      // Writes 0, 2, 4, 6 insert a new row and then the existing "x" (a UNIQUE violation after a
      // change); the odd ones insert one new row.
      results[i] = db_->Write([i](Connection& c) -> Status {
        CITYGRID_RETURN_IF_ERROR(Insert(c, "k" + std::to_string(i)));
        if (i % 2 == 0) return Insert(c, "x");
        return OkStatus();
      });
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(results[i].ok(), i % 2 == 1) << i << results[i].ToString();
  EXPECT_EQ(Keys(), (std::vector<std::string>{"k1", "k3", "k5", "k7", "x"}));
}

// Completions of WriteAsync, recorded in arrival order.
struct Completions {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<std::string, Status>> arrived;  // (write name, status)
  std::vector<std::thread::id> threads;

  std::function<void(Status)> For(std::string name) {
    return [this, name = std::move(name)](Status s) {
      std::lock_guard<std::mutex> lock(mu);
      arrived.emplace_back(name, std::move(s));
      threads.push_back(std::this_thread::get_id());
      cv.notify_all();
    };
  }
  // True once `n` completions arrived (false after 10 s).
  bool WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return arrived.size() >= n; });
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu);
    return arrived.size();
  }
};

// WriteAsync returns while the committer is still busy with an earlier write; the four writes
// queued meanwhile form one batch in which one write fails after inserting a row, so the batch
// runs again with savepoints. Each completion then arrives exactly once, in queue order, on
// the committer thread, with its own write's status.
TEST_F(SqliteDatabaseTest, AsyncCompletionsArriveOnceWithTheirOwnStatusAfterABatchRerun) {
  Completions done;
  std::atomic<bool> started{false}, release{false};
  std::atomic<int> ok_runs{0}, failing_runs{0};
  db_->WriteAsync(
      [&](Connection& conn) -> Status {
        started = true;
        while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return Insert(conn, "a");
      },
      done.For("a"));
  while (!started.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  db_->WriteAsync(
      [&](Connection& c) {
        ++ok_runs;
        return Insert(c, "b");
      },
      done.For("b"));
  db_->WriteAsync(
      [&](Connection& c) -> Status {
        ++failing_runs;
        CITYGRID_RETURN_IF_ERROR(Insert(c, "c"));
        return AbortedError("changed its mind after inserting c");
      },
      done.For("c"));
  db_->WriteAsync([](Connection&) -> Status { return NotFoundError("nothing to change"); },
                  done.For("d"));
  db_->WriteAsync([](Connection& c) { return Insert(c, "e"); }, done.For("e"));
  // Every call above returned while the first write still holds the committer.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(done.size(), 0u);
  EXPECT_TRUE(Keys().empty());
  release = true;

  ASSERT_TRUE(done.WaitFor(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // no sixth completion comes
  std::lock_guard<std::mutex> lock(done.mu);
  ASSERT_EQ(done.arrived.size(), 5u);
  std::vector<std::string> order;
  for (const auto& [name, status] : done.arrived) order.push_back(name);
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_TRUE(done.arrived[0].second.ok()) << done.arrived[0].second.ToString();
  EXPECT_TRUE(done.arrived[1].second.ok()) << done.arrived[1].second.ToString();
  EXPECT_EQ(done.arrived[2].second.code(), StatusCode::kAborted);
  EXPECT_EQ(done.arrived[2].second.message(), "changed its mind after inserting c");
  EXPECT_EQ(done.arrived[3].second.code(), StatusCode::kNotFound);
  EXPECT_TRUE(done.arrived[4].second.ok()) << done.arrived[4].second.ToString();
  // Once without savepoints, once more with them.
  EXPECT_EQ(failing_runs.load(), 2);
  EXPECT_EQ(ok_runs.load(), 2);
  for (std::thread::id id : done.threads) {
    EXPECT_EQ(id, done.threads.front());
    EXPECT_NE(id, std::this_thread::get_id());
  }
  EXPECT_EQ(Keys(), (std::vector<std::string>{"a", "b", "e"}));
}

// A completion may write synchronously (CaseService's video_ai merge does): on the committer
// thread that write runs at once instead of waiting for the committer, i.e. itself.
TEST_F(SqliteDatabaseTest, AWriteFromACompletionRunsAtOnce) {
  Completions done;
  Status nested = InternalError("not run");
  db_->WriteAsync([](Connection& c) { return Insert(c, "outer"); },
                  [&](Status s) {
                    nested = db_->Write([](Connection& c) { return Insert(c, "nested"); });
                    done.For("outer")(std::move(s));
                  });
  ASSERT_TRUE(done.WaitFor(1));
  EXPECT_TRUE(done.arrived[0].second.ok()) << done.arrived[0].second.ToString();
  EXPECT_TRUE(nested.ok()) << nested.ToString();
  EXPECT_EQ(Keys(), (std::vector<std::string>{"nested", "outer"}));
}

// Writes still queued when the database closes are committed and completed first.
TEST_F(SqliteDatabaseTest, ClosingCommitsAndCompletesEveryQueuedWrite) {
  Completions done;
  for (int i = 0; i < 100; ++i) {
    const std::string key = "q" + std::to_string(1000 + i);
    db_->WriteAsync([key](Connection& c) { return Insert(c, key); }, done.For(key));
  }
  db_.reset();
  ASSERT_EQ(done.size(), 100u);
  for (const auto& [name, status] : done.arrived) EXPECT_TRUE(status.ok()) << name;
  SqliteStoreOptions options;
  options.data_dir = dir_;
  auto db = SqliteDatabase::Open(options);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  db_ = std::move(*db);
  std::vector<std::string> keys = Keys();
  ASSERT_EQ(keys.size(), 100u);
  EXPECT_EQ(keys.front(), "q1000");
  EXPECT_EQ(keys.back(), "q1099");
}

}  // namespace
}  // namespace citygrid::storage::sqlite
