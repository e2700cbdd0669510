// Evaluation benchmark (issue #7, part 5): writes N cases (default 10,000,000) with realistic
// distributions (case_generator.h: shares from ../shared/data/nyc) into a SQLite store through
// the bulk loader (storage/bulk_loader.h: the same rows, hash chains and sequence numbers as
// CreateCase + Append, many cases per transaction), and beside it a raw case table
// `bench_raw_cases` (one row per case with the instants the indicators need) in the same
// database file. Then it rebuilds the EvaluationEngine from the event log, as a server does at
// start, and times, for several windows × every grouping:
//   - the evaluation table as the API builds it (EvaluationService::Evaluate: window, 环比 and
//     同比 windows, rates, scores, ranks), repeated: p50 and max;
//   - the API answer: GET /api/v1/evaluation?from=..&to=..&group_by=.. through the real router
//     (RegisterEvaluationRoutes, a leader's bearer token from a real AuthService login) with
//     http::HandleRequest, no socket: the table, then its JSON (and CSV for the grid grouping),
//     repeated: p50, max and body bytes; the answer must be 200 with the table's row count.
//     This is the figure the issue's bar (50 ms) is about;
//   - the same figures by SQL GROUP BY over bench_raw_cases, same database, same run;
// and prints the ratio, whether every figure is equal, the p90 handling time of the engine
// against the exact p90 by SQL (one grouping), and the engine's memory per case (its own
// accounting and the process's anonymous RSS growth during the rebuild).
//
// The bulk load runs with synchronous=OFF on the loader's connection only (the data can be
// generated again); the store itself keeps synchronous=FULL.
//
//   evaluation_bench [--cases N] [--days D] [--dir DIR] [--batch B] [--reuse] [--keep]
//                    [--check] [--sql-windows K] [--reps R] [--in-memory]
//
// --reuse skips the load and measures an existing DIR (written by an earlier --keep run).
// --check runs the audit-chain check (what `citygrid check --data DIR` does) after the load.
// --in-memory writes no database: the engine reads the generated event log from memory
// (generated_log.h) and the tables are timed without the SQL peer (quick engine/table timing).

#include <malloc.h>
#include <stdlib.h>
#include <time.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/evaluation/case_generator.h"
#include "bench/evaluation/generated_log.h"
#include "citygrid/common/time.h"
#include "citygrid/domain/indicator.h"
#include "citygrid/http/api.h"
#include "citygrid/http/request.h"
#include "citygrid/http/router.h"
#include "citygrid/service/auth_service.h"
#include "citygrid/service/case_service.h"
#include "citygrid/service/evaluation_engine.h"
#include "citygrid/service/evaluation_service.h"
#include "citygrid/service/reference_data.h"
#include "citygrid/storage/bulk_loader.h"
#include "citygrid/storage/chain_check.h"
#include "citygrid/storage/sqlite_store.h"
#include "citygrid/storage/store.h"

namespace citygrid {
namespace {

using bench::Generated;
using bench::Generator;
using bench::Raw;
using bench::Shares;
using service::Dimension;
using Clock_ = std::chrono::steady_clock;

double MsSince(Clock_::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock_::now() - t).count();
}

// CPU time of the calling thread in ms (what a table costs, apart from waiting for a core).
double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// A field of /proc/self/status in bytes ("VmRSS:", "RssAnon:").
int64_t StatusBytes(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const size_t n = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, n, field) == 0) return std::atoll(line.c_str() + n) * 1024;
  }
  return 0;
}

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


