// `citygrid selfcheck`: loads the shipped domain data (categories and work calendar) and checks
// the calendar against the vectors of issue #2. `citygrid demo` runs it until the server lands.

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "citygrid/common/clock.h"
#include "citygrid/common/time.h"
#include "citygrid/domain/category.h"
#include "citygrid/domain/work_calendar.h"
#include "cli/commands.h"

namespace citygrid::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUsage =
    "usage: citygrid selfcheck [--data-dir DIR]\n"
    "  Loads DIR/categories.json and DIR/calendar/*.json (default: the source tree's data/),\n"
    "  prints what they hold and checks the work calendar against the issue #2 vectors.\n"
    "  Exits 1 if a file fails to load or a vector disagrees.\n";

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return UnavailableError("cannot read " + path.string());
  return ss.str();
}

std::string FormatWorkTime(Duration d) {
  int64_t minutes = std::chrono::duration_cast<std::chrono::minutes>(d).count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(minutes / 60),
                static_cast<long long>(minutes % 60));
  return buf;
}

std::string FormatPeriods(const Timetable& t) {
  std::string out;
  for (const OfficePeriod& p : t.periods) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%02d:%02d-%02d:%02d", out.empty() ? "" : ", ",
                  p.start_minute / 60, p.start_minute % 60, p.end_minute / 60, p.end_minute % 60);
    out += buf;
  }
  return out;
}

// Loads and prints the categories; false if the file does not load.
bool CheckCategories(const fs::path& data_dir) {
  fs::path path = data_dir / "categories.json";
  std::printf("== 分类 Categories: %s\n", path.string().c_str());
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) {
    std::printf("   FAILED: %s\n", text.status().ToString().c_str());
    return false;
  }
  Result<CategoryCatalog> catalog = CategoryCatalog::Parse(*text, path.filename().string());
  if (!catalog.ok()) {
    std::printf("   FAILED: %s\n", catalog.status().ToString().c_str());
    return false;
  }
  size_t rows = 0;
  for (const Category& c : catalog->categories()) rows += c.deadlines.size();
  std::printf("   %zu categories, %zu deadline rows, %zu open to public reporting\n",
              catalog->size(), rows, catalog->PublicCategories().size());
  for (const MajorClass& m : catalog->major_classes()) {
    std::vector<const Category*> list = catalog->ListByMajor(m.code);
    std::string examples;
    for (size_t i = 0; i < list.size() && i < 3; ++i) {
      examples += (i ? ", " : "") + list[i]->code + " " + list[i]->name;
    }
    if (list.size() > 3) examples += ", ...";
    std::printf("   %s %s (%s, %s): %zu  [%s]\n", m.code.c_str(), m.name.c_str(), m.name_en.c_str(),
                std::string(ChineseName(m.kind)).c_str(), list.size(), examples.c_str());
  }
  for (const char* code : {"06010", "01001"}) {
    const Category* c = catalog->Find(code);
    if (c == nullptr) continue;
    std::printf("   %s %s: 立案 \"%s\" / 结案 \"%s\" / %s\n", c->code.c_str(), c->name.c_str(),
                c->register_standard.c_str(), c->close_standard.c_str(), c->unit_type.c_str());
    for (const DeadlineRow& row : c->deadlines) {
      std::printf("      [%s] 处置 %s (核实 %s, 立案 %s, 派遣 %s, 核查 %s)\n",
                  row.condition.empty() ? "所有情形" : row.condition.c_str(),
                  row.handle.ToChinese().c_str(), row.verify.ToChinese().c_str(),
                  row.registration.ToChinese().c_str(), row.dispatch.ToChinese().c_str(),
                  row.check.ToChinese().c_str());
    }
  }
  return true;
}

struct LoadedCalendar {
  bool ok = true;
  std::optional<OfficeHours> office_hours;
  std::vector<HolidayYear> years;
};

