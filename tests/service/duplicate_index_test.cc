// DuplicateIndex against a real SQLite store, counted: the follower takes a new case from its
// kCreated event instead of reading the case's row, whatever the order of the follower's read
// and this node's handover (Record); rows are read only for what the index cannot tell by itself.
// (The duplicate answers themselves are compared with the store's query in case_service_test.)

#include "citygrid/service/duplicate_index.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <vector>

#include "citygrid/domain/case_state_machine.h"
#include "tests/service/forwarding_case_store.h"
#include "tests/service/service_test_env.h"

namespace citygrid::service {
namespace {

using testing::MakeActor;
using testing::ServiceEnv;
using testing::TestStart;

const Actor kInspector = MakeActor("insp", Role::kInspector);
const Actor kOperator = MakeActor("op", Role::kOperator);

// The real store, with its LoadCase calls counted.
class CountingCaseStore final : public testing::ForwardingCaseStore {
 public:
  using ForwardingCaseStore::ForwardingCaseStore;

  int loads() const { return loads_.load(); }

  Result<Case> LoadCase(int64_t case_id) override {
    ++loads_;
    return ForwardingCaseStore::LoadCase(case_id);
  }

 private:
  std::atomic<int> loads_{0};
};

class DuplicateIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_.ready());
    Status loaded = index_.Load();
    ASSERT_TRUE(loaded.ok()) << loaded.ToString();
  }

  storage::CaseStore& store() { return env_.store().cases(); }

  // A case written straight to the store, as a CaseService (of this node or another) does.
  storage::CreateResult Create(double lon, double lat, const std::string& category = "06010",
                               Channel channel = Channel::kPublic) {
    Case intake;
    intake.channel = channel;
    intake.category = category;
    intake.description = "路边垃圾";
    intake.location.lon = lon;
    intake.location.lat = lat;
    intake.location.address = "建中街 \"12\" 号";
    Result<Case> opened = OpenCase(intake, env_.clock().Now());
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    storage::NewCase new_case;
    new_case.initial = *opened;
    new_case.created = MakeCreatedEvent(*opened, kOperator);
    Result<storage::CreateResult> created = store().CreateCase(new_case);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    env_.clock().Advance(std::chrono::minutes(1));
    return created.value_or(storage::CreateResult{});
  }

  // Takes `action` on `current` in the store; returns the new case and its event's seq.
  std::pair<Case, int64_t> Act(const Case& current, Action action, const Actor& actor,
                               ActionParams params = {}) {
    ActionRequest request{action, actor, env_.clock().Now(), std::move(params), "", {}};
    Result<Case> next = ApplyAction(current, request);
    EXPECT_TRUE(next.ok()) << next.status().ToString();
    auto stored =
        store().Append(current.id, current.version, {MakeActionEvent(current, request)}, *next);
    EXPECT_TRUE(stored.ok()) << stored.status().ToString();
    return {*next, stored.ok() ? stored->back().global_seq : 0};
  }

  DuplicateSearch Near(double lon, double lat, const std::string& category = "06010") {
    DuplicateSearch s;
    s.category = category;
    s.point = {lon, lat};
    s.radius_m = 50;
    s.created_from = TestStart() - std::chrono::hours(1);
    s.created_to = env_.clock().Now() + Duration(1);
    s.limit = 100;
    return s;
  }

  ServiceEnv env_;
  CountingCaseStore counting_{env_.store().cases()};
  DuplicateIndex index_{counting_};
};

TEST_F(DuplicateIndexTest, OwnCreatesNeedNoRowWhetherTheFollowerOrTheHandoverComesFirst) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> jitter(-0.0003, 0.0003);  // about ±30 m
  const char* categories[] = {"06010", "06012"};
  std::vector<storage::CreateResult> created;
  for (int i = 0; i < 60; ++i) {
    storage::CreateResult c =
        Create(113.607 + jitter(rng), 34.703 + jitter(rng), categories[i % 2]);
    ASSERT_GT(c.created_seq, 0);
    if (i % 2 == 0) {
      // The follower reads the event before the writer hands the case over (the usual order
      // under load), then the handover brings the number.
      ASSERT_TRUE(index_.PollOnce().ok());
      index_.Record(c.created_case, c.created_seq);
    } else {
      index_.Record(c.created_case, c.created_seq);
      ASSERT_TRUE(index_.PollOnce().ok());
    }
    created.push_back(c);
  }
  EXPECT_EQ(counting_.loads(), 0);
  EXPECT_EQ(index_.size(), 60u);
  EXPECT_EQ(index_.position(), store().LastGlobalSeq().value_or(-1));
  // Every case is found under its own number and state, still without a row read.
  for (const storage::CreateResult& c : created) {
    const Case& k = c.created_case;
    std::vector<DuplicateCandidate> found =
        index_.Find(Near(k.location.lon, k.location.lat, k.category));
    bool seen = false;
    for (const DuplicateCandidate& d : found) {
      EXPECT_FALSE(d.number.empty());
      if (d.number != k.number) continue;
      seen = true;
      EXPECT_EQ(d.state, CaseState::kReported);
      EXPECT_EQ(d.created_at, k.created_at);
      EXPECT_EQ(d.metres, 0);
    }
    EXPECT_TRUE(seen) << k.number;
    EXPECT_GE(found.size(), 2u);  // 60 cases within ~60 m: each search finds neighbours
  }
  EXPECT_EQ(counting_.loads(), 0);
}

