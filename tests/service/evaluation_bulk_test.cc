// The evaluation engine over bulk-loaded cases (storage/bulk_loader.h) equals the engine over
// the same cases written through CreateCase + Append, and its p90 handling time is the bucket
// of the exact p90 computed from the generated instants.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/evaluation/case_generator.h"
#include "citygrid/domain/indicator.h"
#include "citygrid/service/evaluation_engine.h"
#include "citygrid/service/reference_data.h"
#include "citygrid/storage/bulk_loader.h"
#include "citygrid/storage/sqlite_store.h"
#include "tests/service/service_test_env.h"
#include "tests/testing/paths.h"

namespace citygrid::service {
namespace {

namespace fs = std::filesystem;

// On tmpfs when there is one: these tests commit often; durability is not the point.
struct TempDir : citygrid::testing::ScopedTempDir {
  TempDir() : ScopedTempDir("citygrid-evalbulk", /*prefer_memory=*/true) {}
};

Result<std::unique_ptr<storage::Store>> Open(const std::string& dir) {
  storage::SqliteStoreOptions o;
  o.data_dir = dir;
  return storage::OpenSqliteStore(o);
}

constexpr int kDays = 45;
constexpr int64_t kCases = 2500;

class EvaluationBulkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(live_dir_.path().empty());
    live_ = *Open(live_dir_.path());
    auto reference = ReferenceDataService::Open(live_->documents(), testing::RepoDataDir());
    ASSERT_TRUE(reference.ok()) << reference.status().ToString();
    std::shared_ptr<const ReferenceData> data = (*reference)->Get();
    calendar_ = data->calendar;
    std::vector<std::string> categories;
    for (const auto& c : data->categories->categories()) categories.push_back(c.code);
    bench::Shares shares = bench::LoadShares(/*quiet=*/true);
    bench::Generator gen(shares, categories, calendar_, Start(), kDays, kCases);
    for (int64_t i = 0; i < kCases; ++i) generated_.push_back(gen.Make(static_cast<uint64_t>(i)));
  }

  static Timestamp Start() { return *ParseIso8601("2026-04-01T00:00:00+08:00"); }

  EvaluationEngine::CalendarSource Calendar() const {
    auto calendar = calendar_;
    return [calendar] { return calendar; };
  }

  TempDir live_dir_, bulk_dir_;
  std::unique_ptr<storage::Store> live_;
  std::shared_ptr<const WorkCalendar> calendar_;
  std::vector<bench::Generated> generated_;
};

TEST_F(EvaluationBulkTest, EngineOverBulkLoadedCasesEqualsEngineOverCasesWrittenOneByOne) {
  for (const bench::Generated& g : generated_) {
    auto created = live_->cases().CreateCase(g.created);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    if (g.events.empty()) continue;
    ASSERT_TRUE(live_->cases().Append(created->created_case.id, 1, g.events, g.final_case).ok());
  }
  {
    storage::SqliteBulkLoaderOptions o;
    o.data_dir = bulk_dir_.path();
    auto loader = storage::OpenSqliteBulkLoader(o);
    ASSERT_TRUE(loader.ok()) << loader.status().ToString();
    std::vector<storage::BulkCase> batch;
    for (size_t i = 0; i < generated_.size(); ++i) {
      batch.push_back({generated_[i].created, generated_[i].events, generated_[i].final_case});
      if (batch.size() == 1000 || i + 1 == generated_.size()) {
        ASSERT_TRUE((*loader)->Load(batch).ok());
        batch.clear();
      }
    }
  }
  auto bulk = Open(bulk_dir_.path());
  ASSERT_TRUE(bulk.ok());
  EvaluationEngine live_engine(live_->cases(), Calendar());
  EvaluationEngine bulk_engine((*bulk)->cases(), Calendar());
  ASSERT_TRUE(live_engine.Rebuild().ok());
  ASSERT_TRUE(bulk_engine.Rebuild().ok());
  EXPECT_EQ(live_engine.position(), bulk_engine.position());
  EXPECT_EQ(live_engine.memory().cases, kCases);
  EXPECT_EQ(bulk_engine.memory().cases, kCases);
  const int32_t first = CivilDay(Start());
  const int32_t last = first + kDays - 1;
  const std::pair<int32_t, int32_t> windows[] = {
      {last, last}, {last - 6, last}, {first + 10, first + 16}, {first, last}, {first - 30, last + 30}};
  for (int d = 0; d < kDimensionCount; ++d) {
    for (const auto& [from, to] : windows) {
      auto a = live_engine.Query(static_cast<Dimension>(d), from, to);
      auto b = bulk_engine.Query(static_cast<Dimension>(d), from, to);
      ASSERT_TRUE(a.ok() && b.ok());
      EXPECT_FALSE(a->empty()) << Name(static_cast<Dimension>(d)) << " " << from;
      EXPECT_EQ(*a, *b) << Name(static_cast<Dimension>(d)) << " " << from << ".." << to;
    }
  }
  EXPECT_EQ(*live_engine.OverdueByUnit(), *bulk_engine.OverdueByUnit());
}

