// The ledger store conformance suite: every backend registered in store_factories.h (SQLite,
// PostgreSQL when CITYGRID_TEST_POSTGRES_DSN is set, the memory fake) must pass it.

#include "citygrid/storage/ledger_store.h"

#include <gtest/gtest.h>

#include <thread>

#include "citygrid/storage/store.h"
#include "tests/storage/store_factories.h"

namespace citygrid::storage {
namespace {

using testing::BackendTest;

Timestamp At(const char* iso) { return *ParseIso8601(iso); }

LedgerRow MakeRow(const std::string& key, int64_t version, LedgerRowState state = LedgerRowState::kNotStarted) {
  LedgerRow row;
  row.key = key;
  row.version = version;
  row.title = "建中街 " + key + " 号院";
  row.unit = "410103001-JD";
  row.subdistrict = "410103001";
  row.batch = "第一批";
  row.state = state;
  row.progress = state == LedgerRowState::kNotStarted ? 0 : 40;
  row.values = {{"type", "品质型"}, {"households", "120"}};
  row.created_at = At("2020-05-01T09:00:00+08:00");
  row.updated_at = row.created_at;
  return row;
}

LedgerEvent MakeEvent(LedgerEventType type, const char* at, std::string note = "") {
  LedgerEvent e;
  e.type = type;
  e.actor = Actor{"handler.jd", Role::kHandler, "410103001-JD"};
  e.at = At(at);
  e.note = std::move(note);
  e.photos = {std::string(64, 'b')};
  e.payload_json = R"({"state":"in_progress"})";
  return e;
}

LedgerRowWrite Create(const std::string& key) {
  LedgerRowWrite w;
  w.next = MakeRow(key, 1);
  w.expected_version = 0;
  w.events = {MakeEvent(LedgerEventType::kCreated, "2020-05-01T09:00:00+08:00")};
  return w;
}

class LedgerStoreTest : public BackendTest {
 protected:
  LedgerStore& ledgers() { return store().ledgers(); }
};

TEST_P(LedgerStoreTest, CreatesRowsAndSealsTheirFirstEvents) {
  auto stored = ledgers().Write("old-compounds", {Create("R0002"), Create("R0001")});
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ((*stored)[0].row_key, "R0002");
  EXPECT_EQ((*stored)[0].version, 1);
  EXPECT_EQ((*stored)[0].prev_hash, "");
  EXPECT_EQ((*stored)[0].hash, LedgerEventHash((*stored)[0]));
  EXPECT_LT((*stored)[0].seq, (*stored)[1].seq);

  auto rows = ledgers().ListRows("old-compounds");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].key, "R0001");  // ordered by key
  LedgerRow expected = MakeRow("R0001", 1);
  expected.ledger_id = "old-compounds";
  EXPECT_EQ((*rows)[0], expected);
  auto other = ledgers().ListRows("schools");
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->empty());
}

TEST_P(LedgerStoreTest, AppendsProgressChainedToThePreviousEvent) {
  ASSERT_TRUE(ledgers().Write("old-compounds", {Create("R0001")}).ok());
  LedgerRowWrite update;
  update.next = MakeRow("R0001", 3, LedgerRowState::kInProgress);
  update.expected_version = 1;
  update.events = {MakeEvent(LedgerEventType::kProgress, "2020-06-01T10:00:00+08:00", "开工"),
                   MakeEvent(LedgerEventType::kProgress, "2020-07-01T10:00:00+08:00", "过半")};
  auto stored = ledgers().Write("old-compounds", {update});
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  auto history = ledgers().LoadRowHistory("old-compounds", "R0001");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[1].prev_hash, (*history)[0].hash);
  EXPECT_EQ((*history)[2].prev_hash, (*history)[1].hash);
  EXPECT_EQ((*history)[2].note, "过半");
  EXPECT_EQ((*history)[2].photos, std::vector<std::string>{std::string(64, 'b')});
  EXPECT_EQ((*history)[2], (*stored)[1]);
  auto row = ledgers().LoadRow("old-compounds", "R0001");
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->version, 3);
  EXPECT_EQ(row->state, LedgerRowState::kInProgress);

  auto events = ledgers().LoadLedgerEvents("old-compounds");
  ASSERT_TRUE(events.ok());
  auto rows = ledgers().ListRows("old-compounds");
  LedgerChainReport report = VerifyLedgerChains(*events, &*rows);
  EXPECT_TRUE(report.ok()) << report.first_break->ToString();
  EXPECT_EQ(report.events_checked, 3);
}

