#include "citygrid/service/event_log_follower.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "citygrid/service/case_feed.h"
#include "citygrid/service/duplicate_index.h"
#include "tests/service/service_test_env.h"

namespace citygrid::service {
namespace {

using testing::GarbageReport;
using testing::MakeActor;
using testing::ServiceEnv;

const Actor kOperator = MakeActor("op", Role::kOperator);

// Every call any recorder receives, in the order they happened: (recorder name, the global_seqs
// of the batch).
struct CallLog {
  std::mutex mu;
  std::vector<std::pair<std::string, std::vector<int64_t>>> calls;
};

// A subscriber that records what it is given. It starts at `start` (kFromZero: 0; kAtEnd: the
// log's end, like the live feed) and can be told to fail its next CatchUp or Apply.
class Recorder final : public EventLogSubscriber {
 public:
  enum class Start { kFromZero, kAtEnd };
  Recorder(std::string name, storage::CaseStore& store, CallLog& log, Start start = Start::kFromZero)
      : name_(std::move(name)), store_(store), log_(log), start_(start) {}

  Status CatchUp() override {
    std::lock_guard lock(mu_);
    ++catch_ups_;
    if (fail_catch_up_) return UnavailableError(name_ + ": catch-up failed");
    if (start_ == Start::kAtEnd) {
      CITYGRID_ASSIGN_OR_RETURN(position_, store_.LastGlobalSeq());
    } else {
      position_ = 0;
    }
    return OkStatus();
  }
  int64_t position() const override {
    std::lock_guard lock(mu_);
    return position_;
  }
  Status Apply(const std::vector<CaseEvent>& events) override {
    std::lock_guard lock(mu_);
    if (fail_apply_) return UnavailableError(name_ + ": apply failed");
    std::vector<int64_t> seqs;
    for (const CaseEvent& e : events) {
      EXPECT_GT(e.global_seq, position_) << name_ << " was given an event it had applied";
      seqs.push_back(e.global_seq);
      position_ = e.global_seq;
      applied_.push_back(e.global_seq);
    }
    std::lock_guard log_lock(log_.mu);
    log_.calls.emplace_back(name_, std::move(seqs));
    return OkStatus();
  }

  void FailCatchUp(bool fail) {
    std::lock_guard lock(mu_);
    fail_catch_up_ = fail;
  }
  void FailApply(bool fail) {
    std::lock_guard lock(mu_);
    fail_apply_ = fail;
  }
  std::vector<int64_t> applied() const {
    std::lock_guard lock(mu_);
    return applied_;
  }
  int catch_ups() const {
    std::lock_guard lock(mu_);
    return catch_ups_;
  }

 private:
  const std::string name_;
  storage::CaseStore& store_;
  CallLog& log_;
  const Start start_;
  mutable std::mutex mu_;
  int64_t position_ = 0;
  std::vector<int64_t> applied_;
  bool fail_catch_up_ = false;
  bool fail_apply_ = false;
  int catch_ups_ = 0;
};

// Creates `n` cases through `env`'s service; returns the log's last global_seq after them.
int64_t CreateCases(ServiceEnv& env, int n) {
  for (int i = 0; i < n; ++i) {
    auto created = env.service().Create(kOperator, GarbageReport(), "");
    EXPECT_TRUE(created.ok()) << created.status().ToString();
  }
  return env.store().cases().LastGlobalSeq().value_or(-1);
}

std::vector<int64_t> Seqs(int64_t from_exclusive, int64_t to_inclusive) {
  std::vector<int64_t> out;
  for (int64_t s = from_exclusive + 1; s <= to_inclusive; ++s) out.push_back(s);
  return out;
}

// Waits up to 5 s for `done`.
template <typename Predicate>
bool Eventually(Predicate done) {
  for (int i = 0; i < 250; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

TEST(EventLogFollowerTest, FansEachBatchOutToEverySubscriberInSubscriptionOrder) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  const int64_t last = CreateCases(env, 7);
  ASSERT_EQ(last, 7);
  CallLog log;
  Recorder first("first", env.store().cases(), log), second("second", env.store().cases(), log);
  EventLogFollowerOptions options;
  options.batch = 3;  // 7 events: batches of 3, 3 and 1
  EventLogFollower follower(env.store().cases(), options);
  ASSERT_TRUE(follower.Subscribe(first).ok());
  ASSERT_TRUE(follower.Subscribe(second).ok());
  ASSERT_TRUE(follower.Subscribe(first).ok());  // already there: no second copy
  EXPECT_EQ(follower.subscriber_count(), 2u);

  auto read = follower.PollOnce();
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, 7);
  std::vector<std::pair<std::string, std::vector<int64_t>>> want = {
      {"first", {1, 2, 3}}, {"second", {1, 2, 3}}, {"first", {4, 5, 6}},
      {"second", {4, 5, 6}}, {"first", {7}},      {"second", {7}}};
  EXPECT_EQ(log.calls, want);
  EXPECT_TRUE(follower.last_error().ok());
  // Nothing new: nothing read, nobody called.
  EXPECT_EQ(*follower.PollOnce(), 0);
  EXPECT_EQ(log.calls.size(), want.size());
}

TEST(EventLogFollowerTest, EachSubscriberStartsAtItsOwnPosition) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  const int64_t before = CreateCases(env, 3);
  CallLog log;
  Recorder replay("replay", env.store().cases(), log, Recorder::Start::kFromZero);
  Recorder live("live", env.store().cases(), log, Recorder::Start::kAtEnd);
  EventLogFollower follower(env.store().cases());
  ASSERT_TRUE(follower.Subscribe(replay).ok());
  ASSERT_TRUE(follower.Subscribe(live).ok());
  const int64_t after = CreateCases(env, 2);
  ASSERT_TRUE(follower.PollOnce().ok());
  EXPECT_EQ(replay.applied(), Seqs(0, after));
  EXPECT_EQ(live.applied(), Seqs(before, after));  // nothing from before it subscribed
}

TEST(EventLogFollowerTest, AFailingSubscriberGetsTheSameEventsAgainAndDoesNotHoldUpTheOthers) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  CallLog log;
  Recorder healthy("healthy", env.store().cases(), log);
  Recorder flaky("flaky", env.store().cases(), log);
  EventLogFollower follower(env.store().cases());
  ASSERT_TRUE(follower.Subscribe(flaky).ok());
  ASSERT_TRUE(follower.Subscribe(healthy).ok());
  const int64_t first = CreateCases(env, 2);
  flaky.FailApply(true);
  ASSERT_TRUE(follower.PollOnce().ok());  // the read itself worked
  EXPECT_EQ(follower.last_error().code(), StatusCode::kUnavailable);
  EXPECT_EQ(healthy.applied(), Seqs(0, first));
  EXPECT_TRUE(flaky.applied().empty());
  EXPECT_EQ(flaky.position(), 0);

