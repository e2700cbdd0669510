#include "citygrid/service/ledger_service.h"

#include <gtest/gtest.h>

#include "citygrid/common/xlsx_reader.h"
#include "citygrid/service/demo_seed.h"
#include "citygrid/service/ledger_demo.h"
#include "tests/testing/memory_store.h"
#include "tests/testing/paths.h"

namespace citygrid::service {
namespace {

using std::chrono::year_month_day;

Timestamp At(const char* iso) { return *ParseIso8601(iso); }

// A memory store with the demo district's reference data (units ZJ, CGJ, street offices).
class LedgerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_unique<citygrid::testing::MemoryStore>();
    auto reference =
        ReferenceDataService::Open(store_->documents(), citygrid::testing::SourceDir() + "/data");
    ASSERT_TRUE(reference.ok()) << reference.status().ToString();
    reference_ = std::move(*reference);
    ASSERT_TRUE(SeedDemoReference(*reference_).ok());
    service_ = std::make_unique<LedgerService>(*store_, *reference_, clock_);
    const auto& sds = reference_->Get()->geography->subdistricts;
    sd0_ = sds[0].code;
    sd1_ = sds[1].code;
  }

  LedgerDefinition Simple(std::string id = "greening") {
    LedgerDefinition d;
    d.id = std::move(id);
    d.name = "绿化提升";
    d.owner_unit = "ZJ";
    LedgerColumn type;
    type.key = "type";
    type.name = "类型";
    type.type = LedgerColumnType::kChoice;
    type.choices = {"品质型", "改善型"};
    type.required = true;
    LedgerColumn area;
    area.key = "area";
    area.name = "面积";
    area.type = LedgerColumnType::kNumber;
    area.min = 0;
    area.max = 100000;
    d.columns = {type, area};
    d.batches = {{"第一批", year_month_day(std::chrono::year(2021), std::chrono::month(3), std::chrono::day(31))}};
    d.type_column = "type";
    return d;
  }

  NewLedgerRow Row(std::string unit, std::string type = "品质型") {
    NewLedgerRow r;
    r.title = "建中街 1 号院";
    r.unit = std::move(unit);
    r.batch = "第一批";
    r.values = {{"type", std::move(type)}, {"area", "1200"}};
    return r;
  }

  const Actor admin_{"admin", Role::kAdmin, ""};
  const Actor owner_{"zj", Role::kHandler, "ZJ"};
  const Actor leader_{"leader", Role::kLeader, ""};
  Actor Office(const std::string& sd) { return Actor{"jd", Role::kHandler, sd}; }

  FakeClock clock_{At("2021-03-01T09:00:00+08:00")};
  std::unique_ptr<citygrid::testing::MemoryStore> store_;
  std::unique_ptr<ReferenceDataService> reference_;
  std::unique_ptr<LedgerService> service_;
  std::string sd0_, sd1_;
};

