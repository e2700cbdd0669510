#pragma once

// A hand-built evaluation report for the encoding tests (JSON in tests/http, CSV in
// tests/service): what a real table holds and the edges of the encodings.

#include <chrono>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "citygrid/domain/indicator.h"
#include "citygrid/service/evaluation_service.h"

namespace citygrid::service::testing {

inline std::chrono::year_month_day Day(int y, unsigned m, unsigned d) {
  return std::chrono::year_month_day(std::chrono::year(y), std::chrono::month(m),
                                     std::chrono::day(d));
}

// A table with what a real one holds and the edges of the encoding: Chinese names, quotes,
// backslashes, commas, line breaks and control characters in keys and names, undefined (null)
// figures and unranked rows, negative and negative-zero changes, figures that round up/down at the
// 3rd decimal, huge counts, an empty key.
inline EvaluationReport RichEvaluationReport() {
  EvaluationReport report;
  report.from = Day(2026, 3, 2);
  report.to = Day(2026, 3, 8);
  report.previous_from = Day(2026, 2, 23);
  report.previous_to = Day(2026, 3, 1);
  report.last_year_from = Day(2025, 3, 2);
  report.last_year_to = Day(2025, 3, 8);
  report.weights = DefaultEvaluationWeights();
  report.weights.weights.emplace_back("odd \"weight\"", 0.125);
  report.weights.version = 7;
  std::mt19937_64 rng(20260308);
  std::uniform_real_distribution<double> percent(0, 100);
  const char* names[] = {"中原区市政管理局", "Grid \"7\" \\ north", "tab\there\nnew\x01line", "",
                         "绿城街道 第3网格", "comma, and \r\n"};
  for (Dimension d : {Dimension::kGrid, Dimension::kUnitCategory}) {
    EvaluationTable table;
    table.group_by = d;
    for (int i = 0; i < 60; ++i) {
      EvaluationRow r;
      r.key = i == 3 ? "" : "G" + std::to_string(i) + (i % 7 == 0 ? "|\"q\"" : "");
      r.name = names[i % 6];
      for (int m = 0; m < kMetricCount; ++m) {
        r.counts.metrics[m] = i == 5 ? std::numeric_limits<int64_t>::max() - m
                                     : static_cast<int64_t>(rng() % 100000) - (m == 2 ? 1 : 0);
      }
      for (int k = 0; k < kRateCount; ++k) {
        if ((i + k) % 5 != 0) r.rates[k] = percent(rng);
      }
      r.rates[0] = i % 4 == 0 ? 93.715 : i % 4 == 1 ? 0.005 : i % 4 == 2 ? 100.0 : 1e-9;
      if (i == 9) r.rates[1] = 12345678.905;
      if (i % 3 != 0) r.avg_handle_hours = percent(rng) * 10;
      if (i % 4 != 0) r.p90_handle_hours = percent(rng) * 20;
      if (i % 6 != 5) {
        r.score = percent(rng);
        r.rank = i + 1;
      }
      if (i % 2 == 0) r.previous_score = percent(rng);
      if (r.score && r.previous_score) r.score_change = *r.score - *r.previous_score;
      if (i % 5 == 1) r.last_year_score = percent(rng);
      if (r.score && r.last_year_score) r.score_change_yoy = *r.score - *r.last_year_score;
      if (i == 8) r.score_change = -0.001;  // rounds to -0: Boost writes "-0E0"
      table.rows.push_back(std::move(r));
    }
    table.total.key = "";
    table.total.name = "合计";
    table.total.rates[static_cast<int>(Rate::kClose)] = 75.82;
    table.total.avg_handle_hours = 12.345;
    table.total.score = 50;  // not written for the total
    report.tables.push_back(std::move(table));
  }
  return report;
}

}  // namespace citygrid::service::testing
