#include "citygrid/service/case_feed.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/service/forwarding_case_store.h"
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
  EXPECT_EQ(feed.stats().dropped, 1u);
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

std::vector<int64_t> SeqsOf(const std::vector<FeedItem>& items) {
  std::vector<int64_t> seqs;
  for (const FeedItem& item : items) seqs.push_back(item.event.global_seq);
  return seqs;
}

// A reconnecting client names its last event: it gets what it missed (only what it may see),
// then the live events, with no gap and no repeat.
TEST(CaseFeedTest, SubscribeAfterReplaysTheMissedEventsThenGoesOnLive) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  CaseFeed feed(env.store().cases());
  ASSERT_TRUE(feed.SeekToEnd().ok());
  auto first = feed.Subscribe(kOperator);
  std::string mine = CreateAndDispatch(env, "U-HW");
  std::string theirs = CreateAndDispatch(env, "U-CG");
  ASSERT_EQ(*feed.PollOnce(), 6);
  std::vector<FeedItem> seen = Drain(*first);
  ASSERT_EQ(seen.size(), 6u);
  first->Close();

  // The operator had received the first two events before the connection dropped.
  auto again = feed.SubscribeAfter(kOperator, seen[1].event.global_seq);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  std::vector<FeedItem> replayed = Drain(**again);
  std::vector<int64_t> expected;
  for (size_t i = 2; i < seen.size(); ++i) expected.push_back(seen[i].event.global_seq);
  EXPECT_EQ(SeqsOf(replayed), expected);
  EXPECT_FALSE(replayed.front().reset);
  EXPECT_EQ(replayed.front().number, mine);
  EXPECT_EQ(replayed.back().number, theirs);

  // A handler replays only its own unit's events, the reporter masked as when live.
  auto hw = feed.SubscribeAfter(kHandlerHw, seen[0].event.global_seq - 1);
  ASSERT_TRUE(hw.ok());
  std::vector<FeedItem> hw_items = Drain(**hw);
  ASSERT_EQ(hw_items.size(), 3u);
  for (const FeedItem& item : hw_items) EXPECT_EQ(item.number, mine);
  EXPECT_EQ(hw_items[0].event.payload_json.find("13812341234"), std::string::npos);

  // Caught up: nothing to replay, and the next event arrives once.
  auto current = feed.SubscribeAfter(kOperator, seen.back().event.global_seq);
  ASSERT_TRUE(current.ok());
  EXPECT_TRUE(Drain(**current).empty());
  ASSERT_TRUE(env.service().Create(kOperator, GarbageReport(), "").ok());
  ASSERT_EQ(*feed.PollOnce(), 1);
  std::vector<FeedItem> live = Drain(**again);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].event.global_seq, seen.back().event.global_seq + 1);
  EXPECT_EQ(Drain(**current).size(), 1u);
}

// What cannot be replayed starts the stream with one reset item at the feed's position.
TEST(CaseFeedTest, SubscribeAfterSendsAResetWhenItCannotReplay) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  FeedOptions options;
  options.queue_capacity = 3;
  options.replay_limit = 5;
  CaseFeed feed(env.store().cases(), options);
  ASSERT_TRUE(feed.SeekToEnd().ok());
  const int64_t start = feed.position();
  CreateAndDispatch(env, "U-HW");
  CreateAndDispatch(env, "U-CG");
  ASSERT_EQ(*feed.PollOnce(), 6);
  const int64_t end = feed.position();
  ASSERT_EQ(end, start + 6);

  auto expect_reset = [&](int64_t after, const std::string& words) {
    auto sub = feed.SubscribeAfter(kOperator, after);
    ASSERT_TRUE(sub.ok()) << sub.status().ToString();
    std::vector<FeedItem> items = Drain(**sub);
    ASSERT_EQ(items.size(), 1u) << "after " << after;
    EXPECT_TRUE(items[0].reset);
    EXPECT_EQ(items[0].event.global_seq, end);
    EXPECT_NE(items[0].reset_reason.find(words), std::string::npos) << items[0].reset_reason;
  };
  expect_reset(end + 1, "is not one this feed has sent");  // an id from another log
  expect_reset(-1, "is not one this feed has sent");
  expect_reset(start, "more than the 5 a reconnection replays");  // 6 events missed
  expect_reset(start + 1, "than a stream queues (3)");  // 5 events, a queue of 3
  // Three missed events fit: replayed, no reset.
  auto fits = feed.SubscribeAfter(kOperator, end - 3);
  ASSERT_TRUE(fits.ok());
  std::vector<FeedItem> items = Drain(**fits);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_FALSE(items[0].reset);
  // A handler's replay counts only what it may see: 3 of the last 4 events are its own.
  auto hw = feed.SubscribeAfter(kHandlerCg, end - 4);
  ASSERT_TRUE(hw.ok());
  EXPECT_EQ(Drain(**hw).size(), 3u);
  // For /metrics: four resets, two replays; the two replaying subscriptions are still open.
  FeedStats stats = feed.stats();
  EXPECT_EQ(stats.resets, 4u);
  EXPECT_EQ(stats.replays, 2u);
  EXPECT_EQ(stats.subscribers, 2u);
  EXPECT_EQ(stats.dropped, 0u);
}

