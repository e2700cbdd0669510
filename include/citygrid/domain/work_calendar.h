#pragma once

// The work calendar (工作日历): office hours, official holidays and adjusted working weekends
// (调休), and deadline arithmetic in the four time units of the national standard.
//
// Everything here is pure: the data files (data/calendar/office_hours.json and
// data/calendar/<year>.json) are read by the caller and handed in as text.
//
// All instants are `Timestamp`s; days and clock times are civil time in Asia/Shanghai (+08:00,
// no daylight saving time), via common/time.h.
//
// Units (DESIGN.md §2 "Deadlines"):
//   urgent_hour  紧急工作时  wall-clock hours, 24/7
//   work_hour    工作时      hours of office time only (inside a period of a working day)
//   work_day     工作日      the same clock time N working days later (see Deadline below)
//   natural_day  自然日      the same clock time N calendar days later
//
// Days: a date listed as a holiday is a rest day; a date listed as an adjusted working day (调休)
// is a working day; any other date is a working day iff it is Monday-Friday. For a year with no
// holiday file the same weekday rule applies to every date; `CoversYear` / `UncoveredYears`
// report such years so the service can warn that its deadlines ignore that year's holidays.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/common/time.h"

namespace citygrid {

// The unit of a deadline duration.
enum class TimeUnit {
  kUrgentHour,  // 紧急工作时
  kWorkHour,    // 工作时
  kWorkDay,     // 工作日
  kNaturalDay,  // 自然日
};

// "urgent_hour", "work_hour", "work_day", "natural_day".
std::string_view Name(TimeUnit unit);
// The Chinese name: "紧急工作时", "工作时", "工作日", "自然日".
std::string_view ChineseName(TimeUnit unit);
// Parses the names above; kInvalidArgument names the text and lists the four units.
Result<TimeUnit> ParseTimeUnit(std::string_view name);

// A deadline duration: an amount of a unit, e.g. 2 work_hour.
//
// Invariants (enforced by Make/Parse): 0 < amount <= kMaxAmount; amounts of work_day and
// natural_day are whole numbers; hour amounts may be fractional (0.5 work_hour = 30 minutes) and
// are rounded to the millisecond.
struct WorkDuration {
  static constexpr double kMaxAmount = 10000;

  double amount = 1;
  TimeUnit unit = TimeUnit::kWorkHour;

  // Validates the invariants; kInvalidArgument says which one failed.
  static Result<WorkDuration> Make(double amount, TimeUnit unit);

  // "2 work_hour", "0.5 urgent_hour".
  std::string ToString() const;
  // "2工作时".
  std::string ToChinese() const;

  friend bool operator==(const WorkDuration&, const WorkDuration&) = default;
};

// Parses "2 work_hour" (amount, one space, unit).
Result<WorkDuration> ParseWorkDuration(std::string_view text);

// One period of office time within a day, [start, end) in minutes after midnight (end <= 1440).
struct OfficePeriod {
  int start_minute = 0;
  int end_minute = 0;

  friend bool operator==(const OfficePeriod&, const OfficePeriod&) = default;
};

// A daily timetable (作息时间) that applies from a month-day until the next timetable's from date.
struct Timetable {
  std::string name;     // "summer"
  std::string name_zh;  // "夏季作息" (optional)
  unsigned from_month = 1;
  unsigned from_day = 1;
  std::vector<OfficePeriod> periods;  // sorted, non-overlapping, non-empty

  friend bool operator==(const Timetable&, const Timetable&) = default;
};

// The office hours of a deployment: one or more timetables switching on month-day dates, e.g.
// summer from 05-01 and winter from 10-01. A date takes the timetable with the latest from date
// on or before its month-day; dates before the first from date take the last timetable (the one
// running over New Year). One timetable applies all year.
class OfficeHours {
 public:
  static constexpr int kMaxTimetables = 16;

  // Validates: 1..kMaxTimetables timetables with distinct non-empty names and distinct valid
  // from dates; each with 1+ periods, start < end, sorted, non-overlapping, within 00:00-24:00.
  // kInvalidArgument names the timetable and the problem.
  static Result<OfficeHours> Make(std::vector<Timetable> timetables);

  // Parses office_hours.json:
  //   {"source": "...", "timetables": [{"name": "summer", "name_zh": "夏季作息",
  //     "from": "05-01", "periods": ["08:30-12:00", "15:00-18:00"]}, ...]}
  // `source_name` prefixes every error message ("office_hours.json: timetable 1 (summer): ...").
  static Result<OfficeHours> Parse(std::string_view json_text, std::string_view source_name);