LoadedCalendar LoadCalendarFiles(const fs::path& dir) {
  LoadedCalendar out;
  std::printf("\n== 工作日历 Work calendar: %s\n", dir.string().c_str());
  std::vector<fs::path> files;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  if (ec) {
    std::printf("   FAILED: cannot list %s: %s\n", dir.string().c_str(), ec.message().c_str());
    out.ok = false;
    return out;
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& path : files) {
    std::string name = path.filename().string();
    std::string stem = path.stem().string();
    Result<std::string> text = ReadFile(path);
    if (!text.ok()) {
      std::printf("   FAILED: %s\n", text.status().ToString().c_str());
      out.ok = false;
      continue;
    }
    if (name == "office_hours.json") {
      Result<OfficeHours> hours = OfficeHours::Parse(*text, name);
      if (!hours.ok()) {
        std::printf("   FAILED: %s\n", hours.status().ToString().c_str());
        out.ok = false;
        continue;
      }
      for (const Timetable& t : hours->timetables()) {
        std::printf("   %s: %s %s from %02u-%02u: %s\n", name.c_str(), t.name.c_str(),
                    t.name_zh.c_str(), t.from_month, t.from_day, FormatPeriods(t).c_str());
      }
      out.office_hours = std::move(*hours);
      continue;
    }
    if (stem.size() != 4 || !std::all_of(stem.begin(), stem.end(),
                                         [](unsigned char c) { return std::isdigit(c) != 0; })) {
      std::printf("   ignored %s: expected office_hours.json or <year>.json\n", name.c_str());
      continue;
    }
    Result<HolidayYear> year = HolidayYear::Parse(*text, name);
    if (!year.ok()) {
      std::printf("   FAILED: %s\n", year.status().ToString().c_str());
      out.ok = false;
      continue;
    }
    if (std::to_string(year->year) != stem) {
      std::printf("   FAILED: %s holds year %d\n", name.c_str(), year->year);
      out.ok = false;
      continue;
    }
    std::string holidays;
    for (const Holiday& h : year->holidays) {
      holidays += (holidays.empty() ? "" : ", ") + h.name + " " + FormatDate(h.first).substr(5) +
                  (h.first == h.last ? "" : "~" + FormatDate(h.last).substr(5));
    }
    std::string working;
    for (const AdjustedWorkingDay& w : year->working_days) {
      working += (working.empty() ? "" : ", ") + FormatDate(w.date).substr(5);
    }
    std::printf("   %s: %s\n      调休上班 %s\n", name.c_str(), holidays.c_str(), working.c_str());
    out.years.push_back(std::move(*year));
  }
  if (!out.office_hours.has_value()) {
    std::printf("   FAILED: %s has no office_hours.json\n", dir.string().c_str());
    out.ok = false;
  }
  return out;
}

// Checks the issue #2 vectors with office hours 09:00-12:00, 14:00-18:00 and the loaded 2020
// schedule; false if one disagrees or the calendar cannot be built.
bool CheckVectors(const std::vector<HolidayYear>& years) {
  std::printf(
      "\n== Issue #2 vectors (office hours 09:00-12:00, 14:00-18:00; loaded 2020 "
      "schedule)\n");
  auto has2020 =
      std::any_of(years.begin(), years.end(), [](const HolidayYear& y) { return y.year == 2020; });
  if (!has2020) {
    std::printf("   FAILED: no 2020.json to check against\n");
    return false;
  }
  Result<OfficeHours> hours = OfficeHours::Make(
      {Timetable{"standard", "", 1, 1, {OfficePeriod{9 * 60, 12 * 60}, {14 * 60, 18 * 60}}}});
  if (!hours.ok()) return false;
  Result<WorkCalendar> calendar = WorkCalendar::Make(*hours, years);
  if (!calendar.ok()) {
    std::printf("   FAILED: %s\n", calendar.status().ToString().c_str());
    return false;
  }
  struct Vector {
    const char* start;
    WorkDuration duration;
    const char* expected;
    const char* note;
  };
  const Vector kVectors[] = {
      {"2020-04-30T17:00:00+08:00",
       {2, TimeUnit::kWorkHour},
       "2020-05-06T10:00:00+08:00",
       "1h on 30 Apr, Labour Day 1-5 May, 1h on 6 May"},
      {"2020-04-24T10:00:00+08:00",
       {1, TimeUnit::kWorkDay},
       "2020-04-26T10:00:00+08:00",
       "Sunday 26 Apr is an adjusted working day"},
      {"2020-04-30T17:00:00+08:00",
       {3, TimeUnit::kUrgentHour},
       "2020-04-30T20:00:00+08:00",
       "wall clock"},
      {"2020-04-30T17:00:00+08:00",
       {1, TimeUnit::kNaturalDay},
       "2020-05-01T17:00:00+08:00",
       "calendar day, holiday or not"},
      {"2020-01-23T17:00:00+08:00",
       {3, TimeUnit::kWorkHour},
       "2020-02-03T11:00:00+08:00",
       "over the extended Spring Festival"},
      {"2020-09-30T17:00:00+08:00",
       {1, TimeUnit::kWorkDay},
       "2020-10-09T17:00:00+08:00",
       "National Day 1-8 Oct"},
  };
  bool ok = true;
  for (const Vector& v : kVectors) {
    Timestamp start = *ParseIso8601(v.start);
    std::string got = FormatIso8601(calendar->Deadline(start, v.duration));
    bool match = got == v.expected;
    ok = ok && match;
    std::printf("   %s + %-13s = %s  %s  (%s)\n", v.start, v.duration.ToString().c_str(),
                got.c_str(), match ? "ok" : ("EXPECTED " + std::string(v.expected)).c_str(),
                v.note);
  }
  Timestamp from = *ParseIso8601("2020-04-30T17:00:00+08:00");
  Timestamp to = *ParseIso8601("2020-05-06T10:00:00+08:00");
  Duration elapsed = calendar->WorkTimeBetween(from, to);
  bool match = elapsed == std::chrono::hours(2);
  ok = ok && match;
  std::printf("   work time 2020-04-30T17:00 .. 2020-05-06T10:00 = %s  %s\n",
              FormatWorkTime(elapsed).c_str(), match ? "ok" : "EXPECTED 2h00m");
  return ok;
}

