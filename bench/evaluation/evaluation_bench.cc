// Evaluation benchmark (issue #7): writes N cases (default 10,000,000) with realistic
// distributions into a SQLite store through the Store interface (CreateCase + one Append per
// case, many writer threads so the store commits in groups), then times the evaluation table
// for several windows × groupings — the EvaluationEngine rebuilt from the event log — beside
// the same figures computed by SQL GROUP BY over a raw case table (one row per case with its
// instants, `bench_raw_cases`, written by this benchmark into the same database file), in the
// same run. Prints ms for both, the ratio, that the figures are equal, and RSS bytes per case.
//
// Distributions: complaint-type shares (mapped by rank onto the catalog's categories), intake
// channel shares (PHONE → hotline, ONLINE → public, MOBILE → open311, other → inspector),
// hour-of-day of intake and the time to close (as handling delay) come from
// ../shared/data/nyc/nyc311_*.csv when present; otherwise built-in shares are used (said so).
// Rework (8 %), invalid public reports (10 %), rejections (5 %), wrong dispatches (5 %),
// suspensions (2 %) and cancellations (1 %) are fixed rates; NYC has no such columns.
//
//   evaluation_bench [--cases N] [--days D] [--dir DIR] [--threads T] [--reuse] [--keep]
//                    [--sql-windows K]

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "citygrid/common/csv.h"
#include "citygrid/common/time.h"
#include "citygrid/domain/case_state_machine.h"
#include "citygrid/service/evaluation_engine.h"
#include "citygrid/service/evaluation_service.h"
#include "citygrid/service/reference_data.h"
#include "citygrid/storage/sqlite_store.h"
#include "citygrid/storage/store.h"

namespace citygrid {
namespace {

using service::Dimension;
using Clock_ = std::chrono::steady_clock;

double MsSince(Clock_::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock_::now() - t).count();
}

int64_t RssBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  }
  return 0;
}

// ---------------------------------------------------------------- distributions

struct Shares {
  std::vector<double> type_weights;     // by rank
  std::vector<double> channel_weights;  // inspector, public, hotline, open311
  std::vector<double> hour_weights;     // 24
  std::vector<double> close_hours;      // sampled handling delays (wall-clock hours)
  bool from_nyc = false;
};

// "02/28/2023 11:45:00 PM" → minutes since epoch (local, no zone: only differences are used).
bool ParseNycTime(const std::string& s, int64_t* minutes, int* hour) {
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

Shares LoadShares() {
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
    std::printf("note: ../shared/data/nyc/nyc311_*.csv not found; using built-in shares\n");
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
  if (c_type < 0 || c_chan < 0 || c_created < 0 || c_closed < 0) {
    std::printf("note: %s lacks the expected columns; using built-in shares\n", path.c_str());
    return s;
  }
  std::map<std::string, int> types;
  std::vector<double> channels(4, 0), hours(24, 0), closes;
  int rows = 0;
  for (;;) {
    Result<bool> more = reader.Next(&row);
    if (!more.ok() || !*more) break;
    if (static_cast<int>(row.size()) != static_cast<int>(header.size())) continue;
    ++rows;
    ++types[row[c_type]];
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
  s.from_nyc = true;
  std::printf("shares from %s: %d rows, %zu complaint types (top %zu used), %zu close delays\n",
              path.c_str(), rows, types.size(), s.type_weights.size(), s.close_hours.size());
  return s;
}

// ---------------------------------------------------------------- one generated case

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
            std::shared_ptr<const WorkCalendar> calendar, Timestamp start, int days)
      : shares_(shares),
        categories_(std::move(categories)),
        calendar_(std::move(calendar)),
        start_(start),
        end_(start + std::chrono::days(days)),
        days_(days) {}

  Generated Make(uint64_t i) const {
    std::mt19937_64 rng(i * 0x9E3779B97F4A7C15ULL + 12345);
    auto uni = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
    auto pick = [&](const std::vector<double>& w) {
      return static_cast<int>(std::discrete_distribution<int>(w.begin(), w.end())(rng));
    };
    auto chance = [&](double p) { return uni(0, 1) < p; };
    Generated g;
    Raw& raw = g.raw;
    const int day = static_cast<int>(rng() % static_cast<uint64_t>(days_));
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
      p.valid = !chance(0.10);
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
};

// ---------------------------------------------------------------- SQL peer

void Check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "sqlite %s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

constexpr const char* kRawSchema = R"sql(
DROP TABLE IF EXISTS bench_raw_cases;
CREATE TABLE bench_raw_cases (
  id INTEGER PRIMARY KEY, unit TEXT NOT NULL, subdistrict TEXT NOT NULL, community TEXT NOT NULL,
  grid TEXT NOT NULL, inspector TEXT NOT NULL, category TEXT NOT NULL, state TEXT NOT NULL,
  is_public INTEGER NOT NULL, returned INTEGER NOT NULL, reworked INTEGER NOT NULL,
  handle_overdue INTEGER NOT NULL, created_at INTEGER NOT NULL, valid_at INTEGER,
  registered_at INTEGER, first_dispatch_at INTEGER, handled_at INTEGER, handle_deadline INTEGER,
  closed_at INTEGER, handle_minutes INTEGER NOT NULL);
)sql";

