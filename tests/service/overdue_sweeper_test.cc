#include "citygrid/service/overdue_sweeper.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/service/service_test_env.h"

namespace citygrid::service {
namespace {

using testing::GarbageReport;
using testing::MakeActor;
using testing::ServiceEnv;

const Actor kOperator = MakeActor("op", Role::kOperator);

int OverdueEvents(CaseService& service, const std::string& number) {
  auto detail = service.Get(kOperator, number);
  EXPECT_TRUE(detail.ok()) << detail.status().ToString();
  int n = 0;
  for (const auto& e : detail->history) n += e.type == EventType::kOverdue;
  return n;
}

std::string Create(ServiceEnv& env) {
  auto r = env.service().Create(kOperator, GarbageReport(), "");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r->record.number : "";
}

TEST(OverdueSweepTest, MarksAPassedDeadlineExactlyOnce) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  std::string number = Create(env);  // verify deadline 10:30
  auto early = env.service().SweepOverdue(*ParseIso8601("2026-03-10T10:30:00+08:00"));
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(*early, 0);  // at the deadline it is not yet overdue
  auto swept = env.service().SweepOverdue(*ParseIso8601("2026-03-10T10:31:00+08:00"));
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  EXPECT_EQ(*swept, 1);
  auto again = env.service().SweepOverdue(*ParseIso8601("2026-03-10T11:00:00+08:00"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
  EXPECT_EQ(OverdueEvents(env.service(), number), 1);
  auto c = env.service().Get(kOperator, number);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->record.overdue);
  EXPECT_EQ(c->history.back().payload_json, "{\"stage\":\"verify\"}");
  EXPECT_EQ(c->history.back().actor.role, Role::kSystem);
}

TEST(OverdueSweepTest, ANewStageCanBecomeOverdueAgain) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  std::string number = Create(env);
  env.clock().Set(*ParseIso8601("2026-03-10T11:00:00+08:00"));
  ASSERT_EQ(*env.service().SweepOverdue(env.clock().Now()), 1);
  ActRequest verify;
  verify.action = Action::kVerify;
  verify.params.valid = true;
  verify.expected_version = 2;
  auto verified = env.service().Act(MakeActor("insp", Role::kInspector), number, verify);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_FALSE(verified->record.overdue);  // the register stage starts on time
  env.clock().Set(*ParseIso8601("2026-03-10T14:00:00+08:00"));
  EXPECT_EQ(*env.service().SweepOverdue(env.clock().Now()), 1);
  EXPECT_EQ(OverdueEvents(env.service(), number), 2);
}

TEST(OverdueSweepTest, DeadlinesThatPassedWhileDownAreMarkedAfterARestart) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  std::string a = Create(env);
  ASSERT_EQ(*env.service().SweepOverdue(*ParseIso8601("2026-03-10T11:00:00+08:00")), 1);
  env.clock().Set(*ParseIso8601("2026-03-10T14:00:00+08:00"));
  std::string b = Create(env);  // verify deadline 15:00
  env.Restart();
  // The process was down over b's deadline; a fresh service over the same store sees it.
  auto swept = env.service().SweepOverdue(*ParseIso8601("2026-03-11T09:00:00+08:00"));
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  EXPECT_EQ(*swept, 1);
  EXPECT_EQ(OverdueEvents(env.service(), a), 1);
  EXPECT_EQ(OverdueEvents(env.service(), b), 1);
}

TEST(OverdueSweepTest, SuspendedAndClosedOutCasesAreLeftAlone) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  std::string number = Create(env);
  ActRequest cancel;
  cancel.action = Action::kCancel;
  cancel.expected_version = 1;
  ASSERT_TRUE(env.service().Act(kOperator, number, cancel).ok());
  EXPECT_EQ(*env.service().SweepOverdue(*ParseIso8601("2026-03-12T09:00:00+08:00")), 0);
}

TEST(OverdueSweeperTest, BackgroundRunnerSweepsAndStops) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  std::string number = Create(env);
  env.clock().Set(*ParseIso8601("2026-03-10T12:00:00+08:00"));
  OverdueSweeper sweeper(env.service(), Duration(10));
  sweeper.Start();
  for (int i = 0; i < 500 && sweeper.marked() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  sweeper.Stop();
  EXPECT_EQ(sweeper.marked(), 1);
  EXPECT_GE(sweeper.sweeps(), 1);
  EXPECT_EQ(sweeper.failures(), 0);
  EXPECT_EQ(OverdueEvents(env.service(), number), 1);
  sweeper.Stop();  // idempotent
}

}  // namespace
}  // namespace citygrid::service
