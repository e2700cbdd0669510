#pragma once

// EvaluationService: 综合评价 tables for leaders — indicators per group for a window of days,
// the weighted composite score, rank, 环比 (against the window just before) and 同比 (against
// the same dates a year before), exports as CSV and XLSX, the overdue list and the grid heat
// map. Figures come from the EvaluationEngine (service/evaluation_engine.h); definitions are in
// docs/evaluation.md.
//
// Composite score (综合得分), 0-100: Σ weight × component / Σ weight of the components that are
// defined for the row (a rate with a zero denominator is undefined; a row with no defined
// component has no score and no rank). Components: a rate in percent (100 − rate for 返工率 and
// 监督举报率, where lower is better), or registered_share = 100 × the row's 立案数 / the largest
// 立案数 of the table (立案数占比). Default weights: 按期结案率 40, 结案率 30, 立案数占比 20,
// 监督举报率 10. Rank: by score descending, equal scores share a rank (1, 2, 2, 4).
//
// Weights are the document ("setting", "evaluation_weights") {"weights": {"<name>": percent}},
// read on every evaluation so that every node uses the same; admins change them (PutWeights).
//
// Who sees what: leaders, admins, operators, dispatchers and inspectors see every row; a handler
// sees only its own unit's row(s) (group_by unit or unit,category; other groupings and the heat
// map are kPermissionDenied for handlers).
//
// Thread safety: all methods may be called concurrently.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "citygrid/common/clock.h"
#include "citygrid/common/status.h"
#include "citygrid/common/time.h"
#include "citygrid/domain/case.h"
#include "citygrid/domain/indicator.h"
#include "citygrid/service/evaluation_engine.h"
#include "citygrid/service/reference_data.h"
#include "citygrid/storage/store.h"

namespace citygrid::service {

// The component a weight applies to besides the rates.
inline constexpr std::string_view kRegisteredShare = "registered_share";

struct EvaluationWeights {
  // (component name, percent), in a fixed order: the rates of domain/indicator.h by their
  // names, and registered_share. Sum 100.
  std::vector<std::pair<std::string, double>> weights;
  int64_t version = 0;  // of the stored document; 0 = the defaults, never stored

  friend bool operator==(const EvaluationWeights&, const EvaluationWeights&) = default;
};

EvaluationWeights DefaultEvaluationWeights();
// kInvalidArgument naming the component: unknown name, a weight outside 0..100 or not finite,
// or a sum other than 100 (±0.01).
Status ValidateEvaluationWeights(const EvaluationWeights& weights);

struct EvaluationRequest {
  std::chrono::year_month_day from;  // inclusive civil days (Asia/Shanghai)
  std::chrono::year_month_day to;
  std::vector<Dimension> group_by;   // one table each, at least one
};

struct EvaluationRow {
  std::string key;   // group code; "" = none (e.g. not dispatched)
  std::string name;  // display name
  IndicatorCounts counts;
  std::optional<double> rates[kRateCount];  // percent, unrounded
  std::optional<double> avg_handle_hours;   // 平均处置用时 (work hours)
  std::optional<double> p90_handle_hours;   // P90 处置用时 (work hours, ±19 %)
  std::optional<double> score;
  int rank = 0;  // 0 = unranked (no score)
  std::optional<double> previous_score;   // the window before (环比 base)
  std::optional<double> last_year_score;  // the same dates a year before (同比 base)
  std::optional<double> score_change;      // score - previous_score (points)
  std::optional<double> score_change_yoy;  // score - last_year_score
};

struct EvaluationTable {
  Dimension group_by = Dimension::kUnit;
  std::vector<EvaluationRow> rows;  // by rank, unranked last by key
  EvaluationRow total;              // 合计 over the visible rows (no score)
};

struct EvaluationReport {
  std::chrono::year_month_day from, to;
  std::chrono::year_month_day previous_from, previous_to;    // 环比 window
  std::chrono::year_month_day last_year_from, last_year_to;  // 同比 window
  EvaluationWeights weights;
  std::vector<EvaluationTable> tables;  // one per requested grouping
};

struct OverdueUnit {
  std::string unit;  // "" = not dispatched
  std::string name;
  int64_t overdue = 0;
};

struct OverdueReport {
  Timestamp as_of{};
  int64_t total = 0;
  std::vector<OverdueUnit> units;  // most overdue first
  std::vector<Case> cases;         // the longest overdue first (earliest stage deadline), masked
};

struct HeatCell {
  std::string grid;
  int64_t reported = 0;
  int64_t registered = 0;
  int64_t should_close = 0;
  int64_t closed = 0;
  int64_t overdue_handling = 0;
};

class EvaluationService {
 public:
  // Every reference must outlive the service.
  EvaluationService(EvaluationEngine& engine, storage::Store& store,
                    ReferenceDataService& reference, const Clock& clock);

  // kInvalidArgument naming 'from'/'to' when from > to or the window exceeds 3660 days, or
  // 'group_by' when empty; kPermissionDenied for a handler asking for another grouping;
  // kUnavailable while the engine rebuilds.
  Result<EvaluationReport> Evaluate(const Actor& viewer, const EvaluationRequest& request);

  Result<EvaluationWeights> GetWeights();
  // Admins only (kPermissionDenied); validation as ValidateEvaluationWeights. Returns the
  // stored weights with their new version.
  Result<EvaluationWeights> PutWeights(const Actor& actor, const EvaluationWeights& weights);

  // Open cases overdue now, per unit, and the first `limit` (1..1000) of them.
  Result<OverdueReport> Overdue(const Actor& viewer, int limit);

  // Counts per grid for the window (grids with any count). Handlers: kPermissionDenied.
  Result<std::vector<HeatCell>> Heatmap(const Actor& viewer, std::chrono::year_month_day from,
                                        std::chrono::year_month_day to);

  // Exports. CSV: UTF-8 with a BOM, Chinese header, one grouping (the first table). XLSX: one
  // sheet per table, Chinese header row.
  static std::string ToCsv(const EvaluationReport& report);
  static Result<std::string> ToXlsx(const EvaluationReport& report);

  // Chinese header of the export columns, in order (shared by CSV and XLSX).
  static std::vector<std::string> ExportHeader(Dimension group_by);

  EvaluationEngine& engine() { return engine_; }

 private:
  EvaluationEngine& engine_;
  storage::Store& store_;
  ReferenceDataService& reference_;
  const Clock& clock_;
};

}  // namespace citygrid::service
