// case_list_bench: case lists and counts as the server answers them (the SQLite store owning
// its data directory: the in-memory catalog, src/storage/sqlite/case_catalog.h, plus the page's
// bodies) beside the design it replaced, in the same run on the same database: the same
// queries in SQL over the cases table with one index per filter and sort (schema 1-5's
// cases_by_state, _category, _unit, _subdistrict, _community, _grid, _updated, _deadline),
// each page's cases decoded on both sides.
//
//   case_list_bench [--cases N] [--dir DIR] [--rounds R]
//
// Writes N generated cases (default 300,000: one year, 30 categories, 20 units, 10
// sub-districts, 100 communities, 2,000 grids, 85 % closed) with the bulk loader, then prints
// per query the median and worst time of R rounds (default 20) for both, and the catalog's load
// time at open and its memory per case. DIR (default: a new directory under the current one) is
// removed at the end.

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "citygrid/storage/bulk_loader.h"
#include "citygrid/storage/case_codec.h"
#include "citygrid/storage/case_query.h"
#include "citygrid/storage/sqlite_store.h"
#include "src/storage/sqlite/case_catalog.h"

namespace citygrid::bench {
namespace {

namespace fs = std::filesystem;
using Clock_ = std::chrono::steady_clock;

double MsSince(Clock_::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock_::now() - t).count();
}

const Timestamp kEnd = *ParseIso8601("2026-07-01T00:00:00+08:00");
constexpr int kDays = 365;

std::string Code(const char* prefix, int i) { return prefix + std::to_string(i); }

// Case i of n, created in id order over the year.
storage::BulkCase MakeCase(int64_t i, int64_t n, std::mt19937_64& rng) {
  auto pick = [&](int k) { return static_cast<int>(rng() % static_cast<uint64_t>(k)); };
  storage::BulkCase b;
  Case& c = b.new_case.initial;
  c.created_at = kEnd - std::chrono::days(kDays) +
                 std::chrono::milliseconds(i * (int64_t{kDays} * 86'400'000 / n));
  const int roll = pick(100);
  c.state = roll < 85   ? CaseState::kClosed
            : roll < 89 ? CaseState::kDispatched
            : roll < 94 ? CaseState::kHandling
            : roll < 97 ? CaseState::kChecking
                        : CaseState::kPending;
  c.channel = static_cast<Channel>(pick(4));
  c.category = Code("cat", pick(30));
  c.unit = Code("unit", pick(20));
  c.location.district_code = "410103";
  c.location.subdistrict_code = Code("sd", pick(10));
  c.location.community_code = Code("cm", pick(100));
  c.location.grid_code = Code("g", pick(2000));
  c.location.lon = 113.60 + pick(10000) / 100000.0;
  c.location.lat = 34.70 + pick(10000) / 100000.0;
  c.location.address = "二七区 大学路 " + std::to_string(pick(500)) + " 号";
  c.description = "暴露垃圾 generated case " + std::to_string(i);
  c.updated_at = c.created_at + std::chrono::hours(pick(72));
  if (c.state != CaseState::kClosed) {
    c.stage_deadline = c.created_at + std::chrono::hours(24 + pick(96));
    c.overdue = pick(5) == 0;
  }
  b.new_case.created.type = EventType::kCreated;
  b.new_case.created.at = c.created_at;
  b.new_case.created.payload_json = "{}";
  return b;
}

void Check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "case_list_bench: %s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

struct Query {
  std::string name;
  storage::CaseQuery q;
  bool count = false;
};

std::vector<Query> Queries() {
  std::vector<Query> out;
  auto add = [&](std::string name, storage::CaseQuery q, bool count = false) {
    out.push_back({std::move(name), std::move(q), count});
  };
  const std::vector<CaseState> open = {CaseState::kPending, CaseState::kDispatched,
                                       CaseState::kHandling, CaseState::kChecking};
  storage::CaseQuery q;
  add("newest 50", q);
  q = {};
  q.unit = "unit7";
  q.states = {CaseState::kDispatched, CaseState::kHandling};
  add("unit inbox (2 states), newest 50", q);
  q = {};
  q.grid = "g1234";
  add("one grid, newest 50", q);
  q = {};
  q.community = "cm42";
  q.category = "cat3";
  add("community + category, newest 50", q);
  q = {};
  q.states = open;
  q.sort = storage::CaseSort::kDeadlineAsc;
  add("open cases by deadline, first 50", q);
  q = {};
  q.sort = storage::CaseSort::kUpdatedDesc;
  add("recently updated 50", q);
  q = {};
  q.subdistrict = "sd3";
  q.overdue = true;
  add("count: sub-district overdue", q, true);
  q = {};
  q.unit = "unit7";
  q.states = open;
  add("count: unit open", q, true);
  return out;
}

// The SQL the store ran before the catalog (sqlite_case_store.cc's BuildWhere for these
// filters), with its parameters bound as text or integers.
struct Sql {
  std::string text;
  std::vector<std::string> params;
};

Sql ToSql(const Query& query) {
  const storage::CaseQuery& q = query.q;
  Sql s;
  std::string where;
  auto add = [&](const std::string& cond, const std::string& value) {
    where += where.empty() ? " WHERE " : " AND ";
    where += cond;
    s.params.push_back(value);
  };
  if (!q.states.empty()) {
    where += where.empty() ? " WHERE " : " AND ";
    where += "state IN (";
    for (size_t i = 0; i < q.states.size(); ++i) {
      where += i ? ", ?" : "?";
      s.params.emplace_back(Name(q.states[i]));
    }
    where += ")";
  }
  if (!q.category.empty()) add("category = ?", q.category);
  if (!q.unit.empty()) add("unit = ?", q.unit);
  if (!q.subdistrict.empty()) add("subdistrict = ?", q.subdistrict);
  if (!q.community.empty()) add("community = ?", q.community);
  if (!q.grid.empty()) add("grid = ?", q.grid);
  if (q.overdue) add("overdue = ?", *q.overdue ? "1" : "0");
  if (query.count) {
    s.text = "SELECT count(*) FROM cases" + where;
    return s;
  }
  const char* column = q.sort == storage::CaseSort::kDeadlineAsc   ? "deadline_key"
                       : q.sort == storage::CaseSort::kUpdatedDesc ? "updated_at"
                                                                   : "created_at";
  const char* dir = storage::IsDescending(q.sort) ? "DESC" : "ASC";
  s.text = "SELECT body FROM cases" + where + " ORDER BY " + column + " " + dir + ", id " + dir +
           " LIMIT " + std::to_string(q.limit + 1);
  return s;
}

constexpr const char* kOldIndexes =
    "CREATE INDEX IF NOT EXISTS cases_by_updated ON cases (updated_at, id);"
    "CREATE INDEX IF NOT EXISTS cases_by_deadline ON cases (deadline_key, id);"
    "CREATE INDEX IF NOT EXISTS cases_by_state ON cases (state, created_at, id);"
    "CREATE INDEX IF NOT EXISTS cases_by_category ON cases (category, created_at, id);"
    "CREATE INDEX IF NOT EXISTS cases_by_unit ON cases (unit, created_at, id);"
    "CREATE INDEX IF NOT EXISTS cases_by_subdistrict ON cases (subdistrict, created_at, id);"
    "CREATE INDEX IF NOT EXISTS cases_by_community ON cases (community, created_at, id);"
    "CREATE INDEX IF NOT EXISTS cases_by_grid ON cases (grid, created_at, id);";

struct Timing {
  double p50 = 0, max = 0;
  int64_t rows = 0;
};

Timing Measure(int rounds, const std::function<int64_t()>& run) {
  std::vector<double> ms;
  Timing t;
  for (int r = 0; r < rounds; ++r) {
    auto t0 = Clock_::now();
    t.rows = run();
    ms.push_back(MsSince(t0));
  }
  std::sort(ms.begin(), ms.end());
  t.p50 = ms[ms.size() / 2];
  t.max = ms.back();
  return t;
}

int Run(int64_t n, const std::string& dir, int rounds) {
  {
    storage::SqliteBulkLoaderOptions lo;
    lo.data_dir = dir;
    lo.synchronous_off = true;
    lo.defer_indexes = true;
    auto loader = storage::OpenSqliteBulkLoader(lo);
    if (!loader.ok()) {
      std::fprintf(stderr, "%s\n", loader.status().ToString().c_str());
      return 1;
    }
    std::mt19937_64 rng(20261128);
    storage::sqlite::CaseCatalog catalog;  // the same rows again, to weigh the catalog
    auto t0 = Clock_::now();
    for (int64_t i = 0; i < n; i += 10'000) {
      std::vector<storage::BulkCase> batch;
      for (int64_t k = i; k < std::min(n, i + 10'000); ++k) batch.push_back(MakeCase(k, n, rng));
      if (auto s = (*loader)->Load(batch); !s.ok()) {
        std::fprintf(stderr, "bulk load: %s\n", s.status().ToString().c_str());
        return 1;
      }
      for (const storage::BulkCase& b : batch) {
        catalog.Put(storage::sqlite::CaseCatalog::RowOf(b.new_case.initial));
      }
    }
    if (Status s = (*loader)->Finish(); !s.ok()) {
      std::fprintf(stderr, "bulk load: %s\n", s.ToString().c_str());
      return 1;
    }
    std::printf("loaded %lld cases in %.1f s; the catalog of them holds %.1f bytes per case\n",
                static_cast<long long>(n), MsSince(t0) / 1000,
                static_cast<double>(catalog.memory_bytes()) / static_cast<double>(n));
  }
  const std::vector<Query> queries = Queries();
  std::vector<Timing> ours, peer;
  {
    auto t0 = Clock_::now();
    auto store = storage::OpenSqliteStore({.data_dir = dir, .own_data_dir = true});
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      return 1;
    }
    std::printf("owner open with the catalog read: %.0f ms\n", MsSince(t0));
    storage::CaseStore& cases = (*store)->cases();
    for (const Query& query : queries) {
      ours.push_back(Measure(rounds, [&]() -> int64_t {
        if (query.count) {
          auto c = cases.CountCases(query.q);
          if (!c.ok()) std::exit((std::fprintf(stderr, "%s\n", c.status().ToString().c_str()), 1));
          return *c;
        }
        auto page = cases.QueryCases(query.q);
        if (!page.ok()) {
          std::exit((std::fprintf(stderr, "%s\n", page.status().ToString().c_str()), 1));
        }
        return static_cast<int64_t>(page->cases.size());
      }));
    }
  }
  sqlite3* db = nullptr;
  Check(sqlite3_open(storage::SqliteDatabasePath(dir).c_str(), &db), db, "open");
  auto t0 = Clock_::now();
  Check(sqlite3_exec(db, kOldIndexes, nullptr, nullptr, nullptr), db, "creating the old indexes");
  std::printf("old per-filter indexes built in %.1f s\n\n", MsSince(t0) / 1000);
  for (const Query& query : queries) {
    Sql sql = ToSql(query);
    sqlite3_stmt* st = nullptr;
    Check(sqlite3_prepare_v2(db, sql.text.c_str(), -1, &st, nullptr), db, "prepare");
    peer.push_back(Measure(rounds, [&]() -> int64_t {
      sqlite3_reset(st);
      for (size_t i = 0; i < sql.params.size(); ++i) {
        sqlite3_bind_text(st, static_cast<int>(i + 1), sql.params[i].c_str(), -1,
                          SQLITE_TRANSIENT);
      }
      int64_t rows = 0;
      int rc;
      while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (query.count) return sqlite3_column_int64(st, 0);
        if (++rows > query.q.limit) break;  // the look-ahead row, as the store read it
        // Decoded as the store decodes each case of a page.
        const auto* body = static_cast<const char*>(sqlite3_column_blob(st, 0));
        Result<Case> c = storage::DecodeCase(std::string_view(body, sqlite3_column_bytes(st, 0)));
        if (!c.ok()) std::exit((std::fprintf(stderr, "%s\n", c.status().ToString().c_str()), 1));
      }
      if (rc != SQLITE_ROW) Check(rc, db, "step");
      return std::min<int64_t>(rows, query.q.limit);
    }));
    sqlite3_finalize(st);
  }
  sqlite3_close(db);

  std::printf("%lld cases, %d rounds; ms p50 / max (rows)\n", static_cast<long long>(n), rounds);
  std::printf("%-36s %24s %28s %8s\n", "query", "catalog + bodies", "SQL with per-filter indexes",
              "ratio");
  for (size_t i = 0; i < queries.size(); ++i) {
    if (ours[i].rows != peer[i].rows) {
      std::fprintf(stderr, "case_list_bench: %s: %lld rows vs %lld\n", queries[i].name.c_str(),
                   static_cast<long long>(ours[i].rows), static_cast<long long>(peer[i].rows));
      return 1;
    }
    std::printf("%-36s %9.3f / %8.3f (%4lld) %11.3f / %8.3f (%4lld) %7.2fx\n",
                queries[i].name.c_str(), ours[i].p50, ours[i].max,
                static_cast<long long>(ours[i].rows), peer[i].p50, peer[i].max,
                static_cast<long long>(peer[i].rows), peer[i].p50 / ours[i].p50);
  }
  std::printf("(ratio > 1: the catalog is faster)\n");
  return 0;
}

}  // namespace
}  // namespace citygrid::bench

int main(int argc, char** argv) {
  int64_t n = 300'000;
  int rounds = 20;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--cases" && i + 1 < argc) {
      n = std::atoll(argv[++i]);
    } else if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: case_list_bench [--cases N] [--dir DIR] [--rounds R]\n");
      return 2;
    }
  }
  if (n < 1 || rounds < 1) {
    std::fprintf(stderr, "case_list_bench: --cases and --rounds must be at least 1\n");
    return 2;
  }
  namespace fs = std::filesystem;
  if (dir.empty()) dir = (fs::current_path() / ("case-list-bench-" + std::to_string(::getpid()))).string();
  if (fs::exists(dir) && !fs::is_empty(dir)) {
    std::fprintf(stderr, "case_list_bench: %s is not empty\n", dir.c_str());
    return 2;
  }
  fs::create_directories(dir);
  int rc = citygrid::bench::Run(n, dir, rounds);
  fs::remove_all(dir);
  return rc;
}
