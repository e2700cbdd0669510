// `citygrid backup` and `citygrid restore` against the real binary, on a demo district
// (`citygrid demo --cases 200`) with a few media files:
//
//   - BackupWhileCreatingRestoresTheSnapshot: clients create cases over HTTP while the backup
//     runs; the restore passes `citygrid check`, holds exactly the cases and events of the
//     snapshot (the manifest's last_global_seq), with a sample case's history equal to the
//     source's up to the snapshot, and every media file.
//   - RestoreRefusesNonEmptyTarget: exit 3, the target unchanged.
//   - CorruptBackupIsRefusedAndRestoresNothing (table-driven): a flipped media byte, a truncated
//     database, an edited count, a missing manifest, an extra media file → exit 1 with a message
//     naming the problem, no target and no staging left behind.
//   - RewrittenHistoryInBackupIsRefused: an event rewritten in the backup's database (manifest
//     hash made to match) fails the audit-chain check; nothing restored.
//   - SqliteToPostgresAndBack: SQLite backup → PostgreSQL restore → PostgreSQL backup → SQLite
//     restore; every step checks and keeps the events; a second restore into the now non-empty
//     database is refused. Skipped without CITYGRID_TEST_POSTGRES_DSN.

#include <signal.h>
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "citygrid/storage/audit_chain.h"
#include "citygrid/storage/store.h"
#include "src/storage/postgres/pg_admin.h"
#include "tests/testing/http_client.h"
#include "tests/testing/paths.h"
#include "tests/testing/server_process.h"

namespace citygrid::cli {
namespace {

namespace fs = std::filesystem;
namespace bj = boost::json;
using citygrid::testing::HttpClient;
using citygrid::testing::HttpHeaderList;
using citygrid::testing::HttpResponse;
using citygrid::testing::RunProcess;
using citygrid::testing::ServerProcess;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::unique_ptr<storage::Store> Open(const std::string& data_dir, const std::string& db = "") {
  storage::StoreOptions o;
  o.data_dir = data_dir;
  o.db_url = db;
  auto store = storage::OpenStore(o);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(*store) : nullptr;
}

// Every event of the store in commit order, as (case id, version, hash) lines.
std::vector<std::string> EventLog(storage::Store& store, int64_t up_to_seq = INT64_MAX) {
  std::vector<std::string> out;
  int64_t after = 0;
  while (true) {
    auto page = store.cases().EventsAfter(after, 1000);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok() || page->empty()) break;
    for (const CaseEvent& e : *page) {
      if (e.global_seq > up_to_seq) return out;
      out.push_back(std::to_string(e.case_id) + "/" + std::to_string(e.version) + " " + e.hash);
      after = e.global_seq;
    }
  }
  return out;
}

bj::object Manifest(const fs::path& backup) {
  return bj::parse(ReadFile(backup / "manifest.json")).as_object();
}

class BackupRestoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(citygrid::testing::MakeTempDir("citygrid-cli-backup"));
    source_ = new std::string(*dir_ + "/source");
    ServerProcess demo(CITYGRID_BINARY, {"demo", "--data", *source_, "--cases", "200", "--listen",
                                         "127.0.0.1:0", "--access-log", "off"});
    if (!demo.WaitForListening()) {
      setup_error_ = new std::string("citygrid demo did not start: " + demo.Output());
      return;
    }
    demo.Signal(SIGTERM);
    demo.Wait();
    // A few photos, as the API stores them.
    auto store = Open(*source_);
    if (store == nullptr) return;
    for (int i = 0; i < 3; ++i) {
      auto hash = store->media().Put("photo bytes " + std::to_string(i) + std::string(1000, 'x'));
      if (!hash.ok()) setup_error_ = new std::string(hash.status().ToString());
    }
  }

  static void TearDownTestSuite() {
    std::error_code ec;
    if (dir_ != nullptr) fs::remove_all(*dir_, ec);
    delete dir_;
    delete source_;
    delete setup_error_;
    dir_ = source_ = setup_error_ = nullptr;
  }

  void SetUp() override { ASSERT_EQ(setup_error_, nullptr) << *setup_error_; }

  static std::string Fresh(const std::string& name) {
    static int n = 0;
    return *dir_ + "/" + name + "-" + std::to_string(++n);
  }

  // A backup of the (idle) source, made once and shared.
  static const std::string& CleanBackup() {
    static std::string path;
    if (path.empty()) {
      path = Fresh("clean-backup");
      std::string out;
      EXPECT_EQ(RunProcess(CITYGRID_BINARY, {"backup", "--data", *source_, "--out", path}, &out),
                0)
          << out;
    }
    return path;
  }

  static std::string* dir_;
  static std::string* source_;
  static std::string* setup_error_;
};