  const int64_t second = CreateCases(env, 1);
  flaky.FailApply(false);
  ASSERT_TRUE(follower.PollOnce().ok());
  EXPECT_TRUE(follower.last_error().ok());
  // Each got every event exactly once, in order.
  EXPECT_EQ(flaky.applied(), Seqs(0, second));
  EXPECT_EQ(healthy.applied(), Seqs(0, second));
}

TEST(EventLogFollowerTest, ACatchUpThatFailsIsRetriedOnTheFollowersThread) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  const int64_t last = CreateCases(env, 2);
  CallLog log;
  Recorder slow("slow", env.store().cases(), log);
  EventLogFollower follower(env.store().cases());
  // On the caller: the error comes back and the subscriber is not added.
  slow.FailCatchUp(true);
  EXPECT_EQ(follower.Subscribe(slow).code(), StatusCode::kUnavailable);
  EXPECT_EQ(follower.subscriber_count(), 0u);
  // On the follower: added now, caught up at a later wake-up.
  ASSERT_TRUE(follower.Subscribe(slow, EventLogFollower::CatchUpOn::kFollower).ok());
  EXPECT_EQ(follower.subscriber_count(), 1u);
  ASSERT_TRUE(follower.PollOnce().ok());
  EXPECT_EQ(follower.last_error().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(slow.applied().empty());
  slow.FailCatchUp(false);
  ASSERT_TRUE(follower.PollOnce().ok());
  EXPECT_TRUE(follower.last_error().ok());
  EXPECT_EQ(slow.applied(), Seqs(0, last));
  const int catch_ups = slow.catch_ups();
  ASSERT_TRUE(follower.PollOnce().ok());
  EXPECT_EQ(slow.catch_ups(), catch_ups);  // once caught up, never again
}

TEST(EventLogFollowerTest, StopsAndRestartsWhereEachSubscriberLeftOff) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  CallLog log;
  Recorder a("a", env.store().cases(), log), b("b", env.store().cases(), log);
  EventLogFollowerOptions options;
  options.poll_interval = std::chrono::seconds(30);  // only Notify() wakes it
  EventLogFollower follower(env.store().cases(), options);
  env.service().SetWriteListener([&follower](int64_t last_seq) { follower.Notify(last_seq); });
  ASSERT_TRUE(follower.Subscribe(a).ok());
  ASSERT_TRUE(follower.Subscribe(b, EventLogFollower::CatchUpOn::kFollower).ok());
  ASSERT_TRUE(follower.Start().ok());
  ASSERT_TRUE(follower.Start().ok());  // idempotent
  const int64_t first = CreateCases(env, 2);
  EXPECT_TRUE(Eventually([&] { return a.position() == first && b.position() == first; }));
  follower.Stop();
  follower.Stop();  // idempotent

  const int64_t second = CreateCases(env, 3);  // written while stopped
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(a.position(), first);
  ASSERT_TRUE(follower.Start().ok());
  follower.Notify();
  EXPECT_TRUE(Eventually([&] { return a.position() == second && b.position() == second; }));
  follower.Stop();
  env.service().SetWriteListener(nullptr);
  EXPECT_EQ(a.applied(), Seqs(0, second));
  EXPECT_EQ(b.applied(), Seqs(0, second));
  EXPECT_EQ(b.catch_ups(), 1);
}

