#include "citygrid/domain/work_calendar.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "category_json.h"

namespace citygrid {
namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kHourMs = 3'600'000;
constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kOffsetMs = int64_t{kShanghaiOffsetMinutes} * kMinuteMs;

// Days since 1970-01-01 of a civil date.
int64_t DayNumber(year_month_day d) { return sys_days(d).time_since_epoch().count(); }
year_month_day DateOf(int64_t day) { return year_month_day(sys_days(days(day))); }

// Splits an instant into its Shanghai civil day number and time of day in ms.
struct DayAndTime {
  int64_t day;
  int64_t tod_ms;
};
DayAndTime Split(Timestamp t) {
  int64_t local = ToUnixMillis(t) + kOffsetMs;
  int64_t day = local >= 0 ? local / kDayMs : -((-local + kDayMs - 1) / kDayMs);
  return {day, local - day * kDayMs};
}
Timestamp Join(int64_t day, int64_t tod_ms) {
  return FromUnixMillis(day * kDayMs + tod_ms - kOffsetMs);
}

std::string TwoDigits(int v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d", v);
  return buf;
}

std::string FormatMinute(int minute) {
  return TwoDigits(minute / 60) + ":" + TwoDigits(minute % 60);
}

// "HH:MM" with 00 <= HH <= 24; "24:00" is the end of the day.
bool ParseClock(std::string_view s, int& minute) {
  if (s.size() != 5 || s[2] != ':') return false;
  for (int i : {0, 1, 3, 4}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  int h = (s[0] - '0') * 10 + (s[1] - '0');
  int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 24 || m > 59 || (h == 24 && m != 0)) return false;
  minute = h * 60 + m;
  return true;
}

// Whether a month-day exists in a leap year (so "02-29" is allowed).
bool ValidMonthDay(unsigned month, unsigned day) {
  return year_month_day(std::chrono::year(2000), std::chrono::month(month), std::chrono::day(day))
      .ok();
}

std::string FormatAmount(double amount) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", amount);
  return buf;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// TimeUnit and WorkDuration

std::string_view Name(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kUrgentHour:
      return "urgent_hour";
    case TimeUnit::kWorkHour:
      return "work_hour";
    case TimeUnit::kWorkDay:
      return "work_day";
    case TimeUnit::kNaturalDay:
      return "natural_day";
  }
  return "work_hour";
}

std::string_view ChineseName(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kUrgentHour:
      return "紧急工作时";
    case TimeUnit::kWorkHour:
      return "工作时";
    case TimeUnit::kWorkDay:
      return "工作日";
    case TimeUnit::kNaturalDay:
      return "自然日";
  }
  return "工作时";
}

Result<TimeUnit> ParseTimeUnit(std::string_view name) {
  for (TimeUnit u :
       {TimeUnit::kUrgentHour, TimeUnit::kWorkHour, TimeUnit::kWorkDay, TimeUnit::kNaturalDay}) {
    if (name == Name(u)) return u;
  }
  return InvalidArgumentError("unknown time unit '" + std::string(name.substr(0, 40)) +
                              "'; expected urgent_hour, work_hour, work_day or natural_day");
}

Result<WorkDuration> WorkDuration::Make(double amount, TimeUnit unit) {
  if (!std::isfinite(amount) || amount <= 0) {
    return InvalidArgumentError("duration amount " + FormatAmount(amount) +
                                " must be a positive number");
  }
  if (amount > kMaxAmount) {
    return InvalidArgumentError("duration amount " + FormatAmount(amount) + " exceeds " +
                                FormatAmount(kMaxAmount));
  }
  if ((unit == TimeUnit::kWorkDay || unit == TimeUnit::kNaturalDay) &&
      amount != std::floor(amount)) {
    return InvalidArgumentError("duration amount " + FormatAmount(amount) + " of " +
                                std::string(Name(unit)) + " must be a whole number");
  }
  return WorkDuration{amount, unit};
}

std::string WorkDuration::ToString() const {
  return FormatAmount(amount) + " " + std::string(Name(unit));
}

