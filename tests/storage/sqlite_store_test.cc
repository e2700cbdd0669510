// The SQLite backend: its registration with the conformance suites, and what only SQLite has
// (the file layout, schema migrations, WAL settings).

#include "citygrid/storage/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "citygrid/storage/audit_chain.h"
#include "citygrid/storage/case_codec.h"
#include "citygrid/storage/store.h"
#include "src/storage/sqlite/sqlite_connection.h"
#include "src/storage/sqlite/sqlite_schema.h"
#include "tests/storage/store_factories.h"
#include "tests/testing/paths.h"

namespace citygrid::storage {
namespace {

namespace fs = std::filesystem;

// `owned`: opened as the server opens it (the owner lock held), so case lists and counts come
// from the in-memory catalog instead of SQL.
class SqliteTestDatabase final : public testing::TestDatabase {
 public:
  SqliteTestDatabase(std::string dir, bool owned) : dir_(std::move(dir)), owned_(owned) {}
  ~SqliteTestDatabase() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Result<std::unique_ptr<Store>> Open() override {
    if (!owned_) return OpenStore(options());
    return OpenSqliteStore({.data_dir = dir_, .own_data_dir = true});
  }
  StoreOptions options() const override { return StoreOptions{dir_, ""}; }

 private:
  std::string dir_;
  bool owned_;
};

Result<std::unique_ptr<testing::TestDatabase>> CreateSqliteDatabase(bool owned) {
  std::string dir = citygrid::testing::MakeTempDir("citygrid-sqlite-test");
  if (dir.empty()) return UnavailableError("cannot create a temp dir");
  return std::unique_ptr<testing::TestDatabase>(new SqliteTestDatabase(dir, owned));
}

// On tmpfs an fsync is free: for the contention tests, which commit thousands of times and
// test concurrency, not durability (crash_test.cc covers that, on the real disk).
Result<std::unique_ptr<testing::TestDatabase>> CreateFastSqliteDatabase() {
  std::error_code ec;
  if (!fs::is_directory("/dev/shm", ec)) return CreateSqliteDatabase(false);
  std::string tmpl = "/dev/shm/citygrid-sqlite-test.XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return CreateSqliteDatabase(false);
  return std::unique_ptr<testing::TestDatabase>(new SqliteTestDatabase(tmpl, false));
}

[[maybe_unused]] const bool kRegistered = testing::RegisterStoreBackend(
    {.name = "sqlite",
     .durable = true,
     .must_run = true,
     .create = [] { return CreateSqliteDatabase(false); },
     .create_fast = &CreateFastSqliteDatabase});

// The server's way of opening: the suites run once more on it. Not `durable` for the crash
// suite, whose child processes open the database while the parent holds it; reopening after
// a close (the catalog read back from the table) is tested in sqlite_owner_test.cc.
[[maybe_unused]] const bool kRegisteredOwned = testing::RegisterStoreBackend(
    {.name = "sqlite_owned",
     .durable = false,
     .must_run = true,
     .create = [] { return CreateSqliteDatabase(true); },
     .create_fast = {}});

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = citygrid::testing::MakeTempDir("citygrid-sqlite"); }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string db_path() const { return SqliteDatabasePath(dir_); }

  // Runs SQL on the database file behind the store's back.
  void RawExec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }
  int64_t RawInt(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    int64_t v = -1;
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
  }
  std::string RawText(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK);
    std::string v;
    if (sqlite3_step(st) == SQLITE_ROW) {
      v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
  }

  std::string dir_;
};

NewCase SimpleCase() {
  NewCase n;
  n.initial.category = "06010";
  n.initial.created_at = *ParseIso8601("2020-04-12T09:00:00+08:00");
  n.initial.updated_at = n.initial.created_at;
  n.created.type = EventType::kCreated;
  n.created.at = n.initial.created_at;
  n.created.payload_json = "{}";
  return n;
}

TEST_F(SqliteStoreTest, CreatesTheDatabaseInWalModeUnderTheDataDir) {
  std::string nested = dir_ + "/new/data";
  auto store = OpenStore(StoreOptions{nested, ""});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->backend(), "sqlite");
  EXPECT_TRUE(fs::exists(nested + "/citygrid.db"));
  store->reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((nested + "/citygrid.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, MediaGoToContentAddressedFiles) {
  auto store = OpenStore(StoreOptions{dir_, ""});
  ASSERT_TRUE(store.ok());
  auto hash = (*store)->media().Put("a photo");
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(fs::is_regular_file(dir_ + "/media/" + hash->substr(0, 2) + "/" + hash->substr(2)));
  for (const auto& entry : fs::recursive_directory_iterator(dir_ + "/media")) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos)
        << "temporary file left behind: " << entry.path();
  }
}