std::string* BackupRestoreTest::dir_ = nullptr;
std::string* BackupRestoreTest::source_ = nullptr;
std::string* BackupRestoreTest::setup_error_ = nullptr;

TEST_F(BackupRestoreTest, BackupWhileCreatingRestoresTheSnapshot) {
  // A location and category that take a case: those of a demo case.
  Case sample;
  {
    auto store = Open(*source_);
    ASSERT_NE(store, nullptr);
    storage::CaseQuery q;
    q.limit = 1;
    auto page = store->cases().QueryCases(q);
    ASSERT_TRUE(page.ok() && !page->cases.empty());
    sample = page->cases[0];
  }
  ServerProcess server(CITYGRID_BINARY, {"serve", "--data", *source_, "--listen", "127.0.0.1:0",
                                         "--access-log", "off"});
  ASSERT_TRUE(server.WaitForListening()) << server.Output();
  std::string password;
  {
    std::ifstream users(*source_ + "/demo-users.txt");
    std::string line;
    while (std::getline(users, line)) {
      if (line.starts_with("inspector\t")) {
        std::vector<std::string> f;
        std::stringstream s(line);
        std::string x;
        while (std::getline(s, x, '\t')) f.push_back(x);
        if (f.size() >= 4) password = f[3];
      }
    }
  }
  ASSERT_FALSE(password.empty());
  HttpClient login("127.0.0.1", server.port());
  HttpResponse r = login.Post("/api/v1/auth/login",
                              R"({"username":"inspector","password":")" + password + "\"}");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string token(bj::parse(r.body).at("token").as_string());

  std::atomic<bool> stop{false};
  std::atomic<int> created{0};
  std::thread writer([&] {
    HttpClient c("127.0.0.1", server.port(), std::chrono::seconds(30));
    char body[512];
    for (int n = 0; !stop.load(); ++n) {
      std::snprintf(body, sizeof body,
                    R"({"channel":"inspector","category":"%s","description":"backup load %d",)"
                    R"("lon":%.6f,"lat":%.6f})",
                    sample.category.c_str(), n, sample.location.lon, sample.location.lat);
      HttpHeaderList h = {{"Authorization", "Bearer " + token},
                          {"Idempotency-Key", "backup-load-" + std::to_string(n)}};
      HttpResponse resp = c.Post("/api/v1/cases", body, h);
      if (resp.status == 201) ++created;
      if (resp.status == 0) return;
    }
  });
  while (created.load() < 20) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const std::string backup = Fresh("live-backup");
  std::string out;
  int code = RunProcess(CITYGRID_BINARY, {"backup", "--data", *source_, "--out", backup}, &out);
  const int created_at_backup_end = created.load();
  while (created.load() < created_at_backup_end + 20) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop = true;
  writer.join();
  server.Signal(SIGTERM);
  server.Wait();
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("citygrid backup: wrote"), std::string::npos) << out;
  EXPECT_NE(out.find("media: 3 files"), std::string::npos) << out;

  const std::string target = Fresh("restored");
  code = RunProcess(CITYGRID_BINARY, {"restore", "--from", backup, "--data", target}, &out);
  ASSERT_EQ(code, 0) << out;
  code = RunProcess(CITYGRID_BINARY, {"check", "--data", target}, &out);
  ASSERT_EQ(code, 0) << out;

  const bj::object manifest = Manifest(backup);
  const int64_t snapshot_seq = manifest.at("last_global_seq").to_number<int64_t>();
  auto source = Open(*source_);
  auto restored = Open(target);
  ASSERT_NE(source, nullptr);
  ASSERT_NE(restored, nullptr);
  // The restore is the source as of one commit: exactly its events up to the snapshot, while
  // the source went on past it.
  std::vector<std::string> source_log = EventLog(*source);
  std::vector<std::string> snapshot_log = EventLog(*source, snapshot_seq);
  EXPECT_GT(source_log.size(), snapshot_log.size());
  EXPECT_EQ(EventLog(*restored), snapshot_log);
  auto restored_count = restored->cases().CountCases({});
  ASSERT_TRUE(restored_count.ok());
  EXPECT_EQ(*restored_count, manifest.at("tables").at("cases").to_number<int64_t>());
  EXPECT_GE(*restored_count, 200 + 20);
  auto source_count = source->cases().CountCases({});
  ASSERT_TRUE(source_count.ok());
  EXPECT_GT(*source_count, *restored_count);

  auto a = source->cases().LoadHistory(sample.id);
  auto b = restored->cases().LoadHistory(sample.id);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_GE(a->size(), b->size());
  ASSERT_FALSE(b->empty());
  for (size_t i = 0; i < b->size(); ++i) {
    EXPECT_EQ((*a)[i].hash, (*b)[i].hash);
    EXPECT_EQ((*a)[i].note, (*b)[i].note);
    EXPECT_EQ((*a)[i].global_seq, (*b)[i].global_seq);
  }
  for (const auto& e : manifest.at("media").as_array()) {
    const std::string file(e.at("file").as_string());
    EXPECT_EQ(ReadFile(fs::path(target) / file), ReadFile(fs::path(*source_) / file)) << file;
  }
  // Users and reference data came along: the restored directory serves a login.
  EXPECT_EQ(restored->documents().List("user")->size(), source->documents().List("user")->size());
}

