// The role × action permission table over HTTP: every role (and a handler of the case's unit and
// of another unit) tries every one of the 19 actions, once on a case in a state that allows the
// action and once on a closed case. The expectation is derived from the domain rules
// (RoleMayTake/StateAllows) and visibility, but every cell is a real request.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "citygrid/domain/case_state_machine.h"
#include "tests/http/api_test_util.h"
#include "tests/testing/api_fixture.h"

namespace citygrid::http {
namespace {

using api_test::Body;
using api_test::Str;
using citygrid::testing::ApiBackend;
using citygrid::testing::ApiFixture;
using citygrid::testing::ApiFixtureOptions;
using citygrid::testing::HttpResponse;

struct Caller {
  const char* username;
  Role role;
  bool own_unit;  // handler of U-SZ, the unit the cases are dispatched to
};

constexpr Caller kCallers[] = {
    {"admin", Role::kAdmin, false},         {"operator", Role::kOperator, false},
    {"dispatcher", Role::kDispatcher, false}, {"inspector", Role::kInspector, false},
    {"handler", Role::kHandler, true},      {"handler2", Role::kHandler, false},
    {"leader", Role::kLeader, false},
};

class ApiPermissionsTest : public ::testing::TestWithParam<ApiBackend> {
 protected:
  void SetUp() override { CITYGRID_API_FIXTURE_READY_OR_SKIP(api_); }

  Actor Admin() const { return Actor{"admin", Role::kAdmin, ""}; }

  void Do(const std::string& number, Action a, ActionParams params = {}) {
    Result<service::CaseDetail> d = api_.cases().Get(Admin(), number);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    service::ActRequest r;
    r.action = a;
    r.expected_version = d->record.version;
    r.params = std::move(params);
    Result<service::CaseDetail> done = api_.cases().Act(Admin(), number, r);
    ASSERT_TRUE(done.ok()) << Name(a) << ": " << done.status().ToString();
  }

  // A new case (public channel) brought to `state`; handling-side states are dispatched to U-SZ.
  std::string CaseIn(CaseState state, bool postpone_pending = false) {
    service::CreateCaseRequest c;
    c.channel = "public";
    c.category = "06010";
    c.description = "permission table";
    c.lon = 113.607;
    c.lat = 34.703;
    Result<service::CreateCaseResult> made = api_.cases().Create(Admin(), c, "");
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    if (!made.ok()) return "";
    std::string n = made->record.number;
    if (state == CaseState::kReported) return n;
    ActionParams valid;
    valid.valid = true;
    Do(n, Action::kVerify, valid);
    if (state == CaseState::kPending) return n;
    Do(n, Action::kRegister);
    if (state == CaseState::kRegistered) return n;
    ActionParams unit;
    unit.unit = "U-SZ";
    Do(n, Action::kDispatch, unit);
    if (state == CaseState::kDispatched) return n;
    Do(n, Action::kAccept);
    if (postpone_pending) {
      ActionParams p;
      p.until = api_.clock().Now() + std::chrono::hours(24 * 10);
      p.reason = "需要更换设备";
      Do(n, Action::kPostponeRequest, p);
    }
    if (state == CaseState::kHandling) return n;
    if (state == CaseState::kSuspended) {
      Do(n, Action::kSuspend);
      return n;
    }
    ActionParams result;
    result.result = "done";
    Do(n, Action::kFeedback, result);
    if (state == CaseState::kChecking) return n;
    Do(n, Action::kCheckPass);
    if (state == CaseState::kChecked) return n;
    Do(n, Action::kClose);
    return n;
  }

  int64_t VersionOf(const std::string& number) {
    Result<service::CaseDetail> d = api_.cases().Get(Admin(), number);
    return d.ok() ? d->record.version : -1;
  }

  static ApiFixtureOptions Options() {
    ApiFixtureOptions o;
    o.backend = GetParam();
    return o;
  }