TEST_F(LedgerServiceTest, RejectsBadDefinitionsWithSpecificErrors) {
  // Each refusal names the field (the console puts it there) and carries its reason's code and
  // arguments (the console words them in Chinese).
  struct Case {
    const char* name;
    std::function<void(LedgerDefinition&)> edit;
    const char* message;
    const char* field;
    const char* code;
    std::vector<std::string> args;
  };
  const Case cases[] = {
      {"duplicate key", [](LedgerDefinition& d) { d.columns[1].key = "type"; },
       "column 2 'type': duplicate key (also column 1)", "columns[1]", "column_duplicate_key",
       {"2", "type", "1"}},
      {"duplicate name", [](LedgerDefinition& d) { d.columns[1].name = "类型"; },
       "duplicate name '类型'", "columns[1]", "column_duplicate_name", {"2", "area", "类型", "1"}},
      {"bad key", [](LedgerDefinition& d) { d.columns[1].key = "Area!"; },
       "key must be 1-40 of [a-z0-9_]", "columns[1]", "column_key", {"2", "Area!"}},
      {"range on text", [](LedgerDefinition& d) { d.columns[0].min = 1; },
       "min/max apply only to number and percent columns, not choice", "columns[0]",
       "range_not_applicable", {"1", "type", "choice"}},
      {"min above max", [](LedgerDefinition& d) { d.columns[1].min = 10; d.columns[1].max = 5; },
       "column 2 'area': min 10 is above max 5", "columns[1]", "min_above_max",
       {"2", "area", "10", "5"}},
      {"choice without choices", [](LedgerDefinition& d) { d.columns[0].choices.clear(); },
       "needs at least one choice", "columns[0]", "choices_required", {"1", "type", "choice"}},
      {"choices on number", [](LedgerDefinition& d) { d.columns[1].choices = {"a"}; },
       "choices apply only to choice and multi_choice columns", "columns[1]",
       "choices_not_applicable", {"2", "area", "number"}},
      {"fixed header", [](LedgerDefinition& d) { d.columns[1].name = "批次"; },
       "is a fixed row header", "columns[1]", "column_name_fixed", {"2", "area", "批次"}},
      {"bad type column", [](LedgerDefinition& d) { d.type_column = "area"; },
       "must name a choice column", "type_column", "type_column_not_choice", {"area"}},
      {"bad id", [](LedgerDefinition& d) { d.id = "Bad Id"; }, "ledger id 'Bad Id'", "id",
       "bad_ledger_id", {"Bad Id"}},
      {"no name", [](LedgerDefinition& d) { d.name = " "; }, "ledger name is required", "name",
       "ledger_name_required", {}},
      {"period", [](LedgerDefinition& d) {
         d.period_start = year_month_day(std::chrono::year(2021), std::chrono::month(5), std::chrono::day(1));
         d.period_end = year_month_day(std::chrono::year(2021), std::chrono::month(4), std::chrono::day(1));
       }, "period_start 2021-05-01 is after period_end 2021-04-01", "period_start", "period_order",
       {"2021-05-01", "2021-04-01"}},
      {"duplicate batch", [](LedgerDefinition& d) { d.batches.push_back(d.batches[0]); },
       "batch 2: duplicate name '第一批'", "batches[1]", "batch_duplicate_name", {"2", "第一批"}},
      {"unknown owner", [](LedgerDefinition& d) { d.owner_unit = "NOPE"; },
       "owner_unit: unknown unit 'NOPE'", "owner_unit", "unknown_owner_unit", {"NOPE"}},
  };
  for (const Case& c : cases) {
    LedgerDefinition d = Simple();
    c.edit(d);
    auto r = service_->CreateLedger(admin_, d);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(r.status().message().find(c.message), std::string::npos)
        << c.name << ": " << r.status().message();
    ASSERT_NE(r.status().detail(), nullptr) << c.name;
    EXPECT_EQ(r.status().detail()->field, c.field) << c.name;
    EXPECT_EQ(r.status().detail()->reason_code, c.code) << c.name;
    EXPECT_EQ(r.status().detail()->reason_args, c.args) << c.name;
  }
  // The message is the reason's own text.
  {
    LedgerDefinition d = Simple();
    d.columns[1].min = 10;
    d.columns[1].max = 5;
    Status s = service_->CreateLedger(admin_, d).status();
    ASSERT_NE(s.detail(), nullptr);
    EXPECT_EQ(s.message(), (LedgerReason{s.detail()->reason_code, s.detail()->reason_args}.Text()));
  }
  // An unknown column type is caught when the JSON is decoded.
  auto decoded = DecodeLedgerDefinition(R"({"id":"x1","columns":[{"key":"a","name":"A","type":"money"}]})");
  EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(decoded.status().message().find("unknown column type 'money'"), std::string::npos);
  EXPECT_TRUE(service_->ListLedgers(admin_)->empty());  // nothing was written
}