TEST_F(SqliteStoreTest, AnEmptyDatabaseIsMigratedToTheLatestVersion) {
  ASSERT_TRUE(OpenStore(StoreOptions{dir_, ""}).ok());
  EXPECT_EQ(RawInt("SELECT version FROM schema_version"), sqlite::LatestSqliteSchemaVersion());
  EXPECT_EQ(RawInt("SELECT count(*) FROM schema_version"), 1);
}

TEST_F(SqliteStoreTest, ReopeningAnUpToDateDatabaseChangesNothing) {
  {
    auto store = OpenStore(StoreOptions{dir_, ""});
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->cases().CreateCase(SimpleCase()).ok());
  }
  std::string schema = RawText("SELECT group_concat(sql, ';') FROM sqlite_master");
  {
    auto store = OpenStore(StoreOptions{dir_, ""});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_EQ(*(*store)->cases().CountCases(CaseQuery{}), 1);
  }
  EXPECT_EQ(RawText("SELECT group_concat(sql, ';') FROM sqlite_master"), schema);
  EXPECT_EQ(RawInt("SELECT version FROM schema_version"), sqlite::LatestSqliteSchemaVersion());
  EXPECT_EQ(RawInt("SELECT count(*) FROM schema_version"), 1);
}

TEST_F(SqliteStoreTest, ADatabaseFromANewerCitygridIsRefusedNamingBothVersions) {
  ASSERT_TRUE(OpenStore(StoreOptions{dir_, ""}).ok());
  const int newer = sqlite::LatestSqliteSchemaVersion() + 5;
  RawExec("UPDATE schema_version SET version = " + std::to_string(newer));
  auto store = OpenStore(StoreOptions{dir_, ""});
  ASSERT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  const std::string& message = store.status().message();
  EXPECT_NE(message.find("schema version " + std::to_string(newer)), std::string::npos) << message;
  EXPECT_NE(message.find("up to " + std::to_string(sqlite::LatestSqliteSchemaVersion())),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("newer citygrid"), std::string::npos) << message;
  // Refusing changed nothing.
  EXPECT_EQ(RawInt("SELECT version FROM schema_version"), newer);
}

TEST_F(SqliteStoreTest, Version5DropsTheLatitudeBandIndexAndKeepsTheCases) {
  {
    auto conn = sqlite::Connection::Open(db_path(), /*create=*/true, 1000);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    ASSERT_TRUE(sqlite::MigrateSqlite(**conn, 4).ok());
  }
  EXPECT_EQ(RawInt("SELECT count(*) FROM sqlite_master WHERE name = 'cases_by_category_lat'"), 1);
  auto store = OpenStore(StoreOptions{dir_, ""});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_GE(RawInt("SELECT version FROM schema_version"), 5);
  EXPECT_EQ(RawInt("SELECT count(*) FROM sqlite_master WHERE name = 'cases_by_category_lat'"), 0);
  // The duplicate-style box query still answers without it.
  auto created = (*store)->cases().CreateCase(SimpleCase());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_GT(created->created_seq, 0);
  CaseQuery q;
  q.category = created->created_case.category;
  const auto& l = created->created_case.location;
  q.bbox = geo::BoundingBox{l.lon - 0.001, l.lat - 0.001, l.lon + 0.001, l.lat + 0.001};
  auto page = (*store)->cases().QueryCases(q);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->cases.size(), 1u);
  EXPECT_EQ(page->cases[0].id, created->created_case.id);
}

