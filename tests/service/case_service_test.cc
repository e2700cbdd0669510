#include "citygrid/service/case_service.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <functional>
#include <limits>
#include <mutex>
#include <random>
#include <vector>

#include "citygrid/geo/coordinates.h"
#include "tests/service/service_test_env.h"

namespace citygrid::service {
namespace {

using testing::GarbageReport;
using testing::MakeActor;
using testing::ServiceEnv;

const Actor kInspector = MakeActor("insp", Role::kInspector);
const Actor kOperator = MakeActor("op", Role::kOperator);
const Actor kDispatcher = MakeActor("disp", Role::kDispatcher);
const Actor kLeader = MakeActor("lead", Role::kLeader);
const Actor kHandlerHw = MakeActor("hw1", Role::kHandler, "U-HW");
const Actor kHandlerCg = MakeActor("cg1", Role::kHandler, "U-CG");
const Actor kPublic = MakeActor("public", Role::kSystem);

// Who reports on a request's channel in these tests (domain CheckIntake): an inspector on its
// own channel, the system actor (as Open311 does) on open311, an operator on the others.
const Actor& ReporterOf(const CreateCaseRequest& r) {
  return r.channel == "inspector" ? kInspector : r.channel == "open311" ? kPublic : kOperator;
}

class CaseServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(env_.ready()); }

  CaseService& service() { return env_.service(); }

  // Reported by `actor`, or by whoever reports on the request's channel (ReporterOf).
  CreateCaseResult MustCreate(const CreateCaseRequest& r, const std::string& key = "",
                              const Actor* actor = nullptr) {
    auto result = service().Create(actor != nullptr ? *actor : ReporterOf(r), r, key);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? *result : CreateCaseResult{};
  }

  Result<CaseDetail> Act(const Actor& actor, const std::string& number, Action action,
                         ActionParams params = {}, std::string note = "") {
    auto current = service().Get(kOperator, number);
    if (!current.ok()) return current.status();
    ActRequest r;
    r.action = action;
    r.expected_version = current->record.version;
    r.params = std::move(params);
    r.note = std::move(note);
    return service().Act(actor, number, r);
  }

  Case MustAct(const Actor& actor, const std::string& number, Action action,
               ActionParams params = {}) {
    auto d = Act(actor, number, action, std::move(params));
    EXPECT_TRUE(d.ok()) << Name(action) << ": " << d.status().ToString();
    return d.ok() ? d->record : Case{};
  }

  ServiceEnv env_;
};

// ---- Lifecycle per channel ----

class LifecycleTest : public CaseServiceTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(LifecycleTest, RunsFromReportToClose) {
  CreateCaseRequest r = GarbageReport(GetParam());
  CreateCaseResult created = MustCreate(r, "key-" + GetParam());
  const Case& c = created.record;
  ASSERT_FALSE(c.number.empty());
  const std::string number = c.number;
  EXPECT_EQ(c.version, 1);
  EXPECT_EQ(c.suggested_unit, "U-HW");
  EXPECT_EQ(created.routing.reason, RoutingReason::kCategoryDefault);
  EXPECT_EQ(c.location.grid_code, "410103001001002");
  EXPECT_EQ(c.location.community_code, "410103001001");
  EXPECT_EQ(c.location.subdistrict_code, "410103001");
  EXPECT_EQ(c.location.district_code, "410103");
  EXPECT_EQ(created.names.subdistrict, "建中街街道");
  ASSERT_TRUE(c.stage_deadline.has_value());

  if (GetParam() == "inspector") {
    EXPECT_EQ(c.state, CaseState::kPending);
    EXPECT_EQ(c.stage, Stage::kRegister);
    EXPECT_EQ(FormatIso8601(*c.stage_deadline), "2026-03-10T10:00:00+08:00");  // 0.5 work_hour
  } else {
    EXPECT_EQ(c.state, CaseState::kReported);
    EXPECT_EQ(c.stage, Stage::kVerify);
    EXPECT_EQ(FormatIso8601(*c.stage_deadline), "2026-03-10T10:30:00+08:00");  // 1 work_hour
    env_.clock().Advance(std::chrono::minutes(10));
    ActionParams valid;
    valid.valid = true;
    Case verified = MustAct(kInspector, number, Action::kVerify, valid);
    EXPECT_EQ(verified.state, CaseState::kPending);
    EXPECT_EQ(FormatIso8601(*verified.stage_deadline), "2026-03-10T10:10:00+08:00");
  }
  env_.clock().Set(*ParseIso8601("2026-03-10T11:00:00+08:00"));
  Case registered = MustAct(kOperator, number, Action::kRegister);
  EXPECT_EQ(registered.state, CaseState::kRegistered);
  EXPECT_EQ(FormatIso8601(*registered.stage_deadline), "2026-03-10T11:30:00+08:00");

  Case dispatched = MustAct(kDispatcher, number, Action::kDispatch);  // routed unit
  EXPECT_EQ(dispatched.state, CaseState::kDispatched);
  EXPECT_EQ(dispatched.unit, "U-HW");

  env_.clock().Set(*ParseIso8601("2026-03-10T11:30:00+08:00"));
  Case accepted = MustAct(kHandlerHw, number, Action::kAccept);
  EXPECT_EQ(accepted.state, CaseState::kHandling);