// Shows the shipped timetable at work and warns about years without a holiday file.
bool ShowShippedCalendar(const OfficeHours& office_hours, const std::vector<HolidayYear>& years) {
  std::printf("\n== Shipped calendar (office_hours.json + every <year>.json)\n");
  Result<WorkCalendar> calendar = WorkCalendar::Make(office_hours, years);
  if (!calendar.ok()) {
    std::printf("   FAILED: %s\n", calendar.status().ToString().c_str());
    return false;
  }
  Timestamp start = *ParseIso8601("2020-04-30T17:00:00+08:00");
  for (WorkDuration d : {WorkDuration{2, TimeUnit::kWorkHour}, WorkDuration{1, TimeUnit::kWorkDay},
                         WorkDuration{3, TimeUnit::kWorkDay}}) {
    Timestamp deadline = calendar->Deadline(start, d);
    std::printf("   2020-04-30T17:00:00+08:00 (%s) + %-11s = %s (%s)\n",
                calendar->office_hours().TimetableFor(ToCivil(start).date).name.c_str(),
                d.ToString().c_str(), FormatIso8601(deadline).c_str(),
                calendar->office_hours().TimetableFor(ToCivil(deadline).date).name.c_str());
  }
  Timestamp now = SystemClock::Default().Now();
  CivilTime today = ToCivil(now);
  std::printf("   now %s: %s\n", FormatIso8601(now).c_str(),
              calendar->IsWorkingTime(now) ? "office time" : "outside office time");
  int this_year = static_cast<int>(today.date.year());
  for (int y : {this_year, this_year + 1}) {
    if (!calendar->CoversYear(y)) {
      std::printf(
          "   warning: no holiday file for %d; its deadlines count Monday-Friday as "
          "working days and ignore official holidays\n",
          y);
    }
  }
  return true;
}

}  // namespace

int RunSelfCheck(const Args& args) {
  fs::path data_dir = fs::path(CITYGRID_SOURCE_DIR) / "data";
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::printf("%s", kUsage);
      return 0;
    }
    if (args[i] == "--data-dir" && i + 1 < args.size()) {
      data_dir = args[++i];
    } else if (args[i] == "--data" && i + 1 < args.size()) {
      // `citygrid demo --data DIR` forwards here until the server lands; the self-check writes
      // nothing, so the demo's data directory is not used.
      ++i;
    } else {
      return UsageError("selfcheck", "unexpected argument '" + args[i] + "'\n" + kUsage);
    }
  }
  std::printf("citygrid %s selfcheck: domain data in %s\n\n", CITYGRID_VERSION,
              data_dir.string().c_str());
  bool ok = CheckCategories(data_dir);
  LoadedCalendar calendar = LoadCalendarFiles(data_dir / "calendar");
  ok = ok && calendar.ok;
  ok = CheckVectors(calendar.years) && ok;
  if (calendar.office_hours.has_value()) {
    ok = ShowShippedCalendar(*calendar.office_hours, calendar.years) && ok;
  }
  std::printf("\nselfcheck: %s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}

}  // namespace citygrid::cli
