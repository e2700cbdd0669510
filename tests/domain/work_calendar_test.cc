#include "citygrid/domain/work_calendar.h"

#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include "tests/testing/paths.h"

namespace citygrid {
namespace {

using namespace std::chrono_literals;
using std::chrono::year_month_day;

std::string ReadRepoFile(const std::string& relative) {
  std::ifstream in(testing::SourceDir() + "/" + relative, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Timestamp T(const std::string& text) {
  auto t = ParseIso8601(text);
  EXPECT_TRUE(t.ok()) << text;
  return t.ok() ? *t : Timestamp{};
}

year_month_day D(const std::string& text) {
  auto d = ParseDate(text);
  EXPECT_TRUE(d.ok()) << text;
  return d.ok() ? *d : year_month_day{};
}

constexpr const char* kStandardHours =
    R"({"timetables": [{"name": "standard", "from": "01-01",
                         "periods": ["09:00-12:00", "14:00-18:00"]}]})";

WorkCalendar MakeCalendar(const std::string& office_json, const std::vector<std::string>& years) {
  auto hours = OfficeHours::Parse(office_json, "office_hours.json");
  EXPECT_TRUE(hours.ok()) << hours.status().ToString();
  std::vector<HolidayYear> loaded;
  for (const std::string& y : years) {
    auto year = HolidayYear::Parse(ReadRepoFile("data/calendar/" + y + ".json"), y + ".json");
    EXPECT_TRUE(year.ok()) << year.status().ToString();
    if (year.ok()) loaded.push_back(*year);
  }
  auto calendar = WorkCalendar::Make(*hours, std::move(loaded));
  EXPECT_TRUE(calendar.ok()) << calendar.status().ToString();
  return *calendar;
}

// Office hours 09:00-12:00 and 14:00-18:00 all year, with the real 2020 schedule.
const WorkCalendar& Calendar2020() {
  static const WorkCalendar calendar = MakeCalendar(kStandardHours, {"2020"});
  return calendar;
}

// The shipped timetable (summer from 05-01, winter from 10-01) with 2020 and 2026.
const WorkCalendar& ShippedCalendar() {
  static const WorkCalendar calendar =
      MakeCalendar(ReadRepoFile("data/calendar/office_hours.json"), {"2020", "2026"});
  return calendar;
}

struct DeadlineVector {
  const char* what;
  const char* start;
  const char* duration;
  const char* expected;
};

class DeadlineTest : public ::testing::TestWithParam<DeadlineVector> {};

TEST_P(DeadlineTest, Standard2020Calendar) {
  const DeadlineVector& v = GetParam();
  auto duration = ParseWorkDuration(v.duration);
  ASSERT_TRUE(duration.ok()) << duration.status().ToString();
  Timestamp deadline = Calendar2020().Deadline(T(v.start), *duration);
  EXPECT_EQ(FormatIso8601(deadline), v.expected)
      << v.what << ": " << v.start << " + " << v.duration;
}

