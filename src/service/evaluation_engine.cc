#include "citygrid/service/evaluation_engine.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "citygrid/domain/case_state_machine.h"
#include "citygrid/service/day_series.h"

namespace citygrid::service {
namespace {

constexpr int64_t kUnset = std::numeric_limits<int64_t>::min();
constexpr int64_t kDayMs = 24LL * 3600 * 1000;
constexpr int64_t kOffsetMs = static_cast<int64_t>(kShanghaiOffsetMinutes) * 60 * 1000;
constexpr int kRecordsPerChunk = 1 << 16;

int32_t DayOfMs(int64_t ms) {
  int64_t shifted = ms + kOffsetMs;
  int64_t day = shifted / kDayMs;
  if (shifted % kDayMs < 0) --day;
  return static_cast<int32_t>(day);
}

constexpr std::string_view kDimensionNames[kDimensionCount] = {
    "unit", "subdistrict", "community", "grid", "inspector", "category", "unit,category"};

}  // namespace

std::string_view Name(Dimension d) { return kDimensionNames[static_cast<int>(d)]; }

Result<Dimension> ParseDimension(std::string_view text) {
  if (text == "category,unit") return Dimension::kUnitCategory;
  for (int i = 0; i < kDimensionCount; ++i) {
    if (kDimensionNames[i] == text) return static_cast<Dimension>(i);
  }
  return InvalidArgumentError(
      "query parameter 'group_by' must be one of unit, subdistrict, community, grid, inspector, "
      "category, unit,category; got '" +
      std::string(text.substr(0, 60)) + "'");
}

int32_t CivilDay(Timestamp t) { return DayOfMs(ToUnixMillis(t)); }

int32_t CivilDay(std::chrono::year_month_day date) {
  return static_cast<int32_t>(std::chrono::sys_days(date).time_since_epoch().count());
}

std::chrono::year_month_day DateOfCivilDay(int32_t day) {
  return std::chrono::year_month_day(std::chrono::sys_days(std::chrono::days(day)));
}

bool IndicatorCounts::empty() const {
  for (int64_t v : metrics) {
    if (v != 0) return false;
  }
  for (int64_t v : handle_time) {
    if (v != 0) return false;
  }
  return true;
}

IndicatorCounts& IndicatorCounts::operator+=(const IndicatorCounts& other) {
  for (int i = 0; i < kMetricCount; ++i) metrics[i] += other.metrics[i];
  for (int i = 0; i < kHandleTimeBuckets; ++i) handle_time[i] += other.handle_time[i];
  return *this;
}

// ---------------------------------------------------------------- private types

struct EvaluationEngine::CaseRecord {
  int64_t created = kUnset;
  int64_t valid = kUnset;
  int64_t registered = kUnset;
  int64_t first_dispatch = kUnset;
  int64_t dispatched = kUnset;  // last dispatch
  int64_t handled = kUnset;     // last feedback
  int64_t closed = kUnset;
  int64_t handle_deadline = kUnset;
  int64_t pending_until = kUnset;  // an unanswered postpone request
  uint32_t handle_minutes = 0;
  uint32_t group[kDimensionCount] = {};
  CaseState state = CaseState::kReported;
  bool exists = false;
  bool public_channel = false;
  bool returned = false;
  bool reworked = false;
  bool handle_overdue = false;
  bool overdue_now = false;
};

struct EvaluationEngine::DimensionTable {
  std::unordered_map<std::string, uint32_t> ids;
  std::vector<std::string> keys;
  std::vector<DaySeries> groups;
  std::vector<uint32_t> by_key;  // group ids in key order (queries answer in key order)

  uint32_t Intern(const std::string& key) {
    auto [it, inserted] = ids.try_emplace(key, static_cast<uint32_t>(keys.size()));
    if (inserted) {
      keys.push_back(key);
      groups.emplace_back();
      // New keys are rare (a new grid, unit or inspector): an insertion keeps the order.
      auto at = std::lower_bound(by_key.begin(), by_key.end(), key,
                                 [&](uint32_t g, const std::string& k) { return keys[g] < k; });
      by_key.insert(at, it->second);
    }
    return it->second;
  }
};

struct EvaluationEngine::Rollups {
  std::vector<std::unique_ptr<CaseRecord[]>> chunks;
  DimensionTable dims[kDimensionCount];
  std::vector<int64_t> overdue_by_unit;  // by unit group id
  // Rebuild() contributes every record as plain day counts and seals the series once.
  bool loading = false;
  int64_t position = 0;
  int64_t cases = 0;
  int64_t skipped_events = 0;