TEST_F(BackupRestoreTest, RestoreRefusesNonEmptyTarget) {
  const std::string backup = CleanBackup();
  const std::string target = Fresh("occupied");
  fs::create_directories(target);
  WriteFile(fs::path(target) / "keep.txt", "mine");
  std::string out;
  EXPECT_EQ(RunProcess(CITYGRID_BINARY, {"restore", "--from", backup, "--data", target}, &out), 3);
  EXPECT_NE(out.find("is not empty"), std::string::npos) << out;
  std::vector<std::string> entries;
  for (const auto& e : fs::directory_iterator(target)) entries.push_back(e.path().filename());
  EXPECT_EQ(entries, std::vector<std::string>{"keep.txt"});
  EXPECT_EQ(ReadFile(fs::path(target) / "keep.txt"), "mine");

  // A live data directory is never overwritten either.
  const auto before = fs::last_write_time(fs::path(*source_) / "citygrid.db");
  EXPECT_EQ(RunProcess(CITYGRID_BINARY, {"restore", "--from", backup, "--data", *source_}, &out),
            3);
  EXPECT_EQ(fs::last_write_time(fs::path(*source_) / "citygrid.db"), before);
}

struct Corruption {
  const char* name;
  std::function<void(const fs::path& backup)> apply;
  std::string message;  // a part of what restore must print
};

