#include "citygrid/service/case_feed.h"

#include <gtest/gtest.h>

#include "tests/service/service_test_env.h"

namespace citygrid::service {
namespace {

using testing::GarbageReport;
using testing::MakeActor;
using testing::ServiceEnv;

const Actor kOperator = MakeActor("op", Role::kOperator);
const Actor kInspector = MakeActor("insp", Role::kInspector);
const Actor kDispatcher = MakeActor("disp", Role::kDispatcher);
const Actor kHandlerHw = MakeActor("hw1", Role::kHandler, "U-HW");
const Actor kHandlerCg = MakeActor("cg1", Role::kHandler, "U-CG");

std::string CreateAndDispatch(ServiceEnv& env, const std::string& unit) {
  auto created = env.service().Create(kInspector, GarbageReport("inspector"), "");
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  std::string number = created->record.number;
  ActRequest reg;
  reg.action = Action::kRegister;
  reg.expected_version = 1;
  EXPECT_TRUE(env.service().Act(kOperator, number, reg).ok());
  ActRequest dispatch;
  dispatch.action = Action::kDispatch;
  dispatch.expected_version = 2;
  dispatch.params.unit = unit;
  auto d = env.service().Act(kDispatcher, number, dispatch);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return number;
}

FeedOptions SmallQueue() {
  FeedOptions o;
  o.queue_capacity = 2;
  return o;
}

// Polls rarely, so delivery within the test relies on Notify().
EventLogFollowerOptions SlowPoll() {
  EventLogFollowerOptions o;
  o.poll_interval = std::chrono::seconds(5);
  return o;
}

std::vector<FeedItem> Drain(FeedSubscription& sub) {
  auto items = sub.Next(Duration(0));
  EXPECT_TRUE(items.ok()) << items.status().ToString();
  return items.ok() ? *items : std::vector<FeedItem>{};
}

TEST(CaseFeedTest, DeliversEventsInOrderAndFiltersByUnit) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  CaseFeed feed(env.store().cases());
  ASSERT_TRUE(feed.SeekToEnd().ok());
  auto all = feed.Subscribe(kOperator);
  auto hw = feed.Subscribe(kHandlerHw);
  auto cg = feed.Subscribe(kHandlerCg);
  std::string mine = CreateAndDispatch(env, "U-HW");
  std::string theirs = CreateAndDispatch(env, "U-CG");
  auto polled = feed.PollOnce();
  ASSERT_TRUE(polled.ok()) << polled.status().ToString();
  EXPECT_EQ(*polled, 6);

  std::vector<FeedItem> everything = Drain(*all);
  ASSERT_EQ(everything.size(), 6u);
  for (size_t i = 1; i < everything.size(); ++i) {
    EXPECT_LT(everything[i - 1].event.global_seq, everything[i].event.global_seq);
  }
  EXPECT_EQ(everything[0].number, mine);
  EXPECT_EQ(everything[0].event.type, EventType::kCreated);
  EXPECT_EQ(everything[5].number, theirs);
  EXPECT_EQ(everything[5].event.action, Action::kDispatch);

  std::vector<FeedItem> hw_items = Drain(*hw);
  ASSERT_EQ(hw_items.size(), 3u);
  for (const auto& item : hw_items) EXPECT_EQ(item.number, mine);
  std::vector<FeedItem> cg_items = Drain(*cg);
  ASSERT_EQ(cg_items.size(), 3u);
  for (const auto& item : cg_items) EXPECT_EQ(item.number, theirs);
  EXPECT_EQ(feed.position(), everything.back().event.global_seq);
  // Nothing new: nothing delivered.
  EXPECT_EQ(*feed.PollOnce(), 0);
  EXPECT_TRUE(Drain(*all).empty());
}

TEST(CaseFeedTest, MasksTheReporterForRolesThatMayNotSeeIt) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  CaseFeed feed(env.store().cases());
  ASSERT_TRUE(feed.SeekToEnd().ok());
  auto inspector = feed.Subscribe(kInspector);
  auto op = feed.Subscribe(kOperator);
  ASSERT_TRUE(env.service().Create(kOperator, GarbageReport(), "").ok());
  ASSERT_TRUE(feed.PollOnce().ok());
  auto masked = Drain(*inspector);
  auto plain = Drain(*op);
  ASSERT_EQ(masked.size(), 1u);
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_NE(masked[0].event.payload_json.find("138****1234"), std::string::npos);
  EXPECT_NE(plain[0].event.payload_json.find("13812341234"), std::string::npos);
}

TEST(CaseFeedTest, DropsASubscriberThatFallsBehind) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  CaseFeed feed(env.store().cases(), SmallQueue());
  ASSERT_TRUE(feed.SeekToEnd().ok());
  auto slow = feed.Subscribe(kOperator);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(env.service().Create(kOperator, GarbageReport(), "").ok());
  ASSERT_TRUE(feed.PollOnce().ok());
  EXPECT_TRUE(slow->dropped());
  EXPECT_EQ(slow->Next(Duration(0)).status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(feed.subscriber_count(), 0u);
  // A new subscriber starts fresh.
  auto fresh = feed.Subscribe(kOperator);
  ASSERT_TRUE(env.service().Create(kOperator, GarbageReport(), "").ok());
  ASSERT_TRUE(feed.PollOnce().ok());
  EXPECT_EQ(Drain(*fresh).size(), 1u);
}

TEST(CaseFeedTest, FollowerDeliversLocalWritesAndClosingEndsSubscriptions) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  CaseFeed feed(env.store().cases());
  EventLogFollower follower(env.store().cases(), SlowPoll());
  env.service().SetWriteListener([&follower](int64_t last_seq) { follower.Notify(last_seq); });
  ASSERT_TRUE(follower.Subscribe(feed).ok());
  ASSERT_TRUE(follower.Start().ok());
  auto sub = feed.Subscribe(kOperator);
  auto created = env.service().Create(kOperator, GarbageReport(), "");
  ASSERT_TRUE(created.ok());
  std::vector<FeedItem> got;
  for (int i = 0; i < 50 && got.empty(); ++i) {
    auto items = sub->Next(Duration(100));
    ASSERT_TRUE(items.ok()) << items.status().ToString();
    got = *items;
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].number, created->record.number);
  follower.Stop();
  feed.Close();
  EXPECT_EQ(sub->Next(Duration(0)).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(feed.Subscribe(kOperator)->Next(Duration(0)).status().code(),
            StatusCode::kUnavailable);
  env.service().SetWriteListener(nullptr);
}

}  // namespace
}  // namespace citygrid::service