  ActionParams result;
  result.result = "已清运";
  Case fed_back = MustAct(kHandlerHw, number, Action::kFeedback, result);
  EXPECT_EQ(fed_back.state, CaseState::kChecking);
  EXPECT_EQ(FormatIso8601(*fed_back.stage_deadline), "2026-03-10T14:30:00+08:00");  // 1 work_hour

  Case checked = MustAct(kInspector, number, Action::kCheckPass);
  EXPECT_EQ(checked.state, CaseState::kChecked);
  Case closed = MustAct(kOperator, number, Action::kClose);
  EXPECT_EQ(closed.state, CaseState::kClosed);
  EXPECT_TRUE(closed.closed_at.has_value());

  auto detail = service().Get(kOperator, number);
  ASSERT_TRUE(detail.ok());
  EXPECT_EQ(detail->record.version, static_cast<int64_t>(detail->history.size()));
  EXPECT_EQ(detail->history.front().type, EventType::kCreated);
  EXPECT_EQ(detail->history.back().action, Action::kClose);
  // Only comment is left on a closed case.
  EXPECT_EQ(detail->available_actions, std::vector<Action>{Action::kComment});
}

INSTANTIATE_TEST_SUITE_P(Channels, LifecycleTest,
                         ::testing::Values("inspector", "public", "hotline", "open311", "video_ai",
                                           "leader", "media"));

TEST_F(CaseServiceTest, HandlingDeadlineComesFromTheCalendarAndPostponementReplacesIt) {
  std::string number = MustCreate(GarbageReport("inspector")).record.number;
  MustAct(kOperator, number, Action::kRegister);
  env_.clock().Set(*ParseIso8601("2026-03-10T11:30:00+08:00"));
  MustAct(kDispatcher, number, Action::kDispatch);  // the handling clock starts at dispatch
  Case handling = MustAct(kHandlerHw, number, Action::kAccept);
  // 2 work_hour from 11:30 across the 12:00-14:00 lunch break.
  EXPECT_EQ(FormatIso8601(*handling.stage_deadline), "2026-03-10T15:30:00+08:00");
  EXPECT_EQ(handling.handle_deadline, handling.stage_deadline);

  ActionParams request;
  request.until = *ParseIso8601("2026-03-12T18:00:00+08:00");
  request.reason = "需调用大型清运车辆";
  MustAct(kHandlerHw, number, Action::kPostponeRequest, request);
  Case approved = MustAct(kDispatcher, number, Action::kPostponeApprove);
  EXPECT_EQ(FormatIso8601(*approved.handle_deadline), "2026-03-12T18:00:00+08:00");
  EXPECT_EQ(FormatIso8601(*approved.stage_deadline), "2026-03-12T18:00:00+08:00");
}

TEST_F(CaseServiceTest, CheckFailReopensHandlingWithANewDeadlineAndCountsRework) {
  std::string number = MustCreate(GarbageReport("inspector")).record.number;
  MustAct(kOperator, number, Action::kRegister);
  MustAct(kDispatcher, number, Action::kDispatch);
  MustAct(kHandlerHw, number, Action::kAccept);
  ActionParams result;
  result.result = "已清运";
  MustAct(kHandlerHw, number, Action::kFeedback, result);
  env_.clock().Set(*ParseIso8601("2026-03-11T09:00:00+08:00"));
  Case reworked = MustAct(kInspector, number, Action::kCheckFail);
  EXPECT_EQ(reworked.state, CaseState::kHandling);
  EXPECT_EQ(reworked.rework_count, 1);
  EXPECT_EQ(FormatIso8601(*reworked.stage_deadline), "2026-03-11T11:00:00+08:00");
}

TEST_F(CaseServiceTest, ReturnSendsTheCaseBackForAnotherDispatch) {
  std::string number = MustCreate(GarbageReport("inspector")).record.number;
  MustAct(kOperator, number, Action::kRegister);
  ActionParams to_cg;
  to_cg.unit = "U-CG";
  MustAct(kDispatcher, number, Action::kDispatch, to_cg);
  Case returned = MustAct(kHandlerCg, number, Action::kReturn);
  EXPECT_EQ(returned.state, CaseState::kRegistered);
  EXPECT_EQ(returned.return_count, 1);
  // The returning unit no longer sees the case.
  EXPECT_EQ(service().Get(kHandlerCg, number).status().code(), StatusCode::kNotFound);
}

// ---- Visibility and masking ----