TEST_F(BackupRestoreTest, CorruptBackupIsRefusedAndRestoresNothing) {
  const fs::path clean = CleanBackup();
  const bj::object manifest = Manifest(clean);
  const std::string media_file(manifest.at("media").at(0).at("file").as_string());
  const int64_t cases = manifest.at("tables").at("cases").to_number<int64_t>();
  const std::vector<Corruption> corruptions = {
      {"flipped media byte",
       [&](const fs::path& b) {
         std::string bytes = ReadFile(b / media_file);
         bytes[bytes.size() / 2] ^= 0x01;
         WriteFile(b / media_file, bytes);
       },
       "(the file was changed)"},
      {"truncated database",
       [](const fs::path& b) {
         fs::resize_file(b / "citygrid.db", fs::file_size(b / "citygrid.db") / 2);
       },
       "(truncated)"},
      {"edited count",
       [&](const fs::path& b) {
         bj::object m = Manifest(b);
         m["tables"].as_object()["cases"] = cases + 1;
         WriteFile(b / "manifest.json", bj::serialize(m));
       },
       "table 'cases' holds " + std::to_string(cases) +
           " rows in the backup database; the manifest says " + std::to_string(cases + 1)},
      {"missing manifest", [](const fs::path& b) { fs::remove(b / "manifest.json"); },
       "manifest.json is missing"},
      {"unlisted media file",
       [](const fs::path& b) {
         fs::create_directories(b / "media" / "ff");
         WriteFile(b / "media" / "ff" / std::string(62, 'f'), "stray");
       },
       "is not in the manifest"},
      {"removed media file", [&](const fs::path& b) { fs::remove(b / media_file); },
       "is missing (listed in the manifest)"},
  };
  for (const Corruption& c : corruptions) {
    SCOPED_TRACE(c.name);
    const fs::path backup = Fresh("corrupt");
    fs::copy(clean, backup, fs::copy_options::recursive);
    c.apply(backup);
    const fs::path parent = Fresh("target-parent");
    fs::create_directories(parent);
    const fs::path target = parent / "data";
    std::string out;
    EXPECT_EQ(RunProcess(CITYGRID_BINARY,
                         {"restore", "--from", backup.string(), "--data", target.string()}, &out),
              1);
    EXPECT_NE(out.find(c.message), std::string::npos) << out;
    EXPECT_NE(out.find("nothing"), std::string::npos) << out;
    EXPECT_FALSE(fs::exists(target));
    EXPECT_TRUE(fs::is_empty(parent)) << "staging left behind in " << parent;
  }
}

// A backup whose files all match the manifest but whose history was rewritten (an event's
// note changed, the manifest's database hash recomputed to match) fails the chain check.
TEST_F(BackupRestoreTest, RewrittenHistoryInBackupIsRefused) {
  const fs::path backup = Fresh("rewritten");
  fs::copy(CleanBackup(), backup, fs::copy_options::recursive);
  const fs::path db_path = backup / "citygrid.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  ASSERT_EQ(sqlite3_exec(db, "UPDATE events SET note = 'rewritten' WHERE global_seq = 7", nullptr,
                         nullptr, &error),
            SQLITE_OK)
      << (error ? error : "");
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_close(db);
  bj::object m = Manifest(backup);
  const std::string bytes = ReadFile(db_path);
  m["database"].as_object()["bytes"] = static_cast<int64_t>(bytes.size());
  m["database"].as_object()["sha256"] = storage::Sha256Hex(bytes);
  WriteFile(backup / "manifest.json", bj::serialize(m));

  const fs::path parent = Fresh("rewritten-target");
  fs::create_directories(parent);
  std::string out;
  EXPECT_EQ(RunProcess(CITYGRID_BINARY, {"restore", "--from", backup.string(), "--data",
                                         (parent / "data").string()},
                       &out),
            1);
  EXPECT_NE(out.find("audit chains are broken"), std::string::npos) << out;
  EXPECT_NE(out.find("nothing was restored"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(parent / "data"));
  EXPECT_TRUE(fs::is_empty(parent));
}

