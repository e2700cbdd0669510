#include "src/http/evaluation_json.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <string>

#include "citygrid/common/time.h"
#include "citygrid/domain/indicator.h"
#include "tests/service/evaluation_report_fixture.h"

namespace citygrid::http {
namespace {

namespace bj = boost::json;
using service::testing::Day;
using std::chrono::year_month_day;

// The reference: the Boost.JSON document GET /api/v1/evaluation built before the body was
// written directly (the encoding clients have seen since the endpoint exists).
bj::value Figure(const std::optional<double>& v) {
  if (!v) return nullptr;
  return std::round(*v * 100.0) / 100.0;
}

bj::object RowDocument(const service::EvaluationRow& r, bool with_score) {
  bj::object counts;
  for (int m = 0; m < kMetricCount; ++m) counts[Name(static_cast<Metric>(m))] = r.counts.metrics[m];
  bj::object rates;
  for (int i = 0; i < kRateCount; ++i)
    rates[Definition(static_cast<Rate>(i)).name] = Figure(r.rates[i]);
  bj::object o{{"key", r.key},
               {"name", r.name},
               {"counts", std::move(counts)},
               {"rates", std::move(rates)},
               {"avg_handle_hours", Figure(r.avg_handle_hours)},
               {"p90_handle_hours", Figure(r.p90_handle_hours)}};
  if (with_score) {
    o["score"] = Figure(r.score);
    o["rank"] = r.rank > 0 ? bj::value(r.rank) : bj::value(nullptr);
    o["previous_score"] = Figure(r.previous_score);
    o["score_change"] = Figure(r.score_change);
    o["last_year_score"] = Figure(r.last_year_score);
    o["score_change_yoy"] = Figure(r.score_change_yoy);
  }
  return o;
}

bj::object WeightsDocument(const service::EvaluationWeights& w) {
  bj::object weights;
  for (const auto& [name, value] : w.weights) weights[name] = value;
  return bj::object{{"weights", std::move(weights)}, {"version", w.version}};
}

bj::object Period(year_month_day from, year_month_day to) {
  return bj::object{{"from", FormatDate(from)}, {"to", FormatDate(to)}};
}

std::string ReportDocument(const service::EvaluationReport& report) {
  bj::array tables;
  for (const service::EvaluationTable& t : report.tables) {
    bj::array rows;
    for (const service::EvaluationRow& row : t.rows) rows.push_back(RowDocument(row, true));
    tables.push_back(bj::object{{"group_by", service::Name(t.group_by)},
                                {"rows", std::move(rows)},
                                {"total", RowDocument(t.total, false)}});
  }
  bj::object o{{"from", FormatDate(report.from)},
               {"to", FormatDate(report.to)},
               {"previous", Period(report.previous_from, report.previous_to)},
               {"last_year", Period(report.last_year_from, report.last_year_to)},
               {"weights", WeightsDocument(report.weights)},
               {"tables", std::move(tables)}};
  return bj::serialize(o);
}

TEST(EvaluationJsonTest, RichReportIsByteForByteTheBoostJsonEncoding) {
  const service::EvaluationReport report = service::testing::RichEvaluationReport();
  const std::string written = EvaluationReportJson(report);
  EXPECT_EQ(written, ReportDocument(report));
  // Spot checks of what the comparison covers, in case both sides went wrong the same way.
  EXPECT_NE(written.find(R"("name":"中原区市政管理局")"), std::string::npos);
  EXPECT_NE(written.find(R"("name":"Grid \"7\" \\ north")"), std::string::npos);
  EXPECT_NE(written.find(R"("name":"tab\there\nnew\u0001line")"), std::string::npos);
  EXPECT_NE(written.find(R"("score_change":-0E0)"), std::string::npos);
  EXPECT_NE(written.find(R"("rank":null)"), std::string::npos);
  EXPECT_NE(written.find(R"("close_rate":7.582E1)"), std::string::npos);
  EXPECT_NE(written.find(R"("odd \"weight\"":1.25E-1},"version":7})"), std::string::npos);
  EXPECT_NE(written.find("9223372036854775807"), std::string::npos);
  EXPECT_EQ(written.find("Infinity"), std::string::npos);
}

TEST(EvaluationJsonTest, EmptyReportAndEmptyTableAreTheBoostJsonEncoding) {
  service::EvaluationReport report;
  report.from = report.to = report.previous_from = report.previous_to = Day(2026, 1, 1);
  report.last_year_from = report.last_year_to = Day(2025, 1, 1);
  EXPECT_EQ(EvaluationReportJson(report), ReportDocument(report));
  EXPECT_EQ(EvaluationReportJson(report),
            R"({"from":"2026-01-01","to":"2026-01-01","previous":{"from":"2026-01-01","to":)"
            R"("2026-01-01"},"last_year":{"from":"2025-01-01","to":"2025-01-01"},"weights":)"
            R"({"weights":{},"version":0},"tables":[]})");
  report.tables.emplace_back();
  EXPECT_EQ(EvaluationReportJson(report), ReportDocument(report));
}

TEST(EvaluationJsonTest, WeightsAreTheBoostJsonEncodingAlsoWithARepeatedName) {
  service::EvaluationWeights w = service::DefaultEvaluationWeights();
  w.version = 3;
  EXPECT_EQ(EvaluationWeightsJson(w), bj::serialize(WeightsDocument(w)));
  EXPECT_EQ(EvaluationWeightsJson(w),
            R"({"weights":{"on_time_close_rate":4E1,"close_rate":3E1,"registered_share":2E1,)"
            R"("public_report_rate":1E1},"version":3})");
  // Boost keeps the first position of a repeated key with its last value.
  w.weights = {{"a", 1}, {"b", 2}, {"a", 3}};
  EXPECT_EQ(EvaluationWeightsJson(w), R"({"weights":{"a":3E0,"b":2E0},"version":3})");
  EXPECT_EQ(EvaluationWeightsJson(w), bj::serialize(WeightsDocument(w)));
}

}  // namespace
}  // namespace citygrid::http