std::string VectorName(const ::testing::TestParamInfo<DeadlineVector>& info) {
  std::string name;
  for (char ch : std::string(info.param.what)) {
    name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, DeadlineTest,
    ::testing::Values(
        // The four vectors of issue #2.
        DeadlineVector{"work hours over Labour Day", "2020-04-30T17:00:00+08:00", "2 work_hour",
                       "2020-05-06T10:00:00+08:00"},
        DeadlineVector{"work day onto a working Sunday", "2020-04-24T10:00:00+08:00", "1 work_day",
                       "2020-04-26T10:00:00+08:00"},
        DeadlineVector{"urgent hours same day", "2020-04-30T17:00:00+08:00", "3 urgent_hour",
                       "2020-04-30T20:00:00+08:00"},
        DeadlineVector{"natural day onto a holiday", "2020-04-30T17:00:00+08:00", "1 natural_day",
                       "2020-05-01T17:00:00+08:00"},
        // Work hours.
        DeadlineVector{"across the lunch break", "2020-04-28T11:00:00+08:00", "2 work_hour",
                       "2020-04-28T15:00:00+08:00"},
        DeadlineVector{"start in the lunch break", "2020-04-28T12:30:00+08:00", "1 work_hour",
                       "2020-04-28T15:00:00+08:00"},
        DeadlineVector{"start before office hours", "2020-04-28T07:00:00+08:00", "1 work_hour",
                       "2020-04-28T10:00:00+08:00"},
        DeadlineVector{"start after office hours", "2020-04-28T19:00:00+08:00", "1 work_hour",
                       "2020-04-29T10:00:00+08:00"},
        DeadlineVector{"ends exactly at closing", "2020-04-28T17:00:00+08:00", "1 work_hour",
                       "2020-04-28T18:00:00+08:00"},
        DeadlineVector{"ends exactly at noon", "2020-04-28T11:00:00+08:00", "1 work_hour",
                       "2020-04-28T12:00:00+08:00"},
        DeadlineVector{"a full office day", "2020-04-28T09:00:00+08:00", "7 work_hour",
                       "2020-04-28T18:00:00+08:00"},
        DeadlineVector{"one hour past a full day", "2020-04-28T09:00:00+08:00", "8 work_hour",
                       "2020-04-29T10:00:00+08:00"},
        DeadlineVector{"half a work hour over lunch", "2020-04-28T11:45:00+08:00", "0.5 work_hour",
                       "2020-04-28T14:15:00+08:00"},
        DeadlineVector{"start on a holiday", "2020-05-03T10:00:00+08:00", "1 work_hour",
                       "2020-05-06T10:00:00+08:00"},
        DeadlineVector{"start on a weekend", "2020-05-16T10:00:00+08:00", "2 work_hour",
                       "2020-05-18T11:00:00+08:00"},
        DeadlineVector{"work hours on a working Saturday", "2020-05-08T17:00:00+08:00",
                       "2 work_hour", "2020-05-09T10:00:00+08:00"},
        DeadlineVector{"over National Day", "2020-09-30T17:00:00+08:00", "2 work_hour",
                       "2020-10-09T10:00:00+08:00"},
        DeadlineVector{"over the extended Spring Festival", "2020-01-23T17:00:00+08:00",
                       "3 work_hour", "2020-02-03T11:00:00+08:00"},
        DeadlineVector{"40 work hours", "2020-04-27T09:00:00+08:00", "40 work_hour",
                       "2020-05-07T16:00:00+08:00"},
        // Work days.
        DeadlineVector{"work day from a working Saturday", "2020-05-09T10:00:00+08:00",
                       "1 work_day", "2020-05-11T10:00:00+08:00"},
        DeadlineVector{"work day onto a working Saturday", "2020-05-08T10:00:00+08:00",
                       "1 work_day", "2020-05-09T10:00:00+08:00"},
        DeadlineVector{"work day over the Spring Festival", "2020-01-23T10:00:00+08:00",
                       "1 work_day", "2020-02-03T10:00:00+08:00"},
        DeadlineVector{"work day onto the working Sunday before Spring Festival",
                       "2020-01-17T16:00:00+08:00", "1 work_day", "2020-01-19T16:00:00+08:00"},
        DeadlineVector{"work day over Dragon Boat", "2020-06-24T10:00:00+08:00", "1 work_day",
                       "2020-06-28T10:00:00+08:00"},
        DeadlineVector{"work day from a holiday starts at the next opening",
                       "2020-05-03T10:00:00+08:00", "1 work_day", "2020-05-07T09:00:00+08:00"},
        DeadlineVector{"work day from the evening starts at the next opening",
                       "2020-04-23T20:00:00+08:00", "1 work_day", "2020-04-26T09:00:00+08:00"},
        DeadlineVector{"work day from the lunch break starts at 14:00", "2020-04-28T12:30:00+08:00",
                       "1 work_day", "2020-04-29T14:00:00+08:00"},
        DeadlineVector{"work day from before opening", "2020-04-28T07:00:00+08:00", "1 work_day",
                       "2020-04-29T09:00:00+08:00"},
        DeadlineVector{"work day at closing time is already after hours",
                       "2020-04-28T18:00:00+08:00", "1 work_day", "2020-04-30T09:00:00+08:00"},
        DeadlineVector{"five work days over Labour Day", "2020-04-28T10:00:00+08:00", "5 work_day",
                       "2020-05-08T10:00:00+08:00"},
        DeadlineVector{"fifteen work days", "2020-09-21T15:30:00+08:00", "15 work_day",
                       "2020-10-16T15:30:00+08:00"},
        // Wall-clock units.
        DeadlineVector{"urgent hours over midnight on a holiday", "2020-05-01T22:00:00+08:00",
                       "4 urgent_hour", "2020-05-02T02:00:00+08:00"},
        DeadlineVector{"half an urgent hour", "2020-05-01T22:00:00+08:00", "0.5 urgent_hour",
                       "2020-05-01T22:30:00+08:00"},
        DeadlineVector{"natural days over the Spring Festival", "2020-01-23T10:00:00+08:00",
                       "3 natural_day", "2020-01-26T10:00:00+08:00"},
        DeadlineVector{"natural days over a leap day", "2020-02-28T08:00:00+08:00", "2 natural_day",
                       "2020-03-01T08:00:00+08:00"},
        // 2021 has no holiday file: weekdays work, so New Year's Day 2021 (a Friday) counts.
        DeadlineVector{"into an uncovered year", "2020-12-31T17:00:00+08:00", "2 work_hour",
                       "2021-01-01T10:00:00+08:00"}),
    VectorName);

TEST(WorkCalendarTest, StartGivenInUtcGivesTheSameInstant) {
  Timestamp start = T("2020-04-30T09:00:00Z");  // 17:00 in Shanghai
  Timestamp d = Calendar2020().Deadline(start, WorkDuration{2, TimeUnit::kWorkHour});
  EXPECT_EQ(d, T("2020-05-06T02:00:00Z"));
}

TEST(WorkCalendarTest, IsWorkingTime) {
  const WorkCalendar& c = Calendar2020();
  struct Case {
    const char* at;
    bool working;
  } cases[] = {
      {"2020-04-28T08:59:59+08:00", false}, {"2020-04-28T09:00:00+08:00", true},
      {"2020-04-28T11:59:59+08:00", true},  {"2020-04-28T12:00:00+08:00", false},
      {"2020-04-28T13:30:00+08:00", false}, {"2020-04-28T14:00:00+08:00", true},
      {"2020-04-28T17:59:59+08:00", true},  {"2020-04-28T18:00:00+08:00", false},
      {"2020-05-01T10:00:00+08:00", false},  // Labour Day
      {"2020-04-26T10:00:00+08:00", true},   // working Sunday
      {"2020-04-25T10:00:00+08:00", false},  // ordinary Saturday
      {"2020-01-31T10:00:00+08:00", false},  // Friday in the extended Spring Festival
      {"2020-02-01T10:00:00+08:00", false},  // Saturday no longer worked after the extension
      {"2020-01-19T10:00:00+08:00", true},   // working Sunday
      {"2020-04-28T02:00:00Z", true},        // 10:00 in Shanghai
  };
  for (const Case& k : cases) EXPECT_EQ(c.IsWorkingTime(T(k.at)), k.working) << k.at;
}

TEST(WorkCalendarTest, WorkingDaysOf2020) {
  const WorkCalendar& c = Calendar2020();
  int working = 0;
  for (auto d = std::chrono::sys_days(D("2020-01-01")); d <= std::chrono::sys_days(D("2020-12-31"));
       d += std::chrono::days(1)) {
    working += c.IsWorkingDay(year_month_day(d)) ? 1 : 0;
  }
  // 262 weekdays - 19 weekday holidays (1 New Year, 6 Spring Festival incl. the extension's
  // 31 Jan, 1 Qingming, 3 Labour Day, 2 Dragon Boat, 6 National Day) + 6 working weekends.
  EXPECT_EQ(working, 262 - 19 + 6);
  EXPECT_EQ(c.OfficeTimeOn(D("2020-04-28")), 7h);
  EXPECT_EQ(c.OfficeTimeOn(D("2020-05-01")), 0h);
}

struct ElapsedVector {
  const char* what;
  const char* from;
  const char* to;
  Duration expected;
};

class ElapsedTest : public ::testing::TestWithParam<ElapsedVector> {};

TEST_P(ElapsedTest, Standard2020Calendar) {
  const ElapsedVector& v = GetParam();
  EXPECT_EQ(Calendar2020().WorkTimeBetween(T(v.from), T(v.to)), v.expected) << v.what;
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, ElapsedTest,
    ::testing::Values(
        ElapsedVector{"the issue's work-hour vector backwards", "2020-04-30T17:00:00+08:00",
                      "2020-05-06T10:00:00+08:00", 2h},
        ElapsedVector{"across lunch", "2020-04-28T10:00:00+08:00", "2020-04-28T15:00:00+08:00", 3h},
        ElapsedVector{"inside lunch", "2020-04-28T12:10:00+08:00", "2020-04-28T13:50:00+08:00", 0h},
        ElapsedVector{"night", "2020-04-28T18:00:00+08:00", "2020-04-29T09:00:00+08:00", 0h},
        ElapsedVector{"reversed is zero", "2020-04-28T15:00:00+08:00", "2020-04-28T10:00:00+08:00",
                      0h},
        ElapsedVector{"seconds", "2020-04-28T11:59:30+08:00", "2020-04-28T14:00:30+08:00", 60s},
        ElapsedVector{"across the extended Spring Festival", "2020-01-23T09:00:00+08:00",
                      "2020-02-03T09:00:00+08:00", 7h},
        ElapsedVector{"Labour Day week with its working weekends", "2020-04-25T00:00:00+08:00",
                      "2020-05-10T00:00:00+08:00", 7h * 9},  // 26,27,28,29,30 Apr; 6,7,8,9 May
        ElapsedVector{"one ordinary week", "2020-06-01T00:00:00+08:00", "2020-06-08T00:00:00+08:00",
                      35h},
        ElapsedVector{"all of 2020", "2020-01-01T00:00:00+08:00", "2021-01-01T00:00:00+08:00",
                      7h * 249}),
    [](const ::testing::TestParamInfo<ElapsedVector>& info) {
      std::string name;
      for (char ch : std::string(info.param.what)) {
        name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
      }
      return name;
    });

TEST(WorkCalendarTest, SummerAndWinterTimetablesSwitchOnTheirDates) {
  const WorkCalendar& c = ShippedCalendar();
  EXPECT_EQ(c.office_hours().TimetableFor(D("2020-04-30")).name, "winter");
  EXPECT_EQ(c.office_hours().TimetableFor(D("2020-05-01")).name, "summer");
  EXPECT_EQ(c.office_hours().TimetableFor(D("2020-09-30")).name, "summer");
  EXPECT_EQ(c.office_hours().TimetableFor(D("2020-10-01")).name, "winter");
  EXPECT_EQ(c.office_hours().TimetableFor(D("2021-01-15")).name, "winter");  // over New Year
  // 14:30 is office time in winter and lunch in summer (15:00-18:00 afternoons).
  EXPECT_TRUE(c.IsWorkingTime(T("2020-04-29T14:30:00+08:00")));
  EXPECT_FALSE(c.IsWorkingTime(T("2020-05-06T14:30:00+08:00")));
  EXPECT_TRUE(c.IsWorkingTime(T("2020-05-06T08:45:00+08:00")));
  // One hour left on 30 Apr (winter), then 08:30-09:30 on 6 May (summer).
  EXPECT_EQ(c.Deadline(T("2020-04-30T17:00:00+08:00"), {2, TimeUnit::kWorkHour}),
            T("2020-05-06T09:30:00+08:00"));
  // 30 Sep is summer (closes 18:00), 9 Oct winter (opens 09:00).
  EXPECT_EQ(c.Deadline(T("2020-09-30T17:30:00+08:00"), {1, TimeUnit::kWorkHour}),
            T("2020-10-09T09:30:00+08:00"));
  // A work day keeps the clock time even though 14:30 is lunch in summer.
  EXPECT_EQ(c.Deadline(T("2020-04-30T14:30:00+08:00"), {1, TimeUnit::kWorkDay}),
            T("2020-05-06T14:30:00+08:00"));
  EXPECT_EQ(c.WorkTimeBetween(T("2020-04-30T00:00:00+08:00"), T("2020-05-07T00:00:00+08:00")),
            7h + 6h + 30min);
}

TEST(WorkCalendarTest, Shipped2026Schedule) {
  const WorkCalendar& c = ShippedCalendar();
  const std::pair<const char*, bool> kDays[] = {
      {"2026-01-01", false}, {"2026-01-02", false}, {"2026-01-04", true},  {"2026-02-14", true},
      {"2026-02-15", false}, {"2026-02-23", false}, {"2026-02-24", true},  {"2026-02-28", true},
      {"2026-04-06", false}, {"2026-05-05", false}, {"2026-05-09", true},  {"2026-06-19", false},
      {"2026-09-20", true},  {"2026-09-25", false}, {"2026-10-07", false}, {"2026-10-08", true},
      {"2026-10-10", true},  {"2026-10-11", false}};
  for (const auto& [day, working] : kDays) EXPECT_EQ(c.IsWorkingDay(D(day)), working) << day;
  // New Year 2026: Wednesday 31 Dec 2025 (2025 not loaded: weekday rule) to Sunday 4 Jan.
  EXPECT_EQ(c.Deadline(T("2025-12-31T10:00:00+08:00"), {1, TimeUnit::kWorkDay}),
            T("2026-01-04T10:00:00+08:00"));
}

TEST(WorkCalendarTest, ReportsYearsWithoutAHolidayFile) {
  const WorkCalendar& c = ShippedCalendar();
  EXPECT_EQ(c.years(), (std::vector<int>{2020, 2026}));
  EXPECT_TRUE(c.CoversYear(2020));
  EXPECT_FALSE(c.CoversYear(2021));
  EXPECT_EQ(c.UncoveredYears(T("2019-12-31T23:00:00+08:00"), T("2021-01-01T00:00:00+08:00")),
            (std::vector<int>{2019, 2021}));
  EXPECT_TRUE(
      c.UncoveredYears(T("2020-03-01T00:00:00+08:00"), T("2020-04-01T00:00:00+08:00")).empty());
  // 1 Oct 2021 is National Day, but with no 2021 file it is an ordinary Friday.
  EXPECT_TRUE(c.IsWorkingDay(D("2021-10-01")));
  EXPECT_FALSE(c.IsWorkingDay(D("2021-10-02")));
}

// An independent, slow reference: office minutes by brute force from the raw 2020 schedule.
class Reference {
 public:
  Reference() {
    for (const char* d :
         {"2020-01-01", "2020-01-24", "2020-01-25", "2020-01-26", "2020-01-27", "2020-01-28",
          "2020-01-29", "2020-01-30", "2020-01-31", "2020-02-01", "2020-02-02", "2020-04-04",
          "2020-04-05", "2020-04-06", "2020-05-01", "2020-05-02", "2020-05-03", "2020-05-04",
          "2020-05-05", "2020-06-25", "2020-06-26", "2020-06-27", "2020-10-01", "2020-10-02",
          "2020-10-03", "2020-10-04", "2020-10-05", "2020-10-06", "2020-10-07", "2020-10-08"}) {
      holidays_.insert(DayNumber(D(d)));
    }
    for (const char* d :
         {"2020-01-19", "2020-04-26", "2020-05-09", "2020-06-28", "2020-09-27", "2020-10-10"}) {
      working_.insert(DayNumber(D(d)));
    }
  }
  // Whether the minute starting at `t` (a whole minute) is office time.
  bool Working(Timestamp t) const {
    int64_t local_minutes = ToUnixMillis(t) / 60000 + 8 * 60;
    int64_t day = local_minutes / 1440;  // instants after 1970 only
    int64_t minute = local_minutes % 1440;
    bool working_day;
    if (holidays_.count(day)) {
      working_day = false;
    } else if (working_.count(day)) {
      working_day = true;
    } else {
      int64_t weekday = (day + 4) % 7;  // 1970-01-01 was a Thursday; 0 = Sunday
      working_day = weekday >= 1 && weekday <= 5;
    }
    return working_day && ((minute >= 540 && minute < 720) || (minute >= 840 && minute < 1080));
  }

 private:
  static int64_t DayNumber(year_month_day d) {
    return std::chrono::sys_days(d).time_since_epoch().count();
  }
  std::set<int64_t> holidays_, working_;
};

TEST(WorkCalendarTest, AgreesWithABruteForceReference) {
  const WorkCalendar& c = Calendar2020();
  Reference ref;
  std::mt19937 rng(20200430);
  Timestamp year_start = T("2020-01-01T00:00:00+08:00");
  std::uniform_int_distribution<int> minute_of_year(0, 366 * 1440 - 20 * 1440);
  std::uniform_int_distribution<int> span(0, 12 * 1440);
  std::uniform_int_distribution<int> hours(1, 30);
  for (int i = 0; i < 200; ++i) {
    Timestamp from = year_start + std::chrono::minutes(minute_of_year(rng));
    Timestamp to = from + std::chrono::minutes(span(rng));
    int64_t minutes = 0;
    for (Timestamp m = from; m < to; m += 1min) minutes += ref.Working(m) ? 1 : 0;
    EXPECT_EQ(c.WorkTimeBetween(from, to), std::chrono::minutes(minutes))
        << FormatIso8601(from) << " .. " << FormatIso8601(to);

    int h = hours(rng);
    Timestamp deadline = from;
    for (int left = h * 60; left > 0; deadline += 1min) left -= ref.Working(deadline) ? 1 : 0;
    EXPECT_EQ(c.Deadline(from, {static_cast<double>(h), TimeUnit::kWorkHour}), deadline)
        << FormatIso8601(from) << " + " << h << " work_hour";
    EXPECT_EQ(c.IsWorkingTime(from), ref.Working(from)) << FormatIso8601(from);
  }
}

TEST(WorkCalendarTest, InstantsOutsideThePrecomputedRangeStillWork) {
  const WorkCalendar& c = Calendar2020();
  // 2200-01-01 is a Wednesday; the range ends on 31 Dec 2199 (a Tuesday).
  Timestamp a = T("2199-12-31T17:00:00+08:00");
  EXPECT_EQ(c.Deadline(a, {2, TimeUnit::kWorkHour}), T("2200-01-01T10:00:00+08:00"));
  EXPECT_EQ(c.Deadline(a, {1, TimeUnit::kWorkDay}), T("2200-01-01T17:00:00+08:00"));
  EXPECT_EQ(c.WorkTimeBetween(a, T("2200-01-01T10:00:00+08:00")), 2h);
  EXPECT_EQ(c.WorkTimeBetween(T("2200-01-03T00:00:00+08:00"), T("2200-01-10T00:00:00+08:00")),
            35h);  // Friday to Friday
  // Before 1970: 1969-12-31 is a Wednesday.
  Timestamp b = T("1969-12-31T17:00:00+08:00");
  EXPECT_EQ(c.Deadline(b, {2, TimeUnit::kWorkHour}), T("1970-01-01T10:00:00+08:00"));
  EXPECT_EQ(c.WorkTimeBetween(b, T("1970-01-01T10:00:00+08:00")), 2h);
  EXPECT_TRUE(c.IsWorkingTime(T("1969-12-31T10:00:00+08:00")));
  EXPECT_EQ(c.NextWorkingTime(T("2250-06-01T20:00:00+08:00")),
            T("2250-06-03T09:00:00+08:00"));  // a Saturday evening
}

TEST(WorkCalendarTest, NextWorkingTime) {
  const WorkCalendar& c = Calendar2020();
  EXPECT_EQ(c.NextWorkingTime(T("2020-04-28T10:00:00+08:00")), T("2020-04-28T10:00:00+08:00"));
  EXPECT_EQ(c.NextWorkingTime(T("2020-04-28T12:00:00+08:00")), T("2020-04-28T14:00:00+08:00"));
  EXPECT_EQ(c.NextWorkingTime(T("2020-04-30T18:00:00+08:00")), T("2020-05-06T09:00:00+08:00"));
}

// ---------------------------------------------------------------------------------------------
// Durations

TEST(WorkDurationTest, ParsesAndFormats) {
  auto d = ParseWorkDuration("2 work_hour");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, (WorkDuration{2, TimeUnit::kWorkHour}));
  EXPECT_EQ(d->ToString(), "2 work_hour");
  EXPECT_EQ(d->ToChinese(), "2工作时");
  auto half = ParseWorkDuration("0.5 urgent_hour");
  ASSERT_TRUE(half.ok());
  EXPECT_EQ(half->ToString(), "0.5 urgent_hour");
  for (TimeUnit u :
       {TimeUnit::kUrgentHour, TimeUnit::kWorkHour, TimeUnit::kWorkDay, TimeUnit::kNaturalDay}) {
    auto parsed = ParseTimeUnit(Name(u));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, u);
  }
}