TEST_F(CaseServiceTest, HandlerOfAnotherUnitGetsNotFound) {
  std::string number = MustCreate(GarbageReport("inspector")).record.number;
  MustAct(kOperator, number, Action::kRegister);
  // Routed to U-HW but not dispatched: no handler sees it yet.
  EXPECT_EQ(service().Get(kHandlerHw, number).status().code(), StatusCode::kNotFound);
  MustAct(kDispatcher, number, Action::kDispatch);
  EXPECT_TRUE(service().Get(kHandlerHw, number).ok());

  auto other = service().Get(kHandlerCg, number);
  EXPECT_EQ(other.status().code(), StatusCode::kNotFound);
  auto missing = service().Get(kHandlerCg, "20260310-999999");
  EXPECT_EQ(other.status().message(), "case " + number + " not found");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);

  ActRequest accept;
  accept.action = Action::kAccept;
  accept.expected_version = 4;
  EXPECT_EQ(service().Act(kHandlerCg, number, accept).status().code(), StatusCode::kNotFound);

  auto mine = service().Query(kHandlerHw, storage::CaseQuery{});
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->cases.size(), 1u);
  storage::CaseQuery sneaky;
  sneaky.unit = "U-HW";
  auto theirs = service().Query(kHandlerCg, sneaky);  // the unit filter is forced to their own
  ASSERT_TRUE(theirs.ok());
  EXPECT_TRUE(theirs->cases.empty());
  EXPECT_EQ(*service().Count(kHandlerCg, sneaky), 0);
  EXPECT_EQ(*service().Count(kOperator, storage::CaseQuery{}), 1);
}

TEST_F(CaseServiceTest, ReporterIsMaskedForRolesThatDoNotNeedIt) {
  CreateCaseResult created = MustCreate(GarbageReport(), "", &kOperator);
  EXPECT_EQ(created.record.reporter.name, "张三");
  std::string number = created.record.number;
  auto as_inspector = service().Get(kInspector, number);
  ASSERT_TRUE(as_inspector.ok());
  EXPECT_EQ(as_inspector->record.reporter.name, "张*");
  EXPECT_EQ(as_inspector->record.reporter.phone, "138****1234");
  EXPECT_EQ(as_inspector->history[0].payload_json.find("13812341234"), std::string::npos);
  EXPECT_NE(as_inspector->history[0].payload_json.find("138****1234"), std::string::npos);
  auto as_dispatcher = service().Get(kDispatcher, number);
  ASSERT_TRUE(as_dispatcher.ok());
  EXPECT_EQ(as_dispatcher->record.reporter.phone, "13812341234");
  auto page = service().Query(kLeader, storage::CaseQuery{});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->cases.size(), 1u);
  EXPECT_EQ(page->cases[0].reporter.phone, "138****1234");
}

// ---- Errors on actions ----

TEST_F(CaseServiceTest, StaleVersionIsAbortedAndWritesNothing) {
  std::string number = MustCreate(GarbageReport("inspector")).record.number;
  ActRequest r;
  r.action = Action::kRegister;
  r.expected_version = 1;
  ASSERT_TRUE(service().Act(kOperator, number, r).ok());
  auto again = service().Act(kOperator, number, r);  // version 1 is stale now
  r.action = Action::kComment;
  auto comment = service().Act(kLeader, number, r);
  EXPECT_EQ(comment.status().code(), StatusCode::kAborted);
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);  // state checked first
  EXPECT_EQ(service().Get(kOperator, number)->record.version, 2);
}

