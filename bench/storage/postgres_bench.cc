// The PostgreSQL rows of storage_bench: citygrid's PostgreSQL store (one group-commit writer per
// store, global_seq from the log-head row lock) vs a bare libpq loop of single-row INSERT
// transactions of an event-sized row, each writer on its own connection. Both run with
// synchronous_commit=on (every acknowledged write is flushed to the WAL), on one fresh database
// each, on the server --postgres names. bench/storage/run-postgres.sh starts a throwaway one.

#include <libpq-fe.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bench/storage/storage_bench.h"
#include "citygrid/storage/postgres_store.h"
#include "citygrid/storage/store.h"
#include "src/storage/postgres/pg_admin.h"

namespace citygrid::bench {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "storage_bench (postgres): %s\n", what.c_str());
  std::exit(1);
}

// A fresh database for one measurement, dropped afterwards.
class ScratchDatabase {
 public:
  explicit ScratchDatabase(const std::string& admin) : admin_(admin) {
    auto name = storage::postgres::CreateScratchDatabase(admin, "citygrid_bench_");
    if (!name.ok()) Die(name.status().ToString());
    name_ = *name;
    dsn_ = storage::postgres::DsnWithDatabase(admin, name_);
  }
  ~ScratchDatabase() { (void)storage::postgres::DropDatabase(admin_, name_); }
  const std::string& dsn() const { return dsn_; }

 private:
  std::string admin_, name_, dsn_;
};

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

std::unique_ptr<storage::Store> OpenCitygrid(const std::string& dsn) {
  storage::StoreOptions options;
  options.db_url = dsn;
  auto store = storage::OpenPostgresStore(options);
  if (!store.ok()) Die(store.status().ToString());
  return std::move(store).value();
}

// citygrid: Append to one case per writer.
double CitygridAppends(const BenchConfig& config, int writers) {
  ScratchDatabase db(config.postgres_dsn);
  std::unique_ptr<storage::Store> store = OpenCitygrid(db.dsn());
  std::vector<Case> cases;
  for (int w = 0; w < writers; ++w) {
    auto created = store->cases().CreateCase(NewCaseAt(w));
    if (!created.ok()) Die(created.status().ToString());
    cases.push_back(created->created_case);
  }
  return MeasureOpsPerSecond(writers, config.seconds, [&](int w) {
    Case& c = cases[w];
    Case next = c;
    next.version = c.version + 1;
    auto r = store->cases().Append(c.id, c.version, {Comment(next.version)}, next,
                                   {{"bench:appended", 1}});
    if (!r.ok()) std::fprintf(stderr, "append: %s\n", r.status().ToString().c_str());
    c = next;
    return r.ok();
  });
}

// citygrid: CreateCase (intake, with an idempotency key) from every writer.
double CitygridCreates(const BenchConfig& config, int writers) {
  ScratchDatabase db(config.postgres_dsn);
  std::unique_ptr<storage::Store> store = OpenCitygrid(db.dsn());
  std::atomic<int64_t> n{0};
  return MeasureOpsPerSecond(writers, config.seconds, [&](int) {
    storage::NewCase nc = NewCaseAt(n.fetch_add(1));
    nc.idempotency_key = "bench-" + std::to_string(ToUnixMillis(nc.initial.created_at));
    nc.request_fingerprint = "fp";
    auto r = store->cases().CreateCase(nc, {{"bench:created", 1}});
    if (!r.ok()) std::fprintf(stderr, "create: %s\n", r.status().ToString().c_str());
    return r.ok();
  });
}

PGconn* Connect(const std::string& dsn) {
  PGconn* conn = PQconnectdb(dsn.c_str());
  if (PQstatus(conn) != CONNECTION_OK) Die(PQerrorMessage(conn));
  return conn;
}

void Exec(PGconn* conn, const char* sql) {
  PGresult* r = PQexec(conn, sql);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) Die(std::string(sql) + ": " + PQerrorMessage(conn));
  PQclear(r);
}