TEST(WorkDurationTest, RejectsBadDurations) {
  const std::pair<const char*, const char*> kBad[] = {
      {"0 work_hour", "positive"},       {"-1 work_day", "positive"},
      {"1.5 work_day", "whole number"},  {"2.5 natural_day", "whole number"},
      {"2 hours", "unknown time unit"},  {"2", "expected"},
      {"abc work_hour", "not a number"}, {"10001 natural_day", "exceeds"},
      {"nan work_hour", "positive"},     {"2  work_hour", "unknown time unit"},
  };
  for (const auto& [text, why] : kBad) {
    auto d = ParseWorkDuration(text);
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_NE(d.status().message().find(why), std::string::npos) << d.status().message();
  }
}

// ---------------------------------------------------------------------------------------------
// Bad files

struct BadCalendarFile {
  const char* what;
  const char* text;
  std::vector<std::string> message_has;
};

class HolidayYearBadFileTest : public ::testing::TestWithParam<BadCalendarFile> {};

TEST_P(HolidayYearBadFileTest, FailsWithInvalidArgumentNamingTheEntry) {
  const BadCalendarFile& c = GetParam();
  auto year = HolidayYear::Parse(c.text, "2020.json");
  ASSERT_FALSE(year.ok()) << c.what;
  EXPECT_EQ(year.status().code(), StatusCode::kInvalidArgument) << c.what;
  for (const std::string& part : c.message_has) {
    EXPECT_NE(year.status().message().find(part), std::string::npos)
        << c.what << ": '" << year.status().message() << "' lacks '" << part << "'";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, HolidayYearBadFileTest,
    ::testing::Values(
        BadCalendarFile{"year missing", R"({"holidays": []})", {"2020.json", "'year'", "missing"}},
        BadCalendarFile{"year out of range", R"({"year": 1900})", {"'year'", "1900"}},
        BadCalendarFile{"year not a number", R"({"year": "2020"})", {"'year'", "integer"}},
        BadCalendarFile{"not a real date",
                        R"({"year": 2020, "holidays": [
                          {"name": "劳动节", "from": "2020-02-30", "to": "2020-03-01"}]})",
                        {"holidays[0] (劳动节)", "'from'", "2020-02-30"}},
        BadCalendarFile{"to before from",
                        R"({"year": 2020, "holidays": [
                          {"name": "元旦", "from": "2020-01-01", "to": "2020-01-01"},
                          {"name": "劳动节", "from": "2020-05-05", "to": "2020-05-01"}]})",
                        {"holidays[1] (劳动节)", "'to'", "before"}},
        BadCalendarFile{
            "holiday without a name",
            R"({"year": 2020, "holidays": [{"from": "2020-05-01", "to": "2020-05-05"}]})",
            {"holidays[0]", "'name'", "missing"}},
        BadCalendarFile{"date of another year",
                        R"({"year": 2020, "holidays": [
                          {"name": "劳动节", "from": "2022-05-01", "to": "2022-05-05"}]})",
                        {"holidays[0]", "not within 31 days of 2020"}},
        BadCalendarFile{"overlapping holidays",
                        R"({"year": 2020, "holidays": [
                          {"name": "A", "from": "2020-05-01", "to": "2020-05-05"},
                          {"name": "B", "from": "2020-05-04", "to": "2020-05-06"}]})",
                        {"holidays[1] (B)", "2020-05-04", "already listed by holidays[0]"}},
        BadCalendarFile{"working day on a weekday",
                        R"({"year": 2020, "working_days": [{"date": "2020-04-27"}]})",
                        {"working_days[0]", "'date'", "weekday"}},
        BadCalendarFile{"working day that is also a holiday",
                        R"({"year": 2020,
                            "holidays": [{"name": "劳动节", "from": "2020-05-01", "to": "2020-05-09"}],
                            "working_days": [{"date": "2020-05-09"}]})",
                        {"working_days[0]", "already listed by holidays[0]"}},
        BadCalendarFile{"bad date format",
                        R"({"year": 2020, "working_days": [{"date": "2020/04/26"}]})",
                        {"working_days[0]", "2020/04/26"}},
        BadCalendarFile{
            "unknown field", R"({"year": 2020, "holiday": []})", {"'holiday'", "unknown field"}},
        BadCalendarFile{"entry not an object",
                        R"({"year": 2020, "holidays": ["2020-05-01"]})",
                        {"holidays[0]", "object"}},
        BadCalendarFile{"syntax error", "{\"year\": 2020,\n \"holidays\": [}", {"line 2"}}),
    [](const ::testing::TestParamInfo<BadCalendarFile>& info) {
      std::string name;
      for (char ch : std::string(info.param.what)) {
        name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
      }
      return name;
    });