TEST_F(CaseServiceTest, WrongRoleAndWrongStateGetTheirCodes) {
  std::string number = MustCreate(GarbageReport()).record.number;
  EXPECT_EQ(Act(kLeader, number, Action::kRegister).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(Act(kOperator, number, Action::kRegister).status().code(),
            StatusCode::kFailedPrecondition);
  ActionParams bad;
  bad.result = "x";  // verify does not take a result
  bad.valid = true;
  EXPECT_EQ(Act(kInspector, number, Action::kVerify, bad).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Act(kOperator, "not-a-number", Action::kComment).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(service().Get(kOperator, "2026031-1").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(service().Get(kOperator, number)->record.version, 1);
}

TEST_F(CaseServiceTest, DispatchAndMergeParametersAreChecked) {
  std::string a = MustCreate(GarbageReport("inspector")).record.number;
  MustAct(kOperator, a, Action::kRegister);
  ActionParams unknown;
  unknown.unit = "U-NOPE";
  auto d = Act(kDispatcher, a, Action::kDispatch, unknown);
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(d.status().message(), "unknown unit 'U-NOPE'");

  ActionParams self;
  self.into = a;
  EXPECT_EQ(Act(kOperator, a, Action::kMerge, self).status().code(), StatusCode::kInvalidArgument);
  ActionParams missing;
  missing.into = "20260310-000999";
  EXPECT_EQ(Act(kOperator, a, Action::kMerge, missing).status().code(),
            StatusCode::kInvalidArgument);
  ActionParams given_deadline;
  given_deadline.deadline = env_.clock().Now();
  EXPECT_EQ(Act(kOperator, a, Action::kComment, given_deadline).status().code(),
            StatusCode::kInvalidArgument);

  CreateCaseRequest far = GarbageReport("inspector");
  far.lon = 113.612;
  std::string b = MustCreate(far).record.number;
  ActionParams into_b;
  into_b.into = b;
  Case merged = MustAct(kOperator, a, Action::kMerge, into_b);
  EXPECT_EQ(merged.state, CaseState::kMerged);
  EXPECT_EQ(merged.merged_into, b);
  // Nothing can merge into a closed-out (terminal) case.
  ActionParams into_a;
  into_a.into = a;
  EXPECT_EQ(Act(kOperator, b, Action::kMerge, into_a).status().code(),
            StatusCode::kFailedPrecondition);
}

// ---- Intake validation ----

struct BadInput {
  std::string name;
  std::function<void(CreateCaseRequest&)> mutate;
  std::string message;  // a part of the message
  std::string key = "";
};

class BadInputTest : public CaseServiceTest, public ::testing::WithParamInterface<BadInput> {};

TEST_P(BadInputTest, IsInvalidArgumentAndWritesNothing) {
  MustCreate(GarbageReport(), "first");
  int64_t before = env_.CountAll();
  CreateCaseRequest r = GarbageReport();
  GetParam().mutate(r);
  auto result = service().Create(kOperator, r, GetParam().key);
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << result.status().ToString();
  EXPECT_NE(result.status().message().find(GetParam().message), std::string::npos)
      << result.status().message();
  EXPECT_EQ(env_.CountAll(), before);
}

const double kNaN = std::numeric_limits<double>::quiet_NaN();

INSTANTIATE_TEST_SUITE_P(
    Table, BadInputTest,
    ::testing::Values(
        BadInput{"UnknownCategory", [](auto& r) { r.category = "99999"; },
                 "unknown category '99999'"},
        BadInput{"MissingCategory", [](auto& r) { r.category = ""; }, "category is missing"},
        BadInput{"UnknownChannel", [](auto& r) { r.channel = "fax"; }, "unknown channel 'fax'"},
        BadInput{"EmptyDescription", [](auto& r) { r.description = ""; }, "description is empty"},
        BadInput{"LongDescription", [](auto& r) { r.description = std::string(2001, 'x'); },
                 "description is too long (2001 bytes; at most 2000)"},
        BadInput{"LongAddress", [](auto& r) { r.address = std::string(301, 'x'); },
                 "address is too long"},
        BadInput{"NulInDescription",
                 [](auto& r) { r.description = std::string("积水\0路面", 13); },
                 "description holds a control character (only tab and line breaks are allowed)"},
        BadInput{"EscapeInAddress", [](auto& r) { r.address = "大学路\x1b[31m"; },
                 "address holds a control character"},
        BadInput{"LineBreakInName", [](auto& r) { r.reporter.name = "张\n三"; },
                 "reporter.name holds a control character"},
        BadInput{"LonOutOfRange", [](auto& r) { r.lon = 200; }, "lon 200 is out of range"},
        BadInput{"LatOutOfRange", [](auto& r) { r.lat = -91; }, "lat -91 is out of range"},
        BadInput{"LonNaN", [](auto& r) { r.lon = kNaN; }, "lon nan is out of range"},
        BadInput{"LatInfinite",
                 [](auto& r) { r.lat = std::numeric_limits<double>::infinity(); },
                 "lat inf is out of range"},
        BadInput{"OutsideDistrict", [](auto& r) { r.lon = 113.7; },
                 "point (113.7, 34.703) is outside district 410103"},
        BadInput{"UnknownCrs", [](auto& r) { r.crs = "utm"; }, "unknown crs 'utm'"},
        BadInput{"BadPhone", [](auto& r) { r.reporter.phone = "12"; },
                 "reporter.phone '12' is not a phone number"},
        BadInput{"LongName", [](auto& r) { r.reporter.name = std::string(65, 'x'); },
                 "reporter.name is too long"},
        BadInput{"UnknownCondition", [](auto& r) { r.condition = "没有"; }, "condition '没有'"},
        BadInput{"PhotoNotAHash", [](auto& r) { r.photos = {"abc"}; },
                 "photos[0] 'abc' is not a media id"},
        BadInput{"PhotoNotUploaded", [](auto& r) { r.photos = {std::string(64, 'a')}; },
                 "has not been uploaded"},
        BadInput{"TooManyPhotos", [](auto& r) { r.photos.assign(10, std::string(64, 'a')); },
                 "photos: 10 given, at most 9"},
        BadInput{"LongIdempotencyKey", [](auto&) {}, "idempotency key is too long",
                 std::string(129, 'k')}),
    [](const ::testing::TestParamInfo<BadInput>& info) { return info.param.name; });

TEST_F(CaseServiceTest, GcjAndBaiduInputIsStoredAsWgs84) {
  geo::LonLat wgs{113.607, 34.703};
  CreateCaseRequest r = GarbageReport();
  geo::LonLat gcj = geo::Wgs84ToGcj02(wgs);
  r.lon = gcj.lon;
  r.lat = gcj.lat;
  r.crs = "gcj02";
  Case c = MustCreate(r).record;
  EXPECT_NEAR(c.location.lon, wgs.lon, 1e-7);
  EXPECT_NEAR(c.location.lat, wgs.lat, 1e-7);
  EXPECT_EQ(c.location.grid_code, "410103001001002");
  // Read as WGS84, the same numbers would be several hundred metres off.
  EXPECT_GT(geo::HaversineMetres(wgs, gcj), 300);
}

TEST_F(CaseServiceTest, ADescriptionMayBreakLines) {
  CreateCaseRequest r = GarbageReport();
  r.description = "路口积水\r\n第二行\t深约 10 cm";
  EXPECT_EQ(MustCreate(r).record.description, "路口积水\r\n第二行\t深约 10 cm");
}

TEST_F(CaseServiceTest, PhotosMustBeStoredFirst) {
  auto hash = env_.store().media().Put("\x89PNG fake image bytes");
  ASSERT_TRUE(hash.ok());
  CreateCaseRequest r = GarbageReport();
  r.photos = {*hash};
  Case c = MustCreate(r).record;
  EXPECT_EQ(c.photos, std::vector<std::string>{*hash});
  auto added = service().AddPhotos(kInspector, c.number, {*hash}, "补充照片");
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(added->record.version, 2);
}

TEST(CaseServiceNoGeographyTest, CreateIsFailedPreconditionUntilADistrictIsLoaded) {
  std::string dir = citygrid::testing::MakeTempDir("citygrid-nogeo");
  {
    auto store = storage::OpenStore(testing::StoreAt(dir));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto reference = ReferenceDataService::Open((*store)->documents(), testing::RepoDataDir());
    ASSERT_TRUE(reference.ok()) << reference.status().ToString();
    FakeClock clock(testing::TestStart());
    CaseService service(**store, **reference, clock);
    auto result = service.Create(kOperator, GarbageReport(), "");
    EXPECT_EQ(result.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(*(*store)->cases().CountCases({}), 0);
  }
  std::filesystem::remove_all(dir);
}

// ---- Idempotency ----

TEST_F(CaseServiceTest, RetriedKeyReturnsTheSameCase) {
  CreateCaseResult first = MustCreate(GarbageReport(), "abc");
  CreateCaseResult retry = MustCreate(GarbageReport(), "abc");
  EXPECT_TRUE(first.created);
  EXPECT_FALSE(retry.created);
  EXPECT_EQ(retry.record.number, first.record.number);
  EXPECT_EQ(env_.CountAll(), 1);
  CreateCaseRequest other = GarbageReport();
  other.description = "另一件事";
  Status reused = service().Create(kOperator, other, "abc").status();
  EXPECT_EQ(reused.code(), StatusCode::kAlreadyExists);
  // Told what to do, not the store's rows (the scoped key, an internal case id).
  EXPECT_EQ(reused.message(),
            "this Idempotency-Key was already used for a different report: a retry must repeat "
            "the first request's body, a new report needs a new key");
  EXPECT_EQ(env_.CountAll(), 1);
}

// ---- Asynchronous intake ----

// CreateAsync's result, waited for.
class AsyncCreate {
 public:
  std::function<void(Result<CreateCaseResult>)> Done() {
    return [this](Result<CreateCaseResult> r) {
      std::lock_guard<std::mutex> lock(mu_);
      ++calls_;
      result_ = std::move(r);
      cv_.notify_all();
    };
  }
  Result<CreateCaseResult> Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    EXPECT_TRUE(cv_.wait_for(lock, std::chrono::seconds(10), [&] { return calls_ > 0; }));
    return result_;
  }
  int calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int calls_ = 0;
  Result<CreateCaseResult> result_ = InternalError("no answer");
};

// With an executor, everything after the store runs as the executor's job: nothing is answered
// until the job runs, and then exactly once, as Create would answer (a retried key included).
TEST_F(CaseServiceTest, CreateAsyncFinishesOnTheExecutorAndAnswersLikeCreate) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::function<void()>> jobs;
  service().SetCompletionExecutor([&](std::function<void()> job) {
    std::lock_guard<std::mutex> lock(mu);
    jobs.push_back(std::move(job));
    cv.notify_all();
  });
  auto next_job = [&] {
    std::unique_lock<std::mutex> lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return !jobs.empty(); }));
    std::function<void()> job = jobs.empty() ? [] {} : std::move(jobs.front());
    if (!jobs.empty()) jobs.erase(jobs.begin());
    return job;
  };

  AsyncCreate first;
  service().CreateAsync(kOperator, GarbageReport(), "async-1", first.Done());
  std::function<void()> job = next_job();
  EXPECT_EQ(first.calls(), 0);  // stored, but not answered before the job runs
  EXPECT_EQ(env_.CountAll(), 1);
  job();
  EXPECT_EQ(first.calls(), 1);
  Result<CreateCaseResult> created = first.Wait();
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE(created->created);
  EXPECT_EQ(created->record.state, CaseState::kReported);
  EXPECT_EQ(created->record.version, 1);
  EXPECT_EQ(created->names.community, "建中社区");
  EXPECT_EQ(created->record.location.grid_code, "410103001001002");
  EXPECT_TRUE(created->duplicates.empty());

  AsyncCreate retry;
  service().CreateAsync(kOperator, GarbageReport(), "async-1", retry.Done());
  next_job()();
  Result<CreateCaseResult> again = retry.Wait();
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->record.number, created->record.number);
  EXPECT_EQ(retry.calls(), 1);

  // A second report nearby lists the first as a duplicate, as Create does.
  AsyncCreate second;
  service().CreateAsync(kOperator, GarbageReport(), "async-2", second.Done());
  next_job()();
  Result<CreateCaseResult> near = second.Wait();
  ASSERT_TRUE(near.ok()) << near.status().ToString();
  ASSERT_EQ(near->duplicates.size(), 1u);
  EXPECT_EQ(near->duplicates[0].number, created->record.number);
  EXPECT_EQ(env_.CountAll(), 2);
  service().SetCompletionExecutor(nullptr);
}

