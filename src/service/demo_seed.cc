#include "citygrid/service/demo_seed.h"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <queue>
#include <random>
#include <thread>
#include <utility>

#include "citygrid/common/clock.h"
#include "citygrid/common/parallel.h"
#include "citygrid/domain/case_state_machine.h"
#include "citygrid/service/case_service.h"

namespace citygrid::service {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

// ---- Reference data -------------------------------------------------------------------------

// Category unit type (Category::unit_type) served by each demo department.
struct DepartmentType {
  const char* code;
  const char* type;
};
constexpr DepartmentType kDepartmentTypes[] = {
    {"CGJ", "城管局"}, {"SZ", "市政"}, {"YL", "园林"},     {"HW", "环卫"},
    {"ZJ", "住建"},    {"JT", "交通"}, {"JJ", "交警"},     {"SCJG", "市场监管"},
};

std::string TypeOfDepartment(const std::string& code) {
  for (const DepartmentType& d : kDepartmentTypes) {
    if (code == d.code) return d.type;
  }
  return "城管局";
}

// ---- Users ----------------------------------------------------------------------------------

std::string RandomPassword() {
  static constexpr char kAlphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string out;
  for (int i = 0; i < 16; ++i) out += kAlphabet[randombytes_uniform(sizeof kAlphabet - 1)];
  return out;
}

std::string LowerAscii(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

const Actor kInspector{"inspector", Role::kInspector, ""};
const Actor kOperator{"operator", Role::kOperator, ""};
const Actor kDispatcher{"dispatcher", Role::kDispatcher, ""};
const Actor kLeader{"leader", Role::kLeader, ""};

// ---- Case plans -----------------------------------------------------------------------------

// The simulated "now" of the seeding thread; the seeding CaseService reads it.
thread_local Timestamp t_now{};

class ThreadClock final : public Clock {
 public:
  Timestamp Now() const override { return t_now; }
};

enum class Fate {
  kClosed,
  kRework,
  kReturned,
  kPostponeApproved,
  kPostponeDenied,
  kSupervised,
  kInvalid,
  kRejected,
  kCancelled,
  kSuspended,
  kSuspendedResumed,
  kStuck,          // stops after `stop_after` steps and runs overdue
  kMergedDuplicate,  // a second report of the previous case, merged by the operator
  kAutoMerged,       // a video_ai report of the previous case, merged at intake
};

struct FateWeight {
  Fate fate;
  int weight;
};
constexpr FateWeight kFates[] = {
    {Fate::kClosed, 44},          {Fate::kRework, 8},     {Fate::kReturned, 6},
    {Fate::kPostponeApproved, 5}, {Fate::kPostponeDenied, 2}, {Fate::kSupervised, 4},
    {Fate::kInvalid, 4},          {Fate::kRejected, 3},   {Fate::kCancelled, 3},
    {Fate::kSuspended, 4},        {Fate::kSuspendedResumed, 2}, {Fate::kStuck, 15},
};

// How long an actor takes for a step.
enum class Pace { kOnTime, kLate, kDays };

struct PlannedStep {
  Action action = Action::kComment;
  Pace pace = Pace::kOnTime;
  std::optional<bool> valid = std::nullopt;
  bool alternative_unit = false;  // dispatch: not the routed unit (after a return)
  bool fail_check = false;
};

struct CasePlan {
  Timestamp created_at{};
  std::string channel;
  std::string category;
  std::string description;
  std::string address;
  Reporter reporter;
  geo::LonLat at;
  int duplicate_of = -1;  // index of the case this one duplicates
  std::vector<PlannedStep> steps;
};

// Frequent categories (most reports are these) and the channels' typical ones.
constexpr const char* kCommonCategories[] = {"06010", "09006", "07001", "09009", "06005",
                                             "01012", "06002", "09005", "06012", "04001",
                                             "03002", "09008", "06001", "08002", "06006"};
constexpr const char* kVideoCategories[] = {"09006", "06010", "09009", "09005", "09008"};

constexpr const char* kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"};
constexpr const char* kGiven[] = {"伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇"};
constexpr const char* kPhrases[] = {"影响居民通行", "已持续数日", "群众反映强烈",
                                    "存在安全隐患", "影响市容", "夜间尤为明显"};
constexpr const char* kResults[] = {"已安排人员现场处置完毕", "已清理完毕，恢复原状",
                                    "已责令当事人整改到位", "已维修更换，运行正常"};

class Planner {
 public:
  Planner(const ReferenceData& data, const DemoSeedOptions& options)
      : data_(data), options_(options), rng_(options.seed) {
    for (const Category& c : data.categories->categories()) all_categories_.push_back(c.code);
    const geo::Geography& g = *data.geography;
    min_ = {1e9, 1e9};
    max_ = {-1e9, -1e9};
    for (const geo::Polygon& p : g.district.area) {
      for (const geo::LonLat& v : p.outer) {
        min_.lon = std::min(min_.lon, v.lon);
        min_.lat = std::min(min_.lat, v.lat);
        max_.lon = std::max(max_.lon, v.lon);
        max_.lat = std::max(max_.lat, v.lat);
      }
    }
  }

  std::vector<CasePlan> Plan() {
    std::vector<CasePlan> plans;
    plans.reserve(options_.cases);
    for (int i = 0; i < options_.cases; ++i) {
      if (i > 0 && plans.back().duplicate_of < 0 && Chance(0.06)) {
        plans.push_back(Duplicate(plans.back(), i - 1, Chance(0.35)));
      } else {
        plans.push_back(Fresh());
      }
    }
    return plans;
  }

 private:
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  template <typename T, size_t N>
  const T& PickFrom(const T (&items)[N]) {
    return items[Pick(static_cast<int>(N))];
  }

  Timestamp CreationTime() {
    const int64_t span = int64_t{options_.days} * 24 * 3600 * 1000;
    int64_t back = std::uniform_int_distribution<int64_t>(0, span - 1)(rng_);
    Timestamp t = options_.end - std::chrono::milliseconds(back);
    CivilTime local = ToCivil(t);
    // Few reports arrive at night: most night draws move into the working day.
    if (local.time_of_day < hours(7) && Chance(0.85)) {
      Timestamp moved = t + hours(8 + Pick(4));
      if (moved < options_.end) t = moved;
    }
    return t;
  }

  geo::LonLat RandomPoint() {
    for (;;) {
      geo::LonLat p{std::uniform_real_distribution<double>(min_.lon, max_.lon)(rng_),
                    std::uniform_real_distribution<double>(min_.lat, max_.lat)(rng_)};
      if (data_.index->Locate(p).in_district) return p;
    }
  }

  std::string AddressOf(geo::LonLat p) {
    std::optional<geo::RoadHit> road = data_.index->NearestRoad(p, 150);
    if (road) {
      return data_.geography->roads[road->road].name + std::to_string(1 + Pick(300)) + "号附近";
    }
    geo::Placement at = data_.index->Locate(p);
    if (at.community >= 0) return data_.geography->communities[at.community].name + "内";
    return "";
  }

  std::string PersonName() { return std::string(PickFrom(kSurnames)) + PickFrom(kGiven); }

  CasePlan Fresh() {
    CasePlan plan;
    plan.created_at = CreationTime();
    int c = Pick(100);
    plan.channel = c < 40 ? "inspector" : c < 60 ? "public" : c < 80 ? "hotline"
                 : c < 90 ? "open311" : "video_ai";
    if (plan.channel == "video_ai") {
      plan.category = PickFrom(kVideoCategories);
    } else if (Chance(0.7)) {
      plan.category = PickFrom(kCommonCategories);
    } else {
      plan.category = all_categories_[Pick(static_cast<int>(all_categories_.size()))];
    }
    plan.at = RandomPoint();
    plan.address = AddressOf(plan.at);
    if (plan.channel == "public" || plan.channel == "hotline" || plan.channel == "open311") {
      plan.reporter.name = PersonName();
      char phone[16];
      std::snprintf(phone, sizeof phone, "1380000%04d", Pick(10000));
      plan.reporter.phone = phone;
    }
    const Category* category = data_.categories->Find(plan.category);
    plan.description = (plan.address.empty() ? std::string("辖区内") : plan.address) +
                       (category ? category->name : std::string("城市管理")) + "问题，" +
                       PickFrom(kPhrases);
    plan.steps = Steps(PickFate(plan.channel), plan.channel == "inspector");
    return plan;
  }

  CasePlan Duplicate(const CasePlan& first, int first_index, bool automatic) {
    CasePlan plan = first;
    plan.duplicate_of = first_index;
    plan.created_at = first.created_at + minutes(10 + Pick(50));
    plan.channel = automatic ? "video_ai" : (Chance(0.5) ? "hotline" : "public");
    geo::LonLat near{first.at.lon + 0.0001 * (Chance(0.5) ? 1 : -1), first.at.lat + 0.0001};
    if (data_.index->Locate(near).in_district) plan.at = near;
    plan.reporter = {};
    if (!automatic) {
      plan.reporter.name = PersonName();
      plan.reporter.phone = "1390000" + std::to_string(1000 + Pick(9000));
    }
    plan.steps.clear();
    if (!automatic) plan.steps.push_back({Action::kMerge, Pace::kOnTime});
    return plan;
  }

  Fate PickFate(const std::string& channel) {
    int total = 0;
    for (const FateWeight& f : kFates) total += f.weight;
    int r = Pick(total);
    for (const FateWeight& f : kFates) {
      if (r < f.weight) {
        if (f.fate == Fate::kInvalid && channel == "inspector") return Fate::kRejected;
        return f.fate;
      }
      r -= f.weight;
    }
    return Fate::kClosed;
  }

  Pace Usually() { return Chance(0.08) ? Pace::kLate : Pace::kOnTime; }

  std::vector<PlannedStep> Steps(Fate fate, bool inspector_channel) {
    std::vector<PlannedStep> s;
    if (!inspector_channel) {
      PlannedStep verify{Action::kVerify, Usually()};
      verify.valid = fate != Fate::kInvalid;
      s.push_back(verify);
      if (fate == Fate::kInvalid) return s;
    }
    if (fate == Fate::kRejected) {
      s.push_back({Action::kReject, Usually()});
      return s;
    }
    if (fate == Fate::kCancelled) {
      s.push_back({Action::kCancel, Usually()});
      return s;
    }
    s.push_back({Action::kRegister, Usually()});
    s.push_back({Action::kDispatch, Usually()});
    if (fate == Fate::kReturned) {
      s.push_back({Action::kReturn, Pace::kOnTime});
      PlannedStep again{Action::kDispatch, Usually()};
      again.alternative_unit = true;
      s.push_back(again);
    }
    s.push_back({Action::kAccept, Usually()});
    switch (fate) {
      case Fate::kPostponeApproved:
        s.push_back({Action::kPostponeRequest, Pace::kOnTime});
        s.push_back({Action::kPostponeApprove, Pace::kOnTime});
        break;
      case Fate::kPostponeDenied:
        s.push_back({Action::kPostponeRequest, Pace::kOnTime});
        s.push_back({Action::kPostponeDeny, Pace::kOnTime});
        break;
      case Fate::kSuspended:
        s.push_back({Action::kSuspend, Pace::kOnTime});
        return s;
      case Fate::kSuspendedResumed:
        s.push_back({Action::kSuspend, Pace::kOnTime});
        s.push_back({Action::kResume, Pace::kDays});
        break;
      case Fate::kSupervised:
        s.push_back({Action::kSupervise, Pace::kLate});
        break;
      default:
        break;
    }
    s.push_back({Action::kFeedback, fate == Fate::kSupervised ? Pace::kLate : Usually()});
    if (fate == Fate::kRework) {
      PlannedStep fail{Action::kCheckFail, Pace::kOnTime};
      s.push_back(fail);
      s.push_back({Action::kFeedback, Usually()});
    }
    s.push_back({Action::kCheckPass, Usually()});
    s.push_back({Action::kClose, Usually()});
    if (fate == Fate::kStuck) {
      // Stops somewhere along the way: the stage's deadline passes and the sweeper marks it.
      int keep = Pick(static_cast<int>(s.size()) + 1) - 1;
      s.resize(std::max(0, keep));
      if (!s.empty()) s.back().pace = Pace::kOnTime;
    }
    return s;
  }

  const ReferenceData& data_;
  const DemoSeedOptions& options_;
  std::mt19937_64 rng_;
  std::vector<std::string> all_categories_;
  geo::LonLat min_, max_;
};

// ---- Replaying the plans --------------------------------------------------------------------

struct CaseRun {
  std::string number;
  int64_t version = 0;
  std::string unit;        // assigned unit (after dispatch)
  std::string routed;      // suggested unit
  std::string subdistrict;
  std::optional<Timestamp> stage_deadline;
  std::optional<Timestamp> handle_deadline;
  size_t next_step = 0;
  bool done = false;
};

class Worker {
 public:
  Worker(CaseService& service, const std::vector<CasePlan>& plans, std::vector<CaseRun>& runs,
         uint64_t seed, Timestamp end)
      : service_(service), plans_(plans), runs_(runs), rng_(seed), end_(end) {}

  void Add(int index) { queue_.push({plans_[index].created_at, index}); }

  // Runs every queued step before `until` in time order. Returns the first hard error.
  Status RunUntil(Timestamp until) {
    while (!queue_.empty() && queue_.top().first < until) {
      auto [at, index] = queue_.top();
      queue_.pop();
      t_now = at;
      CITYGRID_RETURN_IF_ERROR(Step(index));
    }
    return OkStatus();
  }

  int created() const { return created_; }
  int skipped() const { return skipped_; }

 private:
  double Uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng_); }

