// The CSV of an evaluation table (EvaluationService::ToCsv) is written straight into its text;
// these tests hold it to the bytes of the field-by-field encoding it replaced.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "citygrid/common/csv.h"
#include "citygrid/service/evaluation_service.h"
#include "tests/service/evaluation_report_fixture.h"

namespace citygrid::service {
namespace {

// The reference: one std::string per field (CsvField), numbers by std::to_string and
// snprintf("%.2f"), as ToCsv wrote them before.
std::string ReferenceNumber(double v) {
  if (v == std::floor(v) && std::abs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", std::round(v * 100.0) / 100.0);
  return buf;
}

std::string ReferenceCsv(const EvaluationReport& report) {
  std::string out = "\xEF\xBB\xBF";
  if (report.tables.empty()) return out;
  const EvaluationTable& t = report.tables.front();
  auto line = [&](const std::vector<std::string>& fields) {
    for (size_t i = 0; i < fields.size(); ++i) out += (i > 0 ? "," : "") + CsvField(fields[i]);
    out += "\r\n";
  };
  line(EvaluationService::ExportHeader(t.group_by));
  auto row = [&](const EvaluationRow& r, bool total) {
    std::vector<std::string> f = {total ? "合计" : r.key, total ? "合计" : r.name};
    for (int m = 0; m < kMetricCount; ++m) {
      if (static_cast<Metric>(m) == Metric::kHandleMinutes) continue;
      f.push_back(ReferenceNumber(static_cast<double>(r.counts.metrics[m])));
    }
    auto opt = [&](const std::optional<double>& v) {
      f.push_back(v ? ReferenceNumber(std::round(*v * 100.0) / 100.0) : "");
    };
    for (const auto& rate : r.rates) opt(rate);
    opt(r.avg_handle_hours);
    opt(r.p90_handle_hours);
    opt(r.score);
    f.push_back(r.rank > 0 ? std::to_string(r.rank) : "");
    opt(r.previous_score);
    opt(r.score_change);
    opt(r.last_year_score);
    opt(r.score_change_yoy);
    line(f);
  };
  for (const EvaluationRow& r : t.rows) row(r, false);
  row(t.total, true);
  return out;
}

TEST(EvaluationExportTest, CsvOfARichTableIsByteForByteTheFieldByFieldEncoding) {
  const EvaluationReport report = testing::RichEvaluationReport();
  const std::string csv = EvaluationService::ToCsv(report);
  EXPECT_EQ(csv, ReferenceCsv(report));
  // What the comparison covers, in case both sides went wrong the same way.
  EXPECT_EQ(csv.rfind("\xEF\xBB\xBF网格编码,网格,上报数,", 0), 0u) << csv.substr(0, 80);
  EXPECT_NE(csv.find("\r\nG1,\"Grid \"\"7\"\" \\ north\","), std::string::npos);
  EXPECT_NE(csv.find(",\"comma, and \r\n\","), std::string::npos);
  EXPECT_NE(csv.find(",12345678.91,"), std::string::npos);             // 12345678.905 rounds up
  EXPECT_NE(csv.find(",9223372036854775808.00,"), std::string::npos);  // INT64_MAX as a double
  EXPECT_NE(csv.find("\r\n合计,合计,"), std::string::npos);
  EXPECT_EQ(csv.substr(csv.size() - 2), "\r\n");
  // Header, 60 rows and the total; a name with "\r\n" inside its quotes adds one more.
  size_t lines = 0;
  for (size_t at = csv.find("\r\n"); at != std::string::npos; at = csv.find("\r\n", at + 2))
    ++lines;
  EXPECT_EQ(lines, 1u + 60u + 1u + 10u);
}

TEST(EvaluationExportTest, CsvNumbersAreWholeOrTwoDecimalsAsBefore) {
  EvaluationReport report = testing::RichEvaluationReport();
  EvaluationRow& r = report.tables.front().rows.front();
  const double values[] = {0.0,     -0.0,          0.004, 0.005,      0.015,  -0.015,
                           99.995,  100.0,         1e15,  1e15 + 0.5, -1e15,  2.675,
                           1.005,   123456789.125, 1e300, -0.001,     -0.004, 99.999,
                           -99.999, -12.345,       0.1,   -0.29};
  for (double v : values) {
    r.rates[2] = v;
    r.score = v;
    EXPECT_EQ(EvaluationService::ToCsv(report), ReferenceCsv(report)) << v;
  }
}

TEST(EvaluationExportTest, CsvOfNoTableIsTheByteOrderMarkAlone) {
  EvaluationReport report;
  EXPECT_EQ(EvaluationService::ToCsv(report), "\xEF\xBB\xBF");
  report.tables.emplace_back();
  EXPECT_EQ(EvaluationService::ToCsv(report), ReferenceCsv(report));
}

}  // namespace
}  // namespace citygrid::service
