// The PostgreSQL backend: its registration with the conformance suites, and what only
// PostgreSQL has (several nodes on one database, LISTEN/NOTIFY, server-side migrations).

#include "citygrid/storage/postgres_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "citygrid/storage/audit_chain.h"
#include "citygrid/storage/event_notifier.h"
#include "citygrid/storage/store.h"
#include "src/storage/postgres/pg_admin.h"
#include "src/storage/postgres/pg_connection.h"
#include "tests/storage/postgres_test_database.h"
#include "tests/storage/store_factories.h"
#include "tests/testing/paths.h"

namespace citygrid::storage {
namespace testing {

std::string PostgresTestDsn() {
  const char* dsn = std::getenv("CITYGRID_TEST_POSTGRES_DSN");
  return dsn != nullptr ? dsn : "";
}

bool PostgresRequired() {
  const char* v = std::getenv("CITYGRID_REQUIRE_POSTGRES");
  return v != nullptr && std::string(v) == "1";
}

Result<std::unique_ptr<PostgresTestDatabase>> PostgresTestDatabase::Create() {
  const std::string admin = PostgresTestDsn();
  if (admin.empty()) {
    return UnavailableError(
        "CITYGRID_TEST_POSTGRES_DSN is not set (scripts/test starts a throwaway cluster; by "
        "hand: source scripts/pg-cluster.sh; pg_cluster_start; export "
        "CITYGRID_TEST_POSTGRES_DSN=$PG_DSN)");
  }
  CITYGRID_ASSIGN_OR_RETURN(std::string name,
                            postgres::CreateScratchDatabase(admin, "citygrid_t_"));
  std::string dir = citygrid::testing::MakeTempDir("citygrid-pg-test");
  return std::unique_ptr<PostgresTestDatabase>(new PostgresTestDatabase(
      admin, name, postgres::DsnWithDatabase(admin, name), std::move(dir)));
}

PostgresTestDatabase::PostgresTestDatabase(std::string admin_dsn, std::string name,
                                           std::string dsn, std::string data_dir)
    : admin_dsn_(std::move(admin_dsn)),
      name_(std::move(name)),
      dsn_(std::move(dsn)),
      data_dir_(std::move(data_dir)) {}

PostgresTestDatabase::~PostgresTestDatabase() {
  (void)postgres::DropDatabase(admin_dsn_, name_);
  std::error_code ec;
  if (!data_dir_.empty()) std::filesystem::remove_all(data_dir_, ec);
}

Result<std::unique_ptr<Store>> PostgresTestDatabase::Open() { return OpenStore(options()); }

StoreOptions PostgresTestDatabase::options() const {
  StoreOptions o;
  o.data_dir = data_dir_;
  o.db_url = dsn_;
  return o;
}

namespace {

Result<std::unique_ptr<TestDatabase>> CreatePostgresDatabase() {
  CITYGRID_ASSIGN_OR_RETURN(std::unique_ptr<PostgresTestDatabase> db,
                            PostgresTestDatabase::Create());
  return std::unique_ptr<TestDatabase>(std::move(db));
}

// For concurrency tests that commit tens of thousands of times: the same server, with
// synchronous_commit off for this database only (commits stop waiting for the WAL flush; the
// locking and visibility under test are unchanged).
Result<std::unique_ptr<TestDatabase>> CreateFastPostgresDatabase() {
  CITYGRID_ASSIGN_OR_RETURN(std::unique_ptr<PostgresTestDatabase> db,
                            PostgresTestDatabase::Create());
  CITYGRID_RETURN_IF_ERROR(postgres::ExecSql(
      db->dsn(), "ALTER DATABASE " + db->name() + " SET synchronous_commit = off"));
  return std::unique_ptr<TestDatabase>(std::move(db));
}

StoreBackendFactory PostgresBackend() {
  StoreBackendFactory f;
  f.name = "postgres";
  f.durable = true;
  f.must_run = PostgresRequired();
  f.create = &CreatePostgresDatabase;
  f.create_fast = &CreateFastPostgresDatabase;
  return f;
}

[[maybe_unused]] const bool kRegistered = RegisterStoreBackend(PostgresBackend());

}  // namespace
}  // namespace testing

namespace {

using testing::PostgresTestDatabase;

Timestamp At(const char* iso) { return *ParseIso8601(iso); }

NewCase MakeNewCase(Timestamp t, std::string key = "") {
  NewCase n;
  n.initial.state = CaseState::kPending;
  n.initial.channel = Channel::kInspector;
  n.initial.category = "06010";
  n.initial.description = "暴露垃圾";
  n.initial.location.address = "大学路 1 号";
  n.initial.created_at = t;
  n.initial.updated_at = t;
  n.created.type = EventType::kCreated;
  n.created.actor = Actor{"inspector.li", Role::kInspector, ""};
  n.created.at = t;
  n.created.payload_json = "{}";
  n.idempotency_key = std::move(key);
  n.request_fingerprint = "fp";
  return n;
}

Result<Case> Comment(CaseStore& store, const Case& c, const std::string& note) {
  Case next = c;
  next.version = c.version + 1;
  next.updated_at = c.updated_at + Duration(1000);
  CaseEvent e;
  e.type = EventType::kAction;
  e.action = Action::kComment;
  e.actor = Actor{"dispatcher.zhao", Role::kDispatcher, ""};
  e.at = next.updated_at;
  e.note = note;
  e.payload_json = "{}";
  auto r = store.Append(c.id, c.version, {e}, next);
  if (!r.ok()) return r.status();
  return next;
}

std::unique_ptr<Store> MustOpen(const StoreOptions& options) {
  auto store = OpenStore(options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

TEST(PostgresStoreTest, TwoNodesSeeEachOthersWritesThroughEventsAfterAndNotifications) {
  CITYGRID_PG_TEST_DATABASE(db);
  std::unique_ptr<Store> a = MustOpen(db->options());
  std::unique_ptr<Store> b = MustOpen(db->options());
  ASSERT_TRUE(a && b);
  EventNotifier* b_notifier = PostgresEventNotifier(*b);
  ASSERT_NE(b_notifier, nullptr);
  EXPECT_EQ(a->backend(), "postgres");

  // Node B waits; node A writes.
  std::atomic<int64_t> woke_at{-1};
  std::thread follower([&] {
    auto seq = b_notifier->WaitForEvents(0, std::chrono::seconds(30));
    woke_at = seq.ok() ? *seq : -2;
  });
  auto created = a->cases().CreateCase(MakeNewCase(At("2020-04-12T09:00:00+08:00")));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  follower.join();
  EXPECT_EQ(woke_at.load(), 1);

  auto seen = b->cases().EventsAfter(0, 100);
  ASSERT_TRUE(seen.ok()) << seen.status().ToString();
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_EQ((*seen)[0].case_id, created->created_case.id);
  EXPECT_EQ(*b->cases().LoadCase(created->created_case.id), created->created_case);

  // And the other way round, with optimistic concurrency across the nodes.
  auto moved = Comment(b->cases(), created->created_case, "from node b");
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(Comment(a->cases(), created->created_case, "stale on node a").status().code(),
            StatusCode::kAborted);
  auto on_a = PostgresEventNotifier(*a)->WaitForEvents(1, std::chrono::seconds(30));
  ASSERT_TRUE(on_a.ok());
  EXPECT_EQ(*on_a, 2);
  EXPECT_EQ(a->cases().LoadHistory(created->created_case.id)->size(), 2u);
}

TEST(PostgresStoreTest, WaitForEventsReturnsTheLastSeqAfterATimeout) {
  CITYGRID_PG_TEST_DATABASE(db);
  std::unique_ptr<Store> store = MustOpen(db->options());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->cases().CreateCase(MakeNewCase(At("2020-04-12T09:00:00+08:00"))).ok());
  auto seq = PostgresEventNotifier(*store)->WaitForEvents(1, std::chrono::milliseconds(50));
  ASSERT_TRUE(seq.ok()) << seq.status().ToString();
  EXPECT_EQ(*seq, 1);
  // Already past: returns at once.
  seq = PostgresEventNotifier(*store)->WaitForEvents(0, std::chrono::hours(1));
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, 1);
}

TEST(PostgresStoreTest, FollowersNeverSkipAnEventWhileTwoNodesWriteConcurrently) {
  // global_seq must be commit order: a follower reading EventsAfter while writers commit must
  // see every seq exactly once, without gaps, in increasing order.
  CITYGRID_PG_TEST_DATABASE(db);
  std::unique_ptr<Store> a = MustOpen(db->options());
  std::unique_ptr<Store> b = MustOpen(db->options());
  std::unique_ptr<Store> reader = MustOpen(db->options());
  ASSERT_TRUE(a && b && reader);
  constexpr int kWritersPerNode = 4, kAppends = 40;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (Store* node : {a.get(), b.get()}) {
    for (int w = 0; w < kWritersPerNode; ++w) {
      writers.emplace_back([&, node] {
        auto created = node->cases().CreateCase(MakeNewCase(At("2020-04-12T09:00:00+08:00")));
        if (!created.ok()) {
          ++failures;
          return;
        }
        Case c = created->created_case;
        for (int i = 0; i < kAppends; ++i) {
          auto next = Comment(node->cases(), c, "n");
          if (!next.ok()) {
            ++failures;
            return;
          }
          c = *next;
        }
      });
    }
  }
  std::vector<int64_t> seen;
  std::thread follower([&] {
    int64_t after = 0;
    EventNotifier* n = PostgresEventNotifier(*reader);
    while (true) {
      bool finished = done.load();
      auto page = reader->cases().EventsAfter(after, 50);
      if (!page.ok()) {
        ++failures;
        return;
      }
      for (const CaseEvent& e : *page) seen.push_back(e.global_seq);
      if (!page->empty()) after = page->back().global_seq;
      if (page->empty() && finished) return;
      if (page->empty()) (void)n->WaitForEvents(after, std::chrono::milliseconds(20));
    }
  });
  for (auto& t : writers) t.join();
  done = true;
  follower.join();
  EXPECT_EQ(failures.load(), 0);
  const size_t total = 2 * kWritersPerNode * (1 + kAppends);
  ASSERT_EQ(seen.size(), total);
  for (size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i], static_cast<int64_t>(i + 1));
}

TEST(PostgresStoreTest, RefusesADatabaseWrittenByANewerCitygrid) {
  CITYGRID_PG_TEST_DATABASE(db);
  ASSERT_TRUE(MustOpen(db->options()));
  ASSERT_TRUE(postgres::ExecSql(db->dsn(), "UPDATE schema_version SET version = 99").ok());
  auto store = OpenStore(db->options());
  ASSERT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("99"), std::string::npos) << store.status().message();
  EXPECT_NE(store.status().message().find("newer citygrid"), std::string::npos);
}