TEST_F(LedgerServiceTest, AddingARequiredColumnKeepsOldRowsValid) {
  ASSERT_TRUE(service_->CreateLedger(admin_, Simple()).ok());
  auto row = service_->AddRow(owner_, "greening", Row(sd0_));
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  LedgerDefinition next = Simple();
  LedgerColumn contractor;
  contractor.key = "contractor";
  contractor.name = "施工单位";
  contractor.required = true;
  next.columns.push_back(contractor);
  auto updated = service_->UpdateLedger(owner_, "greening", 1, next);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->FindColumn("contractor")->since_version, 2);
  // The old row still takes progress updates without the new column.
  LedgerRowUpdate u;
  u.expected_version = 1;
  u.progress = 50;
  auto progressed = service_->UpdateRow(Office(sd0_), "greening", row->row.key, u);
  ASSERT_TRUE(progressed.ok()) << progressed.status().ToString();
  EXPECT_EQ(progressed->row.state, LedgerRowState::kInProgress);
  // A new row must have it.
  auto fresh = service_->AddRow(owner_, "greening", Row(sd0_));
  ASSERT_EQ(fresh.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(fresh.status().message().find("'施工单位' is required"), std::string::npos);
  // Removing or retyping a column is refused.
  LedgerDefinition removed = Simple();
  Status removing = service_->UpdateLedger(owner_, "greening", 2, removed).status();
  EXPECT_EQ(removing.code(), StatusCode::kFailedPrecondition);
  ASSERT_NE(removing.detail(), nullptr);
  EXPECT_EQ(removing.detail()->field, "columns");
  EXPECT_EQ(removing.detail()->reason_code, "column_removed");
  EXPECT_EQ(removing.detail()->reason_args, std::vector<std::string>{"contractor"});
  LedgerDefinition retyped = next;
  retyped.columns[2].type = LedgerColumnType::kNumber;
  Status retyping = service_->UpdateLedger(owner_, "greening", 2, retyped).status();
  EXPECT_EQ(retyping.message(), "column 'contractor' cannot change type from text to number");
  ASSERT_NE(retyping.detail(), nullptr);
  EXPECT_EQ(retyping.detail()->field, "columns[2]");
  // A choice or a batch still in use cannot go; the value's own reason comes with its code.
  LedgerDefinition narrower = next;
  narrower.columns[0].choices = {"改善型"};
  Status narrowing = service_->UpdateLedger(owner_, "greening", 2, narrower).status();
  EXPECT_EQ(narrowing.code(), StatusCode::kFailedPrecondition);
  ASSERT_NE(narrowing.detail(), nullptr) << narrowing.ToString();
  EXPECT_EQ(narrowing.detail()->field, "columns[0]");
  EXPECT_EQ(narrowing.detail()->reason_code, "value_in_use");
  const std::vector<std::string> in_use = {
      "type", row->row.key, "品质型", "'品质型' is not one of 改善型", "not_a_choice", "品质型", "改善型"};
  EXPECT_EQ(narrowing.detail()->reason_args, in_use);
  LedgerDefinition no_batch = next;
  no_batch.batches.clear();
  Status unbatching = service_->UpdateLedger(owner_, "greening", 2, no_batch).status();
  ASSERT_NE(unbatching.detail(), nullptr) << unbatching.ToString();
  EXPECT_EQ(unbatching.detail()->reason_code, "batch_in_use");
  EXPECT_EQ(unbatching.detail()->field, "batches");
  // A stale version is a conflict.
  EXPECT_EQ(service_->UpdateLedger(owner_, "greening", 1, next).status().code(), StatusCode::kAborted);
}

TEST_F(LedgerServiceTest, RowUpdatesByTheRightAndWrongUnits) {
  ASSERT_TRUE(service_->CreateLedger(admin_, Simple()).ok());
  auto mine = service_->AddRow(owner_, "greening", Row(sd0_));
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  LedgerRowUpdate u;
  u.expected_version = 1;
  u.state = LedgerRowState::kInProgress;
  u.progress = 30;
  u.note = "开工";
  // Another street office cannot even see the row: 404, and it is unchanged.
  auto other = service_->UpdateRow(Office(sd1_), "greening", mine->row.key, u);
  EXPECT_EQ(other.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(service_->ListRows(Office(sd1_), "greening")->size(), 0u);
  // A leader reads but may not update: 403.
  EXPECT_EQ(service_->UpdateRow(leader_, "greening", mine->row.key, u).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(service_->GetRow(leader_, "greening", mine->row.key)->row.version, 1);
  // The responsible unit updates its row.
  auto ok = service_->UpdateRow(Office(sd0_), "greening", mine->row.key, u);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->row.version, 2);
  // But not its fixed fields, and it cannot accept.
  LedgerRowUpdate move;
  move.expected_version = 2;
  move.unit = sd1_;
  EXPECT_EQ(service_->UpdateRow(Office(sd0_), "greening", mine->row.key, move).status().code(),
            StatusCode::kPermissionDenied);
  LedgerRowUpdate done;
  done.expected_version = 2;
  done.state = LedgerRowState::kDone;
  ASSERT_TRUE(service_->UpdateRow(Office(sd0_), "greening", mine->row.key, done).ok());
  LedgerRowUpdate accept;
  accept.expected_version = 3;
  accept.state = LedgerRowState::kAccepted;
  EXPECT_EQ(service_->UpdateRow(Office(sd0_), "greening", mine->row.key, accept).status().code(),
            StatusCode::kPermissionDenied);
  auto accepted = service_->UpdateRow(owner_, "greening", mine->row.key, accept);
  ASSERT_TRUE(accepted.ok()) << accepted.status().ToString();
  EXPECT_EQ(accepted->row.progress, 100);
  // A stale version is a conflict; a bad value names the column.
  EXPECT_EQ(service_->UpdateRow(owner_, "greening", mine->row.key, done).status().code(), StatusCode::kAborted);
  LedgerRowUpdate bad;
  bad.expected_version = 4;
  bad.values = {{"area", "-5"}};
  auto r = service_->UpdateRow(owner_, "greening", mine->row.key, bad);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("area (面积)"), std::string::npos) << r.status().message();
  // The history holds every step, chained.
  auto history = service_->RowHistory(leader_, "greening", mine->row.key);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 4u);
  EXPECT_EQ((*history)[1].note, "开工");
  EXPECT_EQ((*history)[1].actor.unit, sd0_);
  EXPECT_EQ((*history)[3].type, LedgerEventType::kAccepted);
  EXPECT_TRUE(service_->VerifyChains(leader_, "greening")->ok());
}

