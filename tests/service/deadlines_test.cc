#include "citygrid/service/deadlines.h"

#include <gtest/gtest.h>

#include "tests/service/service_test_env.h"

namespace citygrid::service {
namespace {

struct DeadlineCase {
  std::string name;
  std::string category;
  std::string condition;
  Stage stage;
  std::string start;
  std::string deadline;
};

class StageDeadlineTest : public ::testing::TestWithParam<DeadlineCase> {
 protected:
  static void SetUpTestSuite() { env_ = new testing::ServiceEnv(); }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }
  static testing::ServiceEnv* env_;
};
testing::ServiceEnv* StageDeadlineTest::env_ = nullptr;

TEST_P(StageDeadlineTest, FollowsTheCategoryRowAndTheCalendar) {
  ASSERT_TRUE(env_->ready());
  const DeadlineCase& c = GetParam();
  auto data = env_->reference().Get();
  auto deadline = StageDeadline(*data, c.category, c.condition, c.stage, *ParseIso8601(c.start));
  ASSERT_TRUE(deadline.ok()) << deadline.status().ToString();
  ASSERT_TRUE(deadline->has_value());
  EXPECT_EQ(FormatIso8601(**deadline), c.deadline);
}

INSTANTIATE_TEST_SUITE_P(
    Table, StageDeadlineTest,
    ::testing::Values(
        // 06010 暴露垃圾: stage defaults (verify 1, register 0.5, dispatch 0.5, check 1 work_hour)
        // and handle 2 work_hour. Winter office hours 09:00-12:00, 14:00-18:00.
        DeadlineCase{"VerifyOneWorkHour", "06010", "", Stage::kVerify,
                     "2026-03-10T09:30:00+08:00", "2026-03-10T10:30:00+08:00"},
        DeadlineCase{"RegisterHalfWorkHour", "06010", "", Stage::kRegister,
                     "2026-03-10T09:30:00+08:00", "2026-03-10T10:00:00+08:00"},
        DeadlineCase{"HandleSpansLunchBreak", "06010", "", Stage::kHandle,
                     "2026-03-10T11:30:00+08:00", "2026-03-10T15:30:00+08:00"},
        DeadlineCase{"CheckAfterHoursStartsNextMorning", "06010", "", Stage::kCheck,
                     "2026-03-10T19:00:00+08:00", "2026-03-11T10:00:00+08:00"},
        DeadlineCase{"WorkDayHandle", "06002", "", Stage::kHandle,
                     "2026-03-10T09:30:00+08:00", "2026-03-11T09:30:00+08:00"},
        DeadlineCase{"ConditionRowUrgentHours", "01012", "灯杆倾倒或线路裸露", Stage::kHandle,
                     "2026-03-14T23:00:00+08:00", "2026-03-15T01:00:00+08:00"},
        DeadlineCase{"ConditionRowWorkDays", "01012", "单灯不亮、昼亮或灯具破损",
                     Stage::kHandle, "2026-03-13T10:00:00+08:00", "2026-03-18T10:00:00+08:00"},
        // 劳动节 2026: 1-5 May off; 6 May is the next working day (summer 08:30-12:00).
        DeadlineCase{"SkipsLabourDayHolidays", "06010", "", Stage::kVerify,
                     "2026-04-30T17:30:00+08:00", "2026-05-06T09:00:00+08:00"}),
    [](const ::testing::TestParamInfo<DeadlineCase>& info) { return info.param.name; });

TEST_F(StageDeadlineTest, NoClockForStageNone) {
  ASSERT_TRUE(env_->ready());
  auto d = StageDeadline(*env_->reference().Get(), "06010", "", Stage::kNone, testing::TestStart());
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->has_value());
}

TEST_F(StageDeadlineTest, UnknownConditionIsNotFound) {
  ASSERT_TRUE(env_->ready());
  auto d = StageDeadline(*env_->reference().Get(), "01012", "没有这一行", Stage::kHandle,
                         testing::TestStart());
  EXPECT_EQ(d.status().code(), StatusCode::kNotFound);
}

TEST_F(StageDeadlineTest, UnknownCategoryIsNotFound) {
  ASSERT_TRUE(env_->ready());
  auto d = StageDeadline(*env_->reference().Get(), "99999", "", Stage::kHandle, testing::TestStart());
  EXPECT_EQ(d.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace citygrid::service