// Bad input is answered before CreateAsync returns, never through the executor, and writes
// nothing; a key reused for another request is the store's kAlreadyExists.
TEST_F(CaseServiceTest, CreateAsyncRejectsBadInputAtOnceAndWritesNothing) {
  int jobs = 0;
  service().SetCompletionExecutor([&](std::function<void()> job) {
    ++jobs;
    job();
  });
  CreateCaseRequest bad = GarbageReport();
  bad.category = "99999";
  AsyncCreate rejected;
  service().CreateAsync(kOperator, bad, "k-bad", rejected.Done());
  ASSERT_EQ(rejected.calls(), 1);
  EXPECT_EQ(rejected.Wait().status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(rejected.Wait().status().message(), "unknown category '99999'");
  EXPECT_EQ(jobs, 0);
  EXPECT_EQ(env_.CountAll(), 0);

  AsyncCreate ok;
  service().CreateAsync(kOperator, GarbageReport(), "k-1", ok.Done());
  ASSERT_TRUE(ok.Wait().ok());
  CreateCaseRequest other = GarbageReport();
  other.description = "另一件事";
  AsyncCreate conflict;
  service().CreateAsync(kOperator, other, "k-1", conflict.Done());
  EXPECT_EQ(conflict.Wait().status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(conflict.Wait().status().message().find("user:"), std::string::npos);
  EXPECT_EQ(conflict.calls(), 1);
  EXPECT_EQ(jobs, 2);
  EXPECT_EQ(env_.CountAll(), 1);
  service().SetCompletionExecutor(nullptr);
}

// Without an executor the rest of the intake runs on the store's committer thread; a video_ai
// duplicate's merge (a second, synchronous write) works from there too.
TEST_F(CaseServiceTest, CreateAsyncMergesAVideoAiDuplicateWithoutAnExecutor) {
  std::string original = MustCreate(GarbageReport("inspector")).record.number;
  CreateCaseRequest ai = GarbageReport("video_ai");
  ai.reporter = {};
  ai.lat += 0.0002;
  AsyncCreate merged;
  service().CreateAsync(kPublic, ai, "cam-1", merged.Done());
  Result<CreateCaseResult> result = merged.Wait();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->merged_into, original);
  EXPECT_EQ(result->record.state, CaseState::kMerged);
  auto detail = service().Get(kOperator, result->record.number);
  ASSERT_TRUE(detail.ok()) << detail.status().ToString();
  ASSERT_EQ(detail->history.size(), 2u);
  EXPECT_EQ(detail->history[1].action, Action::kMerge);
  EXPECT_EQ(merged.calls(), 1);
}

// ---- Road and routing info ----

TEST_F(CaseServiceTest, ReportOnARoadNamesTheRoadChief) {
  CreateCaseRequest r = GarbageReport();
  r.lon = 113.603;
  r.lat = 34.7089;
  CreateCaseResult created = MustCreate(r);
  EXPECT_EQ(created.record.location.road_id, "R1");
  EXPECT_EQ(created.names.road, "航海路");
  EXPECT_EQ(created.names.road_chief.name, "张路长");
  EXPECT_EQ(created.record.suggested_unit, "U-SZ");
  EXPECT_EQ(created.routing.reason, RoutingReason::kRoad);
}

// ---- Duplicates ----
//
// Every duplicate test runs twice: with the search as a store query and with the in-memory
// duplicate index (service/duplicate_index.h).

class DuplicateSearchTest : public CaseServiceTest, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    CaseServiceTest::SetUp();
    if (GetParam()) {
      Status s = service().EnableDuplicateIndex();
      ASSERT_TRUE(s.ok()) << s.ToString();
      ASSERT_NE(service().duplicate_index(), nullptr);
    }
  }
  void TearDown() override { service().StopDuplicateIndex(); }

  std::vector<std::string> DuplicateNumbers(const CreateCaseRequest& r) {
    auto found = service().FindDuplicates(r.category, {r.lon, r.lat}, env_.clock().Now(), 0);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    std::vector<std::string> out;
    if (found.ok()) {
      for (const auto& d : *found) out.push_back(d.number);
    }
    return out;
  }
};