TEST(PostgresStoreTest, MigratesFromThePreviousSchemaVersionKeepingData) {
  CITYGRID_PG_TEST_DATABASE(db);
  ASSERT_TRUE(postgres::MigrateDatabase(db->dsn(), 1).ok());
  ASSERT_TRUE(postgres::ExecSql(db->dsn(), "INSERT INTO counters VALUES ('c:old', 5)").ok());
  EXPECT_EQ(*postgres::QueryColumn(db->dsn(), "SELECT version FROM schema_version"),
            std::vector<std::string>{"1"});
  std::unique_ptr<Store> store = MustOpen(db->options());
  ASSERT_TRUE(store);
  EXPECT_EQ(*postgres::QueryColumn(db->dsn(), "SELECT version FROM schema_version"),
            std::vector<std::string>{"6"});
  // Version 5 dropped the duplicate search's latitude-band index (the search is in memory);
  // version 6 keeps the per-filter indexes that SQLite's version 6 drops.
  EXPECT_EQ(*postgres::QueryColumn(db->dsn(), "SELECT count(*) FROM pg_indexes WHERE indexname = "
                                              "'cases_by_category_lat'"),
            std::vector<std::string>{"0"});
  EXPECT_EQ(*postgres::QueryColumn(db->dsn(), "SELECT count(*) FROM pg_indexes WHERE indexname = "
                                              "'cases_by_grid'"),
            std::vector<std::string>{"1"});
  auto counters = store->cases().ReadCounters("c:");
  ASSERT_TRUE(counters.ok());
  ASSERT_EQ(counters->size(), 1u);
  EXPECT_EQ((*counters)[0].delta, 5);
  EXPECT_TRUE(store->documents().Put("setting", "name", "\"二七区\"").ok());
}

