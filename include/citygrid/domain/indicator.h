#pragma once

// The indicators of 综合评价 (evaluation): the counts kept per day and group, the rates derived
// from them, and the handling-time histogram. Definitions only — pure, no I/O; the evaluation
// engine (service/evaluation_engine.h) decides which case counts where, docs/evaluation.md
// gives every formula.
//
// Attribution days (Asia/Shanghai civil days) of one case:
//   created day       上报数
//   valid day         有效上报数, 公众举报数 (the day the case reached pending)
//   registered day    立案数
//   first dispatch    派遣数, 准确派遣数, 回退数
//   handling due day  应处置数, 处置数, 按期处置数, 超期处置数, 返工数, 处置用时, 挂账数
//   closing due day   应结案数, 结案数, 按期结案数
// "Due day": the day of the handling deadline, or of the feedback / closing when that came on
// time (before the deadline). Each case is thus due in exactly one window.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace citygrid {

// Counts kept per (group, day). The order is the storage order of the aggregates.
enum class Metric : uint8_t {
  kReported,              // 上报数
  kValid,                 // 有效上报数
  kPublicReports,         // 公众举报数: valid reports from a channel other than inspector
  kRegistered,            // 立案数
  kDispatched,            // 派遣数
  kAccuratelyDispatched,  // 准确派遣数: dispatched and never returned
  kReturned,              // 回退数: dispatched and returned at least once
  kShouldHandle,          // 应处置数
  kHandled,               // 处置数
  kHandledOnTime,         // 按期处置数
  kOverdueHandling,       // 超期处置数
  kRework,                // 返工数: handled cases that failed a check at least once
  kShouldClose,           // 应结案数
  kClosed,                // 结案数
  kClosedOnTime,          // 按期结案数
  kSuspended,             // 挂账数
  kHandleMinutes,         // 处置用时合计 (work minutes), for the average
};
inline constexpr int kMetricCount = 17;

// "reported", "should_close", ... (API field names).
std::string_view Name(Metric m);
// "上报数", "应结案数", ...
std::string_view ChineseName(Metric m);

// Rates: numerator / denominator × 100 %, undefined (nullopt) when the denominator is 0.
enum class Rate : uint8_t {
  kRegistration,      // 立案率 = 立案数 / 有效上报数
  kAccurateDispatch,  // 准确派遣率 = 准确派遣数 / 派遣数
  kHandle,            // 处置率 = 处置数 / 应处置数
  kOnTimeHandle,      // 按期处置率 = 按期处置数 / 应处置数
  kRework,            // 返工率 = 返工数 / 处置数
  kClose,             // 结案率 = 结案数 / 应结案数
  kOnTimeClose,       // 按期结案率 = 按期结案数 / 应结案数
  kPublicReport,      // 监督举报率 = 公众举报数 / 有效上报数
};
inline constexpr int kRateCount = 8;

struct RateDefinition {
  Rate rate;
  std::string_view name;     // "close_rate"
  std::string_view chinese;  // "结案率"
  Metric numerator;
  Metric denominator;
  bool higher_is_better;     // false for 返工率 and 监督举报率
};

const RateDefinition& Definition(Rate r);
// nullopt when the name is not a rate.
std::optional<Rate> ParseRate(std::string_view name);

// The rate in percent, or nullopt when the denominator is 0.
std::optional<double> RatePercent(int64_t numerator, int64_t denominator);

// Handling time histogram (处置用时, work minutes): bucket 0 holds [0, 1) minute; bucket k
// (1 <= k < kHandleTimeBuckets - 1) holds [2^((k-1)/2), 2^(k/2)) minutes, a factor of √2 per
// bucket; the last bucket holds everything from 2^((kHandleTimeBuckets-2)/2) minutes (about
// 512 work hours) up. A percentile is reported as the geometric middle of its bucket, within
// ±19 % of the true value (the last bucket reports its lower bound).
inline constexpr int kHandleTimeBuckets = 32;
int HandleTimeBucket(int64_t minutes);
// The value reported for a percentile falling in `bucket`, in work minutes.
double HandleTimeBucketValue(int bucket);
// The p-th percentile (0 < p <= 100) of a histogram in work minutes; nullopt when empty.
std::optional<double> HandleTimePercentile(const std::array<int64_t, kHandleTimeBuckets>& hist,
                                           double p);

}  // namespace citygrid