  // The time of a case's next step, from its pace and the current stage's deadline.
  Timestamp NextTime(const CaseRun& run, Pace pace) {
    Timestamp now = t_now;
    if (pace == Pace::kDays) return now + std::chrono::milliseconds(int64_t(Uniform(1, 4) * 86400e3));
    if (run.stage_deadline && *run.stage_deadline > now) {
      Duration left = *run.stage_deadline - now;
      if (pace == Pace::kLate) {
        return *run.stage_deadline +
               std::chrono::milliseconds(int64_t(Uniform(0.3, 1.5) * double(left.count()) + 3600e3));
      }
      auto ms = std::max<int64_t>(int64_t(Uniform(0.15, 0.85) * double(left.count())), 5 * 60000);
      return now + std::chrono::milliseconds(ms);
    }
    double hours_ahead = pace == Pace::kLate ? Uniform(6, 48) : Uniform(0.2, 3);
    return now + std::chrono::milliseconds(int64_t(hours_ahead * 3600e3));
  }

  void Schedule(int index) {
    CaseRun& run = runs_[index];
    const CasePlan& plan = plans_[index];
    if (run.done || run.next_step >= plan.steps.size()) return;
    Timestamp at = NextTime(run, plan.steps[run.next_step].pace);
    if (at < end_) queue_.push({at, index});
  }

