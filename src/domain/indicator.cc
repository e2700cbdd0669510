#include "citygrid/domain/indicator.h"

#include <cmath>

namespace citygrid {
namespace {

struct MetricNames {
  std::string_view name;
  std::string_view chinese;
};

constexpr MetricNames kMetricNames[kMetricCount] = {
    {"reported", "上报数"},
    {"valid", "有效上报数"},
    {"public_reports", "公众举报数"},
    {"registered", "立案数"},
    {"dispatched", "派遣数"},
    {"accurately_dispatched", "准确派遣数"},
    {"returned", "回退数"},
    {"should_handle", "应处置数"},
    {"handled", "处置数"},
    {"handled_on_time", "按期处置数"},
    {"overdue_handling", "超期处置数"},
    {"rework", "返工数"},
    {"should_close", "应结案数"},
    {"closed", "结案数"},
    {"closed_on_time", "按期结案数"},
    {"suspended", "挂账数"},
    {"handle_minutes", "处置用时合计(工作分钟)"},
};

constexpr RateDefinition kRates[kRateCount] = {
    {Rate::kRegistration, "registration_rate", "立案率", Metric::kRegistered, Metric::kValid,
     true},
    {Rate::kAccurateDispatch, "accurate_dispatch_rate", "准确派遣率",
     Metric::kAccuratelyDispatched, Metric::kDispatched, true},
    {Rate::kHandle, "handle_rate", "处置率", Metric::kHandled, Metric::kShouldHandle, true},
    {Rate::kOnTimeHandle, "on_time_handle_rate", "按期处置率", Metric::kHandledOnTime,
     Metric::kShouldHandle, true},
    {Rate::kRework, "rework_rate", "返工率", Metric::kRework, Metric::kHandled, false},
    {Rate::kClose, "close_rate", "结案率", Metric::kClosed, Metric::kShouldClose, true},
    {Rate::kOnTimeClose, "on_time_close_rate", "按期结案率", Metric::kClosedOnTime,
     Metric::kShouldClose, true},
    {Rate::kPublicReport, "public_report_rate", "监督举报率", Metric::kPublicReports,
     Metric::kValid, false},
};

}  // namespace

std::string_view Name(Metric m) { return kMetricNames[static_cast<int>(m)].name; }
std::string_view ChineseName(Metric m) { return kMetricNames[static_cast<int>(m)].chinese; }

const RateDefinition& Definition(Rate r) { return kRates[static_cast<int>(r)]; }

std::optional<Rate> ParseRate(std::string_view name) {
  for (const RateDefinition& d : kRates) {
    if (d.name == name) return d.rate;
  }
  return std::nullopt;
}

std::optional<double> RatePercent(int64_t numerator, int64_t denominator) {
  if (denominator <= 0) return std::nullopt;
  return 100.0 * static_cast<double>(numerator) / static_cast<double>(denominator);
}

int HandleTimeBucket(int64_t minutes) {
  if (minutes < 1) return 0;
  // Bucket k >= 1 holds [2^((k-1)/2), 2^(k/2)): k = floor(2 * log2(minutes)) + 1.
  int k = static_cast<int>(std::floor(2.0 * std::log2(static_cast<double>(minutes)))) + 1;
  // Guard the floating-point edge at exact powers of √2.
  while (k > 1 && static_cast<double>(minutes) < std::exp2((k - 1) / 2.0)) --k;
  while (static_cast<double>(minutes) >= std::exp2(k / 2.0) && k < kHandleTimeBuckets - 1) ++k;
  return k < kHandleTimeBuckets - 1 ? k : kHandleTimeBuckets - 1;
}

double HandleTimeBucketValue(int bucket) {
  if (bucket <= 0) return 0.5;
  if (bucket >= kHandleTimeBuckets - 1) return std::exp2((kHandleTimeBuckets - 2) / 2.0);
  // Geometric middle of [2^((k-1)/2), 2^(k/2)).
  return std::exp2((2.0 * bucket - 1.0) / 4.0);
}

std::optional<double> HandleTimePercentile(const std::array<int64_t, kHandleTimeBuckets>& hist,
                                           double p) {
  int64_t total = 0;
  for (int64_t n : hist) total += n;
  if (total <= 0) return std::nullopt;
  // The smallest value with at least p % of the observations at or below it.
  const int64_t rank = static_cast<int64_t>(std::ceil(p / 100.0 * static_cast<double>(total)));
  int64_t seen = 0;
  for (int k = 0; k < kHandleTimeBuckets; ++k) {
    seen += hist[k];
    if (seen >= rank && hist[k] > 0) return HandleTimeBucketValue(k);
  }
  return HandleTimeBucketValue(kHandleTimeBuckets - 1);
}

}  // namespace citygrid
