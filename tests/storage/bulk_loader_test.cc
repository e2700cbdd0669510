// The SQLite bulk loader (storage/bulk_loader.h): cases loaded in batches leave the database
// exactly as CreateCase + Append would, row for row, and bad batches write nothing.

#include "citygrid/storage/bulk_loader.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/evaluation/case_generator.h"
#include "citygrid/storage/chain_check.h"
#include "citygrid/storage/sqlite_store.h"
#include "citygrid/storage/store.h"
#include "tests/testing/paths.h"

namespace citygrid::storage {
namespace {

namespace fs = std::filesystem;

// On tmpfs when there is one: these tests commit often; durability is not the point.
struct TempDir : citygrid::testing::ScopedTempDir {
  TempDir() : ScopedTempDir("citygrid-bulk-test", /*prefer_memory=*/true) {}
};

std::shared_ptr<const WorkCalendar> Calendar() {
  static std::shared_ptr<const WorkCalendar> calendar = [] {
    auto hours = OfficeHours::Parse(
        R"({"source": "test", "timetables": [{"name": "all", "from": "01-01",
            "periods": ["09:00-12:00", "13:30-17:30"]}]})",
        "office_hours");
    EXPECT_TRUE(hours.ok()) << hours.status().ToString();
    auto made = WorkCalendar::Make(*hours, {});
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return std::make_shared<const WorkCalendar>(*made);
  }();
  return calendar;
}

// `n` generated histories over `days` days (every 7th with an idempotency key).
std::vector<BulkCase> Generate(int64_t n, int days) {
  bench::Shares shares = bench::LoadShares(/*quiet=*/true);
  const Timestamp start = *ParseIso8601("2026-05-01T00:00:00+08:00");
  bench::Generator gen(shares, {"01010", "01020", "02010", "03030", "05010"}, Calendar(), start,
                       days, n);
  std::vector<BulkCase> out;
  for (int64_t i = 0; i < n; ++i) {
    bench::Generated g = gen.Make(static_cast<uint64_t>(i));
    BulkCase c;
    c.new_case = std::move(g.created);
    if (i % 7 == 3) {
      c.new_case.idempotency_key = "key-" + std::to_string(i);
      c.new_case.request_fingerprint = "fp-" + std::to_string(i);
    }
    c.events = std::move(g.events);
    c.final_case = std::move(g.final_case);
    out.push_back(std::move(c));
  }
  return out;
}

// Writes `cases` one by one through the store, as the services do.
void WriteNormally(Store& store, const std::vector<BulkCase>& cases) {
  for (const BulkCase& c : cases) {
    auto created = store.cases().CreateCase(c.new_case);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    if (c.events.empty()) continue;
    auto appended = store.cases().Append(created->created_case.id, 1, c.events, c.final_case);
    ASSERT_TRUE(appended.ok()) << appended.status().ToString();
  }
}