  void Absorb(CaseRun& run, const Case& c) {
    run.version = c.version;
    if (!c.unit.empty()) run.unit = c.unit;  // kept after a return: the next dispatch avoids it
    run.stage_deadline = c.stage_deadline;
    run.handle_deadline = c.handle_deadline;
    if (IsTerminal(c.state)) run.done = true;
  }

  Status Step(int index) {
    const CasePlan& plan = plans_[index];
    CaseRun& run = runs_[index];
    if (run.number.empty()) return Create(index);
    const PlannedStep& step = plan.steps[run.next_step++];
    ActRequest request;
    request.action = step.action;
    request.expected_version = run.version;
    Actor actor;
    switch (step.action) {
      case Action::kVerify:
        actor = kInspector;
        request.params.valid = step.valid;
        if (step.valid == false) request.note = "现场核实无此问题";
        break;
      case Action::kCheckPass:
      case Action::kCheckFail:
        actor = kInspector;
        if (step.action == Action::kCheckFail) request.note = "现场复核未处置到位，返工";
        break;
      case Action::kRegister:
      case Action::kReject:
      case Action::kClose:
      case Action::kCancel:
      case Action::kMerge:
        actor = kOperator;
        if (step.action == Action::kReject) request.note = "不属于城市管理范围";
        if (step.action == Action::kCancel) request.note = "上报人撤回";
        if (step.action == Action::kMerge) request.params.into = runs_[plan.duplicate_of].number;
        break;
      case Action::kDispatch:
        actor = kDispatcher;
        if (step.alternative_unit) {
          request.params.unit = run.unit.rfind("410103", 0) == 0 || run.subdistrict.empty()
                                    ? "CGJ"
                                    : run.subdistrict;
        } else {
          request.params.unit = run.routed.empty() ? "CGJ" : run.routed;
        }
        break;
      case Action::kPostponeApprove:
      case Action::kPostponeDeny:
      case Action::kSuspend:
      case Action::kResume:
        actor = kDispatcher;
        if (step.action == Action::kSuspend) request.note = "涉及多部门协调，暂时挂账";
        break;
      case Action::kSupervise:
        actor = kLeader;
        request.note = "请尽快处置";
        break;
      case Action::kAccept:
      case Action::kReturn:
      case Action::kPostponeRequest:
      case Action::kFeedback:
        actor = Actor{DemoHandlerName(run.unit), Role::kHandler, run.unit};
        if (step.action == Action::kReturn) request.note = "不属于本单位职责";
        if (step.action == Action::kPostponeRequest) {
          Timestamp base = run.stage_deadline.value_or(t_now);
          request.params.until = std::max(base, t_now) + hours(24 * (2 + int(Uniform(0, 3))));
          request.params.reason = "需协调施工队伍，申请延期";
        }
        if (step.action == Action::kFeedback) {
          request.params.result = kResults[std::uniform_int_distribution<int>(0, 3)(rng_)];
        }
        break;
      default:
        actor = kOperator;
        break;
    }
    Result<CaseDetail> detail = service_.Act(actor, run.number, request);
    if (!detail.ok() && detail.status().code() == StatusCode::kAborted) {
      // Another case's step wrote to this one (a merge into it): reload and go on.
      Result<CaseDetail> now = service_.Get(Actor{"admin", Role::kAdmin, ""}, run.number);
      if (!now.ok()) return now.status();
      request.expected_version = now->record.version;
      detail = service_.Act(actor, run.number, request);
    }
    if (!detail.ok()) {
      StatusCode code = detail.status().code();
      if (code == StatusCode::kFailedPrecondition || code == StatusCode::kInvalidArgument ||
          code == StatusCode::kPermissionDenied) {
        ++skipped_;  // e.g. merged meanwhile: the rest of the plan no longer applies
        run.done = true;
        return OkStatus();
      }
      return detail.status();
    }
    Absorb(run, detail->record);
    Schedule(index);
    return OkStatus();
  }

