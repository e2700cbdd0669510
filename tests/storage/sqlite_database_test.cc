// The SQLite group-commit writer (src/storage/sqlite/sqlite_database.h): writes that share one
// transaction each get their own outcome, whether a failing write changed rows first or not.

#include "src/storage/sqlite/sqlite_database.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
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

}  // namespace
}  // namespace citygrid::storage::sqlite
