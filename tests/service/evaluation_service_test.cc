// EvaluationService::Evaluate over generated cases (bench/evaluation/case_generator.h, 14
// sub-districts × 7 communities × 50 grids): every row equals a direct computation from the
// engine's window sums (rates, composite score, rank, 环比 and 同比 scores, totals), for every
// grouping and several windows and weights; a handler's rows equal the leader's rows of its
// unit. And the engine followed case by case (query-form sums) equals the engine rebuilt from
// the log (daily sums, sealed once).

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/evaluation/case_generator.h"
#include "citygrid/common/clock.h"
#include "citygrid/domain/indicator.h"
#include "citygrid/service/evaluation_engine.h"
#include "citygrid/service/evaluation_service.h"
#include "citygrid/service/reference_data.h"
#include "citygrid/storage/bulk_loader.h"
#include "citygrid/storage/sqlite_store.h"
#include "tests/testing/paths.h"

namespace citygrid::service {
namespace {

std::string RepoDataDir() { return citygrid::testing::SourceDir() + "/data"; }

constexpr int kDays = 420;  // over a year: the 同比 windows have data
constexpr int64_t kCases = 6000;

Timestamp Start() { return *ParseIso8601("2025-05-01T00:00:00+08:00"); }

// The expected table, computed directly from the three windows' engine sums.
struct ExpectedRow {
  std::string key;
  IndicatorCounts counts;
  std::optional<double> score, previous, last_year;
  int rank = 0;
};

std::optional<double> DirectScore(const IndicatorCounts& c, int64_t max_registered,
                                  const EvaluationWeights& weights) {
  double sum = 0, weight = 0;
  for (const auto& [name, w] : weights.weights) {
    if (w <= 0) continue;
    std::optional<double> component;
    if (name == kRegisteredShare) {
      if (max_registered > 0) {
        component = 100.0 * static_cast<double>(c[Metric::kRegistered]) /
                    static_cast<double>(max_registered);
      }
    } else {
      const RateDefinition& d = Definition(*ParseRate(name));
      std::optional<double> v = RatePercent(c[d.numerator], c[d.denominator]);
      if (v) component = d.higher_is_better ? *v : 100.0 - *v;
    }
    if (!component) continue;
    sum += w * *component;
    weight += w;
  }
  if (weight <= 0) return std::nullopt;
  return sum / weight;
}

std::map<std::string, std::optional<double>> DirectScores(const std::vector<GroupCounts>& rows,
                                                          const EvaluationWeights& weights) {
  int64_t max_registered = 0;
  for (const GroupCounts& g : rows) max_registered = std::max(max_registered, g.counts[Metric::kRegistered]);
  std::map<std::string, std::optional<double>> out;
  for (const GroupCounts& g : rows) out[g.key] = DirectScore(g.counts, max_registered, weights);
  return out;
}

std::vector<ExpectedRow> Expected(EvaluationEngine& engine, Dimension d, int32_t from, int32_t to,
                                  int32_t ly_from, int32_t ly_to,
                                  const EvaluationWeights& weights) {
  const int32_t length = to - from + 1;
  std::vector<GroupCounts> now = *engine.Query(d, from, to);
  auto previous = DirectScores(*engine.Query(d, from - length, from - 1), weights);
  auto last_year = DirectScores(*engine.Query(d, ly_from, ly_to), weights);
  auto scores = DirectScores(now, weights);
  std::vector<ExpectedRow> rows;
  for (const GroupCounts& g : now) {
    ExpectedRow r;
    r.key = g.key;
    r.counts = g.counts;
    r.score = scores[g.key];
    if (auto it = previous.find(g.key); it != previous.end()) r.previous = it->second;
    if (auto it = last_year.find(g.key); it != last_year.end()) r.last_year = it->second;
    rows.push_back(r);
  }
  std::sort(rows.begin(), rows.end(), [](const ExpectedRow& a, const ExpectedRow& b) {
    if (a.score.has_value() != b.score.has_value()) return a.score.has_value();
    if (a.score && *a.score != *b.score) return *a.score > *b.score;
    return a.key < b.key;
  });
  for (size_t i = 0; i < rows.size() && rows[i].score; ++i) {
    rows[i].rank = i > 0 && rows[i - 1].score == rows[i].score ? rows[i - 1].rank
                                                                : static_cast<int>(i) + 1;
  }
  return rows;
}

class EvaluationServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    storage::SqliteStoreOptions so;
    so.data_dir = dir_.path();
    auto reference_store = storage::OpenSqliteStore(so);
    ASSERT_TRUE(reference_store.ok());
    auto reference = ReferenceDataService::Open((*reference_store)->documents(),
                                                RepoDataDir());
    ASSERT_TRUE(reference.ok()) << reference.status().ToString();
    calendar_ = (*reference)->Get()->calendar;
    std::vector<std::string> categories;
    for (const auto& c : (*reference)->Get()->categories->categories()) categories.push_back(c.code);
    reference.value().reset();
    reference_store.value().reset();
    const bench::Shares shares = bench::LoadShares(/*quiet=*/true);
    bench::Generator gen(shares, categories, calendar_, Start(), kDays, kCases);
    for (int64_t i = 0; i < kCases; ++i) generated_.push_back(gen.Make(static_cast<uint64_t>(i)));
    {
      storage::SqliteBulkLoaderOptions o;
      o.data_dir = dir_.path();
      auto loader = storage::OpenSqliteBulkLoader(o);
      ASSERT_TRUE(loader.ok()) << loader.status().ToString();
      std::vector<storage::BulkCase> batch;
      for (const bench::Generated& g : generated_) batch.push_back({g.created, g.events, g.final_case});
      ASSERT_TRUE((*loader)->Load(batch).ok());
    }
    auto store = storage::OpenSqliteStore(so);
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    auto ref = ReferenceDataService::Open(store_->documents(), RepoDataDir());
    ASSERT_TRUE(ref.ok());
    reference_ = std::move(*ref);
    auto calendar = calendar_;
    engine_ = std::make_unique<EvaluationEngine>(store_->cases(), [calendar] { return calendar; });
    ASSERT_TRUE(engine_->Rebuild().ok());
    service_ = std::make_unique<EvaluationService>(*engine_, *store_, *reference_, clock_);
  }