// Notify(seq) does not wake the follower for an event every subscriber has applied; a
// subscriber that starts behind the others (here from seq 0) is woken for the same seq.
TEST(EventLogFollowerTest, ANotifyOfAnAppliedEventWakesOnlyForASubscriberBehind) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  CallLog log;
  Recorder a("a", env.store().cases(), log), b("b", env.store().cases(), log);
  EventLogFollowerOptions options;
  options.poll_interval = std::chrono::seconds(30);  // only Notify() wakes it
  EventLogFollower follower(env.store().cases(), options);
  ASSERT_TRUE(follower.Subscribe(a).ok());
  ASSERT_TRUE(follower.Start().ok());
  const int64_t last = CreateCases(env, 3);
  follower.Notify(last);
  EXPECT_TRUE(Eventually([&] { return a.position() == last; }));
  // b starts at 0: a Notify of `last`, which a has applied, must still wake the follower.
  ASSERT_TRUE(follower.Subscribe(b).ok());
  follower.Notify(last);
  EXPECT_TRUE(Eventually([&] { return b.position() == last; }));
  follower.Stop();
  EXPECT_EQ(a.applied(), Seqs(0, last));
  EXPECT_EQ(b.applied(), Seqs(0, last));
}

TEST(EventLogFollowerTest, UnsubscribedSubscribersGetNothingMore) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  CallLog log;
  Recorder a("a", env.store().cases(), log), b("b", env.store().cases(), log);
  EventLogFollower follower(env.store().cases());
  ASSERT_TRUE(follower.Subscribe(a).ok());
  ASSERT_TRUE(follower.Subscribe(b).ok());
  const int64_t first = CreateCases(env, 1);
  ASSERT_TRUE(follower.PollOnce().ok());
  follower.Unsubscribe(a);
  follower.Unsubscribe(a);  // no-op
  const int64_t second = CreateCases(env, 1);
  ASSERT_TRUE(follower.PollOnce().ok());
  EXPECT_EQ(a.applied(), Seqs(0, first));
  EXPECT_EQ(b.applied(), Seqs(0, second));
}

// Another node (a second store on the same database file, with its own case service) writes;
// the follower, which this node's service never notified, reads those writes on its poll, and
// the real subscribers (duplicate index, live feed) see them.
TEST(EventLogFollowerTest, CatchesUpWithAnotherNodesWritesByPolling) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  storage::StoreOptions node2_options;
  node2_options.data_dir = env.dir();
  auto node2 = storage::OpenStore(node2_options);
  ASSERT_TRUE(node2.ok()) << node2.status().ToString();
  CaseService other(**node2, env.reference(), env.clock());

  CallLog log;
  Recorder recorder("recorder", env.store().cases(), log);
  DuplicateIndex index(env.store().cases());
  CaseFeed feed(env.store().cases());
  EventLogFollowerOptions options;
  options.poll_interval = Duration(20);
  EventLogFollower follower(env.store().cases(), options);
  ASSERT_TRUE(follower.Subscribe(index).ok());
  ASSERT_TRUE(follower.Subscribe(feed).ok());
  ASSERT_TRUE(follower.Subscribe(recorder).ok());
  auto sub = feed.Subscribe(kOperator);
  ASSERT_TRUE(follower.Start().ok());

  auto remote = other.Create(kOperator, GarbageReport(), "");
  ASSERT_TRUE(remote.ok()) << remote.status().ToString();
  const int64_t seq = (*node2)->cases().LastGlobalSeq().value_or(-1);
  EXPECT_TRUE(Eventually([&] { return index.position() >= seq && recorder.position() >= seq; }));
  EXPECT_EQ(index.size(), 1u);
  std::vector<FeedItem> items;
  EXPECT_TRUE(Eventually([&] {
    auto got = sub->Next(Duration(0));
    if (got.ok()) items.insert(items.end(), got->begin(), got->end());
    return !items.empty();
  }));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].number, remote->record.number);
  EXPECT_EQ(recorder.applied(), Seqs(0, seq));
  follower.Stop();
  feed.Close();
}

TEST(EventLogFollowerTest, RejectsABatchOutOfRange) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  EventLogFollowerOptions options;
  options.batch = 0;
  EventLogFollower follower(env.store().cases(), options);
  EXPECT_EQ(follower.Start().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace citygrid::service
