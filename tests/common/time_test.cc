#include "citygrid/common/time.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <vector>

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

// A message quotes the text and what it took for the date; neither may cut a character.
TEST(TimeTest, MessagesQuoteWholeCharacters) {
  auto r = ParseIso8601("中文中文中文");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "bad ISO-8601 time '中文中文中文': bad date '中文中': expected YYYY-MM-DD");
  auto date = ParseDate(std::string(30, 'x') + "中文中文中文中文中文中文");  // 66 bytes
  ASSERT_FALSE(date.ok());
  EXPECT_EQ(date.status().message(),
            "bad date '" + std::string(30, 'x') + "中文中文中文中文中文中': expected YYYY-MM-DD");
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

// FormatIso8601 and FormatDate as they were written with snprintf, the reference the digit
// writing must reproduce byte for byte.
std::string SnprintfDate(std::chrono::year_month_day date) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return buf;
}

std::string SnprintfIso8601(Timestamp t, int offset_minutes) {
  CivilTime c = ToCivil(t, offset_minutes);
  auto tod = c.time_of_day.count();
  int hh = static_cast<int>(tod / 3600000), mm = static_cast<int>(tod / 60000 % 60),
      ss = static_cast<int>(tod / 1000 % 60), ms = static_cast<int>(tod % 1000);
  std::string out = SnprintfDate(c.date);
  char buf[32];
  std::snprintf(buf, sizeof buf, "T%02d:%02d:%02d", hh, mm, ss);
  out += buf;
  if (ms != 0) {
    std::snprintf(buf, sizeof buf, ".%03d", ms);
    out += buf;
  }
  if (offset_minutes == 0) {
    out += 'Z';
  } else {
    int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', a / 60, a % 60);
    out += buf;
  }
  return out;
}

TEST(TimeTest, FormatsExactlyAsSnprintfDid) {
  const int64_t kYear1 = -62135596800000;     // 0001-01-01T00:00:00Z
  const int64_t kYear9999 = 253402300799999;  // 9999-12-31T23:59:59.999Z
  std::mt19937_64 rng(20261128);
  std::uniform_int_distribution<int64_t> any_ms(kYear1 - 400LL * 366 * 86400000,
                                                kYear9999 + 86400000LL * 366 * 20);
  std::uniform_int_distribution<int64_t> near_now(-86400000LL * 366 * 80, 86400000LL * 366 * 80);
  std::uniform_int_distribution<int> offset(-18 * 60, 18 * 60);
  std::vector<int64_t> instants = {0,      -1,         1,         999,           1000,
                                   -1000,  -1001,      86399999,  1588237200000, 1588237200250,
                                   kYear1, kYear1 - 1, kYear9999, kYear9999 + 1};
  // New Year (civil, UTC+8) and a leap day, each with and without milliseconds.
  for (const char* text : {"2020-12-31T23:59:59.999+08:00", "2021-01-01T00:00:00+08:00",
                           "1969-12-31T23:59:59+08:00", "2024-02-29T12:00:00.001+08:00"}) {
    instants.push_back(ToUnixMillis(*ParseIso8601(text)));
  }
  for (int i = 0; i < 20000; ++i) {
    int64_t ms = i % 2 ? any_ms(rng) : near_now(rng);
    if (i % 3 == 0) ms -= ((ms % 1000) + 1000) % 1000;  // whole seconds: no fraction written
    instants.push_back(ms);
  }
  std::vector<int> offsets = {
      0, kShanghaiOffsetMinutes, -300, -1, 1, 59, -59, 60, 330, -570, 840, -720, 6000, -6000};
  int years_before_1970 = 0, fractions = 0, negative_offsets = 0;
  for (size_t i = 0; i < instants.size(); ++i) {
    const Timestamp t = FromUnixMillis(instants[i]);
    std::vector<int> tried = {offsets[i % offsets.size()], offset(rng)};
    if (i < 40) tried = offsets;
    for (int minutes : tried) {
      const std::string got = FormatIso8601(t, minutes);
      ASSERT_EQ(got, SnprintfIso8601(t, minutes)) << instants[i] << " at " << minutes;
      years_before_1970 += instants[i] < 0;
      fractions += got.find('.') != std::string::npos;
      negative_offsets += minutes < 0;
    }
    ASSERT_EQ(FormatDate(ToCivil(t).date), SnprintfDate(ToCivil(t).date)) << instants[i];
  }
  EXPECT_GT(years_before_1970, 1000);
  EXPECT_GT(fractions, 1000);
  EXPECT_GT(negative_offsets, 1000);
  // Hand-written ones, so the reference itself is pinned too.
  EXPECT_EQ(FormatIso8601(FromUnixMillis(kYear1), 0), "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatIso8601(FromUnixMillis(kYear1 - 1), 0), "0000-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIso8601(FromUnixMillis(kYear1 - 86400000LL * (366 + 365)), 0),
            "-001-01-01T00:00:00Z");
  EXPECT_EQ(FormatIso8601(FromUnixMillis(kYear9999 + 1), 0), "10000-01-01T00:00:00Z");
  EXPECT_EQ(FormatIso8601(FromUnixMillis(-1), -1), "1969-12-31T23:58:59.999-00:01");
  EXPECT_EQ(FormatIso8601(FromUnixMillis(7), 330), "1970-01-01T05:30:00.007+05:30");
  EXPECT_EQ(FormatIso8601(FromUnixMillis(0), 6000), "1970-01-05T04:00:00+100:00");
  EXPECT_EQ(FormatDate(std::chrono::year(-45) / 3 / 15), "-045-03-15");
  EXPECT_EQ(FormatDate(std::chrono::year(812) / 1 / 2), "0812-01-02");
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