  int32_t LastDay() const { return CivilDay(Start()) + kDays - 1; }

  // Checks Evaluate against Expected for every grouping and a few windows ending on the last day.
  void CheckEveryGrouping(const EvaluationWeights& weights) {
    const int32_t last = LastDay();
    for (int32_t length : {1, 7, 30, 365}) {
      const int32_t from = last - length + 1;
      for (int di = 0; di < kDimensionCount; ++di) {
        const Dimension d = static_cast<Dimension>(di);
        SCOPED_TRACE(std::string(Name(d)) + ", " + std::to_string(length) + " days");
        auto report = service_->Evaluate(Actor{"leader", Role::kLeader, ""},
                                         {DateOfCivilDay(from), DateOfCivilDay(last), {d}});
        ASSERT_TRUE(report.ok()) << report.status().ToString();
        ASSERT_EQ(report->tables.size(), 1u);
        const EvaluationTable& t = report->tables[0];
        const std::vector<ExpectedRow> want =
            Expected(*engine_, d, from, last, CivilDay(report->last_year_from),
                     CivilDay(report->last_year_to), weights);
        ASSERT_EQ(t.rows.size(), want.size());
        ASSERT_FALSE(want.empty());
        IndicatorCounts total;
        int scored_previous = 0, scored_last_year = 0;
        for (size_t i = 0; i < want.size(); ++i) {
          const EvaluationRow& r = t.rows[i];
          SCOPED_TRACE("row " + std::to_string(i) + " '" + want[i].key + "'");
          EXPECT_EQ(r.key, want[i].key);
          EXPECT_EQ(r.counts, want[i].counts);
          EXPECT_EQ(r.score, want[i].score);
          EXPECT_EQ(r.rank, want[i].rank);
          EXPECT_EQ(r.previous_score, want[i].previous);
          EXPECT_EQ(r.last_year_score, want[i].last_year);
          if (r.score && r.previous_score) {
            EXPECT_EQ(r.score_change, *r.score - *r.previous_score);
          } else {
            EXPECT_FALSE(r.score_change.has_value());
          }
          if (r.score && r.last_year_score) {
            EXPECT_EQ(r.score_change_yoy, *r.score - *r.last_year_score);
          } else {
            EXPECT_FALSE(r.score_change_yoy.has_value());
          }
          const RateDefinition& close = Definition(Rate::kClose);
          EXPECT_EQ(r.rates[static_cast<int>(Rate::kClose)],
                    RatePercent(r.counts[close.numerator], r.counts[close.denominator]));
          EXPECT_FALSE(r.name.empty());
          scored_previous += r.previous_score.has_value();
          scored_last_year += r.last_year_score.has_value();
          total += r.counts;
        }
        EXPECT_EQ(t.total.counts, total);
        scored_previous_ += scored_previous;
        scored_last_year_ += scored_last_year;
      }
    }
    // The comparisons were exercised (single grid-days are often empty a year before).
    EXPECT_GT(scored_previous_, 100);
    EXPECT_GT(scored_last_year_, 100);
  }