INSTANTIATE_TEST_SUITE_P(StoreAndIndex, DuplicateSearchTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Index" : "Store"; });

TEST_P(DuplicateSearchTest, ListsOpenCasesOfTheSameCategoryNearbyAsDuplicates) {
  std::string first = MustCreate(GarbageReport()).record.number;
  env_.clock().Advance(std::chrono::hours(1));
  CreateCaseRequest near = GarbageReport();
  near.lon += 0.0001;  // ~9 m east
  CreateCaseResult second = MustCreate(near);
  ASSERT_EQ(second.duplicates.size(), 1u);
  EXPECT_EQ(second.duplicates[0].number, first);
  EXPECT_NEAR(second.duplicates[0].metres, 9.2, 0.5);
  EXPECT_EQ(second.duplicates[0].state, CaseState::kReported);
  EXPECT_EQ(second.record.state, CaseState::kReported);  // a person decides

  CreateCaseRequest far = GarbageReport();
  far.lon += 0.001;  // ~92 m
  EXPECT_TRUE(MustCreate(far).duplicates.empty());
  CreateCaseRequest other_category = GarbageReport();
  other_category.category = "06012";
  EXPECT_TRUE(MustCreate(other_category).duplicates.empty());

  env_.clock().Advance(std::chrono::hours(73));  // the first two are now out of the window
  auto late = MustCreate(GarbageReport());
  for (const auto& d : late.duplicates) {
    EXPECT_NE(d.number, first);
    EXPECT_NE(d.number, second.record.number);
  }
}

TEST_P(DuplicateSearchTest, ListsTheNearestFirstAndAtMostTheConfiguredNumber) {
  std::vector<std::string> numbers;
  for (int i = 11; i >= 0; --i) {
    CreateCaseRequest r = GarbageReport();
    r.lon += 0.00003 * i;  // 0 .. ~30 m east; created farthest first
    numbers.push_back(MustCreate(r).record.number);
  }
  std::vector<std::string> found = DuplicateNumbers(GarbageReport());
  ASSERT_EQ(found.size(), 10u);  // CaseServiceOptions::max_duplicates
  for (size_t i = 0; i < found.size(); ++i) EXPECT_EQ(found[i], numbers[11 - i]) << i;
}

TEST_P(DuplicateSearchTest, ClosedOutCasesAreNotDuplicates) {
  std::string first = MustCreate(GarbageReport()).record.number;
  MustAct(kOperator, first, Action::kCancel);
  EXPECT_TRUE(MustCreate(GarbageReport()).duplicates.empty());
}

TEST_P(DuplicateSearchTest, MergedAndClosedCasesLeaveTheSearchAndMovedOnesShowTheirState) {
  std::string a = MustCreate(GarbageReport("inspector")).record.number;  // pending
  std::string b = MustCreate(GarbageReport("inspector")).record.number;
  std::string c = MustCreate(GarbageReport("inspector")).record.number;
  EXPECT_EQ(DuplicateNumbers(GarbageReport()).size(), 3u);
  ActionParams into;
  into.into = a;
  MustAct(kOperator, b, Action::kMerge, into);
  MustAct(kOperator, c, Action::kRegister);
  auto found = service().FindDuplicates("06010", {113.607, 34.703}, env_.clock().Now(), 0);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 2u);
  for (const auto& d : *found) {
    EXPECT_NE(d.number, b);
    if (d.number == c) {
      EXPECT_EQ(d.state, CaseState::kRegistered);
    } else {
      EXPECT_EQ(d.number, a);
      EXPECT_EQ(d.state, CaseState::kPending);
    }
  }
  MustAct(kOperator, c, Action::kCancel);
  EXPECT_EQ(DuplicateNumbers(GarbageReport()), std::vector<std::string>{a});
  if (GetParam()) {
    EXPECT_EQ(service().duplicate_index()->size(), 1u);
  }
}