// Version 6 drops the per-filter indexes of cases (the owner lists from its catalog); a
// version-5 database loses them on open and every list still answers, owned or not.
TEST_F(SqliteStoreTest, Version6DropsThePerFilterIndexesAndListsStillAnswer) {
  {
    auto conn = sqlite::Connection::Open(db_path(), /*create=*/true, 1000);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    ASSERT_TRUE(sqlite::MigrateSqlite(**conn, 5).ok());
  }
  const std::string kDropped =
      "SELECT count(*) FROM sqlite_master WHERE name IN ('cases_by_updated', "
      "'cases_by_deadline', 'cases_by_state', 'cases_by_category', 'cases_by_unit', "
      "'cases_by_subdistrict', 'cases_by_community', 'cases_by_grid')";
  EXPECT_EQ(RawInt(kDropped), 8);
  for (bool own : {false, true}) {
    auto store = OpenSqliteStore({.data_dir = dir_, .own_data_dir = own});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_EQ(RawInt("SELECT version FROM schema_version"), 6);
    EXPECT_EQ(RawInt(kDropped), 0);
    EXPECT_EQ(RawInt("SELECT count(*) FROM sqlite_master WHERE name = 'cases_by_created'"), 1);
    auto created = (*store)->cases().CreateCase(SimpleCase());
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    CaseQuery q;
    q.category = created->created_case.category;
    q.sort = CaseSort::kDeadlineAsc;
    auto page = (*store)->cases().QueryCases(q);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_EQ(page->cases.size(), own ? 2u : 1u) << "own " << own;
    EXPECT_EQ(*(*store)->cases().CountCases(q), own ? 2 : 1) << "own " << own;
  }
}

TEST_F(SqliteStoreTest, AVersion1DatabaseIsMigratedKeepingItsData) {
  // Build a database exactly as citygrid with schema version 1 left it.
  {
    auto conn = sqlite::Connection::Open(db_path(), /*create=*/true, 1000);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    ASSERT_TRUE(sqlite::MigrateSqlite(**conn, 1).ok());
    ASSERT_EQ(*sqlite::SqliteSchemaVersion(**conn), 1);
  }
  EXPECT_EQ(RawInt("SELECT count(*) FROM sqlite_master WHERE name = 'documents'"), 0);
  // A case written into the version-1 tables, as a version-1 citygrid stored it.
  Case c = SimpleCase().initial;
  c.id = 1;
  c.number = "20200412-000001";
  c.version = 1;
  CaseEvent e = SimpleCase().created;
  e.case_id = 1;
  e.version = 1;
  SealEvent(e, "");
  std::string body = EncodeCase(c);
  std::string hex;
  for (unsigned char ch : body) {
    static const char* kHex = "0123456789abcdef";
    hex += kHex[ch >> 4];
    hex += kHex[ch & 15];
  }
  RawExec("INSERT INTO cases VALUES (1, '20200412-000001', 1, 'reported', 'public', '06010', '', "
          "'', '', '', '', 0, 0, '', '', " + std::to_string(ToUnixMillis(c.created_at)) + ", " +
          std::to_string(ToUnixMillis(c.updated_at)) + ", 9223372036854775807, 0, '', x'" + hex +
          "');"
          "INSERT INTO events VALUES (1, 1, 1, 'created', '', '', 'system', '', " +
          std::to_string(ToUnixMillis(e.at)) + ", '', x'', '{}', '', '" + e.hash + "');"
          "INSERT INTO case_number_days VALUES ('2020-04-12', 1);");

  auto store = OpenStore(StoreOptions{dir_, ""});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(RawInt("SELECT version FROM schema_version"), sqlite::LatestSqliteSchemaVersion());
  auto doc = (*store)->documents().Put("setting", "district", "\"410103\"", 0);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  auto loaded = (*store)->cases().LoadCase(1);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(*loaded, c);
  auto history = (*store)->cases().LoadHistory(1);
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].hash, EventHash((*history)[0]));
  auto next = (*store)->cases().CreateCase(SimpleCase());
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->created_case.number, "20200412-000002");
}

TEST_F(SqliteStoreTest, MigrationsAreAppliedInOneTransaction) {
  // A migration that fails half-way leaves the database as it was.
  {
    auto conn = sqlite::Connection::Open(db_path(), true, 1000);
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE(sqlite::MigrateSqlite(**conn, 1).ok());
    // Something already occupies the name migration 2 wants.
    ASSERT_TRUE((*conn)->Exec("CREATE TABLE documents (x)").ok());
  }
  auto store = OpenStore(StoreOptions{dir_, ""});
  EXPECT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("schema migration 2"), std::string::npos)
      << store.status().ToString();
  EXPECT_EQ(RawInt("SELECT version FROM schema_version"), 1);
}

TEST_F(SqliteStoreTest, AnUnwritableDataDirIsUnavailable) {
  auto store = OpenStore(StoreOptions{"/proc/citygrid-cannot-be-here", ""});
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable) << store.status().ToString();
}

TEST_F(SqliteStoreTest, OpenStoreRejectsUnknownUrls) {
  EXPECT_EQ(OpenStore(StoreOptions{dir_, "mysql://x"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenStore(StoreOptions{}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace citygrid::storage