std::string WorkDuration::ToChinese() const {
  return FormatAmount(amount) + std::string(ChineseName(unit));
}

Result<WorkDuration> ParseWorkDuration(std::string_view text) {
  size_t space = text.find(' ');
  if (space == std::string_view::npos || space == 0) {
    return InvalidArgumentError("bad duration '" + std::string(text.substr(0, 40)) +
                                "': expected '<amount> <unit>', e.g. '2 work_hour'");
  }
  std::string amount_text(text.substr(0, space));
  char* end = nullptr;
  double amount = std::strtod(amount_text.c_str(), &end);
  if (end != amount_text.c_str() + amount_text.size()) {
    return InvalidArgumentError("bad duration '" + std::string(text.substr(0, 40)) + "': amount '" +
                                amount_text + "' is not a number");
  }
  CITYGRID_ASSIGN_OR_RETURN(TimeUnit unit, ParseTimeUnit(text.substr(space + 1)));
  return WorkDuration::Make(amount, unit);
}

// ---------------------------------------------------------------------------------------------
// OfficeHours

Result<OfficeHours> OfficeHours::Make(std::vector<Timetable> timetables) {
  if (timetables.empty()) return InvalidArgumentError("office hours need at least one timetable");
  if (timetables.size() > static_cast<size_t>(kMaxTimetables)) {
    return InvalidArgumentError("office hours have " + std::to_string(timetables.size()) +
                                " timetables; at most " + std::to_string(kMaxTimetables));
  }
  std::set<std::string> names;
  std::set<unsigned> froms;
  for (size_t i = 0; i < timetables.size(); ++i) {
    const Timetable& t = timetables[i];
    std::string where = "timetable " + std::to_string(i) + " (" + t.name + ")";
    if (t.name.empty()) return InvalidArgumentError("timetable " + std::to_string(i) + ": no name");
    if (!names.insert(t.name).second) return InvalidArgumentError(where + ": name used twice");
    if (!ValidMonthDay(t.from_month, t.from_day)) {
      return InvalidArgumentError(where + ": from date " + TwoDigits(t.from_month) + "-" +
                                  TwoDigits(t.from_day) + " is not a day of the year");
    }
    if (!froms.insert(t.from_month * 100 + t.from_day).second) {
      return InvalidArgumentError(where + ": another timetable starts on the same date");
    }
    if (t.periods.empty()) return InvalidArgumentError(where + ": no office periods");
    int previous_end = 0;
    for (size_t p = 0; p < t.periods.size(); ++p) {
      const OfficePeriod& period = t.periods[p];
      std::string pwhere = where + ": period " + std::to_string(p) + " (" +
                           FormatMinute(std::clamp(period.start_minute, 0, 1440)) + "-" +
                           FormatMinute(std::clamp(period.end_minute, 0, 1440)) + ")";
      if (period.start_minute < 0 || period.end_minute > 1440) {
        return InvalidArgumentError(pwhere + ": outside 00:00-24:00");
      }
      if (period.start_minute >= period.end_minute) {
        return InvalidArgumentError(pwhere + ": must end after it starts");
      }
      if (period.start_minute < previous_end) {
        return InvalidArgumentError(pwhere + ": overlaps or precedes the period before it");
      }
      previous_end = period.end_minute;
    }
  }
  std::sort(timetables.begin(), timetables.end(), [](const Timetable& a, const Timetable& b) {
    return std::pair(a.from_month, a.from_day) < std::pair(b.from_month, b.from_day);
  });
  OfficeHours hours;
  hours.timetables_ = std::move(timetables);
  return hours;
}