TEST_P(DuplicateSearchTest, VideoAiDuplicateIsMergedAutomatically) {
  std::string original = MustCreate(GarbageReport("inspector")).record.number;
  CreateCaseRequest ai = GarbageReport("video_ai");
  ai.reporter = {};
  ai.lat += 0.0002;  // ~22 m north
  CreateCaseResult result = MustCreate(ai, "cam-7-frame-1234", &kPublic);
  EXPECT_EQ(result.merged_into, original);
  EXPECT_EQ(result.record.state, CaseState::kMerged);
  EXPECT_EQ(result.record.merged_into, original);
  auto detail = service().Get(kOperator, result.record.number);
  ASSERT_TRUE(detail.ok());
  ASSERT_EQ(detail->history.size(), 2u);
  EXPECT_EQ(detail->history[1].action, Action::kMerge);
  EXPECT_EQ(detail->history[1].actor.role, Role::kSystem);
  // A retry of the same detection returns the merged case, not a new one.
  CreateCaseResult retry = MustCreate(ai, "cam-7-frame-1234", &kPublic);
  EXPECT_FALSE(retry.created);
  EXPECT_EQ(retry.merged_into, original);
  EXPECT_EQ(env_.CountAll(), 2);
  // Human channels are only offered the duplicate; the merged report is not one.
  CreateCaseResult human = MustCreate(GarbageReport("public"));
  EXPECT_EQ(human.record.state, CaseState::kReported);
  EXPECT_TRUE(human.merged_into.empty());
  ASSERT_EQ(human.duplicates.size(), 1u);
  EXPECT_EQ(human.duplicates[0].number, original);
}