TEST_P(LedgerStoreTest, ABatchWithOneStaleRowWritesNothing) {
  ASSERT_TRUE(ledgers().Write("old-compounds", {Create("R0001")}).ok());
  LedgerRowWrite stale;
  stale.next = MakeRow("R0001", 6, LedgerRowState::kInProgress);
  stale.expected_version = 5;
  stale.events = {MakeEvent(LedgerEventType::kProgress, "2020-06-01T10:00:00+08:00")};
  auto r = ledgers().Write("old-compounds", {Create("R0002"), stale});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kAborted) << r.status().ToString();
  EXPECT_NE(r.status().message().find("R0001"), std::string::npos);
  auto rows = ledgers().ListRows("old-compounds");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);  // R0002 was not created
  EXPECT_EQ(rows->front().version, 1);
  EXPECT_EQ(ledgers().LoadLedgerEvents("old-compounds")->size(), 1u);
}

TEST_P(LedgerStoreTest, VersionErrorsAreSpecific) {
  ASSERT_TRUE(ledgers().Write("l1", {Create("R0001")}).ok());
  auto dup = ledgers().Write("l1", {Create("R0001")});
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  LedgerRowWrite missing;
  missing.next = MakeRow("R0009", 2);
  missing.expected_version = 1;
  missing.events = {MakeEvent(LedgerEventType::kProgress, "2020-06-01T10:00:00+08:00")};
  EXPECT_EQ(ledgers().Write("l1", {missing}).status().code(), StatusCode::kNotFound);
  LedgerRowWrite bad_version = Create("R0003");
  bad_version.next.version = 4;
  EXPECT_EQ(ledgers().Write("l1", {bad_version}).status().code(), StatusCode::kInvalidArgument);
  LedgerRowWrite no_events = Create("R0004");
  no_events.events.clear();
  EXPECT_EQ(ledgers().Write("l1", {no_events}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ledgers().Write("l1", {Create("R0005"), Create("R0005")}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ledgers().LoadRow("l1", "R0404").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ledgers().ListRows("l1")->size(), 1u);
}

TEST_P(LedgerStoreTest, ConcurrentUpdatesOfOneVersionLetExactlyOneWin) {
  ASSERT_TRUE(ledgers().Write("l1", {Create("R0001")}).ok());
  std::atomic<int> won{0}, aborted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      LedgerRowWrite w;
      w.next = MakeRow("R0001", 2, LedgerRowState::kInProgress);
      w.expected_version = 1;
      w.events = {MakeEvent(LedgerEventType::kProgress, "2020-06-01T10:00:00+08:00",
                            "writer " + std::to_string(i))};
      auto r = ledgers().Write("l1", {w});
      if (r.ok()) {
        ++won;
      } else if (r.status().code() == StatusCode::kAborted) {
        ++aborted;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(aborted.load(), 3);
  EXPECT_EQ(ledgers().LoadRowHistory("l1", "R0001")->size(), 2u);
}

TEST(LedgerChainTest, DetectsARewrittenEventAndARowAheadOfItsChain) {
  std::vector<LedgerEvent> events;
  std::string prev;
  for (int v = 1; v <= 3; ++v) {
    LedgerEvent e = MakeEvent(v == 1 ? LedgerEventType::kCreated : LedgerEventType::kProgress,
                              "2020-06-01T10:00:00+08:00", "step " + std::to_string(v));
    e.ledger_id = "l1";
    e.row_key = "R0001";
    e.version = v;
    SealLedgerEvent(e, prev);
    prev = e.hash;
    events.push_back(e);
  }
  EXPECT_TRUE(VerifyLedgerChains(events).ok());

  std::vector<LedgerEvent> edited = events;
  edited[1].note = "step 2 (rewritten)";
  LedgerChainReport report = VerifyLedgerChains(edited);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.first_break->version, 2);
  EXPECT_NE(report.first_break->ToString().find("stored hash does not match"), std::string::npos);

  std::vector<LedgerEvent> resealed = edited;
  SealLedgerEvent(resealed[1], resealed[0].hash);  // re-hashing one event breaks the next link
  report = VerifyLedgerChains(resealed);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.first_break->version, 3);

  std::vector<LedgerEvent> dropped(events.begin(), events.begin() + 2);
  LedgerRow row = MakeRow("R0001", 3);
  std::vector<LedgerRow> rows = {row};
  report = VerifyLedgerChains(dropped, &rows);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.first_break->problem.find("last event"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, LedgerStoreTest, ::testing::ValuesIn(testing::StoreBackends()),
                         testing::BackendName);

}  // namespace
}  // namespace citygrid::storage