TEST_F(BackupRestoreTest, BackupRefusesExistingOutputAndMissingSource) {
  std::string out;
  EXPECT_EQ(RunProcess(CITYGRID_BINARY, {"backup", "--data", *source_, "--out", *source_}, &out),
            1);
  EXPECT_NE(out.find("already exists"), std::string::npos) << out;
  const std::string empty = Fresh("no-db");
  fs::create_directories(empty);
  const std::string backup = Fresh("never");
  EXPECT_EQ(RunProcess(CITYGRID_BINARY, {"backup", "--data", empty, "--out", backup}, &out), 1);
  EXPECT_NE(out.find("no citygrid database"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(backup));
  EXPECT_EQ(RunProcess(CITYGRID_BINARY, {"backup", "--data", empty}, &out), 2);
}

TEST_F(BackupRestoreTest, SqliteToPostgresAndBack) {
  const char* env = std::getenv("CITYGRID_TEST_POSTGRES_DSN");
  if (env == nullptr || *env == '\0') {
    GTEST_SKIP() << "CITYGRID_TEST_POSTGRES_DSN is not set (scripts/test sets it)";
  }
  const std::string admin = env;
  auto name = storage::postgres::CreateScratchDatabase(admin, "citygrid_cli_");
  ASSERT_TRUE(name.ok()) << name.status().ToString();
  struct Drop {
    std::string admin, name;
    ~Drop() { (void)storage::postgres::DropDatabase(admin, name); }
  } drop{admin, *name};
  const std::string dsn = storage::postgres::DsnWithDatabase(admin, *name);

  const std::string backup = CleanBackup();
  const std::string pg_media = Fresh("pg-media");
  std::string out;
  ASSERT_EQ(RunProcess(CITYGRID_BINARY,
                       {"restore", "--from", backup, "--db", dsn, "--data", pg_media}, &out),
            0)
      << out;
  ASSERT_EQ(RunProcess(CITYGRID_BINARY, {"check", "--db", dsn, "--data", pg_media}, &out), 0)
      << out;
  auto source = Open(*source_);
  auto pg = Open(pg_media, dsn);
  ASSERT_NE(pg, nullptr);
  const std::vector<std::string> log = EventLog(*source);
  EXPECT_EQ(EventLog(*pg), log);
  // The restored PostgreSQL database goes on numbering after the restored rows.
  EXPECT_EQ(*pg->cases().LastGlobalSeq(), *source->cases().LastGlobalSeq());

  // A second restore into the now non-empty database is refused and changes nothing.
  EXPECT_EQ(RunProcess(CITYGRID_BINARY,
                       {"restore", "--from", backup, "--db", dsn, "--data", Fresh("pg-media")},
                       &out),
            3);
  EXPECT_NE(out.find("not empty"), std::string::npos) << out;
  EXPECT_EQ(EventLog(*pg), log);

  // And back: PostgreSQL backup → SQLite restore.
  const std::string pg_backup = Fresh("pg-backup");
  ASSERT_EQ(RunProcess(CITYGRID_BINARY,
                       {"backup", "--db", dsn, "--data", pg_media, "--out", pg_backup}, &out),
            0)
      << out;
  EXPECT_NE(out.find("(postgres, schema"), std::string::npos) << out;
  EXPECT_NE(out.find("media: 3 files"), std::string::npos) << out;
  const std::string back = Fresh("back-in-sqlite");
  ASSERT_EQ(RunProcess(CITYGRID_BINARY, {"restore", "--from", pg_backup, "--data", back}, &out), 0)
      << out;
  ASSERT_EQ(RunProcess(CITYGRID_BINARY, {"check", "--data", back}, &out), 0) << out;
  auto sqlite_again = Open(back);
  ASSERT_NE(sqlite_again, nullptr);
  EXPECT_EQ(EventLog(*sqlite_again), log);
  storage::CaseQuery any;
  any.limit = 1;
  auto first = source->cases().QueryCases(any);
  ASSERT_TRUE(first.ok() && !first->cases.empty());
  auto again = sqlite_again->cases().LoadCase(first->cases[0].id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->number, first->cases[0].number);
  EXPECT_EQ(again->version, first->cases[0].version);
  EXPECT_EQ(again->location.lon, first->cases[0].location.lon);
}

}  // namespace
}  // namespace citygrid::cli
