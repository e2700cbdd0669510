#pragma once

// Case histories with realistic distributions for the evaluation benchmark
// (bench/evaluation/evaluation_bench.cc) and the bulk-load tests
// (tests/service/evaluation_bulk_test.cc). Header-only so both can use it.
//
// Generator::Make(i) is a pure function of i (its own seeded RNG): case i's kCreated event,
// the later events (the state machine's own ApplyAction/MakeActionEvent, the sweeper's kOverdue
// mark), the final state, and a Raw row with the instants the evaluation needs (what the SQL
// peer reads). Cases are spread over the days in index order (case i on day i*days/n), so ids
// follow creation time like in a live system.
//
// From NYC 311 (LoadShares, ../shared/data/nyc/nyc311_*.csv) when present: complaint-type shares
// (by rank onto the catalog's categories), intake channel shares (PHONE → hotline, ONLINE →
// public, MOBILE → open311, other → inspector), hour-of-day of intake, created→closed delays
// (used as the handling delay after acceptance; the overdue rate follows from them against the
// 3-work-day handling deadline), and the share of requests closed as unverifiable or duplicate
// (resolution text "no evidence", "could not find", "unable to", "duplicate": used as the
// invalid share of public reports). Fixed rates (NYC has no such columns): rework 8 %,
// rejections 5 %, wrong dispatches 5 %, suspensions 2 %, cancellations 1 %.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "citygrid/common/csv.h"
#include "citygrid/common/time.h"
#include "citygrid/domain/case_state_machine.h"
#include "citygrid/domain/work_calendar.h"
#include "citygrid/storage/store.h"