// Two nodes on one database: the second service writes, the first one's index sees it once its
// follower has read the log.
TEST_F(CaseServiceTest, DuplicateIndexFindsCasesOfAnotherNodeAfterTheFollowerCatchesUp) {
  ASSERT_TRUE(service().EnableDuplicateIndex().ok());  // not following: the test drives it
  CaseService other(env_.store(), env_.reference(), env_.clock());
  auto remote = other.Create(kOperator, GarbageReport(), "");
  ASSERT_TRUE(remote.ok()) << remote.status().ToString();
  const std::string number = remote->record.number;
  const geo::LonLat at{113.607, 34.703};
  auto before = service().FindDuplicates("06010", at, env_.clock().Now(), 0);
  ASSERT_TRUE(before.ok());
  EXPECT_TRUE(before->empty());  // not read yet

  ASSERT_TRUE(service().duplicate_index()->PollOnce().ok());
  auto after = service().FindDuplicates("06010", at, env_.clock().Now(), 0);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].number, number);
  EXPECT_EQ((*after)[0].state, CaseState::kReported);

  // A state change on the other node is read as well; closing out removes it.
  ActRequest verify;
  verify.action = Action::kVerify;
  verify.expected_version = 1;
  verify.params.valid = true;
  ASSERT_TRUE(other.Act(kInspector, number, verify).ok());
  ASSERT_TRUE(service().duplicate_index()->PollOnce().ok());
  after = service().FindDuplicates("06010", at, env_.clock().Now(), 0);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].state, CaseState::kPending);
  ActRequest cancel;
  cancel.action = Action::kCancel;
  cancel.expected_version = 2;
  ASSERT_TRUE(other.Act(kOperator, number, cancel).ok());
  ASSERT_TRUE(service().duplicate_index()->PollOnce().ok());
  after = service().FindDuplicates("06010", at, env_.clock().Now(), 0);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->empty());
  EXPECT_EQ(service().duplicate_index()->size(), 0u);
  service().StopDuplicateIndex();
}

// The index answers exactly what the store query answers, on a random mix of categories,
// places, times, states and writers (this node and another one), before and after a reload.
TEST_F(CaseServiceTest, DuplicateIndexAgreesWithTheStoreQueryOnRandomCases) {
  ASSERT_TRUE(service().EnableDuplicateIndex().ok());
  CaseService other(env_.store(), env_.reference(), env_.clock());
  std::mt19937 rng(20260310);
  std::uniform_real_distribution<double> lon(113.6005, 113.6095);  // inside sub-district 001
  std::uniform_real_distribution<double> lat(34.7005, 34.7080);
  std::uniform_real_distribution<double> jitter(-0.0006, 0.0006);  // about ±60 m
  const char* categories[] = {"06010", "06012"};
  std::vector<geo::LonLat> hot_spots;
  for (int i = 0; i < 6; ++i) hot_spots.push_back({lon(rng), lat(rng)});
  auto random_point = [&] {
    if (rng() % 4 == 0) return geo::LonLat{lon(rng), lat(rng)};
    geo::LonLat h = hot_spots[rng() % hot_spots.size()];
    return geo::LonLat{h.lon + jitter(rng), h.lat + jitter(rng)};
  };
  std::vector<std::string> numbers;
  for (int i = 0; i < 400; ++i) {
    env_.clock().Advance(std::chrono::minutes(rng() % 60));
    CaseService& writer = rng() % 3 == 0 ? other : service();
    CreateCaseRequest r = GarbageReport(rng() % 2 ? "public" : "inspector");
    r.category = categories[rng() % 2];
    geo::LonLat p = random_point();
    r.lon = p.lon;
    r.lat = p.lat;
    auto created = writer.Create(ReporterOf(r), r, "");
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    numbers.push_back(created->record.number);
    // Now and then someone closes out or moves an earlier case.
    if (numbers.size() > 3 && rng() % 4 == 0) {
      const std::string& target = numbers[rng() % numbers.size()];
      auto current = writer.Get(kOperator, target);
      ASSERT_TRUE(current.ok());
      if (IsTerminal(current->record.state)) continue;
      ActRequest act;
      act.expected_version = current->record.version;
      Actor actor = kOperator;
      switch (rng() % 3) {
        case 0:
          act.action = Action::kCancel;
          break;
        case 1:
          act.action = Action::kMerge;
          act.params.into = numbers[rng() % numbers.size()];
          break;
        default:
          act.action = current->record.state == CaseState::kReported ? Action::kVerify
                                                                      : Action::kRegister;
          act.params.valid = true;
          actor = act.action == Action::kVerify ? kInspector : kOperator;
      }
      (void)writer.Act(actor, target, act);  // a merge into itself or a closed case fails
    }
  }
  auto compare = [&](const std::string& when) {
    int non_empty = 0;
    for (int q = 0; q < 300; ++q) {
      geo::LonLat p = random_point();
      const std::string category = categories[rng() % 2];
      Timestamp at = env_.clock().Now() - std::chrono::hours(rng() % 300);
      auto indexed = service().FindDuplicates(category, p, at, 0);
      auto queried = service().FindDuplicatesInStore(category, p, at, 0);
      ASSERT_TRUE(indexed.ok() && queried.ok());
      ASSERT_EQ(*indexed, *queried) << when << " query " << q;
      if (!indexed->empty()) ++non_empty;
    }
    EXPECT_GT(non_empty, 100) << when << ": too few searches found anything to compare";
  };
  ASSERT_TRUE(service().duplicate_index()->PollOnce().ok());
  compare("followed");
  ASSERT_TRUE(service().duplicate_index()->Load().ok());
  compare("reloaded");
  service().StopDuplicateIndex();
}

}  // namespace
}  // namespace citygrid::service