TEST(PostgresStoreTest, TwoNodesOpeningAnEmptyDatabaseAtOnceMigrateItOnce) {
  CITYGRID_PG_TEST_DATABASE(db);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      if (!OpenStore(db->options()).ok()) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(*postgres::QueryColumn(db->dsn(), "SELECT count(*) FROM schema_version"),
            std::vector<std::string>{"1"});
}

TEST(PostgresStoreTest, AnEventEditedBehindTheStoresBackBreaksTheChain) {
  CITYGRID_PG_TEST_DATABASE(db);
  std::unique_ptr<Store> store = MustOpen(db->options());
  ASSERT_TRUE(store);
  auto c = store->cases().CreateCase(MakeNewCase(At("2020-04-12T09:00:00+08:00")));
  ASSERT_TRUE(c.ok());
  Case cur = c->created_case;
  for (int i = 0; i < 3; ++i) cur = *Comment(store->cases(), cur, "n" + std::to_string(i));
  ASSERT_TRUE(postgres::ExecSql(db->dsn(),
                                "UPDATE events SET note = 'rewritten' WHERE version = 2")
                  .ok());
  auto events = store->cases().EventsAfter(0, 100);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ChainVerifier verifier;
  for (const CaseEvent& e : *events) verifier.Add(e);
  ASSERT_FALSE(verifier.ok());
  EXPECT_EQ(verifier.first_broken()->version, 2);
  EXPECT_EQ(verifier.first_broken()->problem, "stored hash does not match the event's contents");
}