  int scored_previous_ = 0, scored_last_year_ = 0;

  citygrid::testing::ScopedTempDir dir_{"citygrid-evalsvc", /*prefer_memory=*/true};
  std::shared_ptr<const WorkCalendar> calendar_;
  std::vector<bench::Generated> generated_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<ReferenceDataService> reference_;
  std::unique_ptr<EvaluationEngine> engine_;
  FakeClock clock_{*ParseIso8601("2026-07-01T00:00:00+08:00")};
  std::unique_ptr<EvaluationService> service_;
};

TEST_F(EvaluationServiceTest, TablesEqualADirectComputationFromTheWindowSums) {
  CheckEveryGrouping(DefaultEvaluationWeights());
}

TEST_F(EvaluationServiceTest, TablesEqualADirectComputationWithOtherWeights) {
  EvaluationWeights w;
  w.weights = {{"registration_rate", 10},   {"accurate_dispatch_rate", 10},
               {"handle_rate", 10},         {"on_time_handle_rate", 10},
               {"rework_rate", 20},         {"close_rate", 0},
               {"on_time_close_rate", 25},  {"public_report_rate", 5},
               {std::string(kRegisteredShare), 10}};
  auto stored = service_->PutWeights(Actor{"admin", Role::kAdmin, ""}, w);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  CheckEveryGrouping(*stored);
}