class OfficeHoursBadFileTest : public ::testing::TestWithParam<BadCalendarFile> {};

TEST_P(OfficeHoursBadFileTest, FailsWithInvalidArgumentNamingTheTimetable) {
  const BadCalendarFile& c = GetParam();
  auto hours = OfficeHours::Parse(c.text, "office_hours.json");
  ASSERT_FALSE(hours.ok()) << c.what;
  EXPECT_EQ(hours.status().code(), StatusCode::kInvalidArgument) << c.what;
  EXPECT_NE(hours.status().message().find("office_hours.json"), std::string::npos);
  for (const std::string& part : c.message_has) {
    EXPECT_NE(hours.status().message().find(part), std::string::npos)
        << c.what << ": '" << hours.status().message() << "' lacks '" << part << "'";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, OfficeHoursBadFileTest,
    ::testing::Values(
        BadCalendarFile{"no timetables", R"({"timetables": []})", {"at least one"}},
        BadCalendarFile{"period ends before it starts",
                        R"({"timetables": [{"name": "w", "from": "01-01",
                            "periods": ["09:00-08:00"]}]})",
                        {"timetable 0 (w)", "period 0 (09:00-08:00)", "end after"}},
        BadCalendarFile{"overlapping periods",
                        R"({"timetables": [{"name": "w", "from": "01-01",
                            "periods": ["09:00-12:00", "11:00-18:00"]}]})",
                        {"timetable 0 (w)", "period 1", "overlaps"}},
        BadCalendarFile{"hour out of range",
                        R"({"timetables": [{"name": "w", "from": "01-01",
                            "periods": ["09:00-25:00"]}]})",
                        {"timetables[0] (w)", "periods[0]", "09:00-25:00"}},
        BadCalendarFile{"bad from date",
                        R"({"timetables": [{"name": "w", "from": "13-01",
                            "periods": ["09:00-12:00"]}]})",
                        {"timetables[0] (w)", "'from'", "13-01"}},
        BadCalendarFile{"no such day",
                        R"({"timetables": [{"name": "w", "from": "02-30",
                            "periods": ["09:00-12:00"]}]})",
                        {"'from'", "02-30"}},
        BadCalendarFile{"no periods",
                        R"({"timetables": [{"name": "w", "from": "01-01", "periods": []}]})",
                        {"timetable 0 (w)", "no office periods"}},
        BadCalendarFile{"same name twice",
                        R"({"timetables": [
                            {"name": "w", "from": "01-01", "periods": ["09:00-12:00"]},
                            {"name": "w", "from": "05-01", "periods": ["09:00-12:00"]}]})",
                        {"(w)", "name used twice"}},
        BadCalendarFile{"same from date twice",
                        R"({"timetables": [
                            {"name": "a", "from": "05-01", "periods": ["09:00-12:00"]},
                            {"name": "b", "from": "05-01", "periods": ["09:00-12:00"]}]})",
                        {"(b)", "same date"}},
        BadCalendarFile{"name missing",
                        R"({"timetables": [{"from": "01-01", "periods": ["09:00-12:00"]}]})",
                        {"timetables[0]", "'name'"}}),
    [](const ::testing::TestParamInfo<BadCalendarFile>& info) {
      std::string name;
      for (char ch : std::string(info.param.what)) {
        name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
      }
      return name;
    });