// The real store, whose LoadCase waits while the test holds it: the feed's Apply() reads the
// cases of its events after taking its subscribers and before moving its position.
class HeldCaseStore final : public testing::ForwardingCaseStore {
 public:
  using ForwardingCaseStore::ForwardingCaseStore;

  void Hold() {
    std::lock_guard lock(mu_);
    held_ = true;
    entered_ = false;
  }
  void WaitUntilEntered() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return entered_; });
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      held_ = false;
    }
    cv_.notify_all();
  }
  Result<Case> LoadCase(int64_t case_id) override {
    {
      std::unique_lock lock(mu_);
      if (held_) {
        entered_ = true;
        cv_.notify_all();
        cv_.wait(lock, [this] { return !held_; });
      }
    }
    return ForwardingCaseStore::LoadCase(case_id);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  bool entered_ = false;
};

// A reconnection in the middle of an Apply() waits for it, then replays its events: the client
// neither misses them (registered after Apply() took its subscribers, replaying only up to the
// old position) nor gets them twice.
TEST(CaseFeedTest, AReconnectionDuringDeliveryGetsThoseEventsOnce) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  HeldCaseStore held(env.store().cases());
  CaseFeed feed(held);
  ASSERT_TRUE(feed.SeekToEnd().ok());
  const int64_t before = feed.position();
  auto watcher = feed.Subscribe(kOperator);  // so that Apply() reads the case
  ASSERT_TRUE(env.service().Create(kOperator, GarbageReport(), "").ok());
  held.Hold();
  std::thread apply([&] { EXPECT_EQ(feed.PollOnce().value_or(-1), 1); });
  held.WaitUntilEntered();
  std::shared_ptr<FeedSubscription> reconnected;
  std::thread reconnect([&] {
    auto sub = feed.SubscribeAfter(kOperator, before);
    ASSERT_TRUE(sub.ok()) << sub.status().ToString();
    reconnected = *sub;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // time to cut in, if it could
  held.Release();
  apply.join();
  reconnect.join();
  ASSERT_NE(reconnected, nullptr);
  std::vector<FeedItem> items = Drain(*reconnected);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].event.global_seq, before + 1);
  EXPECT_EQ(Drain(*watcher).size(), 1u);
}

// Reconnecting while the follower delivers: every event reaches the client exactly once.
TEST(CaseFeedTest, ReconnectingDuringWritesLosesAndRepeatsNothing) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  CaseFeed feed(env.store().cases());
  EventLogFollower follower(env.store().cases());
  env.service().SetWriteListener([&follower](int64_t last_seq) { follower.Notify(last_seq); });
  ASSERT_TRUE(follower.Subscribe(feed).ok());
  ASSERT_TRUE(follower.Start().ok());
  const int64_t start = feed.position();
  constexpr int kCases = 120;
  std::thread writer([&] {
    for (int i = 0; i < kCases; ++i) {
      EXPECT_TRUE(env.service().Create(kOperator, GarbageReport(), "").ok());
    }
  });
  std::vector<int64_t> received;
  auto sub = feed.SubscribeAfter(kOperator, start);
  ASSERT_TRUE(sub.ok());
  std::shared_ptr<FeedSubscription> current = *sub;
  for (int round = 0; round < 2000 && received.size() < kCases; ++round) {
    auto items = current->Next(Duration(5));
    ASSERT_TRUE(items.ok()) << items.status().ToString();
    for (const FeedItem& item : *items) {
      ASSERT_FALSE(item.reset);
      received.push_back(item.event.global_seq);
    }
    if (round % 3 == 0) {  // drop the connection and come back from the last event received
      current->Close();
      auto next = feed.SubscribeAfter(kOperator, received.empty() ? start : received.back());
      ASSERT_TRUE(next.ok());
      current = *next;
    }
  }
  writer.join();
  for (int i = 0; i < 50 && received.size() < kCases; ++i) {
    auto items = current->Next(Duration(100));
    ASSERT_TRUE(items.ok());
    for (const FeedItem& item : *items) received.push_back(item.event.global_seq);
  }
  follower.Stop();
  env.service().SetWriteListener(nullptr);
  ASSERT_EQ(received.size(), static_cast<size_t>(kCases));
  for (size_t i = 0; i < received.size(); ++i) {
    EXPECT_EQ(received[i], start + 1 + static_cast<int64_t>(i));
  }
}

}  // namespace
}  // namespace citygrid::service