Result<OfficeHours> OfficeHours::Parse(std::string_view json_text, std::string_view source_name) {
  using domain_json::ObjectReader;
  CITYGRID_ASSIGN_OR_RETURN(boost::json::value root,
                            domain_json::ParseText(json_text, source_name));
  if (!root.is_object()) {
    return domain_json::ContextError(source_name, "the top level must be an object, not " +
                                                      std::string(domain_json::KindName(root)));
  }
  ObjectReader top(root.get_object(), std::string(source_name));
  CITYGRID_RETURN_IF_ERROR(top.RejectUnknownKeys({"source", "timetables"}));
  CITYGRID_ASSIGN_OR_RETURN(const boost::json::array* list, top.RequiredArray("timetables"));
  std::vector<Timetable> timetables;
  for (size_t i = 0; i < list->size(); ++i) {
    std::string where = std::string(source_name) + ": timetables[" + std::to_string(i) + "]";
    const boost::json::value& item = (*list)[i];
    if (!item.is_object()) return domain_json::ContextError(where, "must be an object");
    ObjectReader r(item.get_object(), where);
    CITYGRID_RETURN_IF_ERROR(r.RejectUnknownKeys({"name", "name_zh", "from", "periods"}));
    Timetable t;
    CITYGRID_ASSIGN_OR_RETURN(t.name, r.RequiredString("name"));
    ObjectReader named(item.get_object(), where + " (" + t.name + ")");
    CITYGRID_ASSIGN_OR_RETURN(t.name_zh, named.OptionalString("name_zh"));
    CITYGRID_ASSIGN_OR_RETURN(std::string from, named.RequiredString("from"));
    int mm = 0, dd = 0;
    if (from.size() != 5 || from[2] != '-' || std::sscanf(from.c_str(), "%2d-%2d", &mm, &dd) != 2 ||
        mm < 1 || mm > 12 || dd < 1 || !ValidMonthDay(mm, dd)) {
      return named.Error("from", "'" + from + "' is not a month-day like \"05-01\"");
    }
    t.from_month = mm;
    t.from_day = dd;
    CITYGRID_ASSIGN_OR_RETURN(const boost::json::array* periods, named.RequiredArray("periods"));
    for (size_t p = 0; p < periods->size(); ++p) {
      const boost::json::value& pv = (*periods)[p];
      std::string text = pv.is_string() ? std::string(pv.get_string()) : std::string();
      OfficePeriod period;
      if (text.size() != 11 || text[5] != '-' ||
          !ParseClock(std::string_view(text).substr(0, 5), period.start_minute) ||
          !ParseClock(std::string_view(text).substr(6), period.end_minute)) {
        return named.Error("periods[" + std::to_string(p) + "]",
                           "'" + text + "' is not a period like \"09:00-12:00\"");
      }
      t.periods.push_back(period);
    }
    timetables.push_back(std::move(t));
  }
  Result<OfficeHours> made = Make(std::move(timetables));
  if (!made.ok()) return made.status().WithContext(source_name);
  return made;
}

int OfficeHours::TimetableIndexFor(year_month_day date) const {
  unsigned md = static_cast<unsigned>(date.month()) * 100 + static_cast<unsigned>(date.day());
  int chosen = static_cast<int>(timetables_.size()) - 1;  // the one running over New Year
  for (size_t i = 0; i < timetables_.size(); ++i) {
    if (timetables_[i].from_month * 100 + timetables_[i].from_day <= md)
      chosen = static_cast<int>(i);
  }
  return chosen;
}

// ---------------------------------------------------------------------------------------------
// HolidayYear