// The figures of the engine, in Metric order, by SQL over the raw rows. Day of an instant:
// (ms + 8 h) / 1 day. "Due" instants as in docs/evaluation.md.
std::string MetricsSql(const std::string& group) {
  auto in = [](const std::string& instant) {
    return "(((" + instant + ") + 28800000) / 86400000 BETWEEN ?1 AND ?2)";
  };
  const std::string live = "(first_dispatch_at IS NOT NULL AND handle_deadline IS NOT NULL AND "
                           "state NOT IN ('cancelled','merged'))";
  const std::string handled_now =
      "(handled_at IS NOT NULL AND state IN ('checking','checked','closed'))";
  const std::string due_h = in("CASE WHEN " + handled_now +
                               " AND handled_at <= handle_deadline THEN handled_at ELSE "
                               "handle_deadline END");
  const std::string closed_now = "(state = 'closed')";
  const std::string due_c = in("CASE WHEN " + closed_now +
                               " AND closed_at <= handle_deadline THEN closed_at ELSE "
                               "handle_deadline END");
  const std::string sh = "(" + live + " AND state <> 'suspended' AND " + due_h + ")";
  const std::string sc = "(" + live + " AND state <> 'suspended' AND " + due_c + ")";
  auto sum = [](const std::string& cond) { return "SUM(CASE WHEN " + cond + " THEN 1 ELSE 0 END)"; };
  std::vector<std::string> cols = {
      sum(in("created_at")),
      sum(in("valid_at")),
      sum("is_public = 1 AND " + in("valid_at")),
      sum(in("registered_at")),
      sum(in("first_dispatch_at")),
      sum("returned = 0 AND " + in("first_dispatch_at")),
      sum("returned = 1 AND " + in("first_dispatch_at")),
      sum(sh),
      sum(sh + " AND " + handled_now),
      sum(sh + " AND " + handled_now + " AND handled_at <= handle_deadline"),
      sum(sh + " AND (handle_overdue = 1 OR (" + handled_now + " AND handled_at > handle_deadline))"),
      sum(sh + " AND " + handled_now + " AND reworked = 1"),
      sum(sc),
      sum(sc + " AND " + closed_now),
      sum(sc + " AND " + closed_now + " AND closed_at <= handle_deadline"),
      sum(live + " AND state = 'suspended' AND " + in("handle_deadline")),
      "SUM(CASE WHEN " + sh + " AND " + handled_now + " THEN handle_minutes ELSE 0 END)",
  };
  std::string sql = "SELECT " + group;
  for (const std::string& c : cols) sql += ", " + c;
  return sql + " FROM bench_raw_cases GROUP BY 1";
}

std::string GroupExpr(Dimension d) {
  switch (d) {
    case Dimension::kUnit: return "unit";
    case Dimension::kSubdistrict: return "subdistrict";
    case Dimension::kCommunity: return "community";
    case Dimension::kGrid: return "grid";
    case Dimension::kInspector: return "inspector";
    case Dimension::kCategory: return "category";
    case Dimension::kUnitCategory: return "unit || '|' || category";
  }
  return "unit";
}