TEST_F(EvaluationServiceTest, AHandlersRowsAreTheLeadersRowsOfItsUnit) {
  const int32_t last = LastDay();
  for (Dimension d : {Dimension::kUnit, Dimension::kUnitCategory}) {
    EvaluationRequest request{DateOfCivilDay(last - 29), DateOfCivilDay(last), {d}};
    auto all = service_->Evaluate(Actor{"leader", Role::kLeader, ""}, request);
    ASSERT_TRUE(all.ok());
    // A unit from the middle of the table (key "unit" or "unit|category"; "" = not dispatched).
    std::string unit;
    const std::vector<EvaluationRow>& rows = all->tables[0].rows;
    for (size_t i = rows.size() / 2; i < rows.size() && unit.empty(); ++i) {
      unit = rows[i].key.substr(0, rows[i].key.find('|'));
    }
    ASSERT_FALSE(unit.empty());
    auto own = service_->Evaluate(Actor{"handler", Role::kHandler, unit}, request);
    ASSERT_TRUE(own.ok()) << own.status().ToString();
    std::vector<const EvaluationRow*> want;
    IndicatorCounts total;
    for (const EvaluationRow& r : all->tables[0].rows) {
      if (d == Dimension::kUnit ? r.key == unit : r.key.rfind(unit + "|", 0) == 0) {
        want.push_back(&r);
        total += r.counts;
      }
    }
    ASSERT_FALSE(want.empty());
    ASSERT_EQ(own->tables[0].rows.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      const EvaluationRow& r = own->tables[0].rows[i];
      EXPECT_EQ(r.key, want[i]->key);
      EXPECT_EQ(r.counts, want[i]->counts);
      EXPECT_EQ(r.score, want[i]->score);
      EXPECT_EQ(r.rank, want[i]->rank);  // the rank among every unit, not among its own rows
      EXPECT_EQ(r.previous_score, want[i]->previous_score);
      EXPECT_EQ(r.last_year_score, want[i]->last_year_score);
    }
    EXPECT_EQ(own->tables[0].total.counts, total);
  }
}

TEST_F(EvaluationServiceTest, EngineFollowedCaseByCaseEqualsTheRebuiltEngine) {
  // A second store written case by case (CreateCase + Append), followed after every few cases:
  // every contribution goes through the query-form update; the rebuild seals daily sums once.
  citygrid::testing::ScopedTempDir dir("citygrid-evalsvc-live", /*prefer_memory=*/true);
  storage::SqliteStoreOptions so;
  so.data_dir = dir.path();
  auto live = storage::OpenSqliteStore(so);
  ASSERT_TRUE(live.ok());
  auto calendar = calendar_;
  EvaluationEngine follower((*live)->cases(), [calendar] { return calendar; });
  ASSERT_TRUE(follower.Rebuild().ok());
  // Every third case, to keep the test short; ids and order as written.
  for (size_t i = 0; i < generated_.size(); i += 3) {
    const bench::Generated& g = generated_[i];
    auto created = (*live)->cases().CreateCase(g.created);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    if (!g.events.empty()) {
      ASSERT_TRUE((*live)->cases().Append(created->created_case.id, 1, g.events, g.final_case).ok());
    }
    if (i % 60 == 0) {
      ASSERT_TRUE(follower.PollOnce().ok());
    }
  }
  ASSERT_TRUE(follower.PollOnce().ok());
  EvaluationEngine rebuilt((*live)->cases(), [calendar] { return calendar; });
  ASSERT_TRUE(rebuilt.Rebuild().ok());
  const int32_t first = CivilDay(Start()), last = LastDay();
  for (int di = 0; di < kDimensionCount; ++di) {
    for (const auto& [from, to] : {std::pair{last, last}, std::pair{last - 6, last},
                                   std::pair{first + 31, first + 64}, std::pair{first - 40, last + 40},
                                   std::pair{first + 3, first + 3}}) {
      auto a = follower.Query(static_cast<Dimension>(di), from, to);
      auto b = rebuilt.Query(static_cast<Dimension>(di), from, to);
      ASSERT_TRUE(a.ok() && b.ok());
      EXPECT_FALSE(a->empty());
      EXPECT_EQ(*a, *b) << Name(static_cast<Dimension>(di)) << " " << from << ".." << to;
      // QueryMetrics: the same groups, the same metrics.
      auto m = follower.QueryMetrics(static_cast<Dimension>(di), from, to);
      ASSERT_TRUE(m.ok());
      ASSERT_EQ(m->size(), a->size());
      for (size_t i = 0; i < a->size(); ++i) {
        EXPECT_EQ((*m)[i].key, (*a)[i].key);
        EXPECT_EQ((*m)[i].metrics, (*a)[i].counts.metrics);
      }
    }
  }
}

}  // namespace
}  // namespace citygrid::service