// The exact p90 handling time per unit by SQL (the smallest value with at least 90 % of the
// handled cases due in the window at or below it), for the engine's histogram to be checked
// against: the engine must report the value of the bucket holding it.
std::map<std::string, int64_t> SqlP90ByUnit(sqlite3* db, int32_t from, int32_t to) {
  auto in = [](const std::string& instant) {
    return "(((" + instant + ") + 28800000) / 86400000 BETWEEN ?1 AND ?2)";
  };
  const std::string handled_now =
      "(handled_at IS NOT NULL AND state IN ('checking','checked','closed'))";
  const std::string live = "(first_dispatch_at IS NOT NULL AND handle_deadline IS NOT NULL AND "
                           "state NOT IN ('cancelled','merged','suspended'))";
  const std::string due_h = in("CASE WHEN handled_at <= handle_deadline THEN handled_at ELSE "
                               "handle_deadline END");
  const std::string sql =
      "WITH h AS (SELECT unit AS g, handle_minutes AS m, ROW_NUMBER() OVER (PARTITION BY unit "
      "ORDER BY handle_minutes) AS rn, COUNT(*) OVER (PARTITION BY unit) AS n FROM "
      "bench_raw_cases WHERE " + live + " AND " + handled_now + " AND " + due_h +
      ") SELECT g, m FROM h WHERE rn = (9 * n + 9) / 10";
  sqlite3_stmt* st = nullptr;
  Check(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), db, "prepare p90");
  sqlite3_bind_int64(st, 1, from);
  sqlite3_bind_int64(st, 2, to);
  std::map<std::string, int64_t> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    out[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))] = sqlite3_column_int64(st, 1);
  }
  Check(rc, db, "step p90");
  sqlite3_finalize(st);
  return out;
}

// Occurrences of `needle` in `text`.
size_t CountOf(std::string_view text, std::string_view needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

// Rows of a table in an answer of GET /api/v1/evaluation with one grouping. JSON: every row and
// the total are objects starting {"key": (a quote inside a string value is escaped, so the
// pattern cannot occur in one). CSV: a header line, the rows, the total line.
size_t AnswerRows(const std::string& body, bool csv) {
  const size_t n = csv ? CountOf(body, "\r\n") : CountOf(body, "{\"key\":");
  return csv ? (n >= 2 ? n - 2 : 0) : (n >= 1 ? n - 1 : 0);
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t k = static_cast<size_t>(std::ceil(p / 100 * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(k, 1, v.size()) - 1];
}

// Generated batches handed from the generator thread to the writer (at most `depth` waiting).
class BatchQueue {
 public:
  explicit BatchQueue(size_t depth) : depth_(depth) {}
  void Push(std::vector<Generated> batch) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return q_.size() < depth_; });
    q_.push_back(std::move(batch));
    cv_.notify_all();
  }
  // Empty when the producer is done.
  std::vector<Generated> Pop() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !q_.empty() || done_; });
    if (q_.empty()) return {};
    std::vector<Generated> b = std::move(q_.front());
    q_.pop_front();
    cv_.notify_all();
    return b;
  }
  void Close() {
    std::lock_guard lock(mu_);
    done_ = true;
    cv_.notify_all();
  }

 private:
  const size_t depth_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<Generated>> q_;
  bool done_ = false;
};

void InsertRaw(sqlite3* db, sqlite3_stmt* ins, const std::vector<Generated>& batch) {
  Check(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), db, "begin");
  for (const Generated& g : batch) {
    const Raw& r = g.raw;
    sqlite3_reset(ins);
    int k = 1;
    sqlite3_bind_int64(ins, k++, g.created.initial.id);
    for (const std::string* s : {&r.unit, &r.subdistrict, &r.community, &r.grid, &r.inspector,
                                 &r.category, &r.state}) {
      sqlite3_bind_text(ins, k++, s->c_str(), static_cast<int>(s->size()), SQLITE_STATIC);
    }
    for (bool b : {r.is_public, r.returned, r.reworked, r.handle_overdue}) sqlite3_bind_int(ins, k++, b);
    sqlite3_bind_int64(ins, k++, r.created);
    for (const auto* o : {&r.valid, &r.registered, &r.first_dispatch, &r.handled,
                          &r.handle_deadline, &r.closed}) {
      if (*o) {
        sqlite3_bind_int64(ins, k++, **o);
      } else {
        sqlite3_bind_null(ins, k++);
      }
    }
    sqlite3_bind_int64(ins, k++, r.handle_minutes);
    Check(sqlite3_step(ins), db, "insert raw");
  }
  Check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
}