// Every row of `table` (all columns, as text/blob bytes) in `order`.
std::vector<std::vector<std::string>> Dump(const std::string& dir, const std::string& table,
                                           const std::string& order) {
  sqlite3* db = nullptr;
  std::vector<std::vector<std::string>> rows;
  EXPECT_EQ(sqlite3_open_v2(SqliteDatabasePath(dir).c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  const std::string sql = "SELECT * FROM " + table + " ORDER BY " + order;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
  while (st != nullptr && sqlite3_step(st) == SQLITE_ROW) {
    std::vector<std::string>& row = rows.emplace_back();
    for (int c = 0; c < sqlite3_column_count(st); ++c) {
      const void* p = sqlite3_column_blob(st, c);
      const int bytes = sqlite3_column_bytes(st, c);
      row.push_back(sqlite3_column_type(st, c) == SQLITE_NULL
                        ? std::string("<null>")
                        : std::string(static_cast<const char*>(p), static_cast<size_t>(bytes)));
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
}

Result<std::unique_ptr<Store>> Open(const std::string& dir) {
  SqliteStoreOptions o;
  o.data_dir = dir;
  return OpenSqliteStore(o);
}

std::unique_ptr<CaseBulkLoader> Loader(const std::string& dir) {
  SqliteBulkLoaderOptions o;
  o.data_dir = dir;
  auto loader = OpenSqliteBulkLoader(o);
  EXPECT_TRUE(loader.ok()) << loader.status().ToString();
  return loader.ok() ? std::move(*loader) : nullptr;
}

TEST(SqliteBulkLoaderTest, LoadedCasesEqualCasesWrittenThroughTheStoreRowForRow) {
  TempDir live_dir, bulk_dir;
  ASSERT_FALSE(live_dir.path().empty());
  const std::vector<BulkCase> cases = Generate(700, 30);
  {
    auto live = Open(live_dir.path());
    ASSERT_TRUE(live.ok()) << live.status().ToString();
    WriteNormally(**live, cases);
  }
  auto loader = Loader(bulk_dir.path());
  ASSERT_NE(loader, nullptr);
  int64_t loaded_events = 0;
  for (size_t i = 0; i < cases.size(); i += 250) {  // three batches, the last one short
    std::vector<BulkCase> batch(cases.begin() + static_cast<std::ptrdiff_t>(i),
                                cases.begin() + static_cast<std::ptrdiff_t>(std::min(i + 250, cases.size())));
    auto stats = loader->Load(batch);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    EXPECT_EQ(stats->cases, static_cast<int64_t>(batch.size()));
    loaded_events += stats->events;
    // The loaded cases carry what the store assigned.
    EXPECT_EQ(batch.front().new_case.initial.id, static_cast<int64_t>(i) + 1);
    EXPECT_FALSE(batch.front().new_case.created.hash.empty());
  }
  loader.reset();

  for (const auto& [table, order] : std::vector<std::pair<std::string, std::string>>{
           {"cases", "id"}, {"events", "global_seq"}, {"case_number_days", "day"},
           {"idempotency_keys", "key"}}) {
    auto a = Dump(live_dir.path(), table, order);
    auto b = Dump(bulk_dir.path(), table, order);
    EXPECT_FALSE(a.empty()) << table;
    ASSERT_EQ(a.size(), b.size()) << table;
    for (size_t r = 0; r < a.size(); ++r) ASSERT_EQ(a[r], b[r]) << table << " row " << r;
  }

  // The same through the Store: queries, histories, the chain check.
  auto live = Open(live_dir.path());
  auto bulk = Open(bulk_dir.path());
  ASSERT_TRUE(live.ok() && bulk.ok());
  EXPECT_EQ(*(*bulk)->cases().LastGlobalSeq(), loaded_events);
  EXPECT_EQ(*(*live)->cases().LastGlobalSeq(), *(*bulk)->cases().LastGlobalSeq());
  std::vector<CaseQuery> queries(4);
  queries[0].states = {CaseState::kClosed};
  queries[1].grid = cases[5].new_case.initial.location.grid_code;
  queries[2].created_from = *ParseIso8601("2026-05-10T00:00:00+08:00");
  queries[2].created_to = *ParseIso8601("2026-05-12T00:00:00+08:00");
  queries[2].sort = CaseSort::kCreatedAsc;
  queries[3].sort = CaseSort::kDeadlineAsc;
  for (CaseQuery& q : queries) {
    q.limit = 1000;
    auto a = (*live)->cases().QueryCases(q);
    auto b = (*bulk)->cases().QueryCases(q);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_FALSE(a->cases.empty());
    EXPECT_EQ(a->cases, b->cases);
    EXPECT_EQ(*(*live)->cases().CountCases(q), *(*bulk)->cases().CountCases(q));
  }
  for (int64_t id : {int64_t{1}, int64_t{350}, int64_t{700}}) {
    EXPECT_EQ(*(*live)->cases().LoadHistory(id), *(*bulk)->cases().LoadHistory(id));
    EXPECT_EQ(*(*live)->cases().LoadCase(id), *(*bulk)->cases().LoadCase(id));
  }
  auto a = VerifyStoreChains((*live)->cases());
  auto b = VerifyStoreChains((*bulk)->cases());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(b->ok());
  EXPECT_EQ(b->cases, 700);
  EXPECT_EQ(b->events, loaded_events);
  EXPECT_EQ(a->events, b->events);
}

TEST(SqliteBulkLoaderTest, InterleavesWithLiveWritesOnTheSameDatabase) {
  TempDir dir;
  auto store = Open(dir.path());
  ASSERT_TRUE(store.ok());
  std::vector<BulkCase> cases = Generate(30, 2);
  std::vector<BulkCase> first(cases.begin(), cases.begin() + 5);
  std::vector<BulkCase> middle(cases.begin() + 5, cases.begin() + 25);
  std::vector<BulkCase> last(cases.begin() + 25, cases.end());
  WriteNormally(**store, first);
  auto loader = Loader(dir.path());
  ASSERT_NE(loader, nullptr);
  ASSERT_TRUE(loader->Load(middle).ok());
  EXPECT_EQ(middle.front().new_case.initial.id, 6);
  WriteNormally(**store, last);
  // Ids, numbers and sequence numbers run on without gaps; every chain verifies.
  CaseQuery all;
  all.sort = CaseSort::kCreatedAsc;
  all.limit = 1000;
  auto page = (*store)->cases().QueryCases(all);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->cases.size(), 30u);
  std::map<std::string, std::vector<int>> numbers;  // per day: the sequence numbers given
  for (const Case& c : page->cases) {
    numbers[c.number.substr(0, 8)].push_back(std::stoi(c.number.substr(9)));
  }
  for (auto& [day, seqs] : numbers) {
    std::sort(seqs.begin(), seqs.end());
    for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], static_cast<int>(i) + 1) << day;
  }
  std::vector<int64_t> ids;
  for (const Case& c : page->cases) ids.push_back(c.id);
  std::sort(ids.begin(), ids.end());
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i], static_cast<int64_t>(i) + 1);
  auto events = (*store)->cases().EventsAfter(0, 10000);
  ASSERT_TRUE(events.ok());
  for (size_t i = 0; i < events->size(); ++i) EXPECT_EQ((*events)[i].global_seq, static_cast<int64_t>(i) + 1);
  auto report = VerifyStoreChains((*store)->cases());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->cases, 30);
}