TEST(PostgresStoreTest, SurvivesTheServerDroppingEveryConnection) {
  CITYGRID_PG_TEST_DATABASE(db);
  std::unique_ptr<Store> a = MustOpen(db->options());
  std::unique_ptr<Store> b = MustOpen(db->options());
  ASSERT_TRUE(a && b);
  auto c = a->cases().CreateCase(MakeNewCase(At("2020-04-12T09:00:00+08:00")));
  ASSERT_TRUE(c.ok());
  // Like a server restart or an administrator's pg_terminate_backend: every idle pooled,
  // writing and listening connection of both nodes is closed under them.
  ASSERT_TRUE(postgres::ExecSql(db->dsn(),
                                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                " WHERE datname = current_database() AND pid <> pg_backend_pid()")
                  .ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto moved = Comment(a->cases(), c->created_case, "after the drop");
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  auto loaded = b->cases().LoadCase(c->created_case.id);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->version, 2);
  auto seq = PostgresEventNotifier(*b)->WaitForEvents(1, std::chrono::seconds(30));
  ASSERT_TRUE(seq.ok()) << seq.status().ToString();
  EXPECT_EQ(*seq, 2);
  ASSERT_TRUE(b->documents().Put("setting", "k", "1").ok());
}

// Statements with parameters run as prepared statements of their connection, prepared once at
// their first use; a statement whose text is wrong reports its own error from the prepare.
TEST(PgConnectionTest, ParameterizedStatementsArePreparedOnceAndABadOneNamesItsError) {
  CITYGRID_PG_TEST_DATABASE(db);
  auto conn = postgres::PgConnection::Connect(db->dsn());
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  auto prepared = [&]() -> int64_t {
    auto r = (*conn)->Exec("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'cg_%'");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->Int(0, 0) : -1;
  };
  auto add = [](int64_t a, int64_t b) {
    postgres::PgStatement st;
    st.sql = "SELECT $1::bigint + $2::bigint";
    st.params.Add(a).Add(b);
    return st;
  };
  for (int round = 0; round < 3; ++round) {
    // The same text twice in one pipeline, and again in later ones.
    auto results = (*conn)->ExecPipeline({add(1, round), add(10, round)});
    ASSERT_TRUE(results.ok()) << results.status().ToString();
    ASSERT_TRUE((*results)[0].ok() && (*results)[1].ok());
    EXPECT_EQ((*results)[0]->Int(0, 0), 1 + round);
    EXPECT_EQ((*results)[1]->Int(0, 0), 10 + round);
    EXPECT_EQ(prepared(), 1);
  }
  postgres::PgParams one;
  one.Add(int64_t{41});
  auto single = (*conn)->Exec("SELECT $1::bigint + 1", one);
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  EXPECT_EQ(single->Int(0, 0), 42);
  EXPECT_EQ(prepared(), 2);

  postgres::PgStatement bad;
  bad.sql = "SELEC $1::bigint";
  bad.params.Add(int64_t{1});
  auto results = (*conn)->ExecPipeline({add(2, 2), bad, add(3, 3)});
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  ASSERT_TRUE((*results)[0].ok());
  ASSERT_FALSE((*results)[1].ok());
  EXPECT_NE((*results)[1].status().message().find("syntax error"), std::string::npos)
      << (*results)[1].status().ToString();
  EXPECT_FALSE((*results)[2].ok());  // skipped after the error
  EXPECT_EQ(prepared(), 2);          // the bad text was not kept
  // The connection goes on, and the bad text fails the same way again.
  auto again = (*conn)->ExecPipeline({bad});
  ASSERT_TRUE(again.ok());
  EXPECT_NE((*again)[0].status().message().find("syntax error"), std::string::npos);
  auto after = (*conn)->ExecPipeline({add(5, 5)});
  ASSERT_TRUE(after.ok() && (*after)[0].ok());
  EXPECT_EQ((*after)[0]->Int(0, 0), 10);
}