// Removes a temporary directory when it goes out of scope, early returns included. Declared
// before the store opened in the directory, so the store closes first.
struct RemoveDirAtExit {
  std::string dir;
  ~RemoveDirAtExit() {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

}  // namespace
}  // namespace citygrid

int main(int argc, char** argv) {
  using namespace citygrid;
  int64_t n = 10'000'000;
  int days = -1, sql_windows = 4, table_windows = 4, batch = 20'000, reps = 9;
  std::string dir = "/tmp/citygrid-evaluation-bench";
  bool reuse = false, keep = false, check = false, in_memory = false;
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
    else if (a == "--batch") batch = std::atoi(next().c_str());
    else if (a == "--sql-windows") sql_windows = std::atoi(next().c_str());
    else if (a == "--windows") table_windows = std::atoi(next().c_str());
    else if (a == "--reps") reps = std::atoi(next().c_str());
    else if (a == "--reuse") reuse = true;
    else if (a == "--keep") keep = true;
    else if (a == "--check") check = true;
    else if (a == "--in-memory") in_memory = true;
    else {
      std::fprintf(stderr,
                   "usage: evaluation_bench [--cases N] [--days D] [--dir DIR] [--batch B] "
                   "[--reuse] [--keep] [--check] [--windows K] [--sql-windows K] [--reps R] "
                   "[--in-memory]\n");
      return 2;
    }
  }
  if (n < 1 || batch < 1 || reps < 1) return 2;
  // A megacity district's daily volume (about 13,700 cases a day): the span grows with N.
  if (days < 0) days = static_cast<int>(std::clamp<int64_t>(n / 13'700, 30, 3650));
  if (in_memory) {
    // The store only holds reference data and settings; the cases come from GeneratedLog.
    char tmpl[] = "/tmp/citygrid-evalmem-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    dir = tmpl;
    reuse = false;
    keep = false;
  }
  std::printf("evaluation bench: %lld cases over %d days, %s %s\n", static_cast<long long>(n),
              days, in_memory ? "generated in memory (no database, no SQL peer); settings in"
                              : "dir",
              dir.c_str());

  if (!reuse && !in_memory) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  storage::SqliteStoreOptions so;
  so.data_dir = dir;
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

  if (!reuse && !in_memory) {
    Shares shares = bench::LoadShares();
    Generator gen(shares, categories, calendar, start, days, n);
    storage::SqliteBulkLoaderOptions lo;
    lo.data_dir = dir;
    lo.synchronous_off = true;
    lo.cache_mb = 512;
    lo.defer_indexes = true;
    auto loader = storage::OpenSqliteBulkLoader(lo);
    if (!loader.ok()) {
      std::fprintf(stderr, "%s\n", loader.status().ToString().c_str());
      return 1;
    }
    sqlite3* raw_db = nullptr;
    Check(sqlite3_open(db_path.c_str(), &raw_db), raw_db, "open");
    sqlite3_busy_timeout(raw_db, 60000);
    Check(sqlite3_exec(raw_db, "PRAGMA synchronous=OFF", nullptr, nullptr, nullptr), raw_db, "pragma");
    Check(sqlite3_exec(raw_db, kRawSchema, nullptr, nullptr, nullptr), raw_db, "schema");
    sqlite3_stmt* ins = nullptr;
    Check(sqlite3_prepare_v2(raw_db,
                             "INSERT INTO bench_raw_cases VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,"
                             "?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)",
                             -1, &ins, nullptr),
          raw_db, "prepare insert");
    BatchQueue queue(3);
    std::atomic<double> gen_ms{0};
    std::thread producer([&] {
      for (int64_t i = 0; i < n; i += batch) {
        auto tg = Clock_::now();
        std::vector<Generated> b;
        b.reserve(static_cast<size_t>(std::min<int64_t>(batch, n - i)));
        for (int64_t k = i; k < std::min<int64_t>(n, i + batch); ++k) {
          b.push_back(gen.Make(static_cast<uint64_t>(k)));
        }
        gen_ms = gen_ms.load() + MsSince(tg);
        queue.Push(std::move(b));
      }
      queue.Close();
    });
    auto t0 = Clock_::now();
    int64_t written = 0, events = 0, next_report = 0;
    double load_ms = 0, raw_ms = 0;
    for (;;) {
      std::vector<Generated> b = queue.Pop();
      if (b.empty()) break;
      std::vector<storage::BulkCase> cases(b.size());
      for (size_t k = 0; k < b.size(); ++k) {
        cases[k].new_case = std::move(b[k].created);
        cases[k].events = std::move(b[k].events);
        cases[k].final_case = std::move(b[k].final_case);
      }
      auto tl = Clock_::now();
      auto loaded = (*loader)->Load(cases);
      load_ms += MsSince(tl);
      if (!loaded.ok()) {
        std::fprintf(stderr, "bulk load: %s\n", loaded.status().ToString().c_str());
        return 1;
      }
      for (size_t k = 0; k < b.size(); ++k) b[k].created.initial.id = cases[k].new_case.initial.id;
      tl = Clock_::now();
      InsertRaw(raw_db, ins, b);
      raw_ms += MsSince(tl);
      written += loaded->cases;
      events += loaded->events;
      if (written >= next_report) {
        std::printf("  %lld cases, %lld events written (%.0f cases/s)\n",
                    static_cast<long long>(written), static_cast<long long>(events),
                    written / (MsSince(t0) / 1000));
        std::fflush(stdout);
        next_report += std::max<int64_t>(n / 20, batch);
      }
    }
    producer.join();
    sqlite3_finalize(ins);
    sqlite3_close(raw_db);
    auto ti = Clock_::now();
    Status finished = (*loader)->Finish();
    if (!finished.ok()) {
      std::fprintf(stderr, "building the indexes: %s\n", finished.ToString().c_str());
      return 1;
    }
    const double index_ms = MsSince(ti);
    loader->reset();
    const double write_ms = MsSince(t0);
    std::printf("wrote %lld cases, %lld events through the bulk loader in %.1f s (%.0f cases/s, "
                "%.0f events/s; loader %.1f s, raw table %.1f s, index build %.1f s, generator %.1f s "
                "in its own thread)\n",
                static_cast<long long>(written), static_cast<long long>(events), write_ms / 1000,
                written / (write_ms / 1000), events / (write_ms / 1000), load_ms / 1000,
                raw_ms / 1000, index_ms / 1000, gen_ms.load() / 1000);
    std::error_code ec;
    std::printf("database file %.2f GB\n",
                static_cast<double>(std::filesystem::file_size(db_path, ec)) / 1e9);
  }
  if (check) {
    auto t0 = Clock_::now();
    auto report = storage::VerifyStoreChains((*store)->cases());
    if (!report.ok()) {
      std::fprintf(stderr, "check: %s\n", report.status().ToString().c_str());
      return 1;
    }
    std::printf("audit chains: %lld cases, %lld events checked in %.1f s: %s\n",
                static_cast<long long>(report->cases), static_cast<long long>(report->events),
                MsSince(t0) / 1000, report->ok() ? "ok" : "BROKEN");
    if (!report->ok()) return 1;
  }

  // ---- the engine: rebuilt from the event log. Freed heap goes back to the OS first, so the
  // RSS growth is the engine's.
  const Shares memory_shares = in_memory ? bench::LoadShares() : Shares{};
  std::unique_ptr<Generator> memory_generator;
  std::unique_ptr<bench::GeneratedLog> memory_log;
  if (in_memory) {
    memory_generator = std::make_unique<Generator>(memory_shares, categories, calendar, start, days, n);
    memory_log = std::make_unique<bench::GeneratedLog>(*memory_generator, n);
  }
  storage::CaseStore& log = in_memory ? *memory_log : (*store)->cases();
  malloc_trim(0);
  const int64_t anon_before = StatusBytes("RssAnon:");
  const int64_t rss_before = StatusBytes("VmRSS:");
  service::EvaluationEngine engine(log, [calendar] { return calendar; });
  auto t0 = Clock_::now();
  Status rebuilt = engine.Rebuild();
  if (!rebuilt.ok()) {
    std::fprintf(stderr, "rebuild: %s\n", rebuilt.ToString().c_str());
    return 1;
  }
  const double rebuild_ms = MsSince(t0);
  const int64_t anon_after = StatusBytes("RssAnon:");
  const int64_t rss_after = StatusBytes("VmRSS:");
  service::EngineMemory mem = engine.memory();
  const double cases_d = static_cast<double>(std::max<int64_t>(mem.cases, 1));
  std::printf("engine rebuilt from %lld events in %.1f s (%.0f events/s); %lld cases\n",
              static_cast<long long>(engine.position()), rebuild_ms / 1000,
              engine.position() / (rebuild_ms / 1000), static_cast<long long>(mem.cases));
  std::printf("memory: structures %.1f MB = %.0f bytes/case (records %.0f, aggregates %.0f); "
              "anonymous RSS growth %.1f MB = %.0f bytes/case; RSS %.1f → %.1f MB (bar: 300 "
              "bytes/case)\n",
              mem.total() / 1e6, mem.total() / cases_d, mem.record_bytes / cases_d,
              mem.aggregate_bytes / cases_d, (anon_after - anon_before) / 1e6,
              (anon_after - anon_before) / cases_d, rss_before / 1e6, rss_after / 1e6);

  FakeClock clock(end);
  service::EvaluationService evaluation(engine, **store, **reference, clock);
  sqlite3* db = nullptr;
  if (!in_memory) {
    Check(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), db, "open");
    Check(sqlite3_exec(db, "PRAGMA cache_size=-262144", nullptr, nullptr, nullptr), db, "pragma");
  }
  const int32_t last = service::CivilDay(end) - 1;
  // ---- the API as `citygrid serve` wires it. Users and sessions live in a store of their own
  // in a temporary directory, so a --reuse run writes nothing into the measured store.
  char auth_tmpl[] = "/tmp/citygrid-evalauth-XXXXXX";
  if (mkdtemp(auth_tmpl) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string auth_dir = auth_tmpl;
  const RemoveDirAtExit remove_auth_dir{auth_dir};
  storage::SqliteStoreOptions auth_so;
  auth_so.data_dir = auth_dir;
  auto auth_store = storage::OpenSqliteStore(auth_so);
  if (!auth_store.ok()) {
    std::fprintf(stderr, "auth store: %s\n", auth_store.status().ToString().c_str());
    return 1;
  }
  service::AuthService auth((*auth_store)->documents(), clock);
  service::NewUser leader;
  leader.username = "leader";
  leader.display_name = "leader";
  leader.role = Role::kLeader;
  leader.password = "evaluation-bench-leader";
  auto added = auth.AddUser(leader);
  auto login = added.ok() ? auth.Login(leader.username, leader.password, "127.0.0.1")
                          : Result<service::LoginResult>(added.status());
  if (!login.ok()) {
    std::fprintf(stderr, "leader login: %s\n", login.status().ToString().c_str());
    return 1;
  }
  service::CaseService case_service(**store, **reference, clock);
  http::ApiServices api{**store, auth, **reference, case_service, nullptr, clock};
  api.evaluation = &evaluation;
  http::Router router;
  if (Status s = http::RegisterEvaluationRoutes(router, api); !s.ok()) {
    std::fprintf(stderr, "routes: %s\n", s.ToString().c_str());
    return 1;
  }
  http::Headers api_headers;
  api_headers.Set("Authorization", "Bearer " + login->token);
  bool api_ok = true;
  // GET /api/v1/evaluation for one window and grouping, `reps` times: p50, max, body bytes.
  struct ApiTiming {
    double p50 = 0, max = 0, cpu_p50 = 0;
    size_t bytes = 0;
  };
  auto time_api = [&](int32_t from, Dimension d, const char* format, size_t rows,
                      std::vector<double>* all) {
    const std::string target =
        "/api/v1/evaluation?from=" + FormatDate(service::DateOfCivilDay(from)) +
        "&to=" + FormatDate(service::DateOfCivilDay(last)) +
        "&group_by=" + std::string(service::Name(d)) + "&format=" + format;
    auto request = http::MakeRequest(http::Method::kGet, target, "", api_headers);
    if (!request.ok()) {
      std::fprintf(stderr, "%s: %s\n", target.c_str(), request.status().ToString().c_str());
      std::exit(1);
    }
    std::vector<double> ms, cpu;
    ApiTiming t;
    for (int k = 0; k < reps; ++k) {
      auto t0 = Clock_::now();
      const double c0 = ThreadCpuMs();
      http::Response response = http::HandleRequest(router, *request);
      ms.push_back(MsSince(t0));
      cpu.push_back(ThreadCpuMs() - c0);
      const size_t answered = AnswerRows(response.body, std::string_view(format) == "csv");
      if (response.status != 200 || answered != rows) {
        api_ok = false;
        std::printf("API MISMATCH %s: status %d, %zu rows, the table has %zu: %.200s\n",
                    target.c_str(), response.status, answered, rows, response.body.c_str());
      }
      t.bytes = response.body.size();
    }
    all->insert(all->end(), ms.begin(), ms.end());
    t.p50 = Percentile(ms, 50);
    t.max = Percentile(ms, 100);
    t.cpu_p50 = Percentile(cpu, 50);
    return t;
  };
  struct W {
    const char* name;
    int32_t from;
  };
  std::vector<W> windows = {{"1 day", last}, {"7 days", last - 6}, {"30 days", last - 29},
                            {"365 days", last - std::min(364, days - 1)}};
  windows.resize(std::min<size_t>(windows.size(), std::max(0, table_windows)));
  if (in_memory) sql_windows = 0;
  sql_windows = std::clamp(sql_windows, 0, static_cast<int>(windows.size()));
  const Dimension dims[] = {Dimension::kUnit, Dimension::kSubdistrict, Dimension::kCommunity,
                            Dimension::kGrid, Dimension::kInspector, Dimension::kCategory,
                            Dimension::kUnitCategory};
  std::printf("\n%-9s %-14s %6s %10s %10s %10s %9s %9s %9s %9s %9s %10s %8s %8s %8s %s\n",
              "window", "group_by", "rows", "engine ms", "table p50", "table max", "cpu p50",
              "api p50", "api max", "api cpu", "bytes", "SQL ms", "p50 x", "max x", "api x",
              "equal");
  double worst_table = 0, worst_ratio = 1e18, worst_api_ratio = 1e18, worst_cpu = 0;
  std::vector<double> all_tables, all_api;
  bool all_equal = true;
  // Every table is timed first; the SQL peer (minutes per query on a loaded machine) runs after,
  // for the cells of the first sql_windows windows, and prints those cells again complete.
  struct Cell {
    size_t window;
    Dimension d;
    std::vector<service::GroupCounts> rows;
    double engine_ms, p50, max, cpu_p50;
    ApiTiming json, csv;  // csv: the grid grouping only (bytes 0 otherwise)
  };
  std::vector<Cell> cells;
  // One cell's line (and a "grid csv" line for its CSV answer); `sql_ms` < 0: no SQL yet.
  auto print_cell = [&](const Cell& c, double sql_ms, const char* equal) {
    const std::string group(service::Name(c.d));
    char sql[4][16] = {"-", "-", "-", "-"};
    if (sql_ms >= 0) {
      std::snprintf(sql[0], sizeof sql[0], "%.1f", sql_ms);
      std::snprintf(sql[1], sizeof sql[1], "%.0fx", sql_ms / c.p50);
      std::snprintf(sql[2], sizeof sql[2], "%.0fx", sql_ms / c.max);
      std::snprintf(sql[3], sizeof sql[3], "%.0fx", sql_ms / c.json.max);
    }
    std::printf(
        "%-9s %-14s %6zu %10.3f %10.3f %10.3f %9.3f %9.3f %9.3f %9.3f %9zu %10s %8s %8s %8s %s\n",
        windows[c.window].name, group.c_str(), c.rows.size(), c.engine_ms, c.p50, c.max, c.cpu_p50,
        c.json.p50, c.json.max, c.json.cpu_p50, c.json.bytes, sql[0], sql[1], sql[2], sql[3],
        equal);
    if (c.csv.bytes > 0) {
      std::printf("%-9s %-14s %6s %10s %10s %10s %9s %9.3f %9.3f %9.3f %9zu\n",
                  windows[c.window].name, (group + " csv").c_str(), "", "", "", "", "", c.csv.p50,
                  c.csv.max, c.csv.cpu_p50, c.csv.bytes);
    }
    std::fflush(stdout);
  };
  for (size_t wi = 0; wi < windows.size(); ++wi) {
    const W& w = windows[wi];
    for (Dimension d : dims) {
      // Engine window sums alone: best of 3.
      double engine_ms = 1e18;
      std::vector<service::GroupCounts> rows;
      for (int k = 0; k < 3; ++k) {
        auto t = Clock_::now();
        auto r = engine.Query(d, w.from, last);
        engine_ms = std::min(engine_ms, MsSince(t));
        rows = std::move(*r);
      }
      // The full table as the API builds it: window + 环比 + 同比, rates, scores, ranks.
      std::vector<double> tables, cpu;
      size_t table_rows = 0;
      for (int k = 0; k < reps; ++k) {
        auto t = Clock_::now();
        const double c = ThreadCpuMs();
        auto report = evaluation.Evaluate(
            Actor{"leader", Role::kLeader, ""},
            {service::DateOfCivilDay(w.from), service::DateOfCivilDay(last), {d}});
        tables.push_back(MsSince(t));
        cpu.push_back(ThreadCpuMs() - c);
        if (!report.ok()) {
          std::fprintf(stderr, "%s\n", report.status().ToString().c_str());
          return 1;
        }
        table_rows = report->tables.front().rows.size();
      }
      const double p50 = Percentile(tables, 50), max = Percentile(tables, 100);
      all_tables.insert(all_tables.end(), tables.begin(), tables.end());
      worst_table = std::max(worst_table, max);
      const double cpu_p50 = Percentile(cpu, 50);
      worst_cpu = std::max(worst_cpu, cpu_p50);
      // The API answer: the same table through the router, encoded.
      const ApiTiming json = time_api(w.from, d, "json", table_rows, &all_api);
      const ApiTiming csv =
          d == Dimension::kGrid ? time_api(w.from, d, "csv", table_rows, &all_api) : ApiTiming{};
      cells.push_back({wi, d, std::move(rows), engine_ms, p50, max, cpu_p50, json, csv});
      print_cell(cells.back(), -1, "-");
    }
  }
  if (sql_windows > 0) std::printf("\nwith the SQL peer (same run):\n");
  for (const Cell& c : cells) {
    if (static_cast<int>(c.window) >= sql_windows) continue;
    const W& w = windows[c.window];
    auto t = Clock_::now();
    auto sql = RunSql(db, c.d, w.from, last);
    const double sql_ms = MsSince(t);
    bool equal = sql.size() == c.rows.size();
    for (const auto& g : c.rows) {
      auto it = sql.find(g.key);
      if (it == sql.end()) {
        equal = false;
        continue;
      }
      for (int m = 0; m < kMetricCount; ++m) equal = equal && it->second[m] == g.counts.metrics[m];
    }
    all_equal = all_equal && equal;
    worst_ratio = std::min(worst_ratio, sql_ms / c.max);
    worst_api_ratio = std::min(worst_api_ratio, sql_ms / c.json.max);
    print_cell(c, sql_ms, equal ? "yes" : "NO");
  }
  std::printf("table = EvaluationService::Evaluate (window + 环比 + 同比 windows, rates, scores, "
              "ranks), %d runs each; cpu = the table's thread CPU time; api = GET "
              "/api/v1/evaluation through http::HandleRequest (authentication, table, JSON; the "
              "\"csv\" line: format=csv), %d runs each, api cpu = its thread CPU time p50, bytes = "
              "its body; x = SQL ms / table ms, "
              "api x = SQL ms / api max (SQL for the first %d window(s))\n",
              reps, reps, sql_windows);

  // p90 handling time, engine histogram vs exact SQL, by unit over the widest window.
  bool p90_ok = true;
  int p90_groups = 0;
  if (sql_windows > 0) {
    const W& w = windows[static_cast<size_t>(sql_windows) - 1];
    auto rows = engine.Query(Dimension::kUnit, w.from, last);
    auto exact = SqlP90ByUnit(db, w.from, last);
    for (const auto& g : *rows) {
      std::optional<double> p90 = HandleTimePercentile(g.counts.handle_time, 90);
      auto it = exact.find(g.key);
      if (!p90 && it == exact.end()) continue;
      ++p90_groups;
      const bool same = p90 && it != exact.end() &&
                        *p90 == HandleTimeBucketValue(HandleTimeBucket(it->second));
      if (!same) {
        p90_ok = false;
        std::printf("p90 MISMATCH unit '%s': engine %.1f, SQL exact %lld\n", g.key.c_str(),
                    p90.value_or(-1), it == exact.end() ? -1LL : static_cast<long long>(it->second));
      }
    }
    std::printf("p90 handling time by unit, %s: engine histogram = bucket of the exact SQL p90 "
                "for %d units: %s\n", w.name, p90_groups, p90_ok ? "yes" : "NO");
  }
  // The issue's bar is the API answer: <= 50 ms and >= 20x faster than SQL.
  std::printf("\nsummary: %lld cases; API answer (GET /api/v1/evaluation, json; csv for grid) "
              "over all windows × groupings: p50 %.2f ms, max %.2f ms (bar 50 ms), every answer "
              "200 with the table's rows: %s; the table alone (EvaluationService::Evaluate): p50 "
              "%.2f ms, max %.2f ms, largest cpu p50 %.2f ms; structures %.0f bytes/case, "
              "anonymous RSS growth %.0f bytes/case (bar 300), RSS %.0f MB\n",
              static_cast<long long>(mem.cases), Percentile(all_api, 50),
              Percentile(all_api, 100), api_ok ? "yes" : "NO", Percentile(all_tables, 50),
              worst_table, worst_cpu, mem.total() / cases_d, (anon_after - anon_before) / cases_d,
              rss_after / 1e6);
  if (sql_windows == 0) {
    std::printf("no SQL peer in this run\n");
  } else {
    std::printf("SQL peer (windows with SQL): smallest SQL/API ratio (by max, json) %.0fx (bar "
                "20x), smallest SQL/table ratio %.0fx; figures equal to SQL: %s; p90 equal: %s\n",
                worst_api_ratio, worst_ratio, all_equal ? "yes" : "NO", p90_ok ? "yes" : "NO");
  }
  if (db != nullptr) sqlite3_close(db);
  store->reset();
  auth_store->reset();
  std::error_code ec;
  if (!keep) std::filesystem::remove_all(dir, ec);
  return all_equal && p90_ok && api_ok ? 0 : 1;
}