  CaseRecord* Find(int64_t case_id) {
    if (case_id < 0) return nullptr;
    size_t chunk = static_cast<size_t>(case_id / kRecordsPerChunk);
    if (chunk >= chunks.size() || !chunks[chunk]) return nullptr;
    return &chunks[chunk][case_id % kRecordsPerChunk];
  }
  CaseRecord& Slot(int64_t case_id) {
    size_t chunk = static_cast<size_t>(case_id / kRecordsPerChunk);
    if (chunk >= chunks.size()) chunks.resize(chunk + 1);
    if (!chunks[chunk]) chunks[chunk].reset(new CaseRecord[kRecordsPerChunk]);
    return chunks[chunk][case_id % kRecordsPerChunk];
  }

  void SetUnit(CaseRecord& r, const std::string& unit) {
    r.group[static_cast<int>(Dimension::kUnit)] = dims[static_cast<int>(Dimension::kUnit)].Intern(unit);
    const std::string& category =
        dims[static_cast<int>(Dimension::kCategory)].keys[r.group[static_cast<int>(Dimension::kCategory)]];
    r.group[static_cast<int>(Dimension::kUnitCategory)] =
        dims[static_cast<int>(Dimension::kUnitCategory)].Intern(unit + "|" + category);
  }

  // Adds (sign +1) or removes (-1) everything `r` counts.
  void Contribute(const CaseRecord& r, int sign);
};

namespace {

struct Item {
  int32_t day;
  int16_t metric;  // -1: histogram bucket `value`
  int32_t value;
};

}  // namespace

void EvaluationEngine::Rollups::Contribute(const CaseRecord& r, int sign) {
  if (!r.exists) return;
  Item items[24];
  int n = 0;
  auto add = [&](int64_t at, Metric m, int32_t value = 1) {
    items[n++] = Item{DayOfMs(at), static_cast<int16_t>(m), value};
  };
  add(r.created, Metric::kReported);
  if (r.valid != kUnset) {
    add(r.valid, Metric::kValid);
    if (r.public_channel) add(r.valid, Metric::kPublicReports);
  }
  if (r.registered != kUnset) add(r.registered, Metric::kRegistered);
  if (r.first_dispatch != kUnset) {
    add(r.first_dispatch, Metric::kDispatched);
    add(r.first_dispatch, r.returned ? Metric::kReturned : Metric::kAccuratelyDispatched);
  }
  const bool gone = r.state == CaseState::kCancelled || r.state == CaseState::kMerged;
  if (r.first_dispatch != kUnset && r.handle_deadline != kUnset && !gone) {
    const int64_t deadline = r.handle_deadline;
    if (r.state == CaseState::kSuspended) {
      add(deadline, Metric::kSuspended);
    } else {
      const bool handled_now =
          r.handled != kUnset && (r.state == CaseState::kChecking ||
                                  r.state == CaseState::kChecked || r.state == CaseState::kClosed);
      const int64_t due_h = handled_now && r.handled <= deadline ? r.handled : deadline;
      add(due_h, Metric::kShouldHandle);
      if (handled_now) {
        add(due_h, Metric::kHandled);
        add(due_h, Metric::kHandleMinutes, static_cast<int32_t>(r.handle_minutes));
        items[n++] = Item{DayOfMs(due_h), -1, HandleTimeBucket(r.handle_minutes)};
        if (r.handled <= deadline) add(due_h, Metric::kHandledOnTime);
        if (r.reworked) add(due_h, Metric::kRework);
      }
      if (r.handle_overdue || (handled_now && r.handled > deadline)) {
        add(due_h, Metric::kOverdueHandling);
      }
      const bool closed_now = r.state == CaseState::kClosed && r.closed != kUnset;
      const int64_t due_c = closed_now && r.closed <= deadline ? r.closed : deadline;
      add(due_c, Metric::kShouldClose);
      if (closed_now) {
        add(due_c, Metric::kClosed);
        if (r.closed <= deadline) add(due_c, Metric::kClosedOnTime);
      }
    }
  }
  for (int d = 0; d < kDimensionCount; ++d) {
    DaySeries& g = dims[d].groups[r.group[d]];
    for (int i = 0; i < n; ++i) {
      const Item& it = items[i];
      const int slot = it.metric < 0 ? HandleTimeSlot(it.value) : it.metric;
      const int64_t v = it.metric < 0 ? sign : static_cast<int64_t>(sign) * it.value;
      if (loading) {
        g.AddDaily(it.day, slot, v);
      } else {
        g.Add(it.day, slot, v);
      }
    }
  }
  if (r.overdue_now && !IsTerminal(r.state)) {
    const uint32_t unit = r.group[static_cast<int>(Dimension::kUnit)];
    if (unit >= overdue_by_unit.size()) overdue_by_unit.resize(unit + 1, 0);
    overdue_by_unit[unit] += sign;
  }
}

namespace {

bool Folds(const CaseEvent& e) {
  return e.type == EventType::kCreated || e.type == EventType::kAction ||
         e.type == EventType::kOverdue;
}

}  // namespace

// ---------------------------------------------------------------- engine

EvaluationEngine::EvaluationEngine(storage::CaseStore& store, CalendarSource calendar,
                                   EvaluationEngineOptions options)
    : store_(store),
      calendar_(std::move(calendar)),
      options_(options),
      data_(std::make_unique<Rollups>()) {}

EvaluationEngine::~EvaluationEngine() = default;

Status EvaluationEngine::FoldBatch(Rollups& data, const std::vector<CaseEvent>& events,
                                   bool incremental) {
  std::shared_ptr<const WorkCalendar> calendar = calendar_();
  for (const CaseEvent& e : events) {
    data.position = std::max(data.position, e.global_seq);
    if (!Folds(e)) continue;
    const int64_t at = ToUnixMillis(e.at);
    if (e.type == EventType::kCreated) {
      Result<Case> opened = FoldHistory({e});
      if (!opened.ok() || e.case_id < 0) {
        ++data.skipped_events;
        continue;
      }
      CaseRecord& r = data.Slot(e.case_id);
      if (r.exists) {
        if (incremental) data.Contribute(r, -1);
      } else {
        ++data.cases;
      }
      r = CaseRecord{};
      r.exists = true;
      r.created = at;
      r.state = opened->state;
      r.public_channel = opened->channel != Channel::kInspector;
      if (r.state == CaseState::kPending) r.valid = at;
      const CaseLocation& l = opened->location;
      auto dim = [&](Dimension d) -> DimensionTable& { return data.dims[static_cast<int>(d)]; };
      r.group[static_cast<int>(Dimension::kSubdistrict)] = dim(Dimension::kSubdistrict).Intern(l.subdistrict_code);
      r.group[static_cast<int>(Dimension::kCommunity)] = dim(Dimension::kCommunity).Intern(l.community_code);
      r.group[static_cast<int>(Dimension::kGrid)] = dim(Dimension::kGrid).Intern(l.grid_code);
      r.group[static_cast<int>(Dimension::kCategory)] = dim(Dimension::kCategory).Intern(opened->category);
      r.group[static_cast<int>(Dimension::kInspector)] = dim(Dimension::kInspector).Intern(
          e.actor.role == Role::kInspector ? e.actor.user : std::string());
      data.SetUnit(r, "");
      if (incremental) data.Contribute(r, +1);
      continue;
    }
    CaseRecord* found = data.Find(e.case_id);
    if (found == nullptr || !found->exists) {
      ++data.skipped_events;
      continue;
    }
    CaseRecord& r = *found;
    if (incremental) data.Contribute(r, -1);
    if (e.type == EventType::kOverdue) {
      r.overdue_now = true;
      if (e.payload_json.find("\"handle\"") != std::string::npos) r.handle_overdue = true;
    } else if (e.action.has_value()) {
      const Action action = *e.action;
      Result<ActionParams> params = DecodeActionParams(action, e.payload_json);
      if (!params.ok()) {
        ++data.skipped_events;
        if (incremental) data.Contribute(r, +1);
        continue;
      }
      const CaseState before = r.state;
      CaseState after = before;
      switch (action) {
        case Action::kVerify:
          if (params->valid.value_or(false)) {
            after = CaseState::kPending;
            r.valid = at;
          } else {
            after = CaseState::kInvalid;
          }
          if (e.actor.role == Role::kInspector) {
            DimensionTable& inspectors = data.dims[static_cast<int>(Dimension::kInspector)];
            uint32_t& g = r.group[static_cast<int>(Dimension::kInspector)];
            if (inspectors.keys[g].empty()) g = inspectors.Intern(e.actor.user);
          }
          break;
        case Action::kRegister:
          r.registered = at;
          after = CaseState::kRegistered;
          break;
        case Action::kReject:
          after = CaseState::kNotRegistered;
          break;
        case Action::kDispatch:
          data.SetUnit(r, params->unit);
          if (r.first_dispatch == kUnset) r.first_dispatch = at;
          r.dispatched = at;
          after = CaseState::kDispatched;
          break;
        case Action::kAccept:
          after = CaseState::kHandling;
          break;
        case Action::kReturn:
          r.returned = true;
          data.SetUnit(r, "");
          after = CaseState::kRegistered;
          break;
        case Action::kPostponeRequest:
          r.pending_until = params->until ? ToUnixMillis(*params->until) : kUnset;
          break;
        case Action::kPostponeApprove:
          r.handle_deadline = r.pending_until;
          r.overdue_now = false;
          r.pending_until = kUnset;
          break;
        case Action::kPostponeDeny:
          r.pending_until = kUnset;
          break;
        case Action::kSuspend:
          after = CaseState::kSuspended;
          break;
        case Action::kResume:
          after = CaseState::kHandling;
          break;
        case Action::kFeedback: {
          r.handled = at;
          int64_t from = r.dispatched != kUnset ? r.dispatched : at;
          Duration work = calendar->WorkTimeBetween(FromUnixMillis(from), e.at);
          r.handle_minutes = static_cast<uint32_t>(
              std::min<int64_t>(work.count() / 60000, std::numeric_limits<int32_t>::max()));
          after = CaseState::kChecking;
          break;
        }
        case Action::kCheckPass:
          after = CaseState::kChecked;
          break;
        case Action::kCheckFail:
          r.reworked = true;
          after = CaseState::kHandling;
          break;
        case Action::kClose:
          r.closed = at;
          after = CaseState::kClosed;
          break;
        case Action::kCancel:
          after = CaseState::kCancelled;
          break;
        case Action::kMerge:
          after = CaseState::kMerged;
          break;
        case Action::kSupervise:
        case Action::kComment:
          break;
      }
      if (after != CaseState::kHandling) r.pending_until = kUnset;
      if (StageOf(after) != StageOf(before)) {
        r.overdue_now = false;
        if (StageOf(after) == Stage::kHandle) {
          r.handle_deadline = params->deadline ? ToUnixMillis(*params->deadline) : kUnset;
        }
      }
      r.state = after;
    }
    if (incremental) data.Contribute(r, +1);
  }
  return OkStatus();
}

Status EvaluationEngine::Rebuild() {
  std::lock_guard poll_lock(poll_mu_);
  // Fold into a fresh set of roll-ups that only this thread sees (queries keep reading the old
  // ones), first the records alone, then every record's contributions once; then swap.
  auto fresh = std::make_unique<Rollups>();
  for (;;) {
    Result<std::vector<CaseEvent>> events = store_.EventsAfter(fresh->position, options_.batch);
    if (!events.ok()) return events.status();
    if (events->empty()) break;
    CITYGRID_RETURN_IF_ERROR(FoldBatch(*fresh, *events, /*incremental=*/false));
    if (static_cast<int>(events->size()) < options_.batch) break;
  }
  fresh->loading = true;
  for (auto& chunk : fresh->chunks) {
    if (!chunk) continue;
    for (int i = 0; i < kRecordsPerChunk; ++i) fresh->Contribute(chunk[i], +1);
  }
  for (DimensionTable& t : fresh->dims) {
    for (DaySeries& g : t.groups) g.Seal();
  }
  fresh->loading = false;
  {
    std::unique_lock lock(data_mu_);
    std::swap(data_, fresh);
  }
  ready_.store(true);
  return OkStatus();
}

Result<int> EvaluationEngine::PollOnce() {
  if (!ready_.load()) {
    CITYGRID_RETURN_IF_ERROR(Rebuild());
  }
  return FollowEventLog(store_, *this, options_.batch);
}

Status EvaluationEngine::Apply(const std::vector<CaseEvent>& events) {
  std::lock_guard poll_lock(poll_mu_);
  std::unique_lock lock(data_mu_);
  return FoldBatch(*data_, events, /*incremental=*/true);
}

int64_t EvaluationEngine::position() const {
  std::shared_lock lock(data_mu_);
  return data_->position;
}

Result<std::vector<GroupCounts>> EvaluationEngine::Query(Dimension dimension, int32_t from_day,
                                                         int32_t to_day) const {
  if (!ready_.load()) {
    return UnavailableError("the evaluation engine is still reading the event log; retry shortly");
  }
  if (from_day > to_day) return InvalidArgumentError("from is after to");
  std::shared_lock lock(data_mu_);
  const DimensionTable& table = data_->dims[static_cast<int>(dimension)];
  int64_t sums[kDayValues];
  std::vector<GroupCounts> out;
  out.reserve(table.by_key.size());
  for (uint32_t g : table.by_key) {
    if (!table.groups[g].Sum(from_day, to_day, sums)) continue;
    GroupCounts& row = out.emplace_back();
    row.key = table.keys[g];
    std::copy(sums, sums + kMetricCount, row.counts.metrics.begin());
    std::copy(sums + kMetricCount, sums + kDayValues, row.counts.handle_time.begin());
  }
  return out;
}

Result<std::vector<GroupMetrics>> EvaluationEngine::QueryMetrics(Dimension dimension,
                                                                int32_t from_day,
                                                                int32_t to_day) const {
  if (!ready_.load()) {
    return UnavailableError("the evaluation engine is still reading the event log; retry shortly");
  }
  if (from_day > to_day) return InvalidArgumentError("from is after to");
  std::shared_lock lock(data_mu_);
  const DimensionTable& table = data_->dims[static_cast<int>(dimension)];
  std::vector<GroupMetrics> out;
  out.reserve(table.by_key.size());
  for (uint32_t g : table.by_key) {
    GroupMetrics row;
    if (!table.groups[g].SumMetrics(from_day, to_day, row.metrics.data())) continue;
    row.key = table.keys[g];
    out.push_back(std::move(row));
  }
  return out;
}

Result<std::vector<std::pair<std::string, int64_t>>> EvaluationEngine::OverdueByUnit() const {
  if (!ready_.load()) {
    return UnavailableError("the evaluation engine is still reading the event log; retry shortly");
  }
  std::shared_lock lock(data_mu_);
  std::vector<std::pair<std::string, int64_t>> out;
  const DimensionTable& units = data_->dims[static_cast<int>(Dimension::kUnit)];
  for (size_t u = 0; u < data_->overdue_by_unit.size(); ++u) {
    if (data_->overdue_by_unit[u] != 0) out.emplace_back(units.keys[u], data_->overdue_by_unit[u]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

EngineMemory EvaluationEngine::memory() const {
  std::shared_lock lock(data_mu_);
  EngineMemory m;
  m.cases = data_->cases;
  for (const auto& chunk : data_->chunks) {
    m.record_bytes += sizeof(std::unique_ptr<CaseRecord[]>);
    if (chunk) m.record_bytes += static_cast<int64_t>(sizeof(CaseRecord)) * kRecordsPerChunk;
  }
  for (const DimensionTable& t : data_->dims) {
    m.aggregate_bytes += static_cast<int64_t>(t.by_key.capacity() * sizeof(uint32_t));
    for (size_t g = 0; g < t.groups.size(); ++g) {
      m.aggregate_bytes += t.groups[g].bytes();
      // Key text, the hash node and the key vector entry.
      m.aggregate_bytes += static_cast<int64_t>(2 * (sizeof(std::string) + t.keys[g].capacity()) + 32);
    }
  }
  return m;
}

}  // namespace citygrid::service
