// The in-memory fake store (tests/testing/memory_store.h): its registration with the storage
// conformance suites, and its test hooks.

#include "tests/testing/memory_store.h"

#include <gtest/gtest.h>

#include "citygrid/domain/case_state_machine.h"
#include "citygrid/storage/audit_chain.h"
#include "citygrid/storage/chain_check.h"
#include "tests/storage/store_factories.h"

namespace citygrid::storage {
namespace {

class MemoryTestDatabase final : public testing::TestDatabase {
 public:
  Result<std::unique_ptr<Store>> Open() override { return citygrid::testing::MakeMemoryStore(); }
  StoreOptions options() const override { return {}; }
};

Result<std::unique_ptr<testing::TestDatabase>> CreateMemoryDatabase() {
  return std::unique_ptr<testing::TestDatabase>(new MemoryTestDatabase());
}

[[maybe_unused]] const bool kRegistered =
    testing::RegisterStoreBackend({.name = "memory",
                                   .durable = false,
                                   .must_run = true,
                                   .create = &CreateMemoryDatabase,
                                   .create_fast = &CreateMemoryDatabase});

using citygrid::testing::MemoryStore;

const Timestamp kT0 = *ParseIso8601("2020-04-12T09:30:00+08:00");
const Actor kOperator{"op", Role::kOperator, ""};
const Actor kDispatcher{"disp", Role::kDispatcher, ""};
const Actor kHandler{"hd", Role::kHandler, "U01"};
const Actor kInspector{"insp", Role::kInspector, ""};

// Creates a case the way the service does: domain OpenCase + MakeCreatedEvent.
CreateResult CreateThroughTheDomain(MemoryStore& store, const std::string& key = "") {
  Case intake;
  intake.channel = Channel::kInspector;
  intake.category = "06010";
  intake.description = "暴露垃圾";
  intake.location.address = "大学路 1 号";
  intake.location.subdistrict_code = "410103001";
  auto opened = OpenCase(intake, kT0, kT0 + std::chrono::hours(2));
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  NewCase n{*opened, MakeCreatedEvent(*opened, kInspector), key, key.empty() ? "" : "fp"};
  auto created = store.cases().CreateCase(n, {{"m:created", 1}});
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  return created.value_or(CreateResult{});
}

// Applies one action through the domain and appends its event.
Result<Case> Act(MemoryStore& store, const Case& current, Action action, const Actor& actor,
                 ActionParams params = {}) {
  ActionRequest r{action, actor, current.updated_at + std::chrono::minutes(10), params, "", {}};
  CITYGRID_ASSIGN_OR_RETURN(Case next, ApplyAction(current, r));
  CITYGRID_RETURN_IF_ERROR(
      store.cases().Append(current.id, current.version, {MakeActionEvent(current, r)}, next));
  return store.cases().LoadCase(current.id);
}

TEST(MemoryStoreTest, StoredHistoryFoldsToTheStoredRow) {
  MemoryStore store;
  Case c = CreateThroughTheDomain(store).created_case;
  ASSERT_EQ(c.number, "20200412-000001");
  ActionParams unit;
  unit.unit = "U01";
  ActionParams result;
  result.result = "已清理";
  for (auto [action, actor, params] :
       std::vector<std::tuple<Action, Actor, ActionParams>>{{Action::kRegister, kOperator, {}},
                                                            {Action::kDispatch, kDispatcher, unit},
                                                            {Action::kAccept, kHandler, {}},
                                                            {Action::kFeedback, kHandler, result},
                                                            {Action::kCheckFail, kInspector, {}},
                                                            {Action::kFeedback, kHandler, result},
                                                            {Action::kCheckPass, kInspector, {}},
                                                            {Action::kClose, kOperator, {}}}) {
    auto next = Act(store, c, action, actor, params);
    ASSERT_TRUE(next.ok()) << Name(action) << ": " << next.status().ToString();
    c = *next;
  }
  EXPECT_EQ(c.state, CaseState::kClosed);
  EXPECT_EQ(c.rework_count, 1);
  auto history = store.cases().LoadHistory(c.id);
  ASSERT_TRUE(history.ok());
  auto folded = FoldHistory(*history);
  ASSERT_TRUE(folded.ok()) << folded.status().ToString();
  folded->number = c.number;  // storage's, not the history's
  folded->idempotency_key = c.idempotency_key;
  EXPECT_EQ(*folded, c);
  auto report = VerifyStoreChains(store.cases());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->events, 9);
}

TEST(MemoryStoreTest, InjectedFailuresChangeNothing) {
  MemoryStore store;
  Case c = CreateThroughTheDomain(store).created_case;
  const int64_t writes = store.committed_writes();
  store.FailNextWrites(UnavailableError("database is down"), 2);
  EXPECT_EQ(Act(store, c, Action::kRegister, kOperator).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store.documents().Put("setting", "k", "1").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store.committed_writes(), writes);
  EXPECT_EQ(store.cases().LoadCase(c.id)->version, 1);
  EXPECT_EQ(*store.cases().LastGlobalSeq(), 1);
  // The failures are used up: the retry lands.
  auto registered = Act(store, c, Action::kRegister, kOperator);
  ASSERT_TRUE(registered.ok()) << registered.status().ToString();
  EXPECT_EQ(registered->state, CaseState::kRegistered);
  EXPECT_EQ(store.committed_writes(), writes + 1);
}

TEST(MemoryStoreTest, AnIdempotentRetryIsNotAWrite) {
  MemoryStore store;
  CreateResult first = CreateThroughTheDomain(store, "key-1");
  const int64_t writes = store.committed_writes();
  CreateResult again = CreateThroughTheDomain(store, "key-1");
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.created_case, first.created_case);
  EXPECT_EQ(store.committed_writes(), writes);
  EXPECT_EQ((*store.cases().ReadCounters("m:created"))[0].delta, 1);
}

TEST(MemoryStoreTest, TamperingBehindTheStoresBackBreaksTheChain) {
  MemoryStore store;
  Case c = CreateThroughTheDomain(store).created_case;
  auto registered = Act(store, c, Action::kRegister, kOperator);
  ASSERT_TRUE(registered.ok());
  ASSERT_TRUE(Act(store, *registered, Action::kCancel, kOperator).ok());
  ASSERT_TRUE(VerifyStoreChains(store.cases())->ok());

  ASSERT_TRUE(store.TamperWithEvent(c.id, 2, [](CaseEvent& e) { e.note = "rewritten"; }).ok());
  auto report = VerifyStoreChains(store.cases());
  ASSERT_TRUE(report.ok());
  ASSERT_FALSE(report->ok());
  EXPECT_EQ(report->broken->case_id, c.id);
  EXPECT_EQ(report->broken->version, 2);
  EXPECT_EQ(store.TamperWithEvent(c.id, 9, [](CaseEvent&) {}).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace citygrid::storage