// Another node's case: no handover ever comes. The index holds it from the event and reads its
// row once, when a search first answers it; a later event of it reads the row again.
TEST_F(DuplicateIndexTest, AnotherNodesCaseIsNumberedByOneRowReadWhenFirstFound) {
  storage::CreateResult remote = Create(113.607, 34.703);
  ASSERT_TRUE(index_.PollOnce().ok());
  EXPECT_EQ(index_.size(), 1u);
  EXPECT_EQ(counting_.loads(), 0);
  EXPECT_TRUE(index_.Find(Near(113.610, 34.703)).empty());  // 270 m away: nothing to number
  EXPECT_EQ(counting_.loads(), 0);

  std::vector<DuplicateCandidate> found = index_.Find(Near(113.6071, 34.703));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].number, remote.created_case.number);
  EXPECT_EQ(found[0].state, CaseState::kReported);
  EXPECT_EQ(counting_.loads(), 1);
  EXPECT_EQ(index_.Find(Near(113.6071, 34.703)).size(), 1u);
  EXPECT_EQ(counting_.loads(), 1);

  ActionParams valid;
  valid.valid = true;
  auto [verified, seq] = Act(remote.created_case, Action::kVerify, kInspector, valid);
  ASSERT_TRUE(index_.PollOnce().ok());
  EXPECT_EQ(counting_.loads(), 2);
  found = index_.Find(Near(113.6071, 34.703));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].state, CaseState::kPending);
  EXPECT_EQ(counting_.loads(), 2);
}

// A case that another node created and moved on before this index read either event: the row
// is read when the later event is, and a search found before any row read shows the newest state.
TEST_F(DuplicateIndexTest, ARowReadForANumberAlsoBringsTheNewerState) {
  storage::CreateResult remote = Create(113.607, 34.703);
  auto created = store().EventsAfter(index_.position(), 1);
  ASSERT_TRUE(created.ok() && created->size() == 1u);
  ASSERT_TRUE(index_.Apply(*created).ok());  // only the kCreated event so far
  ActionParams valid;
  valid.valid = true;
  Act(remote.created_case, Action::kVerify, kInspector, valid);
  std::vector<DuplicateCandidate> found = index_.Find(Near(113.607, 34.703));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].number, remote.created_case.number);
  EXPECT_EQ(found[0].state, CaseState::kPending);  // the row is at version 2
  EXPECT_EQ(counting_.loads(), 1);
  ASSERT_TRUE(index_.PollOnce().ok());  // version 2 is already held: no second read
  EXPECT_EQ(counting_.loads(), 1);
}

// This node creates and closes out a case before the follower reads either event: the kCreated
// event must not bring it back, and no row is read for it.
TEST_F(DuplicateIndexTest, ACaseClosedHereAheadOfTheLogStaysOut) {
  storage::CreateResult c = Create(113.607, 34.703);
  index_.Record(c.created_case, c.created_seq);
  auto [cancelled, seq] = Act(c.created_case, Action::kCancel, kOperator);
  ASSERT_EQ(cancelled.state, CaseState::kCancelled);
  index_.Record(cancelled, seq);
  EXPECT_EQ(index_.size(), 0u);

  auto first = store().EventsAfter(index_.position(), 1);
  ASSERT_TRUE(first.ok() && first->size() == 1u);
  ASSERT_EQ((*first)[0].type, EventType::kCreated);
  ASSERT_TRUE(index_.Apply(*first).ok());
  EXPECT_EQ(index_.size(), 0u);
  EXPECT_TRUE(index_.Find(Near(113.607, 34.703)).empty());
  ASSERT_TRUE(index_.PollOnce().ok());
  EXPECT_EQ(index_.size(), 0u);
  EXPECT_EQ(index_.position(), seq);
  EXPECT_EQ(counting_.loads(), 0);

  // Past the close, a new case at the same place enters as usual.
  storage::CreateResult next = Create(113.607, 34.703);
  ASSERT_TRUE(index_.PollOnce().ok());
  index_.Record(next.created_case, next.created_seq);
  std::vector<DuplicateCandidate> found = index_.Find(Near(113.607, 34.703));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].number, next.created_case.number);
  EXPECT_EQ(counting_.loads(), 0);
}

}  // namespace
}  // namespace citygrid::service
