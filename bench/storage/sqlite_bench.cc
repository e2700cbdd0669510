// The SQLite rows of storage_bench: citygrid's SQLite store (WAL, synchronous=FULL, one writer
// thread with group commit) vs a bare sqlite3 loop of single-row INSERT transactions on the same
// settings (WAL, synchronous=FULL, autocommit), each writer on its own connection.

#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <vector>

#include "bench/storage/storage_bench.h"
#include "citygrid/storage/sqlite_store.h"

namespace citygrid::bench {
namespace {

namespace fs = std::filesystem;
using storage::Store;

std::string FreshDir(const BenchConfig& config, const std::string& name) {
  fs::path dir = fs::path(config.work_dir) /
                 ("storage-bench-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

CaseEvent Comment(int64_t n) {
  CaseEvent e;
  e.type = EventType::kAction;
  e.action = Action::kComment;
  e.actor = Actor{"dispatcher.zhao", Role::kDispatcher, ""};
  e.at = FromUnixMillis(1586656800000 + n);
  e.note = "benchmark append " + std::to_string(n);
  e.payload_json = "{}";
  return e;
}

storage::NewCase NewCaseAt(int64_t n) {
  storage::NewCase nc;
  nc.initial.category = "06010";
  nc.initial.description = "暴露垃圾 benchmark case";
  nc.initial.location.address = "二七区 大学路";
  nc.initial.created_at = nc.initial.updated_at = FromUnixMillis(1586656800000 + n);
  nc.created.type = EventType::kCreated;
  nc.created.at = nc.initial.created_at;
  nc.created.payload_json = R"({"category":"06010"})";
  return nc;
}

// citygrid: Append to one case per writer.
double CitygridAppends(const BenchConfig& config, int writers) {
  std::string dir = FreshDir(config, "append" + std::to_string(writers));
  double rate = 0;
  {
    auto store = storage::OpenSqliteStore({.data_dir = dir});
    if (!store.ok()) {
      std::fprintf(stderr, "storage_bench: %s\n", store.status().ToString().c_str());
      std::exit(1);
    }
    std::vector<Case> cases;
    for (int w = 0; w < writers; ++w) {
      cases.push_back((*store)->cases().CreateCase(NewCaseAt(w))->created_case);
    }
    rate = MeasureOpsPerSecond(writers, config.seconds, [&](int w) {
      Case& c = cases[w];
      Case next = c;
      next.version = c.version + 1;
      auto r = (*store)->cases().Append(c.id, c.version, {Comment(next.version)}, next);
      if (!r.ok()) std::fprintf(stderr, "append: %s\n", r.status().ToString().c_str());
      c = next;
      return r.ok();
    });
  }
  fs::remove_all(dir);
  return rate;
}

// citygrid: CreateCase (intake) from every writer.
double CitygridCreates(const BenchConfig& config, int writers) {
  std::string dir = FreshDir(config, "create" + std::to_string(writers));
  double rate = 0;
  {
    auto store = storage::OpenSqliteStore({.data_dir = dir});
    if (!store.ok()) std::exit(1);
    std::atomic<int64_t> n{0};
    rate = MeasureOpsPerSecond(writers, config.seconds, [&](int) {
      storage::NewCase nc = NewCaseAt(n.fetch_add(1));
      nc.idempotency_key = "bench-" + std::to_string(ToUnixMillis(nc.initial.created_at));
      nc.request_fingerprint = "fp";
      auto r = (*store)->cases().CreateCase(nc);
      if (!r.ok()) std::fprintf(stderr, "create: %s\n", r.status().ToString().c_str());
      return r.ok();
    });
  }
  fs::remove_all(dir);
  return rate;
}

bool Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::fprintf(stderr, "storage_bench: %s: %s\n", sql, error ? error : "");
    sqlite3_free(error);
    return false;
  }
  return true;
}

// The peer: each writer its own connection, one autocommit INSERT of an event-sized row per
// transaction, WAL + synchronous=FULL, a busy timeout for the concurrent case.
double BareSqliteInserts(const BenchConfig& config, int writers) {
  std::string dir = FreshDir(config, "bare" + std::to_string(writers));
  std::string path = dir + "/bare.db";
  std::vector<sqlite3*> conns(writers);
  std::vector<sqlite3_stmt*> stmts(writers);
  for (int w = 0; w < writers; ++w) {
    if (sqlite3_open(path.c_str(), &conns[w]) != SQLITE_OK) std::exit(1);
    sqlite3_busy_timeout(conns[w], 10'000);
    if (!Exec(conns[w], "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;")) std::exit(1);
    if (w == 0 &&
        !Exec(conns[w],
              "CREATE TABLE events (global_seq INTEGER PRIMARY KEY, case_id INTEGER NOT NULL, "
              "version INTEGER NOT NULL, type TEXT, action TEXT, actor_user TEXT, "
              "actor_role TEXT, actor_unit TEXT, at INTEGER, note TEXT, photos BLOB, "
              "payload_json TEXT, prev_hash TEXT, hash TEXT, UNIQUE (case_id, version))")) {
      std::exit(1);
    }
    sqlite3_prepare_v2(conns[w],
                       "INSERT INTO events (case_id, version, type, action, actor_user, "
                       "actor_role, actor_unit, at, note, photos, payload_json, prev_hash, hash) "
                       "VALUES (?, ?, 'action', 'comment', 'dispatcher.zhao', 'dispatcher', '', "
                       "?, ?, x'', '{}', ?, ?)",
                       -1, &stmts[w], nullptr);
  }
  std::vector<int64_t> version(writers, 0);
  const std::string hash(64, 'a');
  double rate = MeasureOpsPerSecond(writers, config.seconds, [&](int w) {
    sqlite3_stmt* st = stmts[w];
    int64_t v = ++version[w];
    std::string note = "benchmark append " + std::to_string(v);
    sqlite3_bind_int64(st, 1, w + 1);
    sqlite3_bind_int64(st, 2, v);
    sqlite3_bind_int64(st, 3, 1586656800000 + v);
    sqlite3_bind_text(st, 4, note.data(), static_cast<int>(note.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, hash.data(), 64, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, hash.data(), 64, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
      std::fprintf(stderr, "bare insert: %s\n", sqlite3_errmsg(conns[w]));
      return false;
    }
    return true;
  });
  for (int w = 0; w < writers; ++w) {
    sqlite3_finalize(stmts[w]);
    sqlite3_close(conns[w]);
  }
  fs::remove_all(dir);
  return rate;
}

}  // namespace

std::vector<BenchRow> RunSqliteBench(const BenchConfig& config) {
  std::printf("SQLite %s, WAL, synchronous=FULL, under %s\n", sqlite3_libversion(),
              config.work_dir.c_str());
  const int n = config.concurrent;
  std::vector<BenchRow> rows;
  double bare1 = BareSqliteInserts(config, 1);
  double bare_n = BareSqliteInserts(config, n);
  double append1 = CitygridAppends(config, 1);
  double append_n = CitygridAppends(config, n);
  double create1 = CitygridCreates(config, 1);
  double create_n = CitygridCreates(config, n);
  auto per_fsync = [&](double rate) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "~%.1f per fsync", bare1 > 0 ? rate / bare1 : 0.0);
    return std::string(buf);
  };
  std::string ns = std::to_string(n);
  rows.push_back({"citygrid sqlite Append, 1 writer", "bare sqlite3 INSERT, 1 writer", append1,
                  bare1, ""});
  rows.push_back({"citygrid sqlite Append, " + ns + " writers", "bare sqlite3 INSERT, " + ns +
                  " writers", append_n, bare_n, per_fsync(append_n)});
  rows.push_back({"citygrid sqlite CreateCase, 1 writer", "bare sqlite3 INSERT, 1 writer", create1,
                  bare1, ""});
  rows.push_back({"citygrid sqlite CreateCase, " + ns + " writers",
                  "bare sqlite3 INSERT, " + ns + " writers", create_n, bare_n,
                  per_fsync(create_n)});
  // Intake over HTTP has many more requests in flight than 8: the group grows with them.
  const int many = 8 * n;
  double append_many = CitygridAppends(config, many);
  double bare_many = BareSqliteInserts(config, many);
  rows.push_back({"citygrid sqlite Append, " + std::to_string(many) + " writers",
                  "bare sqlite3 INSERT, " + std::to_string(many) + " writers", append_many,
                  bare_many, per_fsync(append_many)});
  return rows;
}

}  // namespace citygrid::bench