TEST(WorkCalendarTest, RejectsTheSameYearTwice) {
  auto hours = OfficeHours::Parse(kStandardHours, "office_hours.json");
  ASSERT_TRUE(hours.ok());
  auto y = HolidayYear::Parse(ReadRepoFile("data/calendar/2020.json"), "2020.json");
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  auto c = WorkCalendar::Make(*hours, {*y, *y});
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("2020"), std::string::npos);
}

TEST(WorkCalendarTest, RejectsYearsThatDisagreeAboutADate) {
  auto hours = OfficeHours::Parse(kStandardHours, "office_hours.json");
  ASSERT_TRUE(hours.ok());
  // The 2024 notice put 30-31 Dec 2023 into the New Year holiday; a 2023 file saying 31 Dec
  // (a Sunday) is worked contradicts it.
  auto y2023 = HolidayYear::Parse(R"({"year": 2023, "working_days": [{"date": "2023-12-31"}]})",
                                  "2023.json");
  auto y2024 = HolidayYear::Parse(
      R"({"year": 2024, "holidays": [{"name": "元旦", "from": "2023-12-30", "to": "2024-01-01"}]})",
      "2024.json");
  ASSERT_TRUE(y2023.ok()) << y2023.status().ToString();
  ASSERT_TRUE(y2024.ok()) << y2024.status().ToString();
  auto c = WorkCalendar::Make(*hours, {*y2023, *y2024});
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("2023-12-31"), std::string::npos) << c.status().message();
}

TEST(WorkCalendarTest, ShippedFilesLoad) {
  for (const char* name : {"2020", "2026"}) {
    auto y = HolidayYear::Parse(ReadRepoFile(std::string("data/calendar/") + name + ".json"), name);
    ASSERT_TRUE(y.ok()) << y.status().ToString();
    EXPECT_EQ(std::to_string(y->year), name);
    EXPECT_FALSE(y->source.empty());
    EXPECT_GE(y->holidays.size(), 6u);
  }
  auto hours = OfficeHours::Parse(ReadRepoFile("data/calendar/office_hours.json"), "office");
  ASSERT_TRUE(hours.ok()) << hours.status().ToString();
  EXPECT_EQ(hours->timetables().size(), 2u);
}

}  // namespace
}  // namespace citygrid