  ApiFixture api_{Options()};
};

struct ActionSetup {
  Action action;
  CaseState state;  // a state that allows it
  bool postpone_pending;
  std::string fields;  // JSON fields beyond version
};

int Expected(const Caller& caller, Action action, CaseState state, bool visible_to_handler) {
  if (caller.role == Role::kHandler && !(caller.own_unit && visible_to_handler)) return 404;
  if (!RoleMayTake(caller.role, action)) return 403;
  if (!StateAllows(state, action)) return 400;
  return 200;
}

bool HandlerSees(CaseState state) {
  return state != CaseState::kReported && state != CaseState::kPending &&
         state != CaseState::kRegistered;
}

TEST_P(ApiPermissionsTest, EveryRoleTimesEveryAction) {
  std::string into = CaseIn(CaseState::kReported);  // merge target, stays open
  const std::vector<ActionSetup> setups = {
      {Action::kVerify, CaseState::kReported, false, R"("valid":true)"},
      {Action::kRegister, CaseState::kPending, false, ""},
      {Action::kReject, CaseState::kPending, false, ""},
      {Action::kDispatch, CaseState::kRegistered, false, R"("unit":"U-SZ")"},
      {Action::kAccept, CaseState::kDispatched, false, ""},
      {Action::kReturn, CaseState::kDispatched, false, R"("reason":"不是本单位")"},
      {Action::kPostponeRequest, CaseState::kHandling, false,
       R"("until":"2026-04-30T18:00:00+08:00","reason":"等待材料")"},
      {Action::kPostponeApprove, CaseState::kHandling, true, ""},
      {Action::kPostponeDeny, CaseState::kHandling, true, ""},
      {Action::kSuspend, CaseState::kHandling, false, ""},
      {Action::kResume, CaseState::kSuspended, false, ""},
      {Action::kFeedback, CaseState::kHandling, false, R"("result":"已处理")"},
      {Action::kCheckPass, CaseState::kChecking, false, ""},
      {Action::kCheckFail, CaseState::kChecking, false, R"("reason":"未处理完")"},
      {Action::kClose, CaseState::kChecked, false, ""},
      {Action::kCancel, CaseState::kHandling, false, ""},
      {Action::kMerge, CaseState::kHandling, false, "\"into\":\"" + into + "\""},
      {Action::kSupervise, CaseState::kHandling, false, ""},
      {Action::kComment, CaseState::kHandling, false, R"("note":"备注")"},
  };
  ASSERT_EQ(setups.size(), static_cast<size_t>(kActionCount));
  std::map<std::string, std::string> tokens;
  for (const Caller& c : kCallers) tokens[c.username] = api_.Login(c.username);
  const std::string closed = CaseIn(CaseState::kClosed);

  int cells = 0;
  for (const ActionSetup& s : setups) {
    std::string number;  // reused until an action succeeds on it
    for (const Caller& caller : kCallers) {
      for (bool on_closed : {false, true}) {
        SCOPED_TRACE(std::string(Name(s.action)) + " by " + caller.username +
                     (on_closed ? " on a closed case" : " in state " + std::string(Name(s.state))));
        if (!on_closed && number.empty()) number = CaseIn(s.state, s.postpone_pending);
        const std::string& target = on_closed ? closed : number;
        CaseState state = on_closed ? CaseState::kClosed : s.state;
        int expected = Expected(caller, s.action, state, HandlerSees(state));
        std::string body = "{\"version\":" + std::to_string(VersionOf(target)) +
                           (s.fields.empty() ? "" : "," + s.fields) + "}";
        HttpResponse r = api_.client().Post(
            "/api/v1/cases/" + target + "/actions/" + std::string(Name(s.action)), body,
            ApiFixture::Auth(tokens[caller.username]));
        EXPECT_EQ(r.status, expected) << r.body;
        ++cells;
        if (r.status == 200 && !on_closed) number.clear();
      }
    }
  }
  EXPECT_EQ(cells, kActionCount * 7 * 2);
}

// The same suite on SQLite and on PostgreSQL ($CITYGRID_TEST_POSTGRES_DSN; skipped without it).
INSTANTIATE_TEST_SUITE_P(Backends, ApiPermissionsTest,
                         ::testing::Values(ApiBackend::kSqlite, ApiBackend::kPostgres),
                         [](const ::testing::TestParamInfo<ApiBackend>& info) {
                           return std::string(citygrid::testing::Name(info.param));
                         });

}  // namespace
}  // namespace citygrid::http