  Status Create(int index) {
    const CasePlan& plan = plans_[index];
    CaseRun& run = runs_[index];
    CreateCaseRequest request;
    request.channel = plan.channel;
    request.category = plan.category;
    request.description = plan.description;
    request.lon = plan.at.lon;
    request.lat = plan.at.lat;
    request.address = plan.address;
    request.reporter = plan.reporter;
    Actor actor = plan.channel == "inspector" ? kInspector
                  : plan.channel == "hotline" ? kOperator
                                              : Actor{plan.channel, Role::kSystem, ""};
    if (plan.duplicate_of >= 0 && runs_[plan.duplicate_of].number.empty()) {
      ++skipped_;  // the first report was never made (it fell after the end)
      run.done = true;
      return OkStatus();
    }
    Result<CreateCaseResult> result =
        service_.Create(actor, request, "demo-" + std::to_string(index));
    if (!result.ok()) return result.status();
    ++created_;
    run.number = result->record.number;
    run.routed = result->record.suggested_unit;
    run.subdistrict = result->record.location.subdistrict_code;
    Absorb(run, result->record);
    Schedule(index);
    return OkStatus();
  }

  using Item = std::pair<Timestamp, int>;
  CaseService& service_;
  const std::vector<CasePlan>& plans_;
  std::vector<CaseRun>& runs_;
  std::mt19937_64 rng_;
  Timestamp end_;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> queue_;
  int created_ = 0;
  int skipped_ = 0;
};

}  // namespace