TEST_F(LedgerServiceTest, HashChainVerifiesAndDetectsTampering) {
  ASSERT_TRUE(service_->CreateLedger(admin_, Simple()).ok());
  auto row = service_->AddRow(owner_, "greening", Row(sd0_));
  LedgerRowUpdate u;
  u.expected_version = 1;
  u.progress = 40;
  ASSERT_TRUE(service_->UpdateRow(owner_, "greening", row->row.key, u).ok());
  ASSERT_TRUE(service_->VerifyChains(admin_, "greening")->ok());
  ASSERT_TRUE(store_->TamperWithLedgerEvent("greening", row->row.key, 1, [](LedgerEvent& e) {
    e.payload_json = R"({"state":"done"})";
  }).ok());
  auto report = service_->VerifyChains(admin_, "greening");
  ASSERT_TRUE(report.ok());
  ASSERT_FALSE(report->ok());
  EXPECT_EQ(report->first_break->version, 1);
  EXPECT_NE(report->first_break->ToString().find("stored hash does not match"), std::string::npos);
}

// The demo ledgers at a fake "now" of 2021-01-15: batch 1 (264 rows, due 2020-12-31) has
// 14 rows that never finish (index % 20 == 0) and 14 that finish late in February 2021
// (index % 20 == 1): 28 are open past the deadline; batch 2 (203 rows, due 2021-06-30) is not due.
TEST_F(LedgerServiceTest, DemoRollupsEqualHandComputedFiguresOnAFakeClock) {
  const Timestamp now = At("2021-01-15T12:00:00+08:00");
  clock_.Set(now);
  auto seeded = SeedDemoLedgers(*store_, *reference_, now);
  ASSERT_TRUE(seeded.ok()) << seeded.status().ToString();
  auto by_batch = service_->Summarize(leader_, "old-compounds", LedgerGroupBy::kBatch);
  ASSERT_TRUE(by_batch.ok()) << by_batch.status().ToString();
  EXPECT_EQ(by_batch->total.rows, 467);
  ASSERT_EQ(by_batch->groups.size(), 2u);
  const LedgerGroup& b1 = by_batch->groups[0];
  const LedgerGroup& b2 = by_batch->groups[1];
  EXPECT_EQ(b1.key, "第一批");
  EXPECT_EQ(b1.rows, 264);
  EXPECT_EQ(FormatDate(*b1.deadline), "2020-12-31");
  EXPECT_EQ(b2.key, "第二批");
  EXPECT_EQ(b2.rows, 203);
  EXPECT_EQ(FormatDate(*b2.deadline), "2021-06-30");
  EXPECT_EQ(b1.rows + b2.rows, 467);
  EXPECT_EQ(b1.completed, 264 - 14 - 14);
  EXPECT_EQ(b1.behind, 28);
  EXPECT_EQ(b1.overdue, 28);
  EXPECT_EQ(b2.behind, 0);
  EXPECT_EQ(b2.completed, 0);
  EXPECT_EQ(by_batch->overdue_rows.size(), 28u);
  EXPECT_EQ(by_batch->overdue_rows.front().row.key, "R0001");  // index 0 never finishes
  // Accepted: on-time batch-1 rows with index % 3 == 0, 15 days after finishing.
  int64_t accepted = 0;
  auto all_rows = service_->ListRows(leader_, "old-compounds");
  ASSERT_TRUE(all_rows.ok());
  for (const auto& v : *all_rows) {
    if (v.row.state == LedgerRowState::kAccepted) ++accepted;
  }
  auto by_state = service_->Summarize(leader_, "old-compounds", LedgerGroupBy::kState);
  ASSERT_EQ(by_state->groups.size(), 4u);
  EXPECT_EQ(by_state->groups[3].label, "已验收");
  EXPECT_EQ(by_state->groups[3].rows, accepted);
  EXPECT_EQ(by_state->groups[2].rows + by_state->groups[3].rows, 236);
  EXPECT_EQ(by_state->groups[0].rows + by_state->groups[1].rows, 28 + 203);
  // The completion curve ends at the completed count.
  ASSERT_FALSE(by_state->curve.empty());
  EXPECT_EQ(by_state->curve.back().cumulative, 236);
  // Types split the same total.
  auto by_type = service_->Summarize(leader_, "old-compounds", LedgerGroupBy::kType);
  ASSERT_EQ(by_type->groups.size(), 2u);
  EXPECT_EQ(by_type->groups[0].rows + by_type->groups[1].rows, 467);
  EXPECT_EQ(by_type->groups[0].rows, 467 * 2 / 5 + 1);  // n % 5 in {0, 1} for n = 1..467
  auto by_sd = service_->Summarize(leader_, "old-compounds", LedgerGroupBy::kSubdistrict);
  int64_t sum = 0;
  for (const auto& g : by_sd->groups) sum += g.rows;
  EXPECT_EQ(sum, 467);
  EXPECT_EQ(by_sd->groups.size(), reference_->Get()->geography->subdistricts.size());
  // Schools: 283 rows and the supplies sum to what the rows hold.
  auto schools = service_->Summarize(leader_, "school-reopening", LedgerGroupBy::kState);
  EXPECT_EQ(schools->total.rows, 283);
  double masks = 0;
  for (int n = 1; n <= 283; ++n) masks += 500 + (n * 53) % 1500;
  EXPECT_EQ(schools->total.sums.at("masks"), masks);
  EXPECT_TRUE(service_->VerifyChains(leader_, "old-compounds")->ok());
}