// The peer: each writer its own connection, one autocommit INSERT of an event-sized row per
// transaction (a prepared statement), synchronous_commit=on.
double BareLibpqInserts(const BenchConfig& config, int writers) {
  ScratchDatabase db(config.postgres_dsn);
  std::vector<PGconn*> conns(writers);
  for (int w = 0; w < writers; ++w) {
    conns[w] = Connect(db.dsn());
    Exec(conns[w], "SET synchronous_commit = on");
    if (w == 0) {
      Exec(conns[w],
           "CREATE TABLE events (global_seq BIGSERIAL PRIMARY KEY, case_id BIGINT NOT NULL, "
           "version BIGINT NOT NULL, type TEXT NOT NULL, action TEXT NOT NULL, "
           "actor_user TEXT NOT NULL, actor_role TEXT NOT NULL, actor_unit TEXT NOT NULL, "
           "at BIGINT NOT NULL, note TEXT NOT NULL, photos BYTEA NOT NULL, "
           "payload_json TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, "
           "UNIQUE (case_id, version))");
    }
    PGresult* r = PQprepare(conns[w], "ins",
                            "INSERT INTO events (case_id, version, type, action, actor_user, "
                            "actor_role, actor_unit, at, note, photos, payload_json, prev_hash, "
                            "hash) VALUES ($1, $2, 'action', 'comment', 'dispatcher.zhao', "
                            "'dispatcher', '', $3, $4, '\\x', '{}', $5, $6)",
                            6, nullptr);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) Die(PQerrorMessage(conns[w]));
    PQclear(r);
  }
  std::vector<int64_t> version(writers, 0);
  const std::string hash(64, 'a');
  double rate = MeasureOpsPerSecond(writers, config.seconds, [&](int w) {
    int64_t v = ++version[w];
    std::string case_id = std::to_string(w + 1), ver = std::to_string(v),
                at = std::to_string(1586656800000 + v), note = "benchmark append " + ver;
    const char* values[] = {case_id.c_str(), ver.c_str(), at.c_str(), note.c_str(),
                            hash.c_str(), hash.c_str()};
    PGresult* r = PQexecPrepared(conns[w], "ins", 6, values, nullptr, nullptr, 0);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) std::fprintf(stderr, "bare insert: %s\n", PQerrorMessage(conns[w]));
    PQclear(r);
    return ok;
  });
  for (PGconn* c : conns) PQfinish(c);
  return rate;
}

std::string ServerSetting(const std::string& dsn, const char* name) {
  auto v = storage::postgres::QueryColumn(dsn, std::string("SHOW ") + name);
  if (!v.ok() || v->empty()) Die("cannot read " + std::string(name));
  return v->front();
}

}  // namespace

std::vector<BenchRow> RunPostgresBench(const BenchConfig& config) {
  if (config.postgres_dsn.empty()) {
    std::printf("PostgreSQL: not measured (give --postgres DSN or CITYGRID_BENCH_POSTGRES_DSN)\n");
    return {};
  }
  const std::string sync = ServerSetting(config.postgres_dsn, "synchronous_commit");
  if (sync != "on") {
    Die("the server's synchronous_commit is '" + sync + "'; the figures need 'on'");
  }
  std::printf("PostgreSQL %s, synchronous_commit=%s, fsync=%s, wal_sync_method=%s\n",
              ServerSetting(config.postgres_dsn, "server_version").c_str(), sync.c_str(),
              ServerSetting(config.postgres_dsn, "fsync").c_str(),
              ServerSetting(config.postgres_dsn, "wal_sync_method").c_str());
  const int n = config.concurrent;
  double bare1 = BareLibpqInserts(config, 1);
  double bare_n = BareLibpqInserts(config, n);
  double append1 = CitygridAppends(config, 1);
  double append_n = CitygridAppends(config, n);
  double create1 = CitygridCreates(config, 1);
  double create_n = CitygridCreates(config, n);
  auto per_flush = [&](double rate) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "~%.1f per 1-writer commit", bare1 > 0 ? rate / bare1 : 0.0);
    return std::string(buf);
  };
  const std::string ns = std::to_string(n);
  std::vector<BenchRow> rows;
  rows.push_back({"citygrid postgres Append, 1 writer", "bare libpq INSERT, 1 writer", append1,
                  bare1, ""});
  rows.push_back({"citygrid postgres Append, " + ns + " writers",
                  "bare libpq INSERT, " + ns + " writers", append_n, bare_n, per_flush(append_n)});
  rows.push_back({"citygrid postgres CreateCase, 1 writer", "bare libpq INSERT, 1 writer",
                  create1, bare1, ""});
  rows.push_back({"citygrid postgres CreateCase, " + ns + " writers",
                  "bare libpq INSERT, " + ns + " writers", create_n, bare_n,
                  per_flush(create_n)});
  return rows;
}

}  // namespace citygrid::bench