std::string DemoHandlerName(const std::string& unit_code) {
  return "handler-" + LowerAscii(unit_code);
}

Status SeedDemoReference(ReferenceDataService& reference, const geo::DemoOptions& options) {
  CITYGRID_ASSIGN_OR_RETURN(geo::DemoDistrict demo, geo::GenerateDemoDistrict(options));
  // Units first (street offices are checked against the geography once it is loaded, so the
  // geography goes in before them).
  CITYGRID_RETURN_IF_ERROR(reference.SetGeography(demo.geography));
  for (const geo::DemoUnit& u : demo.units) {
    Unit unit;
    unit.code = u.code;
    if (u.kind == "street_office") {
      unit.name = u.name;
      unit.kind = UnitKind::kStreetOffice;
      unit.type = std::string(kStreetOfficeType);
      unit.subdistrict = u.code;
    } else {
      unit.name = "二七区" + u.name;
      unit.kind = UnitKind::kDepartment;
      unit.type = TypeOfDepartment(u.code);
    }
    CITYGRID_RETURN_IF_ERROR(reference.PutUnit(unit));
  }
  // A few local arrangements beyond the category defaults (DESIGN.md §2 Routing).
  const geo::Geography& g = demo.geography;
  std::vector<RoutingRule> rules;
  // 占道经营 and 店外经营 are the street offices' business in the old town's sub-districts.
  for (size_t i = 0; i < 4 && i < g.subdistricts.size(); ++i) {
    const std::string& sd = g.subdistricts[i].code;
    rules.push_back({"street-vending-" + sd, "09006", RoutingScope::kSubdistrict, sd, sd});
    rules.push_back({"shopfront-" + sd, "09005", RoutingScope::kSubdistrict, sd, sd});
  }
  // 私搭乱建 anywhere in the district goes to 城管局 (违法建设治理).
  rules.push_back({"illegal-building", "06001", RoutingScope::kDistrict, g.district.code, "CGJ"});
  // 积存垃圾渣土 in the first community of 侯寨乡 (villages) goes to its street office.
  if (g.subdistricts.size() >= 14) {
    const std::string& village = g.subdistricts[13].code;
    for (const geo::Community& c : g.communities) {
      if (c.code.rfind(village, 0) == 0) {
        rules.push_back({"village-waste-" + c.code, "06011", RoutingScope::kCommunity, c.code,
                         village});
        break;
      }
    }
  }
  // 道路破损 on the first road segment is 市政's even though the street office holds the road.
  if (!g.roads.empty()) {
    rules.push_back({"road-damage-" + g.roads.front().id, "06005", RoutingScope::kRoad,
                     g.roads.front().id, "SZ"});
  }
  // A grid beside the first zone: 乱堆物堆料 goes to 住建 (construction materials).
  if (!g.grids.empty()) {
    rules.push_back({"materials-" + g.grids.front().code, "06002", RoutingScope::kGrid,
                     g.grids.front().code, "ZJ"});
  }
  return reference.ReplaceRoutingRules(std::move(rules));
}

