#pragma once

// EvaluationEngine: the in-memory roll-ups behind 综合评价 (evaluation), folded from the
// deployment-wide event log (CaseStore::EventsAfter) and kept current by following it, so every
// node sharing one database reaches the same figures.
//
// What it keeps:
//   - one compact record per case (CaseRecord, ~100 bytes): the instants and group ids the
//     indicators need, folded from the case's events by the same rules as the domain's state
//     machine (domain/case_state_machine.h);
//   - per grouping dimension (unit, sub-district, community, grid, inspector, category,
//     unit×category) and group: per-day counts of every Metric (domain/indicator.h) and the
//     handling-time histogram as a DaySeries (service/day_series.h: running sums in 32-day
//     blocks), so a window of any length costs two lookups per group;
//   - per unit, the number of open cases whose current stage is overdue now.
// A case contributes each metric to one day (its attribution day, see domain/indicator.h). When
// an event changes a case, its old contributions are subtracted and the new ones added, so the
// aggregates always equal a fresh fold of the whole log: Rebuild() and following give the same
// figures (tested).
//
// Which case counts where is defined in docs/evaluation.md; the short form:
//   valid = reached pending; unit = the case's current unit ("" until dispatched and after a
//   return); inspector = the inspector who reported it, else the one who verified it;
//   handled = a feedback stands (state checking, checked or closed); on time = at or before the
//   handling deadline as it stands (after postponements and reworks); cancelled and merged cases
//   leave every due-day figure; suspended (挂账) cases count as 挂账数 instead of 应处置/应结案.
//
// Handling time (处置用时) is the office time (WorkCalendar::WorkTimeBetween) from the last
// dispatch to the last feedback, in whole work minutes, computed with the calendar `calendar()`
// returns when the feedback is folded.
//
// Following: the engine is a subscriber of the process's EventLogFollower
// (event_log_follower.h), subscribed with CatchUpOn::kFollower: on the follower's thread it
// first rebuilds from global_seq 0 (CatchUp), then folds each new batch (Apply). Queries take a
// shared lock and may run from any thread; until the first rebuild has finished they answer
// kUnavailable.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/common/time.h"
#include "citygrid/domain/case.h"
#include "citygrid/domain/indicator.h"
#include "citygrid/domain/work_calendar.h"
#include "citygrid/service/event_log_follower.h"
#include "citygrid/storage/store.h"

namespace citygrid::service {

// How evaluation rows are grouped.
enum class Dimension : uint8_t {
  kUnit,
  kSubdistrict,
  kCommunity,
  kGrid,
  kInspector,
  kCategory,
  kUnitCategory,  // key "unit|category"
};
inline constexpr int kDimensionCount = 7;
// "unit", "subdistrict", "community", "grid", "inspector", "category", "unit,category".
std::string_view Name(Dimension d);
// Parses the names above ("category,unit" too); kInvalidArgument naming group_by otherwise.
Result<Dimension> ParseDimension(std::string_view text);

// Asia/Shanghai civil day number of `t` (days since 1970-01-01).
int32_t CivilDay(Timestamp t);
int32_t CivilDay(std::chrono::year_month_day date);
std::chrono::year_month_day DateOfCivilDay(int32_t day);

// The sums of a window for one group.
struct IndicatorCounts {
  std::array<int64_t, kMetricCount> metrics{};
  std::array<int64_t, kHandleTimeBuckets> handle_time{};

  int64_t operator[](Metric m) const { return metrics[static_cast<int>(m)]; }
  bool empty() const;
  IndicatorCounts& operator+=(const IndicatorCounts& other);
  friend bool operator==(const IndicatorCounts&, const IndicatorCounts&) = default;
};

struct GroupCounts {
  std::string key;  // unit code, grid code, username, category code, "unit|category"; "" = none
  IndicatorCounts counts;
  friend bool operator==(const GroupCounts&, const GroupCounts&) = default;
};

// The metric sums of a window for one group (no handling-time histogram).
struct GroupMetrics {
  std::string key;
  std::array<int64_t, kMetricCount> metrics{};

  int64_t operator[](Metric m) const { return metrics[static_cast<int>(m)]; }
  friend bool operator==(const GroupMetrics&, const GroupMetrics&) = default;
};

struct EngineMemory {
  int64_t cases = 0;
  int64_t record_bytes = 0;     // the case records (capacity)
  int64_t aggregate_bytes = 0;  // day blocks and group tables
  int64_t total() const { return record_bytes + aggregate_bytes; }
};

struct EvaluationEngineOptions {
  int batch = 10000;  // events per EventsAfter call of Rebuild() and PollOnce() (1..10000)
};

class EvaluationEngine final : public EventLogSubscriber {
 public:
  using CalendarSource = std::function<std::shared_ptr<const WorkCalendar>()>;

  // `store` must outlive the engine. `calendar` is asked once per batch of events; it must not
  // return null.
  EvaluationEngine(storage::CaseStore& store, CalendarSource calendar,
                   EvaluationEngineOptions options = {});
  ~EvaluationEngine() override;
  EvaluationEngine(const EvaluationEngine&) = delete;
  EvaluationEngine& operator=(const EvaluationEngine&) = delete;

  // EventLogSubscriber: CatchUp() is Rebuild(); Apply() folds the events in.
  Status CatchUp() override { return Rebuild(); }
  int64_t position() const override;
  Status Apply(const std::vector<CaseEvent>& events) override;

  // Drops everything and folds the whole event log again (the follower's catch-up; callable
  // directly when the engine is not subscribed).
  Status Rebuild();
  // Rebuilds first while not ready(), then folds the events after the position
  // (FollowEventLog). Returns how many were read. For callers that drive the engine without a
  // follower.
  Result<int> PollOnce();

  // Window sums per group of `dimension` for civil days [from_day, to_day], for every group
  // with a non-zero count in the window, ordered by key. kUnavailable before the first rebuild.
  Result<std::vector<GroupCounts>> Query(Dimension dimension, int32_t from_day,
                                         int32_t to_day) const;
  // As Query, the metrics only (for scoring the 环比 and 同比 windows; about half the reads).
  // The same groups as Query: a histogram count always comes with a 处置数 on its day.
  Result<std::vector<GroupMetrics>> QueryMetrics(Dimension dimension, int32_t from_day,
                                                 int32_t to_day) const;
  // Open cases whose current stage is overdue now (marked by the sweeper), per unit key ("" =
  // not dispatched), ordered by key, zero counts left out.
  Result<std::vector<std::pair<std::string, int64_t>>> OverdueByUnit() const;

  bool ready() const { return ready_.load(); }
  EngineMemory memory() const;

 private:
  struct CaseRecord;
  struct DimensionTable;
  struct Rollups;

  Status FoldBatch(Rollups& data, const std::vector<CaseEvent>& events, bool incremental);

  storage::CaseStore& store_;
  CalendarSource calendar_;
  const EvaluationEngineOptions options_;

  std::mutex poll_mu_;  // one Rebuild/Apply at a time
  mutable std::shared_mutex data_mu_;
  std::unique_ptr<Rollups> data_;  // protected by data_mu_
  std::atomic<bool> ready_{false};
};

}  // namespace citygrid::service