TEST_F(LedgerServiceTest, DemoBehindCountsLaterIncludeLateCompletions) {
  const Timestamp now = At("2026-03-10T09:30:00+08:00");
  clock_.Set(now);
  ASSERT_TRUE(SeedDemoLedgers(*store_, *reference_, now).ok());
  auto s = service_->Summarize(leader_, "old-compounds", LedgerGroupBy::kBatch);
  ASSERT_TRUE(s.ok());
  // 14 + 9 never finish (overdue and behind); 14 + 9 finished late (behind only).
  EXPECT_EQ(s->total.overdue, 23);
  EXPECT_EQ(s->total.behind, 46);
  EXPECT_EQ(s->groups[0].behind, 28);
  EXPECT_EQ(s->groups[1].behind, 18);
  EXPECT_EQ(s->total.completed, 467 - 23);
  auto campaign = service_->Campaign(leader_, "order-cleanliness");
  ASSERT_TRUE(campaign.ok()) << campaign.status().ToString();
  EXPECT_EQ(campaign->figures.size(), CampaignFigureNames().size());
  EXPECT_EQ(campaign->by_category.size(), 4u);
  EXPECT_TRUE(campaign->figures[5].target.has_value());  // closing_rate has a target
  EXPECT_EQ(service_->Campaign(leader_, "old-compounds").status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(LedgerServiceTest, XlsxExportReimportsToIdenticalRows) {
  const Timestamp now = At("2021-01-15T12:00:00+08:00");
  clock_.Set(now);
  ASSERT_TRUE(SeedDemoLedgers(*store_, *reference_, now).ok());
  auto before = service_->ListRows(admin_, "school-reopening");
  ASSERT_TRUE(before.ok());
  auto xlsx = service_->ExportXlsx(admin_, "school-reopening");
  ASSERT_TRUE(xlsx.ok()) << xlsx.status().ToString();
  auto book = ReadXlsx(*xlsx);
  ASSERT_TRUE(book.ok());
  EXPECT_EQ(book->sheets[0].rows.size(), 284u);  // header + 283
  LedgerImportOptions options;
  options.format = LedgerFileFormat::kXlsx;
  auto report = service_->Import(admin_, "school-reopening", *xlsx, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->errors.empty()) << report->errors.front().reason.Text();
  EXPECT_EQ(report->rows_read, 283);
  EXPECT_EQ(report->rows_unchanged, 283);
  EXPECT_FALSE(report->applied);
  auto after = service_->ListRows(admin_, "school-reopening");
  ASSERT_EQ(after->size(), before->size());
  for (size_t i = 0; i < after->size(); ++i) EXPECT_EQ((*after)[i].row, (*before)[i].row);

  // Into a fresh ledger with the same definition: the rows come back identical but for the
  // bookkeeping (version, times, definition version).
  LedgerDefinition copy = *service_->GetLedger(admin_, "school-reopening");
  copy.id = "school-copy";
  ASSERT_TRUE(service_->CreateLedger(admin_, copy).ok());
  auto imported = service_->Import(admin_, "school-copy", *xlsx, options);
  ASSERT_TRUE(imported.ok());
  EXPECT_EQ(imported->rows_created, 283);
  EXPECT_TRUE(imported->applied);
  auto copied = service_->ListRows(admin_, "school-copy");
  ASSERT_EQ(copied->size(), 283u);
  for (size_t i = 0; i < copied->size(); ++i) {
    LedgerRow a = (*copied)[i].row, b = (*before)[i].row;
    EXPECT_EQ(a.key, b.key);
    EXPECT_EQ(a.title, b.title);
    EXPECT_EQ(a.unit, b.unit);
    EXPECT_EQ(a.subdistrict, b.subdistrict);
    EXPECT_EQ(a.batch, b.batch);
    EXPECT_EQ(a.state, b.state);
    EXPECT_EQ(a.progress, b.progress);
    EXPECT_EQ(a.values, b.values);
  }
  // CSV round-trips too.
  auto csv = service_->ExportCsv(admin_, "school-reopening");
  LedgerImportOptions csv_options;
  auto csv_report = service_->Import(admin_, "school-reopening", *csv, csv_options);
  ASSERT_TRUE(csv_report.ok());
  EXPECT_EQ(csv_report->rows_unchanged, 283);
}

TEST_F(LedgerServiceTest, AnImportWithOneBadCellImportsNothingAndNamesTheCell) {
  ASSERT_TRUE(service_->CreateLedger(admin_, Simple()).ok());
  const std::string csv =
      "编号,名称,责任单位,批次,类型,面积\n"
      "A1,一号院," + sd0_ + ",第一批,品质型,1200\n"
      "A2,二号院," + sd1_ + ",第一批,大修型,800\n"
      "A3,三号院," + sd1_ + ",第一批,改善型,900\n";
  LedgerImportOptions options;
  auto report = service_->Import(owner_, "greening", csv, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->errors.size(), 1u);
  const LedgerImportError& e = report->errors[0];
  EXPECT_EQ(e.row, 3);
  EXPECT_EQ(e.column, "类型");
  EXPECT_EQ(e.value, "大修型");
  EXPECT_EQ(e.reason, (LedgerReason{"not_a_choice", {"大修型", "品质型, 改善型"}}));
  EXPECT_EQ(e.reason.Text(), "'大修型' is not one of 品质型, 改善型");
  EXPECT_FALSE(report->applied);
  EXPECT_TRUE(service_->ListRows(admin_, "greening")->empty());
  // Dry run with valid_rows_only: reports, writes nothing.
  options.valid_rows_only = true;
  options.dry_run = true;
  report = service_->Import(owner_, "greening", csv, options);
  EXPECT_EQ(report->rows_created, 2);
  EXPECT_TRUE(service_->ListRows(admin_, "greening")->empty());
  // valid_rows_only: the two good rows, atomically.
  options.dry_run = false;
  report = service_->Import(owner_, "greening", csv, options);
  EXPECT_TRUE(report->applied);
  auto rows = service_->ListRows(admin_, "greening");
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].row.key, "A1");
  EXPECT_EQ((*rows)[1].row.key, "A3");
  // A responsible unit may not import.
  EXPECT_EQ(service_->Import(Office(sd0_), "greening", csv, {}).status().code(),
            StatusCode::kPermissionDenied);
  // An unknown header is reported on the header row.
  report = service_->Import(owner_, "greening", "编号,颜色\nA9,红\n", {});
  ASSERT_EQ(report->errors.size(), 1u);
  EXPECT_EQ(report->errors[0].row, 1);
  EXPECT_EQ(report->errors[0].column, "颜色");
}

}  // namespace
}  // namespace citygrid::service