Result<std::vector<DemoCredential>> SeedDemoUsers(AuthService& auth,
                                                  const ReferenceData& reference) {
  if (sodium_init() < 0) return InternalError("libsodium could not be initialised");
  std::vector<DemoCredential> users = {
      {"admin", Role::kAdmin, "", "系统管理员", ""},
      {"operator", Role::kOperator, "", "受理员 李静", ""},
      {"dispatcher", Role::kDispatcher, "", "派遣员 王磊", ""},
      {"inspector", Role::kInspector, "", "监督员 张伟", ""},
      {"leader", Role::kLeader, "", "区领导 赵强", ""},
  };
  for (const Unit& u : reference.units) {
    users.push_back({DemoHandlerName(u.code), Role::kHandler, u.code, u.name + " 处置员", ""});
  }
  for (DemoCredential& user : users) user.password = RandomPassword();
  // Argon2id takes about 0.1 s and 64 MiB per password: the users are added on every core.
  std::vector<Status> added(users.size());
  ParallelFor(users.size(), 8, [&](size_t i) {
    const DemoCredential& u = users[i];
    added[i] = auth.AddUser({u.username, u.display_name, u.role, u.unit, u.password}).status();
  });
  for (const Status& s : added) {
    if (!s.ok()) return s;  // the first in the order of `users`
  }
  return users;
}