// The engine's p90 (a histogram) against the exact p90 of the handled cases due in the window,
// computed here from the generator's own instants (what the benchmark's SQL peer reads).
TEST_F(EvaluationBulkTest, P90HandlingTimeIsTheBucketOfTheExactP90) {
  storage::SqliteBulkLoaderOptions o;
  o.data_dir = bulk_dir_.path();
  {
    auto loader = storage::OpenSqliteBulkLoader(o);
    ASSERT_TRUE(loader.ok());
    std::vector<storage::BulkCase> batch;
    for (const bench::Generated& g : generated_) batch.push_back({g.created, g.events, g.final_case});
    ASSERT_TRUE((*loader)->Load(batch).ok());
  }
  auto bulk = Open(bulk_dir_.path());
  ASSERT_TRUE(bulk.ok());
  EvaluationEngine engine((*bulk)->cases(), Calendar());
  ASSERT_TRUE(engine.Rebuild().ok());
  const int32_t first = CivilDay(Start());
  auto day = [](int64_t ms) { return CivilDay(FromUnixMillis(ms)); };
  for (const auto& [from, to] : {std::pair{first, first + kDays - 1}, std::pair{first + 7, first + 13}}) {
    std::map<std::string, std::vector<int64_t>> minutes;  // by unit
    for (const bench::Generated& g : generated_) {
      const bench::Raw& r = g.raw;
      const CaseState s = g.final_case.state;
      if (!r.first_dispatch || !r.handle_deadline || s == CaseState::kCancelled ||
          s == CaseState::kMerged || s == CaseState::kSuspended) {
        continue;
      }
      const bool handled_now = r.handled && (s == CaseState::kChecking || s == CaseState::kChecked ||
                                             s == CaseState::kClosed);
      if (!handled_now) continue;
      const int64_t due = *r.handled <= *r.handle_deadline ? *r.handled : *r.handle_deadline;
      if (day(due) < from || day(due) > to) continue;
      minutes[r.unit].push_back(r.handle_minutes);
    }
    ASSERT_GT(minutes.size(), 5u);
    auto rows = engine.Query(Dimension::kUnit, from, to);
    ASSERT_TRUE(rows.ok());
    int checked = 0;
    for (const GroupCounts& g : *rows) {
      auto it = minutes.find(g.key);
      std::optional<double> p90 = HandleTimePercentile(g.counts.handle_time, 90);
      if (it == minutes.end()) {
        EXPECT_FALSE(p90.has_value()) << g.key;
        continue;
      }
      std::vector<int64_t>& v = it->second;
      std::sort(v.begin(), v.end());
      const size_t rank = (9 * v.size() + 9) / 10;  // ceil(0.9 n)
      const int64_t exact = v[rank - 1];
      ASSERT_TRUE(p90.has_value()) << g.key;
      EXPECT_EQ(*p90, HandleTimeBucketValue(HandleTimeBucket(exact)))
          << "unit " << g.key << ": exact p90 " << exact << " work minutes of " << v.size();
      ++checked;
    }
    EXPECT_EQ(checked, static_cast<int>(minutes.size()));
  }
}

}  // namespace
}  // namespace citygrid::service
