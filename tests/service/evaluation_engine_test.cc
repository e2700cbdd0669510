#include "citygrid/service/evaluation_engine.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <thread>

#include "citygrid/service/evaluation_service.h"
#include "src/storage/postgres/pg_admin.h"
#include "tests/service/evaluation_test_util.h"
#include "tests/service/service_test_env.h"
#include "tests/testing/paths.h"

namespace citygrid::service {
namespace {

using testing::At;
using testing::kGridA;
using testing::kGridB;
using testing::ScriptedCase;

// ---------------------------------------------------------------- databases

// One fresh database: SQLite in a temp dir, or a scratch PostgreSQL database on the server of
// $CITYGRID_TEST_POSTGRES_DSN (skipped without one).
class TestDb {
 public:
  static Result<std::unique_ptr<TestDb>> Create(const std::string& backend) {
    auto db = std::unique_ptr<TestDb>(new TestDb);
    db->dir_ = citygrid::testing::MakeTempDir("citygrid-eval");
    db->options_.data_dir = db->dir_;
    if (backend == "postgres") {
      const char* admin = std::getenv("CITYGRID_TEST_POSTGRES_DSN");
      if (admin == nullptr || *admin == '\0') {
        return UnavailableError("CITYGRID_TEST_POSTGRES_DSN is not set");
      }
      db->admin_dsn_ = admin;
      CITYGRID_ASSIGN_OR_RETURN(db->pg_name_,
                                storage::postgres::CreateScratchDatabase(admin, "citygrid_eval_"));
      db->options_.db_url = storage::postgres::DsnWithDatabase(admin, db->pg_name_);
    }
    return db;
  }
  ~TestDb() {
    if (!pg_name_.empty()) (void)storage::postgres::DropDatabase(admin_dsn_, pg_name_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Result<std::unique_ptr<storage::Store>> Open() const { return storage::OpenStore(options_); }

 private:
  TestDb() = default;
  std::string dir_, admin_dsn_, pg_name_;
  storage::StoreOptions options_;
};

std::shared_ptr<const WorkCalendar> TestCalendar() {
  static std::shared_ptr<const WorkCalendar> calendar = [] {
    const citygrid::testing::ScopedTempDir dir("citygrid-eval-cal");  // goes after the store
    auto store = storage::OpenStore({dir.path(), "", 2});
    auto reference = ReferenceDataService::Open((*store)->documents(), testing::RepoDataDir());
    EXPECT_TRUE(reference.ok()) << reference.status().ToString();
    return (*reference)->Get()->calendar;
  }();
  return calendar;
}

EvaluationEngine::CalendarSource CalendarSource() {
  return [] { return TestCalendar(); };
}

int32_t Day(const char* date) { return CivilDay(*ParseDate(date)); }

const char* kFrom = "2026-03-02";  // Monday
const char* kTo = "2026-03-08";    // Sunday

// ---------------------------------------------------------------- the hand-built set

// Eleven cases around the week 2026-03-02..08 (office hours 09:00-12:00, 14:00-18:00 in March;
// the week's Monday-Friday are working days). Comments give what each counts in that week.
std::vector<ScriptedCase> HandBuiltCases() {
  std::vector<ScriptedCase> cases;
  // 1: closed on time. Handling 03-02 09:20 → 03-03 10:00 = 160+240+60 = 460 work minutes.
  cases.emplace_back(At("2026-03-02T09:00:00+08:00"), "06010", kGridA);
  cases.back()
      .Register(At("2026-03-02T09:10:00+08:00"))
      .Dispatch("U-HW", At("2026-03-02T09:20:00+08:00"), At("2026-03-04T18:00:00+08:00"))
      .Accept(At("2026-03-02T10:00:00+08:00"))
      .Feedback(At("2026-03-03T10:00:00+08:00"))
      .CheckPass(At("2026-03-03T11:00:00+08:00"))
      .Close(At("2026-03-03T12:00:00+08:00"));
  // 2: handled and closed late (deadline 03-03 18:00). Handling 03-02 10:20 → 03-05 09:00 =
  //    340+420+420 = 1180 work minutes.
  cases.emplace_back(At("2026-03-02T10:00:00+08:00"), "06010", kGridA);
  cases.back()
      .Register(At("2026-03-02T10:10:00+08:00"))
      .Dispatch("U-HW", At("2026-03-02T10:20:00+08:00"), At("2026-03-03T18:00:00+08:00"))
      .Accept(At("2026-03-02T11:00:00+08:00"))
      .Feedback(At("2026-03-05T09:00:00+08:00"))
      .CheckPass(At("2026-03-05T10:00:00+08:00"))
      .Close(At("2026-03-05T11:00:00+08:00"));
  // 3: open, marked overdue in handling (deadline 03-05 18:00).
  cases.emplace_back(At("2026-03-03T09:00:00+08:00"), "07001", kGridB);
  cases.back()
      .Register(At("2026-03-03T09:10:00+08:00"))
      .Dispatch("U-HW", At("2026-03-03T09:30:00+08:00"), At("2026-03-05T18:00:00+08:00"))
      .Accept(At("2026-03-03T10:00:00+08:00"))
      .MarkOverdue(At("2026-03-05T18:01:00+08:00"));
  // 4: deadline after the week (U-SZ).
  cases.emplace_back(At("2026-03-06T09:00:00+08:00"), "07001", kGridB);
  cases.back()
      .Register(At("2026-03-06T09:10:00+08:00"))
      .Dispatch("U-SZ", At("2026-03-06T09:30:00+08:00"), At("2026-03-12T18:00:00+08:00"));
  // 5: suspended (挂账), deadline 03-06.
  cases.emplace_back(At("2026-03-02T11:00:00+08:00"), "06010", kGridA);
  cases.back()
      .Register(At("2026-03-02T11:10:00+08:00"))
      .Dispatch("U-HW", At("2026-03-02T11:30:00+08:00"), At("2026-03-06T18:00:00+08:00"))
      .Accept(At("2026-03-02T14:00:00+08:00"))
      .Suspend(At("2026-03-03T09:00:00+08:00"));
  // 6: cancelled after dispatch.
  cases.emplace_back(At("2026-03-02T11:20:00+08:00"), "06010", kGridA);
  cases.back()
      .Register(At("2026-03-02T11:25:00+08:00"))
      .Dispatch("U-HW", At("2026-03-02T11:40:00+08:00"), At("2026-03-04T18:00:00+08:00"))
      .Cancel(At("2026-03-03T09:00:00+08:00"));
  // 7: public report verified by inspector2, returned by U-SZ, re-dispatched to U-HW, fails one
  //    check (返工), closed on time. Handling from the last dispatch 03-02 16:00 to the last
  //    feedback 03-04 10:00 = 120+420+60 = 600 work minutes.
  cases.emplace_back(At("2026-03-02T14:00:00+08:00"), "06010", kGridB, Channel::kPublic);
  cases.back()
      .Verify(At("2026-03-02T14:30:00+08:00"), true, "inspector2")
      .Register(At("2026-03-02T15:00:00+08:00"))
      .Dispatch("U-SZ", At("2026-03-02T15:10:00+08:00"), At("2026-03-04T18:00:00+08:00"))
      .Return(At("2026-03-02T15:30:00+08:00"))
      .Dispatch("U-HW", At("2026-03-02T16:00:00+08:00"), At("2026-03-05T18:00:00+08:00"))
      .Accept(At("2026-03-02T16:10:00+08:00"))
      .Feedback(At("2026-03-03T10:00:00+08:00"))
      .CheckFail(At("2026-03-03T11:00:00+08:00"), At("2026-03-04T18:00:00+08:00"))
      .Feedback(At("2026-03-04T10:00:00+08:00"))
      .CheckPass(At("2026-03-04T11:00:00+08:00"))
      .Close(At("2026-03-04T12:00:00+08:00"));
  // 8: public report found invalid.
  cases.emplace_back(At("2026-03-04T09:00:00+08:00"), "06010", kGridA, Channel::kPublic);
  cases.back().Verify(At("2026-03-04T09:30:00+08:00"), false, "inspector2");
  // 9: inspector report not registered (不予立案).
  cases.emplace_back(At("2026-03-05T09:00:00+08:00"), "06010", kGridA);
  cases.back().Reject(At("2026-03-05T09:30:00+08:00"));
  // 10: the week before: counts nothing in the week.
  cases.emplace_back(At("2026-02-24T09:00:00+08:00"), "06010", kGridA);
  cases.back()
      .Register(At("2026-02-24T09:10:00+08:00"))
      .Dispatch("U-HW", At("2026-02-24T09:20:00+08:00"), At("2026-02-26T18:00:00+08:00"))
      .Accept(At("2026-02-24T10:00:00+08:00"))
      .Feedback(At("2026-02-25T10:00:00+08:00"))
      .CheckPass(At("2026-02-25T11:00:00+08:00"))
      .Close(At("2026-02-25T12:00:00+08:00"));
  // 11: postponed (延期) past the week: due 03-10, not in the week.
  cases.emplace_back(At("2026-03-02T09:30:00+08:00"), "06010", kGridA);
  cases.back()
      .Register(At("2026-03-02T09:40:00+08:00"))
      .Dispatch("U-HW", At("2026-03-02T09:50:00+08:00"), At("2026-03-03T18:00:00+08:00"))
      .Accept(At("2026-03-02T10:00:00+08:00"))
      .PostponeTo(At("2026-03-03T09:00:00+08:00"), At("2026-03-10T18:00:00+08:00"));
  return cases;
}

std::map<std::string, int64_t> Figures(const IndicatorCounts& c) {
  std::map<std::string, int64_t> out;
  for (int m = 0; m < kMetricCount; ++m) out[std::string(Name(static_cast<Metric>(m)))] = c.metrics[m];
  return out;
}

const GroupCounts* Find(const std::vector<GroupCounts>& rows, const std::string& key) {
  for (const GroupCounts& r : rows) {
    if (r.key == key) return &r;
  }
  return nullptr;
}

IndicatorCounts Sum(const std::vector<GroupCounts>& rows) {
  IndicatorCounts total;
  for (const GroupCounts& r : rows) total += r.counts;
  return total;
}

void WriteAll(storage::Store& store, const std::vector<ScriptedCase>& cases) {
  for (const ScriptedCase& c : cases) {
    Result<int64_t> id = c.WriteTo(store.cases());
    ASSERT_TRUE(id.ok()) << id.status().ToString();
  }
}

// Every dimension over several windows, for comparing two engines.
std::vector<std::vector<GroupCounts>> Snapshot(const EvaluationEngine& engine) {
  std::vector<std::vector<GroupCounts>> out;
  const std::pair<const char*, const char*> windows[] = {
      {kFrom, kTo}, {"2026-02-23", "2026-03-15"}, {"2026-03-03", "2026-03-03"}, {"2025-01-01", "2026-12-31"}};
  for (int d = 0; d < kDimensionCount; ++d) {
    for (const auto& [from, to] : windows) {
      Result<std::vector<GroupCounts>> rows =
          engine.Query(static_cast<Dimension>(d), Day(from), Day(to));
      EXPECT_TRUE(rows.ok()) << rows.status().ToString();
      out.push_back(rows.value_or(std::vector<GroupCounts>{}));
    }
  }
  Result<std::vector<std::pair<std::string, int64_t>>> overdue = engine.OverdueByUnit();
  EXPECT_TRUE(overdue.ok());
  std::vector<GroupCounts> o;
  for (const auto& [unit, n] : overdue.value_or({})) {
    GroupCounts g;
    g.key = unit;
    g.counts.metrics[0] = n;
    o.push_back(g);
  }
  out.push_back(o);
  return out;
}

class EvaluationBackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<TestDb>> db = TestDb::Create(GetParam());
    if (!db.ok()) {
      if (db.status().code() == StatusCode::kUnavailable) GTEST_SKIP() << db.status().ToString();
      FAIL() << db.status().ToString();
    }
    db_ = std::move(*db);
    auto store = db_->Open();
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  std::unique_ptr<TestDb> db_;
  std::unique_ptr<storage::Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, EvaluationBackendTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(EvaluationBackendTest, HandBuiltCasesGiveTheHandComputedFigures) {
  WriteAll(*store_, HandBuiltCases());
  EvaluationEngine engine(store_->cases(), CalendarSource());
  ASSERT_TRUE(engine.Rebuild().ok());
  Result<std::vector<GroupCounts>> units = engine.Query(Dimension::kUnit, Day(kFrom), Day(kTo));
  ASSERT_TRUE(units.ok()) << units.status().ToString();

  std::map<std::string, int64_t> total = Figures(Sum(*units));
  std::map<std::string, int64_t> expected = {
      {"reported", 10},         // cases 1-9 and 11
      {"valid", 9},             // all but 8 (invalid)
      {"public_reports", 1},    // 7
      {"registered", 8},        // 1-7, 11
      {"dispatched", 8},        // 1-7, 11 (first dispatch in the week)
      {"accurately_dispatched", 7},
      {"returned", 1},          // 7
      {"should_handle", 4},     // 1, 2, 3, 7 (5 suspended, 6 cancelled, 4 and 11 due later)
      {"handled", 3},           // 1, 2, 7
      {"handled_on_time", 2},   // 1, 7
      {"overdue_handling", 2},  // 2 (late), 3 (marked overdue)
      {"rework", 1},            // 7
      {"should_close", 4},      // 1, 2, 3, 7
      {"closed", 3},            // 1, 2, 7
      {"closed_on_time", 2},    // 1, 7
      {"suspended", 1},         // 5
      {"handle_minutes", 460 + 1180 + 600},
  };
  EXPECT_EQ(total, expected);

  const GroupCounts* hw = Find(*units, "U-HW");
  ASSERT_NE(hw, nullptr);
  EXPECT_EQ(hw->counts[Metric::kReported], 7);  // 1, 2, 3, 5, 6, 7, 11
  EXPECT_EQ(hw->counts[Metric::kDispatched], 7);
  EXPECT_EQ(hw->counts[Metric::kReturned], 1);  // 7 now belongs to U-HW
  EXPECT_EQ(hw->counts[Metric::kShouldClose], 4);
  const GroupCounts* sz = Find(*units, "U-SZ");
  ASSERT_NE(sz, nullptr);
  EXPECT_EQ(Figures(sz->counts)["registered"], 1);
  EXPECT_EQ(Figures(sz->counts)["should_close"], 0);
  const GroupCounts* none = Find(*units, "");
  ASSERT_NE(none, nullptr);
  EXPECT_EQ(none->counts[Metric::kReported], 2);  // 8, 9: never dispatched
  EXPECT_EQ(none->counts[Metric::kValid], 1);

  // Inspector: the reporter of inspector-channel cases, else the verifier.
  Result<std::vector<GroupCounts>> inspectors =
      engine.Query(Dimension::kInspector, Day(kFrom), Day(kTo));
  ASSERT_TRUE(inspectors.ok());
  ASSERT_NE(Find(*inspectors, "inspector2"), nullptr);
  EXPECT_EQ(Find(*inspectors, "inspector2")->counts[Metric::kReported], 2);  // 7, 8
  EXPECT_EQ(Find(*inspectors, "inspector1")->counts[Metric::kReported], 8);

  // Sub-districts: grid B is 410103002 (cases 3, 4, 7).
  Result<std::vector<GroupCounts>> subs = engine.Query(Dimension::kSubdistrict, Day(kFrom), Day(kTo));
  ASSERT_TRUE(subs.ok());
  EXPECT_EQ(Find(*subs, "410103002")->counts[Metric::kReported], 3);
  EXPECT_EQ(Find(*subs, "410103001")->counts[Metric::kReported], 7);

  // One day: Tuesday 03-03 holds the due days of 1 (closed early) and 2 (deadline).
  Result<std::vector<GroupCounts>> tuesday = engine.Query(Dimension::kUnit, Day("2026-03-03"), Day("2026-03-03"));
  ASSERT_TRUE(tuesday.ok());
  EXPECT_EQ(Sum(*tuesday)[Metric::kShouldClose], 2);
  EXPECT_EQ(Sum(*tuesday)[Metric::kClosedOnTime], 1);

  // Overdue now: case 3 in U-HW.
  auto overdue = engine.OverdueByUnit();
  ASSERT_TRUE(overdue.ok());
  ASSERT_EQ(overdue->size(), 1u);
  EXPECT_EQ((*overdue)[0], (std::pair<std::string, int64_t>("U-HW", 1)));
}

TEST_P(EvaluationBackendTest, RatesScoreAndHandlingTimeOfTheHandBuiltSet) {
  WriteAll(*store_, HandBuiltCases());
  EvaluationEngine engine(store_->cases(), CalendarSource());
  ASSERT_TRUE(engine.Rebuild().ok());
  auto reference = ReferenceDataService::Open(store_->documents(), testing::RepoDataDir());
  ASSERT_TRUE(reference.ok());
  for (const Unit& unit : testing::TestUnits()) ASSERT_TRUE((*reference)->PutUnit(unit).ok());
  FakeClock clock(At("2026-03-10T09:00:00+08:00"));
  EvaluationService service(engine, *store_, **reference, clock);
  EvaluationRequest request{*ParseDate(kFrom), *ParseDate(kTo), {Dimension::kUnit}};
  Result<EvaluationReport> report = service.Evaluate(Actor{"leader", Role::kLeader, ""}, request);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const EvaluationRow& t = report->tables[0].total;
  EXPECT_DOUBLE_EQ(*t.rates[static_cast<int>(Rate::kClose)], 75.0);         // 3 / 4
  EXPECT_DOUBLE_EQ(*t.rates[static_cast<int>(Rate::kOnTimeClose)], 50.0);   // 2 / 4
  EXPECT_DOUBLE_EQ(*t.rates[static_cast<int>(Rate::kRegistration)], 800.0 / 9);
  EXPECT_DOUBLE_EQ(*t.rates[static_cast<int>(Rate::kAccurateDispatch)], 87.5);
  EXPECT_DOUBLE_EQ(*t.rates[static_cast<int>(Rate::kRework)], 100.0 / 3);
  EXPECT_DOUBLE_EQ(*t.rates[static_cast<int>(Rate::kPublicReport)], 100.0 / 9);
  EXPECT_DOUBLE_EQ(*t.avg_handle_hours, 2240.0 / 3 / 60);
  // p90 of {460, 600, 1180} minutes: 1180 is in the bucket [1024, 1448) minutes.
  EXPECT_GE(*t.p90_handle_hours * 60, 1024);
  EXPECT_LT(*t.p90_handle_hours * 60, 1448.2);

  // Scores with the default weights (40 按期结案率, 30 结案率, 20 立案数占比, 10 监督举报率):
  // U-HW: on-time 50, close 75, share 100 (7 of max 7), 监督举报率 1/7 → 100 - 14.29.
  const std::vector<EvaluationRow>& rows = report->tables[0].rows;
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].key, "U-HW");
  EXPECT_EQ(rows[0].rank, 1);
  EXPECT_NEAR(*rows[0].score, (40 * 50.0 + 30 * 75.0 + 20 * 100.0 + 10 * (100 - 100.0 / 7)) / 100,
              1e-9);
  // U-SZ: no should-close, so only share (1 of 7) and 监督举报率 (0 → 100) count.
  const EvaluationRow* sz = nullptr;
  for (const EvaluationRow& r : rows) {
    if (r.key == "U-SZ") sz = &r;
  }
  ASSERT_NE(sz, nullptr);
  EXPECT_NEAR(*sz->score, (20 * 100.0 / 7 + 10 * 100.0) / 30, 1e-9);
  EXPECT_EQ(sz->name, "二七区市政所");
  // 环比: the week before holds case 10 only (U-HW: everything on time, share 100, public 0).
  ASSERT_TRUE(rows[0].previous_score.has_value());
  EXPECT_NEAR(*rows[0].previous_score, 100.0, 1e-9);
  EXPECT_NEAR(*rows[0].score_change, *rows[0].score - 100.0, 1e-9);
  EXPECT_FALSE(rows[0].last_year_score.has_value());  // nothing a year before
}

TEST_P(EvaluationBackendTest, IncrementalFiguresEqualARebuildAndARestart) {
  std::vector<ScriptedCase> cases = HandBuiltCases();
  EvaluationEngine follower(store_->cases(), CalendarSource(), {3});
  ASSERT_TRUE(follower.Rebuild().ok());  // empty log
  // Write case by case, folding after each (batches of 3 events split histories).
  for (const ScriptedCase& c : cases) {
    ASSERT_TRUE(c.WriteTo(store_->cases()).ok());
    ASSERT_TRUE(follower.PollOnce().ok());
  }
  EvaluationEngine rebuilt(store_->cases(), CalendarSource());
  ASSERT_TRUE(rebuilt.Rebuild().ok());
  EXPECT_EQ(Snapshot(follower), Snapshot(rebuilt));
  EXPECT_EQ(follower.position(), rebuilt.position());
  // After a restart (store closed and opened again) the engine rebuilds the same figures.
  std::vector<std::vector<GroupCounts>> before = Snapshot(rebuilt);
  store_.reset();
  auto reopened = db_->Open();
  ASSERT_TRUE(reopened.ok());
  store_ = std::move(*reopened);
  EvaluationEngine restarted(store_->cases(), CalendarSource());
  EventLogFollower log_follower(store_->cases());
  ASSERT_TRUE(log_follower.Subscribe(restarted, EventLogFollower::CatchUpOn::kFollower).ok());
  ASSERT_TRUE(log_follower.Start().ok());
  for (int i = 0; i < 200 && !restarted.ready(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(restarted.ready());
  EXPECT_EQ(Snapshot(restarted), before);
  log_follower.Stop();
}

TEST(EvaluationEngineTest, BothBackendsGiveIdenticalFigures) {
  auto pg = TestDb::Create("postgres");
  if (!pg.ok()) GTEST_SKIP() << pg.status().ToString();
  auto lite = TestDb::Create("sqlite");
  ASSERT_TRUE(lite.ok());
  auto a = (*lite)->Open();
  auto b = (*pg)->Open();
  ASSERT_TRUE(a.ok() && b.ok());
  WriteAll(**a, HandBuiltCases());
  WriteAll(**b, HandBuiltCases());
  EvaluationEngine ea((*a)->cases(), CalendarSource()), eb((*b)->cases(), CalendarSource());
  ASSERT_TRUE(ea.Rebuild().ok());
  ASSERT_TRUE(eb.Rebuild().ok());
  EXPECT_EQ(Snapshot(ea), Snapshot(eb));
}

TEST(EvaluationEngineTest, TwoNodesOnOnePostgresReportIdenticalFigures) {
  auto db = TestDb::Create("postgres");
  if (!db.ok()) GTEST_SKIP() << db.status().ToString();
  auto node1 = (*db)->Open();
  auto node2 = (*db)->Open();
  ASSERT_TRUE(node1.ok() && node2.ok());
  EvaluationEngine e1((*node1)->cases(), CalendarSource()), e2((*node2)->cases(), CalendarSource());
  ASSERT_TRUE(e1.Rebuild().ok());
  ASSERT_TRUE(e2.Rebuild().ok());
  std::vector<ScriptedCase> cases = HandBuiltCases();
  for (size_t i = 0; i < cases.size(); ++i) {
    storage::Store& via = i % 2 == 0 ? **node1 : **node2;  // writes through both nodes
    ASSERT_TRUE(cases[i].WriteTo(via.cases()).ok());
    if (i % 3 == 0) {
      ASSERT_TRUE(e1.PollOnce().ok());
    }
  }
  ASSERT_TRUE(e1.PollOnce().ok());
  ASSERT_TRUE(e2.PollOnce().ok());
  EXPECT_EQ(Snapshot(e1), Snapshot(e2));
  auto units = e1.Query(Dimension::kUnit, Day(kFrom), Day(kTo));
  ASSERT_TRUE(units.ok());
  EXPECT_EQ(Sum(*units)[Metric::kShouldClose], 4);
  EXPECT_EQ(Sum(*units)[Metric::kClosed], 3);
}

TEST(EvaluationEngineTest, DayCountsBeyondSixteenBitsStayExact) {
  // 60 cases handled the same day with 1180 work minutes each (03-02 10:20 → 03-05 09:00): 70,800
  // minutes in one (group, day) cell, past the 16-bit day counters, so the block widens.
  auto db = TestDb::Create("sqlite");
  ASSERT_TRUE(db.ok());
  auto store = (*db)->Open();
  ASSERT_TRUE(store.ok());
  EvaluationEngine engine((*store)->cases(), CalendarSource());
  ASSERT_TRUE(engine.Rebuild().ok());
  for (int i = 0; i < 60; ++i) {
    ScriptedCase c(At("2026-03-02T10:00:00+08:00"), "06010", kGridA);
    c.Register(At("2026-03-02T10:10:00+08:00"))
        .Dispatch("U-HW", At("2026-03-02T10:20:00+08:00"), At("2026-03-06T18:00:00+08:00"))
        .Accept(At("2026-03-02T11:00:00+08:00"))
        .Feedback(At("2026-03-05T09:00:00+08:00"));
    ASSERT_TRUE(c.WriteTo((*store)->cases()).ok());
  }
  ASSERT_TRUE(engine.PollOnce().ok());
  auto day = engine.Query(Dimension::kUnit, Day("2026-03-05"), Day("2026-03-05"));
  ASSERT_TRUE(day.ok());
  ASSERT_EQ(day->size(), 1u);
  EXPECT_EQ((*day)[0].counts[Metric::kHandled], 60);
  EXPECT_EQ((*day)[0].counts[Metric::kHandleMinutes], 60 * 1180);
  EvaluationEngine rebuilt((*store)->cases(), CalendarSource());
  ASSERT_TRUE(rebuilt.Rebuild().ok());
  EXPECT_EQ(Snapshot(engine), Snapshot(rebuilt));
}

TEST(EvaluationEngineTest, QueriesBeforeTheFirstRebuildAreUnavailable) {
  auto db = TestDb::Create("sqlite");
  ASSERT_TRUE(db.ok());
  auto store = (*db)->Open();
  ASSERT_TRUE(store.ok());
  EvaluationEngine engine((*store)->cases(), CalendarSource());
  EXPECT_EQ(engine.Query(Dimension::kUnit, 0, 1).status().code(), StatusCode::kUnavailable);
  ASSERT_TRUE(engine.Rebuild().ok());
  EXPECT_EQ(engine.Query(Dimension::kUnit, 2, 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(engine.Query(Dimension::kUnit, 0, 1)->empty());
}

TEST(EvaluationEngineTest, ParsesGroupings) {
  EXPECT_EQ(*ParseDimension("unit"), Dimension::kUnit);
  EXPECT_EQ(*ParseDimension("unit,category"), Dimension::kUnitCategory);
  EXPECT_EQ(*ParseDimension("category,unit"), Dimension::kUnitCategory);
  for (const char* bad : {"", "units", "grid,category", "UNIT"}) {
    Result<Dimension> d = ParseDimension(bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(d.status().message().find("group_by"), std::string::npos);
  }
}

TEST(EvaluationEngineTest, HandleTimeBucketsGrowBySqrtTwo) {
  EXPECT_EQ(HandleTimeBucket(0), 0);
  EXPECT_EQ(HandleTimeBucket(1), 1);
  EXPECT_EQ(HandleTimeBucket(2), 3);     // [2, 2.83)
  EXPECT_EQ(HandleTimeBucket(1024), 21); // [1024, 1448)
  EXPECT_EQ(HandleTimeBucket(1447), 21);
  EXPECT_EQ(HandleTimeBucket(1449), 22);
  EXPECT_EQ(HandleTimeBucket(1LL << 40), kHandleTimeBuckets - 1);
}

}  // namespace
}  // namespace citygrid::service