TEST(PostgresStoreTest, AnUnreachableServerIsUnavailable) {
  StoreOptions o;
  o.db_url = "postgresql://postgres@/postgres?host=/nonexistent-citygrid-socket-dir&port=1";
  EXPECT_EQ(OpenStore(o).status().code(), StatusCode::kUnavailable);
}

TEST(PostgresStoreTest, BadOptionsAreInvalidArgument) {
  StoreOptions o;
  o.db_url = "postgresql://[broken";
  EXPECT_EQ(OpenPostgresStore(o).status().code(), StatusCode::kInvalidArgument);
  o.db_url = "mysql://localhost/x";
  EXPECT_EQ(OpenPostgresStore(o).status().code(), StatusCode::kInvalidArgument);
  o.db_url = "postgresql://postgres@/postgres";
  o.db_pool_size = 0;
  EXPECT_EQ(OpenPostgresStore(o).status().code(), StatusCode::kInvalidArgument);
}

TEST(PostgresStoreTest, DsnWithDatabaseReplacesOrAddsTheDatabase) {
  struct Row {
    const char* in;
    const char* out;
  };
  const Row rows[] = {
      {"postgresql://postgres@/postgres?host=/tmp/x&port=5", "postgresql://postgres@/db?host=/tmp/x&port=5"},
      {"postgresql://u@localhost:5432", "postgresql://u@localhost:5432/db"},
      {"postgres://u@h/old", "postgres://u@h/db"},
      {"postgresql://u@h?sslmode=disable", "postgresql://u@h/db?sslmode=disable"},
      {"host=/tmp port=5", "host=/tmp port=5 dbname='db'"},
  };
  for (const Row& r : rows) EXPECT_EQ(postgres::DsnWithDatabase(r.in, "db"), r.out) << r.in;
}

}  // namespace
}  // namespace citygrid::storage