namespace citygrid::bench {


struct Shares {
  std::vector<double> type_weights;     // by rank
  std::vector<double> channel_weights;  // inspector, public, hotline, open311
  std::vector<double> hour_weights;     // 24
  std::vector<double> close_hours;      // sampled handling delays (wall-clock hours)
  double invalid_rate = 0.10;          // of public reports
  bool from_nyc = false;
};

// "02/28/2023 11:45:00 PM" → minutes since epoch (local, no zone: only differences are used).
inline bool ParseNycTime(const std::string& s, int64_t* minutes, int* hour) {
  int mo, d, y, h, mi, sec;
  char ampm[3] = {0};
  if (std::sscanf(s.c_str(), "%d/%d/%d %d:%d:%d %2s", &mo, &d, &y, &h, &mi, &sec, ampm) != 7) {
    return false;
  }
  if (h == 12) h = 0;
  if (ampm[0] == 'P') h += 12;
  auto days = std::chrono::sys_days(std::chrono::year_month_day(
                  std::chrono::year(y), std::chrono::month(mo), std::chrono::day(d)))
                  .time_since_epoch()
                  .count();
  *minutes = days * 1440 + h * 60 + mi;
  *hour = h;
  return true;
}

inline Shares LoadShares(bool quiet = false) {
  Shares s;
  s.channel_weights = {45, 25, 20, 10};
  s.hour_weights.assign(24, 1);
  for (int h = 8; h < 20; ++h) s.hour_weights[h] = 4;
  s.type_weights = {20, 15, 12, 10, 8, 7, 6, 5, 5, 4, 3, 3, 2};
  for (int i = 0; i < 200; ++i) s.close_hours.push_back(2 + i * 0.6);
  std::string path;
  for (const char* dir : {"../shared/data/nyc", "/work/shared/data/nyc"}) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) continue;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      if (e.path().filename().string().rfind("nyc311_", 0) == 0) path = e.path().string();
    }
    if (!path.empty()) break;
  }
  if (path.empty()) {
    if (!quiet) std::printf("note: ../shared/data/nyc/nyc311_*.csv not found; using built-in shares\n");
    return s;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();
  CsvReader reader(text);
  std::vector<std::string> header, row;
  if (!reader.Next(&header).value_or(false)) return s;
  int c_type = CsvColumn(header, "Complaint Type"), c_chan = CsvColumn(header, "Open Data Channel Type");
  int c_created = CsvColumn(header, "Created Date"), c_closed = CsvColumn(header, "Closed Date");
  int c_resolution = CsvColumn(header, "Resolution Description");
  if (c_type < 0 || c_chan < 0 || c_created < 0 || c_closed < 0) {
    std::printf("note: %s lacks the expected columns; using built-in shares\n", path.c_str());
    return s;
  }
  std::map<std::string, int> types;
  std::vector<double> channels(4, 0), hours(24, 0), closes;
  int rows = 0, unverified = 0;
  for (;;) {
    Result<bool> more = reader.Next(&row);
    if (!more.ok() || !*more) break;
    if (static_cast<int>(row.size()) != static_cast<int>(header.size())) continue;
    ++rows;
    ++types[row[c_type]];
    if (c_resolution >= 0) {
      std::string res = row[c_resolution];
      std::transform(res.begin(), res.end(), res.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      for (const char* k : {"no evidence", "could not find", "unable to", "duplicate"}) {
        if (res.find(k) != std::string::npos) {
          ++unverified;
          break;
        }
      }
    }
    const std::string& ch = row[c_chan];
    channels[ch == "PHONE" ? 2 : ch == "ONLINE" ? 1 : ch == "MOBILE" ? 3 : 0] += 1;
    int64_t created = 0, closed = 0;
    int hour = 0, h2 = 0;
    if (ParseNycTime(row[c_created], &created, &hour)) {
      hours[hour] += 1;
      if (ParseNycTime(row[c_closed], &closed, &h2) && closed > created &&
          closed - created < 60 * 1440) {
        closes.push_back((closed - created) / 60.0);
      }
    }
  }
  std::vector<int> counts;
  for (const auto& [t, n] : types) counts.push_back(n);
  std::sort(counts.rbegin(), counts.rend());
  s.type_weights.assign(counts.begin(), counts.begin() + std::min<size_t>(counts.size(), 20));
  s.channel_weights = channels;
  s.hour_weights = hours;
  if (closes.size() > 100) s.close_hours = closes;
  if (rows > 0 && c_resolution >= 0) s.invalid_rate = static_cast<double>(unverified) / rows;
  s.from_nyc = true;
  if (!quiet) {
    std::printf("shares from %s: %d rows, %zu complaint types (top %zu used), %zu close delays, "
                "unverified/duplicate %.1f %%\n",
                path.c_str(), rows, types.size(), s.type_weights.size(), s.close_hours.size(),
                100 * s.invalid_rate);
  }
  return s;
}


struct Raw {  // what the SQL peer reads: the case's own instants, written by the generator
  std::string unit, subdistrict, community, grid, inspector, category;
  std::string state;
  bool is_public = false, returned = false, reworked = false, handle_overdue = false;
  int64_t created = 0;
  std::optional<int64_t> valid, registered, first_dispatch, handled, handle_deadline, closed;
  int64_t handle_minutes = 0;
};

struct Generated {
  storage::NewCase created;
  std::vector<CaseEvent> events;
  Case final_case;
  Raw raw;
};

class Generator {
 public:
  Generator(const Shares& shares, std::vector<std::string> categories,
            std::shared_ptr<const WorkCalendar> calendar, Timestamp start, int days, int64_t n)
      : shares_(shares),
        categories_(std::move(categories)),
        calendar_(std::move(calendar)),
        start_(start),
        end_(start + std::chrono::days(days)),
        days_(days),
        n_(std::max<int64_t>(n, 1)) {}

  Generated Make(uint64_t i) const {
    std::mt19937_64 rng(i * 0x9E3779B97F4A7C15ULL + 12345);
    auto uni = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
    auto pick = [&](const std::vector<double>& w) {
      return static_cast<int>(std::discrete_distribution<int>(w.begin(), w.end())(rng));
    };
    auto chance = [&](double p) { return uni(0, 1) < p; };
    Generated g;
    Raw& raw = g.raw;
    const int day = static_cast<int>(static_cast<int64_t>(i) % n_ * days_ / n_);
    const int hour = pick(shares_.hour_weights);
    Timestamp t = start_ + std::chrono::days(day) + std::chrono::hours(hour) +
                  std::chrono::minutes(rng() % 60);
    const int ch = pick(shares_.channel_weights);
    const Channel channel = ch == 0 ? Channel::kInspector : ch == 1 ? Channel::kPublic
                            : ch == 2 ? Channel::kHotline : Channel::kOpen311;
    const int type_rank = pick(shares_.type_weights);
    raw.category = categories_[type_rank % categories_.size()];
    const int sub = static_cast<int>(rng() % 14), com = static_cast<int>(rng() % 7),
              grid = static_cast<int>(rng() % 50);
    char code[32];
    std::snprintf(code, sizeof code, "410103%03d%03d%03d", sub + 1, com + 1, grid + 1);
    raw.grid = code;
    raw.community = raw.grid.substr(0, 12);
    raw.subdistrict = raw.grid.substr(0, 9);
    char insp[16];
    std::snprintf(insp, sizeof insp, "insp%03d", (sub * 7 + com) * 3 % 300 + grid % 3);
    Case intake;
    intake.channel = channel;
    intake.category = raw.category;
    intake.description = "generated";
    intake.location = {113.6, 34.7, "", "410103", raw.subdistrict, raw.community, raw.grid, ""};
    intake.created_at = t;
    Case c = *OpenCase(intake, t);
    Actor reporter = channel == Channel::kInspector ? Actor{insp, Role::kInspector, ""}
                                                    : Actor{"public", Role::kSystem, ""};
    if (channel == Channel::kInspector) raw.inspector = insp;
    raw.is_public = channel != Channel::kInspector;
    raw.created = ToUnixMillis(t);
    g.created.initial = c;
    g.created.created = MakeCreatedEvent(c, reporter);
    Actor admin{"admin", Role::kAdmin, ""};
    bool stopped = false;
    auto act = [&](Action a, Timestamp at, ActionParams p = {}, Actor who = Actor{}) {
      if (stopped) return false;
      if (at >= end_) {
        stopped = true;
        return false;
      }
      ActionRequest r{a, who.user.empty() ? admin : who, at, p, "", {}};
      Result<Case> next = ApplyAction(c, r);
      if (!next.ok()) {
        std::fprintf(stderr, "generator: %s\n", next.status().ToString().c_str());
        std::abort();
      }
      g.events.push_back(MakeActionEvent(c, r));
      c = *next;
      return true;
    };
    auto later = [&](Timestamp at, double minutes) {
      return at + std::chrono::milliseconds(static_cast<int64_t>(minutes * 60000));
    };
    Timestamp now = t;
    if (channel != Channel::kInspector) {
      now = later(now, uni(5, 60));
      ActionParams p;
      p.valid = !chance(shares_.invalid_rate);
      if (!act(Action::kVerify, now, p, Actor{insp, Role::kInspector, ""})) return Finish(g, c);
      if (raw.inspector.empty()) raw.inspector = insp;
      if (!*p.valid) return Finish(g, c);
      raw.valid = ToUnixMillis(now);
    } else {
      raw.valid = raw.created;
    }
    now = later(now, uni(5, 90));
    if (chance(0.05)) {
      act(Action::kReject, now);
      return Finish(g, c);
    }
    if (!act(Action::kRegister, now)) return Finish(g, c);
    raw.registered = ToUnixMillis(now);
    const std::string right_unit = Unit(type_rank + sub);
    auto dispatch = [&](const std::string& unit) {
      now = later(now, uni(5, 60));
      ActionParams p;
      p.unit = unit;
      p.deadline = calendar_->Deadline(now, *WorkDuration::Make(3, TimeUnit::kWorkDay));
      if (!act(Action::kDispatch, now, p)) return false;
      if (!raw.first_dispatch) raw.first_dispatch = ToUnixMillis(now);
      raw.unit = unit;
      raw.handle_deadline = ToUnixMillis(*p.deadline);
      return true;
    };
    Timestamp last_dispatch = now;
    if (chance(0.05)) {
      if (!dispatch(Unit(type_rank + sub + 7))) return Finish(g, c);
      now = later(now, uni(10, 120));
      if (!act(Action::kReturn, now)) return Finish(g, c);
      raw.returned = true;
      raw.unit.clear();
    }
    if (!dispatch(right_unit)) return Finish(g, c);
    last_dispatch = now;
    now = later(now, uni(10, 240));
    if (!act(Action::kAccept, now)) return Finish(g, c);
    if (chance(0.01)) {
      act(Action::kCancel, later(now, 60));
      return Finish(g, c);
    }
    if (chance(0.02)) {
      act(Action::kSuspend, later(now, 120));
      return Finish(g, c);
    }
    for (int round = 0; round < 2; ++round) {
      const double hours = shares_.close_hours[rng() % shares_.close_hours.size()];
      Timestamp feedback = later(now, hours * 60);
      const Timestamp deadline = FromUnixMillis(*raw.handle_deadline);
      if (feedback > deadline && deadline < end_) {
        // The sweeper's mark, a minute after the deadline.
        Timestamp mark = later(deadline, 1);
        if (mark < end_ && mark > now && !c.overdue) {
          g.events.push_back(MakeOverdueEvent(c, mark));
          c.version += 1;
          c.overdue = true;
          c.handle_overdue = true;
          c.updated_at = mark;
          raw.handle_overdue = true;
        }
      }
      now = feedback;
      ActionParams fb;
      fb.result = "done";
      if (!act(Action::kFeedback, now, fb)) return Finish(g, c);
      raw.handled = ToUnixMillis(now);
      raw.handle_minutes = calendar_->WorkTimeBetween(last_dispatch, now).count() / 60000;
      now = later(now, uni(30, 600));
      if (round == 0 && chance(0.08)) {
        ActionParams p;
        p.deadline = calendar_->Deadline(now, *WorkDuration::Make(2, TimeUnit::kWorkDay));
        if (!act(Action::kCheckFail, now, p)) return Finish(g, c);
        raw.reworked = true;
        raw.handle_deadline = ToUnixMillis(*p.deadline);
        continue;
      }
      if (!act(Action::kCheckPass, now)) return Finish(g, c);
      now = later(now, uni(10, 120));
      if (act(Action::kClose, now)) raw.closed = ToUnixMillis(now);
      break;
    }
    return Finish(g, c);
  }

 private:
  static std::string Unit(int k) {
    char u[8];
    std::snprintf(u, sizeof u, "U%02d", k % 22 + 1);
    return u;
  }
  static Generated Finish(Generated& g, const Case& c) {
    g.final_case = c;
    g.raw.state = std::string(Name(c.state));
    if (c.state == CaseState::kHandling && g.raw.handled) {
      // Back in handling after a failed check: the feedback no longer stands.
    }
    return std::move(g);
  }

  const Shares& shares_;
  std::vector<std::string> categories_;
  std::shared_ptr<const WorkCalendar> calendar_;
  Timestamp start_, end_;
  int days_;
  int64_t n_;
};

}  // namespace citygrid::bench