Result<DemoSeedReport> SeedDemoCases(storage::Store& store, ReferenceDataService& reference,
                                     const DemoSeedOptions& options) {
  if (options.cases < 0 || options.cases > 1000000) {
    return InvalidArgumentError("cases " + std::to_string(options.cases) +
                                " is outside [0, 1000000]");
  }
  if (options.days < 1 || options.days > 3650) {
    return InvalidArgumentError("days " + std::to_string(options.days) + " is outside [1, 3650]");
  }
  if (options.threads < 1 || options.threads > 64) {
    return InvalidArgumentError("threads " + std::to_string(options.threads) +
                                " is outside [1, 64]");
  }
  std::shared_ptr<const ReferenceData> data = reference.Get();
  if (!data->geography) return FailedPreconditionError("no geography loaded; seed it first");

  std::vector<CasePlan> plans = Planner(*data, options).Plan();
  std::vector<CaseRun> runs(plans.size());
  ThreadClock clock;
  CaseService service(store, reference, clock);

  const int threads = options.threads;
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < threads; ++t) {
    workers.push_back(std::make_unique<Worker>(service, plans, runs, options.seed * 31 + t,
                                               options.end));
  }
  // A duplicate runs on the worker of the case it duplicates (it needs that case's number).
  std::vector<int> worker_of(plans.size());
  for (size_t i = 0; i < plans.size(); ++i) {
    worker_of[i] = plans[i].duplicate_of >= 0 ? worker_of[plans[i].duplicate_of]
                                              : static_cast<int>(i % threads);
    workers[worker_of[i]]->Add(static_cast<int>(i));
  }

  // Simulated time advances an hour at a time; after each hour the sweep runs.
  Timestamp start = options.end - hours(24 * options.days);
  Timestamp epoch_end = start + hours(1);
  std::mutex error_mu;
  Status first_error;
  std::atomic<bool> failed{false};
  std::atomic<int> overdue{0};
  auto fail = [&](Status s) {
    std::lock_guard<std::mutex> lock(error_mu);
    if (first_error.ok()) first_error = std::move(s);
    failed = true;
  };
  bool finished = false;
  auto on_epoch = [&]() noexcept {
    if (!failed) {
      Result<int> marked = service.SweepOverdue(std::min(epoch_end, options.end));
      if (marked.ok()) {
        overdue += *marked;
      } else {
        fail(marked.status());
      }
    }
    if (epoch_end >= options.end || failed) finished = true;
    epoch_end += hours(1);
  };
  std::barrier sync(threads, on_epoch);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (;;) {
        if (!failed) {
          Status s = workers[t]->RunUntil(std::min(epoch_end, options.end));
          if (!s.ok()) fail(std::move(s));
        }
        sync.arrive_and_wait();
        if (finished) return;
      }
    });
  }
  for (std::thread& th : pool) th.join();
  if (!first_error.ok()) return first_error;

  DemoSeedReport report;
  report.overdue_marks = overdue.load();
  for (const auto& w : workers) {
    report.cases_created += w->created();
    report.steps_skipped += w->skipped();
  }
  for (int s = 0; s < kCaseStateCount; ++s) {
    storage::CaseQuery q;
    q.states = {static_cast<CaseState>(s)};
    CITYGRID_ASSIGN_OR_RETURN(int64_t n, store.cases().CountCases(q));
    if (n > 0) report.by_state[static_cast<CaseState>(s)] = static_cast<int>(n);
  }
  return report;
}

Result<DemoSeedReport> SeedDemo(storage::Store& store, ReferenceDataService& reference,
                                AuthService& auth, const DemoSeedOptions& options) {
  CITYGRID_RETURN_IF_ERROR(SeedDemoReference(reference, options.district));
  CITYGRID_ASSIGN_OR_RETURN(std::vector<DemoCredential> users,
                            SeedDemoUsers(auth, *reference.Get()));
  CITYGRID_ASSIGN_OR_RETURN(DemoSeedReport report, SeedDemoCases(store, reference, options));
  report.users = std::move(users);
  return report;
}

std::string FormatDemoCredentials(const std::vector<DemoCredential>& users) {
  std::string out =
      "# citygrid demo users (generated passwords; keep this file private)\n"
      "# username\trole\tunit\tpassword\tdisplay name\n";
  for (const DemoCredential& u : users) {
    out += u.username + "\t" + std::string(Name(u.role)) + "\t" +
           (u.unit.empty() ? std::string("-") : u.unit) + "\t" + u.password + "\t" +
           u.display_name + "\n";
  }
  return out;
}

}  // namespace citygrid::service