std::map<std::string, std::vector<int64_t>> RunSql(sqlite3* db, Dimension d, int32_t from, int32_t to) {
  sqlite3_stmt* st = nullptr;
  Check(sqlite3_prepare_v2(db, MetricsSql(GroupExpr(d)).c_str(), -1, &st, nullptr), db, "prepare");
  sqlite3_bind_int64(st, 1, from);
  sqlite3_bind_int64(st, 2, to);
  std::map<std::string, std::vector<int64_t>> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    std::vector<int64_t> v;
    bool any = false;
    for (int m = 0; m < kMetricCount; ++m) {
      v.push_back(sqlite3_column_int64(st, m + 1));
      any = any || v.back() != 0;
    }
    if (any) out[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))] = v;
  }
  Check(rc, db, "step");
  sqlite3_finalize(st);
  return out;
}

}  // namespace
}  // namespace citygrid

int main(int argc, char** argv) {
  using namespace citygrid;
  int64_t n = 10'000'000;
  int days = -1, threads = 16, sql_windows = 4;
  // tmpfs when there is one: this measures evaluation, not fsync (bench/storage does that).
  std::string dir = std::filesystem::is_directory("/dev/shm") ? "/dev/shm/citygrid-evaluation-bench"
                                                              : "evaluation-bench-data";
  bool reuse = false, keep = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--cases") n = std::atoll(next().c_str());
    else if (a == "--days") days = std::atoi(next().c_str());
    else if (a == "--dir") dir = next();
    else if (a == "--threads") threads = std::atoi(next().c_str());
    else if (a == "--sql-windows") sql_windows = std::atoi(next().c_str());
    else if (a == "--reuse") reuse = true;
    else if (a == "--keep") keep = true;
    else {
      std::fprintf(stderr,
                   "usage: evaluation_bench [--cases N] [--days D] [--dir DIR] [--threads T] "
                   "[--reuse] [--keep] [--sql-windows K]\n");
      return 2;
    }
  }
  if (n < 1 || threads < 1) return 2;
  // A megacity district's daily volume (about 13,700 cases a day): the span grows with N.
  if (days < 0) days = static_cast<int>(std::clamp<int64_t>(n / 13'700, 30, 3650));
  std::printf("evaluation bench: %lld cases over %d days, dir %s\n", static_cast<long long>(n),
              days, dir.c_str());

  if (!reuse) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  storage::SqliteStoreOptions so;
  so.data_dir = dir;
  so.max_batch = 1024;
  auto store = storage::OpenSqliteStore(so);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  auto reference = service::ReferenceDataService::Open((*store)->documents(),
                                                      std::string(CITYGRID_SOURCE_DIR) + "/data");
  if (!reference.ok()) {
    std::fprintf(stderr, "%s\n", reference.status().ToString().c_str());
    return 1;
  }
  std::shared_ptr<const service::ReferenceData> ref_data = (*reference)->Get();
  std::shared_ptr<const WorkCalendar> calendar = ref_data->calendar;
  std::vector<std::string> categories;
  for (const auto& c : ref_data->categories->categories()) categories.push_back(c.code);
  const Timestamp end = *ParseIso8601("2026-07-01T00:00:00+08:00");
  const Timestamp start = end - std::chrono::days(days);
  const std::string db_path = storage::SqliteDatabasePath(dir);

  if (!reuse) {
    Shares shares = LoadShares();
    Generator gen(shares, categories, calendar, start, days);
    sqlite3* raw_db = nullptr;
    Check(sqlite3_open(db_path.c_str(), &raw_db), raw_db, "open");
    sqlite3_busy_timeout(raw_db, 60000);
    Check(sqlite3_exec(raw_db, kRawSchema, nullptr, nullptr, nullptr), raw_db, "schema");
    std::mutex raw_mu;
    std::vector<std::pair<int64_t, Raw>> raw_rows;
    std::atomic<int64_t> next{0}, written{0}, events{0};
    auto t0 = Clock_::now();
    std::vector<std::thread> writers;
    for (int w = 0; w < threads; ++w) {
      writers.emplace_back([&] {
        std::vector<std::pair<int64_t, Raw>> mine;
        for (;;) {
          int64_t i = next.fetch_add(1);
          if (i >= n) break;
          Generated g = gen.Make(static_cast<uint64_t>(i));
          auto created = (*store)->cases().CreateCase(g.created);
          if (!created.ok()) {
            std::fprintf(stderr, "CreateCase: %s\n", created.status().ToString().c_str());
            std::exit(1);
          }
          if (!g.events.empty()) {
            auto appended = (*store)->cases().Append(created->created_case.id, 1, g.events, g.final_case);
            if (!appended.ok()) {
              std::fprintf(stderr, "Append: %s\n", appended.status().ToString().c_str());
              std::exit(1);
            }
          }
          events += 1 + static_cast<int64_t>(g.events.size());
          mine.emplace_back(created->created_case.id, std::move(g.raw));
          int64_t done = ++written;
          if (done % 100000 == 0) {
            std::printf("  %lld cases written (%.0f cases/s)\n", static_cast<long long>(done),
                        done / (MsSince(t0) / 1000));
            std::fflush(stdout);
          }
          if (mine.size() >= 20000) {
            std::lock_guard lock(raw_mu);
            for (auto& r : mine) raw_rows.push_back(std::move(r));
            mine.clear();
          }
        }
        std::lock_guard lock(raw_mu);
        for (auto& r : mine) raw_rows.push_back(std::move(r));
      });
    }
    for (auto& t : writers) t.join();
    const double write_ms = MsSince(t0);
    std::printf("wrote %lld cases, %lld events through the Store in %.1f s (%.0f cases/s)\n",
                static_cast<long long>(n), static_cast<long long>(events.load()), write_ms / 1000,
                n / (write_ms / 1000));
    t0 = Clock_::now();
    Check(sqlite3_exec(raw_db, "BEGIN", nullptr, nullptr, nullptr), raw_db, "begin");
    sqlite3_stmt* ins = nullptr;
    Check(sqlite3_prepare_v2(raw_db,
                             "INSERT INTO bench_raw_cases VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,"
                             "?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)",
                             -1, &ins, nullptr),
          raw_db, "prepare insert");
    for (const auto& [id, r] : raw_rows) {
      sqlite3_reset(ins);
      int k = 1;
      sqlite3_bind_int64(ins, k++, id);
      for (const std::string* s : {&r.unit, &r.subdistrict, &r.community, &r.grid, &r.inspector,
                                   &r.category, &r.state}) {
        sqlite3_bind_text(ins, k++, s->c_str(), -1, SQLITE_TRANSIENT);
      }
      for (bool b : {r.is_public, r.returned, r.reworked, r.handle_overdue}) sqlite3_bind_int(ins, k++, b);
      sqlite3_bind_int64(ins, k++, r.created);
      for (const auto* o : {&r.valid, &r.registered, &r.first_dispatch, &r.handled,
                            &r.handle_deadline, &r.closed}) {
        if (*o) sqlite3_bind_int64(ins, k++, **o);
        else sqlite3_bind_null(ins, k++);
      }
      sqlite3_bind_int64(ins, k++, r.handle_minutes);
      Check(sqlite3_step(ins), raw_db, "insert");
    }
    sqlite3_finalize(ins);
    Check(sqlite3_exec(raw_db, "COMMIT", nullptr, nullptr, nullptr), raw_db, "commit");
    sqlite3_close(raw_db);
    std::printf("wrote bench_raw_cases (%zu rows) in %.1f s\n", raw_rows.size(), MsSince(t0) / 1000);
    raw_rows.clear();
    raw_rows.shrink_to_fit();
  }

  // ---- the engine: rebuilt from the event log
  const int64_t rss_before = RssBytes();
  service::EvaluationEngine engine((*store)->cases(), [calendar] { return calendar; });
  auto t0 = Clock_::now();
  Status rebuilt = engine.Rebuild();
  if (!rebuilt.ok()) {
    std::fprintf(stderr, "rebuild: %s\n", rebuilt.ToString().c_str());
    return 1;
  }
  const double rebuild_ms = MsSince(t0);
  const int64_t rss_after = RssBytes();
  service::EngineMemory mem = engine.memory();
  std::printf("engine rebuilt from %lld events in %.1f s; %lld cases\n",
              static_cast<long long>(engine.position()), rebuild_ms / 1000,
              static_cast<long long>(mem.cases));
  std::printf("memory: structures %.1f MB = %.0f bytes/case (records %.0f, aggregates %.0f); "
              "RSS growth %.1f MB = %.0f bytes/case (bar: 300)\n",
              mem.total() / 1e6, double(mem.total()) / mem.cases, double(mem.record_bytes) / mem.cases,
              double(mem.aggregate_bytes) / mem.cases, (rss_after - rss_before) / 1e6,
              double(rss_after - rss_before) / mem.cases);

  FakeClock clock(end);
  service::EvaluationService evaluation(engine, **store, **reference, clock);
  sqlite3* db = nullptr;
  Check(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), db, "open");
  const int32_t last = service::CivilDay(end) - 1;
  struct W {
    const char* name;
    int32_t from;
  };
  std::vector<W> windows = {{"1 day", last}, {"7 days", last - 6}, {"30 days", last - 29},
                            {"365 days", last - std::min(364, days - 1)}};
  windows.resize(std::min<size_t>(windows.size(), std::max(0, sql_windows)));
  const Dimension dims[] = {Dimension::kUnit, Dimension::kSubdistrict, Dimension::kCommunity,
                            Dimension::kGrid, Dimension::kInspector, Dimension::kCategory,
                            Dimension::kUnitCategory};
  std::printf("\n%-9s %-14s %6s %11s %13s %11s %8s %s\n", "window", "group_by", "rows",
              "engine ms", "table ms(*)", "SQL ms", "ratio", "equal");
  double worst_table = 0, worst_ratio = 1e18;
  bool all_equal = true;
  for (const W& w : windows) {
    for (Dimension d : dims) {
      // Engine window sums: best of 5.
      double engine_ms = 1e18;
      std::vector<service::GroupCounts> rows;
      for (int k = 0; k < 5; ++k) {
        auto t = Clock_::now();
        auto r = engine.Query(d, w.from, last);
        engine_ms = std::min(engine_ms, MsSince(t));
        rows = std::move(*r);
      }
      // The full table as the API builds it: scores, ranks, 环比 and 同比 (three windows).
      double table_ms = 1e18;
      for (int k = 0; k < 3; ++k) {
        auto t = Clock_::now();
        auto report = evaluation.Evaluate(
            Actor{"leader", Role::kLeader, ""},
            {service::DateOfCivilDay(w.from), service::DateOfCivilDay(last), {d}});
        table_ms = std::min(table_ms, MsSince(t));
        if (!report.ok()) std::fprintf(stderr, "%s\n", report.status().ToString().c_str());
      }
      auto t = Clock_::now();
      auto sql = RunSql(db, d, w.from, last);
      const double sql_ms = MsSince(t);
      bool equal = sql.size() == rows.size();
      for (const auto& g : rows) {
        auto it = sql.find(g.key);
        if (it == sql.end()) {
          equal = false;
          continue;
        }
        for (int m = 0; m < kMetricCount; ++m) equal = equal && it->second[m] == g.counts.metrics[m];
      }
      all_equal = all_equal && equal;
      worst_table = std::max(worst_table, table_ms);
      worst_ratio = std::min(worst_ratio, sql_ms / table_ms);
      std::printf("%-9s %-14s %6zu %11.3f %13.3f %11.1f %7.0fx %s\n", w.name,
                  std::string(service::Name(d)).c_str(), rows.size(), engine_ms, table_ms, sql_ms,
                  sql_ms / table_ms, equal ? "yes" : "NO");
      std::fflush(stdout);
    }
  }
  std::printf("(*) table = EvaluationService::Evaluate: window + 环比 + 同比 windows, rates, "
              "scores, ranks; ratio = SQL ms / table ms\n");
  std::printf("\nsummary: %lld cases; slowest table %.2f ms (bar 50 ms); smallest SQL/table "
              "ratio %.0fx (bar 20x); structures %.0f bytes/case, RSS growth %.0f bytes/case "
              "(bar 300); figures equal to SQL: %s\n",
              static_cast<long long>(mem.cases), worst_table, worst_ratio,
              double(mem.total()) / mem.cases, double(rss_after - rss_before) / mem.cases,
              all_equal ? "yes" : "NO");
  sqlite3_close(db);
  store->reset();
  if (!keep) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  return all_equal ? 0 : 1;
}
