#include "citygrid/storage/chain_check.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>

#include "citygrid/storage/sqlite_store.h"
#include "citygrid/storage/store.h"
#include "tests/testing/paths.h"

namespace citygrid::storage {
namespace {

namespace fs = std::filesystem;

// A store with three cases of 1, 3 and 5 events; the rows are edited behind the store's back
// with raw SQL, as an attacker with the file would.
class ChainCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = citygrid::testing::MakeTempDir("citygrid-check");
    auto store = OpenStore(StoreOptions{dir_, ""});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    Timestamp t = *ParseIso8601("2020-04-12T09:00:00+08:00");
    for (int n : {1, 3, 5}) {
      NewCase nc;
      nc.initial.created_at = nc.initial.updated_at = t;
      nc.initial.description = "case with " + std::to_string(n) + " events";
      nc.created.type = EventType::kCreated;
      nc.created.at = t;
      nc.created.payload_json = "{}";
      auto created = (*store)->cases().CreateCase(nc);
      ASSERT_TRUE(created.ok()) << created.status().ToString();
      Case c = created->created_case;
      ids_.push_back(c.id);
      numbers_.push_back(c.number);
      for (int v = 2; v <= n; ++v) {
        CaseEvent e;
        e.type = EventType::kAction;
        e.action = Action::kComment;
        e.actor = Actor{"li", Role::kOperator, ""};
        e.at = t + std::chrono::minutes(v);
        e.note = "comment " + std::to_string(v);
        e.payload_json = "{}";
        c.version = v;
        ASSERT_TRUE((*store)->cases().Append(c.id, v - 1, {e}, c).ok());
      }
    }
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void Tamper(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(SqliteDatabasePath(dir_).c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << (error ? error : "");
    EXPECT_GT(sqlite3_changes(db), 0) << sql;
    sqlite3_close(db);
  }

  ChainReport Check() {
    auto store = OpenStore(StoreOptions{dir_, ""});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return {};
    auto report = VerifyStoreChains((*store)->cases());
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : ChainReport{};
  }

  // Runs the citygrid binary; returns its exit code and fills `out` with stdout.
  int RunCli(const std::string& args, std::string& out) {
    std::string command = std::string(CITYGRID_BINARY) + " " + args + " 2>&1";
    FILE* p = popen(command.c_str(), "r");
    if (p == nullptr) return -1;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string dir_;
  std::vector<int64_t> ids_;
  std::vector<std::string> numbers_;
};

TEST_F(ChainCheckTest, AnUntouchedStoreVerifies) {
  ChainReport report = Check();
  EXPECT_TRUE(report.ok()) << report.broken->ToString();
  EXPECT_EQ(report.cases, 3);
  EXPECT_EQ(report.events, 9);
}

TEST_F(ChainCheckTest, AnEditedNoteBreaksTheChainAtThatEvent) {
  Tamper("UPDATE events SET note = 'nothing to see' WHERE case_id = " + std::to_string(ids_[2]) +
         " AND version = 3");
  ChainReport report = Check();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.broken->case_id, ids_[2]);
  EXPECT_EQ(report.broken->case_number, numbers_[2]);
  EXPECT_EQ(report.broken->version, 3);
  EXPECT_GT(report.broken->global_seq, 0);
  EXPECT_EQ(report.broken->problem, "stored hash does not match the event's contents");
  EXPECT_NE(report.broken->expected, report.broken->found);
}

TEST_F(ChainCheckTest, AnEditedEventWithARecomputedHashBreaksTheNextLink) {
  // The attacker recomputes the edited event's hash; its successor's prev_hash gives it away.
  auto store = OpenStore(StoreOptions{dir_, ""});
  ASSERT_TRUE(store.ok());
  auto history = (*store)->cases().LoadHistory(ids_[1]);
  ASSERT_TRUE(history.ok());
  store->reset();
  CaseEvent e = (*history)[1];
  e.actor.user = "someone.else";
  e.hash = EventHash(e);
  Tamper("UPDATE events SET actor_user = 'someone.else', hash = '" + e.hash +
         "' WHERE case_id = " + std::to_string(ids_[1]) + " AND version = 2");
  ChainReport report = Check();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.broken->case_id, ids_[1]);
  EXPECT_EQ(report.broken->version, 3);
  EXPECT_EQ(report.broken->problem, "prev_hash is not the hash of the previous event");
  EXPECT_EQ(report.broken->expected, e.hash);              // what version 2 now hashes to
  EXPECT_EQ(report.broken->found, (*history)[1].hash);     // what version 3 recorded
}

TEST_F(ChainCheckTest, ARemovedLastEventIsCaughtByTheCurrentStateRow) {
  Tamper("DELETE FROM events WHERE case_id = " + std::to_string(ids_[2]) + " AND version = 5");
  ChainReport report = Check();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.broken->case_id, ids_[2]);
  EXPECT_EQ(report.broken->case_number, numbers_[2]);
  EXPECT_EQ(report.broken->expected, "version 4");
  EXPECT_EQ(report.broken->found, "version 5");
}

TEST_F(ChainCheckTest, ARemovedMiddleEventIsAGap) {
  Tamper("DELETE FROM events WHERE case_id = " + std::to_string(ids_[2]) + " AND version = 2");
  ChainReport report = Check();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.broken->version, 3);
  EXPECT_EQ(report.broken->problem, "versions are missing before this event");
}

TEST_F(ChainCheckTest, CliExitsZeroOnAnUntouchedStore) {
  std::string out;
  EXPECT_EQ(RunCli("check --data " + dir_, out), 0) << out;
  EXPECT_NE(out.find("ok, 3 cases and 9 events"), std::string::npos) << out;
}

TEST_F(ChainCheckTest, CliExitsOneAndNamesTheBrokenLink) {
  Tamper("UPDATE events SET payload_json = '{\"unit\":\"elsewhere\"}' WHERE case_id = " +
         std::to_string(ids_[1]) + " AND version = 2");
  std::string out;
  EXPECT_EQ(RunCli("check --data " + dir_, out), 1) << out;
  EXPECT_NE(out.find("BROKEN"), std::string::npos) << out;
  EXPECT_NE(out.find("case " + numbers_[1]), std::string::npos) << out;
  EXPECT_NE(out.find("version 2"), std::string::npos) << out;
}

TEST_F(ChainCheckTest, CliRejectsMissingArguments) {
  std::string out;
  EXPECT_EQ(RunCli("check", out), 2) << out;
  EXPECT_EQ(RunCli("check --data", out), 2) << out;
}

}  // namespace
}  // namespace citygrid::storage