Result<HolidayYear> HolidayYear::Parse(std::string_view json_text, std::string_view source_name) {
  using domain_json::ObjectReader;
  CITYGRID_ASSIGN_OR_RETURN(boost::json::value root,
                            domain_json::ParseText(json_text, source_name));
  if (!root.is_object()) {
    return domain_json::ContextError(source_name, "the top level must be an object, not " +
                                                      std::string(domain_json::KindName(root)));
  }
  ObjectReader top(root.get_object(), std::string(source_name));
  CITYGRID_RETURN_IF_ERROR(top.RejectUnknownKeys({"year", "source", "holidays", "working_days"}));
  HolidayYear out;
  CITYGRID_ASSIGN_OR_RETURN(int64_t year, top.RequiredInt("year"));
  if (year < WorkCalendar::kFirstYear || year > WorkCalendar::kLastYear) {
    return top.Error("year", std::to_string(year) + " is outside " +
                                 std::to_string(WorkCalendar::kFirstYear) + "-" +
                                 std::to_string(WorkCalendar::kLastYear));
  }
  out.year = static_cast<int>(year);
  CITYGRID_ASSIGN_OR_RETURN(out.source, top.OptionalString("source"));

  const int64_t window_first =
      DayNumber(
          year_month_day(std::chrono::year(out.year), std::chrono::January, std::chrono::day(1))) -
      31;
  const int64_t window_last =
      DayNumber(year_month_day(std::chrono::year(out.year), std::chrono::December,
                               std::chrono::day(31))) +
      31;
  // Every date named so far: day number -> "holidays[2]" / "working_days[0]".
  std::map<int64_t, std::string> seen;

  auto read_date = [&](const ObjectReader& r, std::string_view key) -> Result<year_month_day> {
    CITYGRID_ASSIGN_OR_RETURN(std::string text, r.RequiredString(key));
    Result<year_month_day> d = ParseDate(text);
    if (!d.ok()) return r.Error(key, d.status().message());
    int64_t n = DayNumber(*d);
    if (n < window_first || n > window_last) {
      return r.Error(key, text + " is not within 31 days of " + std::to_string(out.year));
    }
    return *d;
  };

  CITYGRID_ASSIGN_OR_RETURN(const boost::json::array* holidays, top.OptionalArray("holidays"));
  for (size_t i = 0; i < holidays->size(); ++i) {
    std::string where = std::string(source_name) + ": holidays[" + std::to_string(i) + "]";
    const boost::json::value& item = (*holidays)[i];
    if (!item.is_object()) return domain_json::ContextError(where, "must be an object");
    ObjectReader r(item.get_object(), where);
    CITYGRID_RETURN_IF_ERROR(r.RejectUnknownKeys({"name", "name_en", "from", "to", "note"}));
    Holiday h;
    CITYGRID_ASSIGN_OR_RETURN(h.name, r.RequiredString("name"));
    ObjectReader named(item.get_object(), where + " (" + h.name + ")");
    CITYGRID_ASSIGN_OR_RETURN(h.name_en, named.OptionalString("name_en"));
    CITYGRID_ASSIGN_OR_RETURN(h.first, read_date(named, "from"));
    CITYGRID_ASSIGN_OR_RETURN(h.last, read_date(named, "to"));
    CITYGRID_ASSIGN_OR_RETURN(h.note, named.OptionalString("note"));
    if (DayNumber(h.last) < DayNumber(h.first)) {
      return named.Error("to", FormatDate(h.last) + " is before from " + FormatDate(h.first));
    }
    for (int64_t d = DayNumber(h.first); d <= DayNumber(h.last); ++d) {
      auto [it, inserted] = seen.emplace(d, "holidays[" + std::to_string(i) + "]");
      if (!inserted) {
        return named.Error("from", FormatDate(DateOf(d)) + " is already listed by " + it->second);
      }
    }
    out.holidays.push_back(std::move(h));
  }

  CITYGRID_ASSIGN_OR_RETURN(const boost::json::array* working, top.OptionalArray("working_days"));
  for (size_t i = 0; i < working->size(); ++i) {
    std::string where = std::string(source_name) + ": working_days[" + std::to_string(i) + "]";
    const boost::json::value& item = (*working)[i];
    if (!item.is_object()) return domain_json::ContextError(where, "must be an object");
    ObjectReader r(item.get_object(), where);
    CITYGRID_RETURN_IF_ERROR(r.RejectUnknownKeys({"date", "note"}));
    AdjustedWorkingDay w;
    CITYGRID_ASSIGN_OR_RETURN(w.date, read_date(r, "date"));
    CITYGRID_ASSIGN_OR_RETURN(w.note, r.OptionalString("note"));
    std::chrono::weekday wd{sys_days(w.date)};
    if (wd != std::chrono::Saturday && wd != std::chrono::Sunday) {
      return r.Error(
          "date", FormatDate(w.date) + " is a weekday; adjusted working days (调休) are weekends");
    }
    auto [it, inserted] =
        seen.emplace(DayNumber(w.date), "working_days[" + std::to_string(i) + "]");
    if (!inserted) {
      return r.Error("date", FormatDate(w.date) + " is already listed by " + it->second);
    }
    out.working_days.push_back(std::move(w));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// WorkCalendar

struct WorkCalendar::Tables {
  OfficeHours office;
  std::vector<int> years;  // ascending
  // Days some holiday file names: day number -> working?
  std::vector<std::pair<int64_t, bool>> overrides;  // sorted by day

  // Office periods per timetable, in ms after midnight.
  struct Plan {
    std::vector<std::pair<int64_t, int64_t>> periods;
    int64_t total_ms = 0;
  };
  std::vector<Plan> plans;

  // Day i of the table is day number first_day + i, for i in [0, n).
  int64_t first_day = 0;
  int64_t n = 0;
  std::vector<uint8_t> flags;           // kWorking | timetable index
  std::vector<int32_t> minutes_before;  // n + 1: office minutes in days [0, i)
  std::vector<int32_t> wdays_before;    // n + 1: working days in days [0, i)

  static constexpr uint8_t kWorking = 0x80;
  static constexpr uint8_t kPlanMask = 0x0F;

  // The working flag and timetable of any day, from the sources (used to fill the table and for
  // days outside it).
  uint8_t ComputeFlags(int64_t day) const {
    bool working;
    auto it = std::lower_bound(overrides.begin(), overrides.end(), std::pair(day, false),
                               [](const auto& a, const auto& b) { return a.first < b.first; });
    if (it != overrides.end() && it->first == day) {
      working = it->second;
    } else {
      std::chrono::weekday wd{sys_days(days(day))};
      working = wd != std::chrono::Saturday && wd != std::chrono::Sunday;
    }
    uint8_t plan = static_cast<uint8_t>(office.TimetableIndexFor(DateOf(day)));
    return static_cast<uint8_t>((working ? kWorking : 0) | plan);
  }

  uint8_t Flags(int64_t day) const {
    int64_t i = day - first_day;
    return i >= 0 && i < n ? flags[i] : ComputeFlags(day);
  }

  bool InTable(int64_t day) const { return day >= first_day && day < first_day + n; }

  // Office ms of a day before time of day `tod_ms`.
  int64_t WorkBefore(uint8_t f, int64_t tod_ms) const {
    if (!(f & kWorking)) return 0;
    int64_t sum = 0;
    for (const auto& [s, e] : plans[f & kPlanMask].periods) {
      if (tod_ms <= s) break;
      sum += std::min(tod_ms, e) - s;
    }
    return sum;
  }

  int64_t DayWork(uint8_t f) const { return (f & kWorking) ? plans[f & kPlanMask].total_ms : 0; }

  // The instant in day `day` (flags f) after `rem_ms` (> 0) of office time from its start, or
  // -1 if the day holds less.
  static int64_t FindInDay(const Plan& plan, int64_t rem_ms) {
    for (const auto& [s, e] : plan.periods) {
      if (rem_ms <= e - s) return s + rem_ms;
      rem_ms -= e - s;
    }
    return -1;
  }
};

Result<WorkCalendar> WorkCalendar::Make(OfficeHours office_hours, std::vector<HolidayYear> years) {
  auto t = std::make_shared<Tables>();
  std::sort(years.begin(), years.end(),
            [](const HolidayYear& a, const HolidayYear& b) { return a.year < b.year; });
  std::map<int64_t, std::pair<bool, int>> marks;  // day -> (working, year of the file)
  for (size_t i = 0; i < years.size(); ++i) {
    const HolidayYear& y = years[i];
    if (i > 0 && years[i - 1].year == y.year) {
      return InvalidArgumentError("the holiday calendar of " + std::to_string(y.year) +
                                  " is given twice");
    }
    t->years.push_back(y.year);
    auto mark = [&](int64_t day, bool working) -> Status {
      auto [it, inserted] = marks.emplace(day, std::pair(working, y.year));
      if (!inserted && it->second.first != working) {
        return InvalidArgumentError("calendars of " + std::to_string(it->second.second) + " and " +
                                    std::to_string(y.year) + " disagree about " +
                                    FormatDate(DateOf(day)) + ": " +
                                    (it->second.first ? "working day" : "holiday") + " vs " +
                                    (working ? "working day" : "holiday"));
      }
      return OkStatus();
    };
    for (const Holiday& h : y.holidays) {
      for (int64_t d = DayNumber(h.first); d <= DayNumber(h.last); ++d) {
        CITYGRID_RETURN_IF_ERROR(mark(d, false));
      }
    }
    for (const AdjustedWorkingDay& w : y.working_days) {
      CITYGRID_RETURN_IF_ERROR(mark(DayNumber(w.date), true));
    }
  }
  for (const auto& [day, v] : marks) t->overrides.emplace_back(day, v.first);

  for (const Timetable& tt : office_hours.timetables()) {
    Tables::Plan plan;
    for (const OfficePeriod& p : tt.periods) {
      plan.periods.emplace_back(p.start_minute * kMinuteMs, p.end_minute * kMinuteMs);
      plan.total_ms += (p.end_minute - p.start_minute) * kMinuteMs;
    }
    t->plans.push_back(std::move(plan));
  }
  t->office = std::move(office_hours);

  t->first_day = DayNumber(
      year_month_day(std::chrono::year(kFirstYear), std::chrono::January, std::chrono::day(1)));
  int64_t end_day = DayNumber(
      year_month_day(std::chrono::year(kLastYear + 1), std::chrono::January, std::chrono::day(1)));
  t->n = end_day - t->first_day;
  t->flags.resize(t->n);
  t->minutes_before.resize(t->n + 1);
  t->wdays_before.resize(t->n + 1);
  t->minutes_before[0] = 0;
  t->wdays_before[0] = 0;
  for (int64_t i = 0; i < t->n; ++i) {
    uint8_t f = t->ComputeFlags(t->first_day + i);
    t->flags[i] = f;
    t->minutes_before[i + 1] =
        t->minutes_before[i] + static_cast<int32_t>(t->DayWork(f) / kMinuteMs);
    t->wdays_before[i + 1] = t->wdays_before[i] + ((f & Tables::kWorking) ? 1 : 0);
  }
  return WorkCalendar(std::move(t));
}

const OfficeHours& WorkCalendar::office_hours() const { return t_->office; }

std::vector<int> WorkCalendar::years() const { return t_->years; }

bool WorkCalendar::CoversYear(int year) const {
  return std::binary_search(t_->years.begin(), t_->years.end(), year);
}

std::vector<int> WorkCalendar::UncoveredYears(Timestamp from, Timestamp to) const {
  std::vector<int> out;
  if (to < from) return out;
  int first = static_cast<int>(ToCivil(from).date.year());
  int last = static_cast<int>(ToCivil(to).date.year());
  for (int y = first; y <= last; ++y) {
    if (!CoversYear(y)) out.push_back(y);
  }
  return out;
}

bool WorkCalendar::IsWorkingDay(year_month_day date) const {
  return (t_->Flags(DayNumber(date)) & Tables::kWorking) != 0;
}

bool WorkCalendar::IsWorkingTime(Timestamp t) const {
  DayAndTime dt = Split(t);
  uint8_t f = t_->Flags(dt.day);
  if (!(f & Tables::kWorking)) return false;
  for (const auto& [s, e] : t_->plans[f & Tables::kPlanMask].periods) {
    if (dt.tod_ms < s) return false;
    if (dt.tod_ms < e) return true;
  }
  return false;
}

Duration WorkCalendar::OfficeTimeOn(year_month_day date) const {
  return Duration(t_->DayWork(t_->Flags(DayNumber(date))));
}

Timestamp WorkCalendar::NextWorkingTime(Timestamp t) const {
  DayAndTime dt = Split(t);
  for (int64_t day = dt.day;; ++day) {
    uint8_t f = t_->Flags(day);
    if (f & Tables::kWorking) {
      for (const auto& [s, e] : t_->plans[f & Tables::kPlanMask].periods) {
        if (day > dt.day || dt.tod_ms < s) return Join(day, s);
        if (dt.tod_ms < e) return t;
      }
    }
  }
}

Duration WorkCalendar::WorkTimeBetween(Timestamp from, Timestamp to) const {
  if (to <= from) return Duration(0);
  const Tables& t = *t_;
  DayAndTime a = Split(from), b = Split(to);
  if (t.InTable(a.day) && t.InTable(b.day)) {
    int64_t ia = a.day - t.first_day, ib = b.day - t.first_day;
    int64_t wa = t.minutes_before[ia] * kMinuteMs + t.WorkBefore(t.flags[ia], a.tod_ms);
    int64_t wb = t.minutes_before[ib] * kMinuteMs + t.WorkBefore(t.flags[ib], b.tod_ms);
    return Duration(wb - wa);
  }
  // Outside the table: sum day by day.
  int64_t sum = 0;
  for (int64_t day = a.day; day <= b.day; ++day) {
    uint8_t f = t.Flags(day);
    int64_t lo = day == a.day ? a.tod_ms : 0;
    int64_t hi = day == b.day ? b.tod_ms : kDayMs;
    sum += t.WorkBefore(f, hi) - t.WorkBefore(f, lo);
  }
  return Duration(sum);
}

Timestamp WorkCalendar::Deadline(Timestamp start, const WorkDuration& duration) const {
  const Tables& t = *t_;
  switch (duration.unit) {
    case TimeUnit::kUrgentHour:
      return start + Duration(std::llround(duration.amount * kHourMs));
    case TimeUnit::kNaturalDay:
      // Asia/Shanghai has no daylight saving time: a civil day is always 24 hours.
      return start + Duration(static_cast<int64_t>(duration.amount) * kDayMs);
    case TimeUnit::kWorkHour: {
      int64_t amount_ms = std::llround(duration.amount * kHourMs);
      if (amount_ms <= 0) return start;
      DayAndTime s = Split(start);
      if (t.InTable(s.day)) {
        int64_t is = s.day - t.first_day;
        int64_t target =
            t.minutes_before[is] * kMinuteMs + t.WorkBefore(t.flags[is], s.tod_ms) + amount_ms;
        if (target <= t.minutes_before[t.n] * kMinuteMs) {
          // The first day whose running total reaches the target.
          int32_t target_minutes = static_cast<int32_t>((target + kMinuteMs - 1) / kMinuteMs);
          int64_t i = std::lower_bound(t.minutes_before.begin() + 1, t.minutes_before.end(),
                                       target_minutes) -
                      (t.minutes_before.begin() + 1);
          int64_t rem = target - t.minutes_before[i] * kMinuteMs;
          int64_t tod = Tables::FindInDay(t.plans[t.flags[i] & Tables::kPlanMask], rem);
          return Join(t.first_day + i, tod);
        }
      }
      // Outside the table: walk day by day.
      int64_t rem = amount_ms;
      for (int64_t day = s.day;; ++day) {
        uint8_t f = t.Flags(day);
        if (!(f & Tables::kWorking)) continue;
        int64_t already = day == s.day ? t.WorkBefore(f, s.tod_ms) : 0;
        int64_t available = t.DayWork(f) - already;
        if (rem <= available) {
          return Join(day, Tables::FindInDay(t.plans[f & Tables::kPlanMask], already + rem));
        }
        rem -= available;
      }
    }
    case TimeUnit::kWorkDay: {
      int64_t n = static_cast<int64_t>(duration.amount);
      DayAndTime s = Split(NextWorkingTime(start));
      if (t.InTable(s.day)) {
        int64_t is = s.day - t.first_day;
        // Day is is working, so it is working day number wdays_before[is]; we want number r.
        int64_t r = t.wdays_before[is] + n;
        auto it = std::upper_bound(t.wdays_before.begin(), t.wdays_before.end(), r);
        if (it != t.wdays_before.end()) {
          int64_t i = (it - t.wdays_before.begin()) - 1;
          return Join(t.first_day + i, s.tod_ms);
        }
      }
      int64_t day = s.day;
      for (int64_t left = n; left > 0;) {
        ++day;
        if (t.Flags(day) & Tables::kWorking) --left;
      }
      return Join(day, s.tod_ms);
    }
  }
  return start;
}

}  // namespace citygrid
