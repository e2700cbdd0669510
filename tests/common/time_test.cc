#include "citygrid/common/time.h"

#include <gtest/gtest.h>

#include "citygrid/common/case_number.h"
#include "citygrid/common/clock.h"

namespace citygrid {
namespace {

using namespace std::chrono_literals;

TEST(TimeTest, ParsesOffsetsToTheSameInstant) {
  auto a = ParseIso8601("2020-04-30T17:00:00+08:00");
  auto b = ParseIso8601("2020-04-30T09:00:00Z");
  auto c = ParseIso8601("2020-04-30 17:00+0800");
  auto d = ParseIso8601("2020-04-30T04:00:00-05:00");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*a, *c);
  EXPECT_EQ(*a, *d);
  EXPECT_EQ(ToUnixMillis(*a), 1588237200000);
}

TEST(TimeTest, FormatsInShanghaiByDefault) {
  auto t = ParseIso8601("2020-04-30T09:00:00Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatIso8601(*t), "2020-04-30T17:00:00+08:00");
  EXPECT_EQ(FormatIso8601(*t, 0), "2020-04-30T09:00:00Z");
  EXPECT_EQ(FormatIso8601(*t + 250ms, -300), "2020-04-30T04:00:00.250-05:00");
}

TEST(TimeTest, KeepsMilliseconds) {
  auto t = ParseIso8601("2020-04-30T17:00:00.1234+08:00");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(ToUnixMillis(*t) % 1000, 123);
}

TEST(TimeTest, RoundTripsThroughText) {
  for (int64_t ms : {0LL, 1588237200123LL, 1735689599999LL, 946684800000LL}) {
    Timestamp t = FromUnixMillis(ms);
    auto back = ParseIso8601(FormatIso8601(t));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, t);
  }
}

struct BadTimeCase {
  const char* text;
  const char* why;
};

TEST(TimeTest, RejectsMalformedTimesNamingTheProblem) {
  const BadTimeCase cases[] = {
      {"2020-04-30T17:00:00", "offset"},         // offset is mandatory
      {"2020-04-30", "expected"},                // no time
      {"2020-02-30T10:00+08:00", "no such day"}, // not a real day
      {"2020-04-30T24:00+08:00", "out of range"},
      {"2020-04-30T17:00:00+08:00x", "unexpected"},
      {"2020-04-30T17:00:00+25:00", "offset"},
      {"yesterday", "expected"},
      {"", "expected"},
  };
  for (const auto& c : cases) {
    auto r = ParseIso8601(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(r.status().message().find(c.why), std::string::npos)
        << c.text << " -> " << r.status().message();
  }
}

TEST(TimeTest, CivilTimeAtShanghai) {
  auto t = ParseIso8601("2020-04-30T23:30:00+08:00");
  ASSERT_TRUE(t.ok());
  CivilTime c = ToCivil(*t);
  EXPECT_EQ(c.date, std::chrono::year(2020) / 4 / 30);
  EXPECT_EQ(c.time_of_day, 23h + 30min);
  EXPECT_EQ(FromCivil(c), *t);
  EXPECT_EQ(ToCivil(*t, 0).date, std::chrono::year(2020) / 4 / 30);
  EXPECT_EQ(ToCivil(*t + 1h).date, std::chrono::year(2020) / 5 / 1);
}

TEST(ClockTest, FakeClockMovesOnlyWhenTold) {
  FakeClock clock(FromUnixMillis(1000));
  EXPECT_EQ(ToUnixMillis(clock.Now()), 1000);
  clock.Advance(5s);
  EXPECT_EQ(ToUnixMillis(clock.Now()), 6000);
  clock.Set(FromUnixMillis(42));
  EXPECT_EQ(ToUnixMillis(clock.Now()), 42);
}

TEST(ClockTest, SystemClockIsRecent) {
  EXPECT_GT(SystemClock::Default().Now(), *ParseIso8601("2024-01-01T00:00:00Z"));
}

TEST(CaseNumberTest, FormatsAndParses) {
  CaseNumber n{std::chrono::year(2020) / 4 / 12, 123};
  EXPECT_EQ(n.ToString(), "20200412-000123");
  auto back = ParseCaseNumber("20200412-000123");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, n);
  EXPECT_EQ((CaseNumber{n.date, 1234567}).ToString(), "20200412-1234567");
}

TEST(CaseNumberTest, OrdersWithinADay) {
  auto d = std::chrono::year(2020) / 4 / 12;
  EXPECT_LT((CaseNumber{d, 2}), (CaseNumber{d, 10}));
  EXPECT_LT((CaseNumber{d, 999999}), (CaseNumber{std::chrono::year(2020) / 4 / 13, 1}));
}

TEST(CaseNumberTest, DayIsTheShanghaiDate) {
  // 2020-04-11T16:30Z is already 00:30 on 12 April in Zhengzhou.
  EXPECT_EQ(CaseNumberDay(*ParseIso8601("2020-04-11T16:30:00Z")), std::chrono::year(2020) / 4 / 12);
}

TEST(CaseNumberTest, RejectsMalformed) {
  for (const char* bad : {"", "20200412", "20200412-", "2020041-2000123", "20201312-000001",
                          "20200412-000000", "20200412-00012a", "20200412_000123"}) {
    auto r = ParseCaseNumber(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace citygrid