TEST(SqliteBulkLoaderTest, BadBatchesAreRejectedAndWriteNothing) {
  TempDir dir;
  auto store = Open(dir.path());
  ASSERT_TRUE(store.ok());
  std::vector<BulkCase> existing = Generate(4, 1);
  existing[0].new_case.idempotency_key = "used-key";
  WriteNormally(**store, existing);
  const int64_t seq_before = *(*store)->cases().LastGlobalSeq();
  auto loader = Loader(dir.path());
  ASSERT_NE(loader, nullptr);

  struct Bad {
    const char* name;
    void (*spoil)(std::vector<BulkCase>&);
    StatusCode code;
    const char* message;
  };
  const Bad bad[] = {
      {"first event not created",
       [](std::vector<BulkCase>& b) { b[2].new_case.created.type = EventType::kAction; },
       StatusCode::kInvalidArgument, "bulk case 2: the first event of a case must be 'created'"},
      {"final version off",
       [](std::vector<BulkCase>& b) {
         for (BulkCase& c : b) {
           if (!c.events.empty()) {
             c.final_case.version += 1;
             return;
           }
         }
       },
       StatusCode::kInvalidArgument, "final_case.version is"},
      {"idempotency key already used",
       [](std::vector<BulkCase>& b) { b.back().new_case.idempotency_key = "used-key"; },
       StatusCode::kAlreadyExists, "idempotency key 'used-key' was already used"},
  };
  for (const Bad& t : bad) {
    std::vector<BulkCase> batch = Generate(6, 1);
    for (BulkCase& c : batch) c.new_case.idempotency_key.clear();  // none collide but the spoiled
    t.spoil(batch);
    auto stats = loader->Load(batch);
    ASSERT_FALSE(stats.ok()) << t.name;
    EXPECT_EQ(stats.status().code(), t.code) << t.name;
    EXPECT_NE(stats.status().message().find(t.message), std::string::npos)
        << t.name << ": " << stats.status().ToString();
    EXPECT_EQ(*(*store)->cases().LastGlobalSeq(), seq_before) << t.name;
    EXPECT_EQ(*(*store)->cases().CountCases(CaseQuery{}), 4) << t.name;
  }
  // The loader still works after a failed batch, and continues the numbering.
  std::vector<BulkCase> good = Generate(3, 1);
  ASSERT_TRUE(loader->Load(good).ok());
  EXPECT_EQ(good.front().new_case.initial.id, 5);
  EXPECT_EQ(good.front().new_case.created.global_seq, seq_before + 1);
}

TEST(SqliteBulkLoaderTest, OpenRejectsBadOptions) {
  SqliteBulkLoaderOptions o;
  auto none = OpenSqliteBulkLoader(o);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kInvalidArgument);
  TempDir dir;
  o.data_dir = dir.path();
  o.cache_mb = 0;
  auto zero = OpenSqliteBulkLoader(o);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(zero.status().message().find("cache_mb"), std::string::npos);
  EXPECT_FALSE(fs::exists(SqliteDatabasePath(dir.path())));
}

}  // namespace
}  // namespace citygrid::storage