  // Sorted by from date.
  const std::vector<Timetable>& timetables() const { return timetables_; }
  // Index into timetables() of the timetable for `date`.
  int TimetableIndexFor(std::chrono::year_month_day date) const;
  const Timetable& TimetableFor(std::chrono::year_month_day date) const {
    return timetables_[TimetableIndexFor(date)];
  }

 private:
  std::vector<Timetable> timetables_;
};

// A named holiday of a year's official schedule: a run of rest days.
struct Holiday {
  std::string name;     // "劳动节"
  std::string name_en;  // "Labour Day" (optional)
  std::chrono::year_month_day first;
  std::chrono::year_month_day last;  // inclusive
  std::string note;                  // optional
};

// An adjusted working day (调休上班): a Saturday or Sunday worked in exchange for a holiday.
struct AdjustedWorkingDay {
  std::chrono::year_month_day date;
  std::string note;  // "劳动节调休" (optional)
};

// One year's official schedule (国务院办公厅 节假日安排通知).
struct HolidayYear {
  int year = 0;
  std::string source;  // the notice it comes from
  std::vector<Holiday> holidays;
  std::vector<AdjustedWorkingDay> working_days;

  // Parses data/calendar/<year>.json:
  //   {"year": 2020, "source": "...",
  //    "holidays": [{"name": "劳动节", "name_en": "Labour Day",
  //                  "from": "2020-05-01", "to": "2020-05-05", "note": "..."}, ...],
  //    "working_days": [{"date": "2020-04-26", "note": "劳动节调休"}, ...]}
  // Validates: year in [kFirstYear, kLastYear]; dates real and within the year or the 31 days
  // next to it (a New Year holiday may start on 30 Dec); from <= to; every working day a
  // Saturday or Sunday; no date both a holiday and a working day, or listed twice.
  // kInvalidArgument names the entry ("2020.json: holidays[3] (劳动节): field 'to': ...").
  static Result<HolidayYear> Parse(std::string_view json_text, std::string_view source_name);
};

// Deadline arithmetic over office hours and holiday years.
//
// Precomputes, for every day from 1970 to 2199, whether it works, its timetable and running sums
// of office minutes and working days, so IsWorkingTime, WorkTimeBetween and work_hour/work_day
// deadlines cost O(1) or O(log days), never a loop over minutes. Instants outside that range are
// still handled, by a slower loop over days.
//
// Immutable after Make; copies share the tables. Thread-safe.
class WorkCalendar {
 public:
  static constexpr int kFirstYear = 1970;
  static constexpr int kLastYear = 2199;

  // kInvalidArgument when two HolidayYears have the same year or disagree about a date (one says
  // holiday, the other working day).
  static Result<WorkCalendar> Make(OfficeHours office_hours, std::vector<HolidayYear> years);

  const OfficeHours& office_hours() const;
  // The loaded years, ascending.
  std::vector<int> years() const;
  // Whether a holiday file for `year` was loaded.
  bool CoversYear(int year) const;
  // Years touched by [from, to] (civil dates in Asia/Shanghai) that have no holiday file, for
  // which the weekday rule stands in for the official schedule. Ascending.
  std::vector<int> UncoveredYears(Timestamp from, Timestamp to) const;

  bool IsWorkingDay(std::chrono::year_month_day date) const;
  // Whether `t` falls inside an office period of a working day (periods are [start, end)).
  bool IsWorkingTime(Timestamp t) const;
  // Office time of `date` (zero on rest days).
  Duration OfficeTimeOn(std::chrono::year_month_day date) const;

  // deadline = start + duration:
  //   urgent_hour: start + amount hours.
  //   natural_day: the same civil clock time `amount` days later.
  //   work_hour:   the earliest instant at which `amount` hours of office time have passed since
  //                start; office time before start does not count. A deadline that ends exactly
  //                at the end of a period is that period's end (17:00 + 1 work_hour = 18:00).
  //   work_day:    the same civil clock time on the amount-th working day after start's day.
  //                If start is not office time (before opening, lunch break, after closing, or a
  //                rest day), the clock starts at the next moment of office time and the rule is
  //                applied from there: Saturday 15:00 + 1 work_day = Tuesday's opening time when
  //                Monday and Tuesday are working days. The deadline keeps that clock time even
  //                if the target day's timetable differs.
  Timestamp Deadline(Timestamp start, const WorkDuration& duration) const;

  // Office time between two instants (工作时 elapsed): zero when to <= from. For "average
  // handling time in work hours".
  Duration WorkTimeBetween(Timestamp from, Timestamp to) const;

  // The first instant at or after `t` that is office time.
  Timestamp NextWorkingTime(Timestamp t) const;

 private:
  struct Tables;
  explicit WorkCalendar(std::shared_ptr<const Tables> tables) : t_(std::move(tables)) {}

  std::shared_ptr<const Tables> t_;
};

}  // namespace citygrid
