#include "citygrid/domain/case_state_machine.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace citygrid {
namespace {

using namespace std::chrono_literals;

constexpr char kNumber[] = "20200412-000123";
constexpr char kOtherNumber[] = "20200412-000007";

Timestamp T(const char* iso) {
  auto t = ParseIso8601(iso);
  EXPECT_TRUE(t.ok()) << iso;
  return t.value_or(Timestamp{});
}

const Timestamp kT0 = T("2020-04-12T09:30:00+08:00");

std::vector<CaseState> AllStates() {
  std::vector<CaseState> v;
  for (int i = 0; i < kCaseStateCount; ++i) v.push_back(static_cast<CaseState>(i));
  return v;
}
std::vector<Action> AllActions() {
  std::vector<Action> v;
  for (int i = 0; i < kActionCount; ++i) v.push_back(static_cast<Action>(i));
  return v;
}

// The actors of every role; the handler belongs to unit U01, which cases are dispatched to.
const Actor kAdmin{"root", Role::kAdmin, ""};
const Actor kOperator{"op", Role::kOperator, ""};
const Actor kDispatcher{"disp", Role::kDispatcher, ""};
const Actor kInspector{"insp", Role::kInspector, ""};
const Actor kHandler{"hd", Role::kHandler, "U01"};
const Actor kOtherHandler{"hd2", Role::kHandler, "U99"};
const Actor kLeader{"boss", Role::kLeader, ""};
const Actor kSystem{"system", Role::kSystem, ""};
const std::vector<Actor> kAllActors = {kAdmin,   kOperator,     kDispatcher, kInspector,
                                       kHandler, kOtherHandler, kLeader,     kSystem};

// The specification, written out independently of the implementation.
// Legal (state, action) → resulting state. verify appears with valid=true; invalid separately.
const std::map<std::pair<CaseState, Action>, CaseState>& LegalTable() {
  using S = CaseState;
  using A = Action;
  static const auto* table = [] {
    auto* t = new std::map<std::pair<CaseState, Action>, CaseState>{
        {{S::kReported, A::kVerify}, S::kPending},
        {{S::kPending, A::kRegister}, S::kRegistered},
        {{S::kPending, A::kReject}, S::kNotRegistered},
        {{S::kRegistered, A::kDispatch}, S::kDispatched},
        {{S::kDispatched, A::kAccept}, S::kHandling},
        {{S::kDispatched, A::kReturn}, S::kRegistered},
        {{S::kHandling, A::kFeedback}, S::kChecking},
        {{S::kHandling, A::kSuspend}, S::kSuspended},
        {{S::kSuspended, A::kResume}, S::kHandling},
        {{S::kHandling, A::kPostponeRequest}, S::kHandling},
        {{S::kHandling, A::kPostponeApprove}, S::kHandling},
        {{S::kHandling, A::kPostponeDeny}, S::kHandling},
        {{S::kChecking, A::kCheckPass}, S::kChecked},
        {{S::kChecking, A::kCheckFail}, S::kHandling},
        {{S::kChecked, A::kClose}, S::kClosed},
    };
    for (CaseState s : AllStates()) {
      (*t)[{s, A::kComment}] = s;
      if (!IsTerminal(s)) {
        (*t)[{s, A::kCancel}] = S::kCancelled;
        (*t)[{s, A::kMerge}] = S::kMerged;
        (*t)[{s, A::kSupervise}] = s;
      }
    }
    return t;
  }();
  return *table;
}

bool SpecRoleMay(Role role, Action a) {
  using A = Action;
  static const std::map<Role, std::set<Action>> kByRole = {
      {Role::kInspector, {A::kVerify, A::kCheckPass, A::kCheckFail}},
      {Role::kOperator, {A::kRegister, A::kReject, A::kClose, A::kCancel, A::kMerge}},
      {Role::kDispatcher,
       {A::kDispatch, A::kPostponeApprove, A::kPostponeDeny, A::kSuspend, A::kResume}},
      {Role::kHandler, {A::kAccept, A::kReturn, A::kPostponeRequest, A::kFeedback}},
      {Role::kLeader, {A::kSupervise}},
      {Role::kSystem, {A::kMerge}},
  };
  if (role == Role::kAdmin || a == A::kComment) return true;
  return kByRole.at(role).count(a) > 0;
}

ActionParams ValidParams(Action a, Timestamp at) {
  ActionParams p;
  switch (a) {
    case Action::kVerify:
      p.valid = true;
      break;
    case Action::kDispatch:
      p.unit = "U01";
      break;
    case Action::kMerge:
      p.into = kOtherNumber;
      break;
    case Action::kPostponeRequest:
      p.until = at + 72h;
      p.reason = "等待材料";
      break;
    case Action::kFeedback:
      p.result = "已清理";
      break;
    default:
      break;
  }
  return p;
}

ActionRequest Req(Action a, const Actor& actor, Timestamp at, ActionParams p = {}) {
  return ActionRequest{a, actor, at, std::move(p), "", {}};
}

Case Intake(Channel channel) {
  Case c;
  c.id = 42;
  c.number = kNumber;
  c.channel = channel;
  c.category = "06010";
  c.description = "路边暴露垃圾";
  c.location = {113.6401,    34.7197,        "大学路与陇海路交叉口", "410103",
                "410103001", "410103001002", "410103001002007",      "R17"};
  c.reporter = {"张三", "13800000000"};
  c.photos = {"aa11"};
  c.suggested_unit = "U01";
  return c;
}

// Builds a case in `state` through the workflow itself (by admin), recording its history.
struct Built {
  Case c;
  std::vector<CaseEvent> events;
};

Built Build(CaseState state) {
  using S = CaseState;
  using A = Action;
  static const std::map<CaseState, std::vector<std::pair<A, bool>>> kPaths = {
      // (action, verify-valid) from an inspector-channel (pending) case, except reported/invalid.
      {S::kPending, {}},
      {S::kRegistered, {{A::kRegister, true}}},
      {S::kNotRegistered, {{A::kReject, true}}},
      {S::kDispatched, {{A::kRegister, true}, {A::kDispatch, true}}},
      {S::kHandling, {{A::kRegister, true}, {A::kDispatch, true}, {A::kAccept, true}}},
      {S::kSuspended,
       {{A::kRegister, true}, {A::kDispatch, true}, {A::kAccept, true}, {A::kSuspend, true}}},
      {S::kChecking,
       {{A::kRegister, true}, {A::kDispatch, true}, {A::kAccept, true}, {A::kFeedback, true}}},
      {S::kChecked,
       {{A::kRegister, true},
        {A::kDispatch, true},
        {A::kAccept, true},
        {A::kFeedback, true},
        {A::kCheckPass, true}}},
      {S::kClosed,
       {{A::kRegister, true},
        {A::kDispatch, true},
        {A::kAccept, true},
        {A::kFeedback, true},
        {A::kCheckPass, true},
        {A::kClose, true}}},
      {S::kCancelled, {{A::kCancel, true}}},
      {S::kMerged, {{A::kMerge, true}}},
      {S::kReported, {}},
      {S::kInvalid, {{A::kVerify, false}}},
  };
  Channel channel =
      (state == S::kReported || state == S::kInvalid) ? Channel::kPublic : Channel::kInspector;
  auto opened = OpenCase(Intake(channel), kT0);
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  Built b{*opened, {MakeCreatedEvent(*opened, kSystem)}};
  Timestamp at = kT0;
  for (auto [action, valid] : kPaths.at(state)) {
    at += 10min;
    ActionRequest r = Req(action, kAdmin, at, ValidParams(action, at));
    if (action == A::kVerify) r.params.valid = valid;
    auto next = ApplyAction(b.c, r);
    EXPECT_TRUE(next.ok()) << Name(action) << ": " << next.status().ToString();
    b.events.push_back(MakeActionEvent(b.c, r));
    b.c = *next;
  }
  EXPECT_EQ(b.c.state, state);
  return b;
}

Case In(CaseState state) { return Build(state).c; }

// ---- creation ----

TEST(CaseStateMachineTest, InspectorChannelStartsPendingOthersReported) {
  for (int i = 0; i <= static_cast<int>(Channel::kMedia); ++i) {
    Channel ch = static_cast<Channel>(i);
    auto c = OpenCase(Intake(ch), kT0);
    ASSERT_TRUE(c.ok());
    CaseState want = ch == Channel::kInspector ? CaseState::kPending : CaseState::kReported;
    EXPECT_EQ(c->state, want) << Name(ch);
    EXPECT_EQ(InitialState(ch), want);
    EXPECT_EQ(c->stage, ch == Channel::kInspector ? Stage::kRegister : Stage::kVerify);
    EXPECT_EQ(c->version, 1);
    EXPECT_EQ(c->created_at, kT0);
    EXPECT_EQ(c->stage_started, kT0);
  }
}

TEST(CaseStateMachineTest, OpenCaseRefusesMissingCategoryAndPastDeadline) {
  Case c = Intake(Channel::kPublic);
  c.category.clear();
  EXPECT_EQ(OpenCase(c, kT0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenCase(Intake(Channel::kPublic), kT0, kT0 - 1h).status().code(),
            StatusCode::kInvalidArgument);
}

// ---- the exhaustive matrix ----

TEST(CaseStateMachineTest, EveryStateActionRoleCombinationFollowsTheSpecification) {
  int legal = 0, denied = 0, refused = 0;
  for (CaseState state : AllStates()) {
    const Case c = In(state);
    for (const Actor& actor : kAllActors) {
      std::vector<Action> expected_available;
      for (Action action : AllActions()) {
        SCOPED_TRACE(std::string(Name(state)) + " × " + std::string(Name(action)) + " × " +
                     actor.user);
        const Timestamp at = kT0 + 24h;
        auto next = ApplyAction(c, Req(action, actor, at, ValidParams(action, at)));
        Status check = CheckAction(c, actor, action);

        const bool role_ok = SpecRoleMay(actor.role, action) &&
                             (actor.role != Role::kHandler || actor.unit == c.unit);
        auto legal_it = LegalTable().find({state, action});
        const bool postpone_answer_without_request =
            action == Action::kPostponeApprove || action == Action::kPostponeDeny;
        if (!role_ok) {
          EXPECT_EQ(next.status().code(), StatusCode::kPermissionDenied);
          EXPECT_EQ(check.code(), StatusCode::kPermissionDenied);
          ++denied;
        } else if (legal_it == LegalTable().end()) {
          EXPECT_EQ(next.status().code(), StatusCode::kFailedPrecondition);
          EXPECT_EQ(check.code(), StatusCode::kFailedPrecondition);
          EXPECT_NE(next.status().message().find(kNumber), std::string::npos);
          EXPECT_NE(next.status().message().find(Name(state)), std::string::npos);
          ++refused;
        } else if (postpone_answer_without_request) {
          // The built handling case has no postpone request pending.
          EXPECT_EQ(next.status().code(), StatusCode::kInvalidArgument);
          EXPECT_EQ(check.code(), StatusCode::kInvalidArgument);
        } else {
          ASSERT_TRUE(next.ok()) << next.status().ToString();
          EXPECT_TRUE(check.ok());
          EXPECT_EQ(next->state, legal_it->second);
          EXPECT_EQ(next->version, c.version + 1);
          EXPECT_EQ(next->updated_at, at);
          EXPECT_EQ(next->stage, StageOf(next->state));
          expected_available.push_back(action);
          ++legal;
        }
      }
      EXPECT_EQ(AvailableActions(c, actor), expected_available)
          << Name(state) << " for " << actor.user;
    }
  }
  // Sanity: the matrix really exercised all three outcomes.
  EXPECT_GT(legal, 50);
  EXPECT_GT(denied, 100);
  EXPECT_GT(refused, 100);
}

// Who may report on which channel: every cell of role × channel, as the header's table says.
TEST(CaseStateMachineTest, EachRoleReportsOnlyOnItsChannels) {
  using C = Channel;
  const std::map<Role, std::set<Channel>> may = {
      {Role::kAdmin, {C::kInspector, C::kPublic, C::kHotline, C::kOpen311, C::kVideoAi,
                      C::kLeader, C::kMedia}},
      {Role::kSystem, {C::kInspector, C::kPublic, C::kHotline, C::kOpen311, C::kVideoAi,
                       C::kLeader, C::kMedia}},
      {Role::kInspector, {C::kInspector}},
      {Role::kOperator, {C::kPublic, C::kHotline, C::kVideoAi, C::kLeader, C::kMedia}},
      {Role::kDispatcher, {C::kPublic, C::kHotline, C::kVideoAi, C::kLeader, C::kMedia}},
      {Role::kLeader, {C::kLeader}},
      {Role::kHandler, {}},
  };
  for (const Actor& actor : kAllActors) {
    const std::set<Channel>& allowed = may.at(actor.role);
    EXPECT_EQ(IntakeChannels(actor.role), std::vector<Channel>(allowed.begin(), allowed.end()))
        << Name(actor.role);
    for (Channel channel : {C::kInspector, C::kPublic, C::kHotline, C::kOpen311, C::kVideoAi,
                            C::kLeader, C::kMedia}) {
      Status s = CheckIntake(actor, channel);
      EXPECT_EQ(s.ok(), allowed.count(channel) == 1) << Name(actor.role) << " " << Name(channel);
      if (!s.ok()) {
        EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
      }
    }
  }
  EXPECT_EQ(CheckIntake(kOperator, C::kInspector).message(),
            "role operator may not report on channel inspector (it may on public, hotline, "
            "video_ai, leader, media)");
  EXPECT_EQ(CheckIntake(kHandler, C::kPublic).message(),
            "role handler may not report cases (a handler's unit takes them from dispatch)");
  EXPECT_NE(CheckIntake(kOperator, C::kOpen311).message().find("/open311/v2/requests"),
            std::string::npos);
}

TEST(CaseStateMachineTest, VerifyInvalidEndsInInvalid) {
  Case c = In(CaseState::kReported);
  ActionParams p;
  p.valid = false;
  auto next = ApplyAction(c, Req(Action::kVerify, kInspector, kT0 + 1h, p));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->state, CaseState::kInvalid);
  EXPECT_EQ(next->stage, Stage::kNone);
  EXPECT_TRUE(IsTerminal(next->state));
}

// Every legal transition, by the role the specification gives it (not admin).
struct TransitionRow {
  CaseState from;
  Action action;
  Actor actor;
  CaseState to;
};

TEST(CaseStateMachineTest, EveryLegalTransitionByItsOwnRole) {
  using S = CaseState;
  using A = Action;
  const std::vector<TransitionRow> rows = {
      {S::kReported, A::kVerify, kInspector, S::kPending},
      {S::kPending, A::kRegister, kOperator, S::kRegistered},
      {S::kPending, A::kReject, kOperator, S::kNotRegistered},
      {S::kRegistered, A::kDispatch, kDispatcher, S::kDispatched},
      {S::kDispatched, A::kAccept, kHandler, S::kHandling},
      {S::kDispatched, A::kReturn, kHandler, S::kRegistered},
      {S::kHandling, A::kPostponeRequest, kHandler, S::kHandling},
      {S::kHandling, A::kSuspend, kDispatcher, S::kSuspended},
      {S::kSuspended, A::kResume, kDispatcher, S::kHandling},
      {S::kHandling, A::kFeedback, kHandler, S::kChecking},
      {S::kChecking, A::kCheckPass, kInspector, S::kChecked},
      {S::kChecking, A::kCheckFail, kInspector, S::kHandling},
      {S::kChecked, A::kClose, kOperator, S::kClosed},
      {S::kHandling, A::kSupervise, kLeader, S::kHandling},
      {S::kReported, A::kComment, kLeader, S::kReported},
      {S::kClosed, A::kComment, kHandler, S::kClosed},
      {S::kMerged, A::kComment, kOperator, S::kMerged},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(Name(row.from)) + " " + std::string(Name(row.action)));
    Case c = In(row.from);
    const Timestamp at = kT0 + 24h;
    auto next = ApplyAction(c, Req(row.action, row.actor, at, ValidParams(row.action, at)));
    ASSERT_TRUE(next.ok()) << next.status().ToString();
    EXPECT_EQ(next->state, row.to);
  }
  // cancel and merge from every open state, by operator; merge also by system (video-AI).
  for (CaseState s : AllStates()) {
    if (IsTerminal(s)) continue;
    Case c = In(s);
    const Timestamp at = kT0 + 24h;
    auto cancelled = ApplyAction(c, Req(Action::kCancel, kOperator, at));
    ASSERT_TRUE(cancelled.ok()) << Name(s);
    EXPECT_EQ(cancelled->state, CaseState::kCancelled);
    EXPECT_EQ(cancelled->stage, Stage::kNone);
    for (const Actor& who : {kOperator, kSystem}) {
      auto merged = ApplyAction(c, Req(Action::kMerge, who, at, ValidParams(Action::kMerge, at)));
      ASSERT_TRUE(merged.ok()) << Name(s);
      EXPECT_EQ(merged->state, CaseState::kMerged);
      EXPECT_EQ(merged->merged_into, kOtherNumber);
    }
  }
}

TEST(CaseStateMachineTest, PostponeAnswersNeedAPendingRequest) {
  Case c = In(CaseState::kHandling);
  const Timestamp at = kT0 + 24h;
  auto asked = ApplyAction(
      c, Req(Action::kPostponeRequest, kHandler, at, ValidParams(Action::kPostponeRequest, at)));
  ASSERT_TRUE(asked.ok());
  EXPECT_EQ(asked->postpone_requested_until, at + 72h);
  auto avail = AvailableActions(*asked, kDispatcher);
  EXPECT_EQ(avail, (std::vector<Action>{Action::kPostponeApprove, Action::kPostponeDeny,
                                        Action::kSuspend, Action::kComment}));
  EXPECT_EQ(AvailableActions(*asked, kHandler),
            (std::vector<Action>{Action::kFeedback, Action::kComment}));
  // A second request while one is pending is refused.
  auto again = ApplyAction(*asked, Req(Action::kPostponeRequest, kHandler, at + 1h,
                                       ValidParams(Action::kPostponeRequest, at + 1h)));
  EXPECT_EQ(again.status().code(), StatusCode::kInvalidArgument);

  auto denied = ApplyAction(*asked, Req(Action::kPostponeDeny, kDispatcher, at + 2h));
  ASSERT_TRUE(denied.ok());
  EXPECT_FALSE(denied->postpone_requested_until);
  EXPECT_EQ(denied->state, CaseState::kHandling);

  auto approved = ApplyAction(*asked, Req(Action::kPostponeApprove, kDispatcher, at + 2h));
  ASSERT_TRUE(approved.ok());
  EXPECT_FALSE(approved->postpone_requested_until);
  EXPECT_EQ(approved->stage_deadline, at + 72h);
  EXPECT_EQ(approved->handle_deadline, at + 72h);
  EXPECT_FALSE(approved->overdue);
}

TEST(CaseStateMachineTest, LeavingHandlingDropsAnUnansweredPostponeRequest) {
  Case c = In(CaseState::kHandling);
  const Timestamp at = kT0 + 24h;
  auto asked = ApplyAction(
      c, Req(Action::kPostponeRequest, kHandler, at, ValidParams(Action::kPostponeRequest, at)));
  ASSERT_TRUE(asked.ok());
  auto fed = ApplyAction(
      *asked, Req(Action::kFeedback, kHandler, at + 1h, ValidParams(Action::kFeedback, at)));
  ASSERT_TRUE(fed.ok());
  EXPECT_FALSE(fed->postpone_requested_until);
}

// ---- roles ----

TEST(CaseStateMachineTest, HandlerOfAnotherUnitIsDeniedEvenComment) {
  Case c = In(CaseState::kDispatched);
  for (Action a : {Action::kAccept, Action::kReturn, Action::kComment}) {
    auto r = ApplyAction(c, Req(a, kOtherHandler, kT0 + 1h));
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << Name(a);
  }
  EXPECT_TRUE(AvailableActions(c, kOtherHandler).empty());
  Actor no_unit{"hd3", Role::kHandler, ""};
  EXPECT_EQ(ApplyAction(c, Req(Action::kAccept, no_unit, kT0 + 1h)).status().code(),
            StatusCode::kPermissionDenied);
}

TEST(CaseStateMachineTest, MessagesNameCaseStateRoleAndAction) {
  Case closed = In(CaseState::kClosed);
  auto r = ApplyAction(
      closed, Req(Action::kDispatch, kDispatcher, kT0 + 1h, ValidParams(Action::kDispatch, kT0)));
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status().message(),
            "case 20200412-000123 is 'closed'; 'dispatch' needs 'registered'");
  auto open_needed = ApplyAction(closed, Req(Action::kCancel, kOperator, kT0 + 1h));
  EXPECT_EQ(open_needed.status().message(),
            "case 20200412-000123 is 'closed'; 'cancel' needs an open state");
  auto denied = ApplyAction(In(CaseState::kRegistered), Req(Action::kDispatch, kLeader, kT0 + 1h,
                                                            ValidParams(Action::kDispatch, kT0)));
  EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.status().message(), "role 'leader' may not 'dispatch'");
}

TEST(CaseStateMachineTest, RoleIsCheckedBeforeState) {
  // A leader trying to close a reported case hears about its role, not the case's state.
  auto r = ApplyAction(In(CaseState::kReported), Req(Action::kClose, kLeader, kT0 + 1h));
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
}

// ---- parameters ----

struct ParamCase {
  const char* name;
  CaseState state;
  Action action;
  Actor actor;
  ActionParams params;
};

TEST(CaseStateMachineTest, BadParametersAreInvalidArgumentNamingTheField) {
  const Timestamp at = kT0 + 24h;
  ActionParams no_unit;
  ActionParams into_self;
  into_self.into = kNumber;
  ActionParams into_garbage;
  into_garbage.into = "yesterday-7";
  ActionParams past;
  past.until = at - 1h;
  past.reason = "r";
  ActionParams no_reason;
  no_reason.until = at + 1h;
  ActionParams no_until;
  no_until.reason = "r";
  ActionParams unit_on_accept;
  unit_on_accept.unit = "U01";
  ActionParams deadline_on_accept;
  deadline_on_accept.deadline = at + 1h;
  ActionParams deadline_on_comment;
  deadline_on_comment.deadline = at + 1h;
  ActionParams deadline_in_past;
  deadline_in_past.unit = "U01";
  deadline_in_past.deadline = at - 1min;
  ActionParams result_on_verify;
  result_on_verify.valid = true;
  result_on_verify.result = "x";
  const std::vector<ParamCase> cases = {
      {"verify without valid", CaseState::kReported, Action::kVerify, kInspector, {}},
      {"verify with result", CaseState::kReported, Action::kVerify, kInspector, result_on_verify},
      {"dispatch without unit", CaseState::kRegistered, Action::kDispatch, kDispatcher, no_unit},
      {"merge into itself", CaseState::kPending, Action::kMerge, kOperator, into_self},
      {"merge into garbage", CaseState::kPending, Action::kMerge, kOperator, into_garbage},
      {"merge into nothing", CaseState::kPending, Action::kMerge, kOperator, {}},
      {"postpone until past", CaseState::kHandling, Action::kPostponeRequest, kHandler, past},
      {"postpone without reason", CaseState::kHandling, Action::kPostponeRequest, kHandler,
       no_reason},
      {"postpone without until", CaseState::kHandling, Action::kPostponeRequest, kHandler,
       no_until},
      {"postpone_deny without request",
       CaseState::kHandling,
       Action::kPostponeDeny,
       kDispatcher,
       {}},
      {"postpone_approve without request",
       CaseState::kHandling,
       Action::kPostponeApprove,
       kDispatcher,
       {}},
      {"feedback without result", CaseState::kHandling, Action::kFeedback, kHandler, {}},
      {"unit on accept", CaseState::kDispatched, Action::kAccept, kHandler, unit_on_accept},
      {"deadline on accept", CaseState::kDispatched, Action::kAccept, kHandler, deadline_on_accept},
      {"deadline on comment", CaseState::kHandling, Action::kComment, kLeader, deadline_on_comment},
      {"deadline in the past", CaseState::kRegistered, Action::kDispatch, kDispatcher,
       deadline_in_past},
  };
  for (const auto& pc : cases) {
    auto r = ApplyAction(In(pc.state), Req(pc.action, pc.actor, at, pc.params));
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << pc.name;
    EXPECT_NE(r.status().message().find(Name(pc.action)), std::string::npos)
        << pc.name << ": " << r.status().message();
  }
}

TEST(CaseStateMachineTest, PostponeMustExtendTheCurrentDeadline) {
  Built b = Build(CaseState::kRegistered);
  const Timestamp at = kT0 + 1h;
  ActionParams d = ValidParams(Action::kDispatch, at);
  d.deadline = at + 48h;
  auto dispatched = ApplyAction(b.c, Req(Action::kDispatch, kDispatcher, at, d));
  ASSERT_TRUE(dispatched.ok());
  auto handling = ApplyAction(*dispatched, Req(Action::kAccept, kHandler, at + 1h));
  ASSERT_TRUE(handling.ok());
  ActionParams p;
  p.until = at + 24h;  // earlier than the deadline
  p.reason = "r";
  auto r = ApplyAction(*handling, Req(Action::kPostponeRequest, kHandler, at + 2h, p));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("current deadline"), std::string::npos);
}

// ---- counters, timestamps, stages ----

TEST(CaseStateMachineTest, CountsReworkReturnsAndSupervision) {
  Case c = In(CaseState::kRegistered);
  Timestamp at = kT0 + 1h;
  auto step = [&](Action a, const Actor& who) {
    at += 1h;
    auto next = ApplyAction(c, Req(a, who, at, ValidParams(a, at)));
    ASSERT_TRUE(next.ok()) << Name(a) << ": " << next.status().ToString();
    c = *next;
  };
  step(Action::kDispatch, kDispatcher);
  EXPECT_EQ(c.unit, "U01");
  EXPECT_EQ(c.dispatched_at, at);
  step(Action::kReturn, kHandler);
  EXPECT_EQ(c.return_count, 1);
  EXPECT_EQ(c.unit, "");
  EXPECT_EQ(c.stage, Stage::kDispatch);
  step(Action::kDispatch, kDispatcher);
  step(Action::kAccept, kHandler);
  step(Action::kSupervise, kLeader);
  step(Action::kSupervise, kLeader);
  EXPECT_EQ(c.supervise_count, 2);
  for (int round = 1; round <= 2; ++round) {
    step(Action::kFeedback, kHandler);
    EXPECT_EQ(c.handled_at, at);
    step(Action::kCheckFail, kInspector);
    EXPECT_EQ(c.rework_count, round);
    EXPECT_EQ(c.state, CaseState::kHandling);
  }
  step(Action::kFeedback, kHandler);
  step(Action::kCheckPass, kInspector);
  step(Action::kClose, kOperator);
  EXPECT_EQ(c.closed_at, at);
  EXPECT_EQ(c.return_count, 1);
  EXPECT_EQ(c.rework_count, 2);
  EXPECT_EQ(c.state, CaseState::kClosed);
  EXPECT_EQ(c.stage, Stage::kNone);
}

TEST(CaseStateMachineTest, StageChangeSetsOrClearsDeadlineAndOverdue) {
  Case c = In(CaseState::kPending);
  c.stage_deadline = kT0 + 2h;
  c.overdue = true;
  const Timestamp at = kT0 + 3h;
  ActionParams with_deadline;
  with_deadline.deadline = at + 4h;
  auto reg = ApplyAction(c, Req(Action::kRegister, kOperator, at, with_deadline));
  ASSERT_TRUE(reg.ok());
  EXPECT_EQ(reg->stage, Stage::kDispatch);
  EXPECT_EQ(reg->stage_started, at);
  EXPECT_EQ(reg->stage_deadline, at + 4h);
  EXPECT_FALSE(reg->overdue);
  EXPECT_EQ(reg->registered_at, at);
  EXPECT_TRUE(EntersNewStage(c, *reg));

  auto disp = ApplyAction(
      *reg, Req(Action::kDispatch, kDispatcher, at + 1h, ValidParams(Action::kDispatch, at)));
  ASSERT_TRUE(disp.ok());
  EXPECT_EQ(disp->stage, Stage::kHandle);
  EXPECT_FALSE(disp->stage_deadline);  // no deadline given: cleared
  EXPECT_FALSE(disp->handle_deadline);

  // accept stays in the handling stage: the deadline runs on.
  Case d = *disp;
  d.stage_deadline = at + 9h;
  d.handle_deadline = at + 9h;
  auto acc = ApplyAction(d, Req(Action::kAccept, kHandler, at + 2h));
  ASSERT_TRUE(acc.ok());
  EXPECT_FALSE(EntersNewStage(d, *acc));
  EXPECT_EQ(acc->stage_deadline, at + 9h);
  EXPECT_EQ(acc->stage_started, d.stage_started);

  // feedback enters the check stage; handle_deadline is kept.
  auto fed = ApplyAction(
      *acc, Req(Action::kFeedback, kHandler, at + 3h, ValidParams(Action::kFeedback, at)));
  ASSERT_TRUE(fed.ok());
  EXPECT_EQ(fed->stage, Stage::kCheck);
  EXPECT_FALSE(fed->stage_deadline);
  EXPECT_EQ(fed->handle_deadline, at + 9h);
}

// ---- payload encoding ----

TEST(CaseStateMachineTest, PayloadsAreCanonicalAndRoundTrip) {
  struct Row {
    Action action;
    ActionParams params;
    const char* json;
  };
  ActionParams verify;
  verify.valid = false;
  ActionParams dispatch;
  dispatch.unit = "U01";
  dispatch.deadline = T("2020-04-13T12:00:00+08:00");
  ActionParams postpone;
  postpone.until = T("2020-05-06T10:00:00Z");
  postpone.reason = "等待\"材料\"";
  ActionParams feedback;
  feedback.result = "已清理";
  ActionParams merge;
  merge.into = kOtherNumber;
  const std::vector<Row> rows = {
      {Action::kVerify, verify, R"({"valid":false})"},
      {Action::kDispatch, dispatch, R"({"deadline":"2020-04-13T12:00:00+08:00","unit":"U01"})"},
      {Action::kPostponeRequest, postpone,
       R"({"reason":"等待\"材料\"","until":"2020-05-06T18:00:00+08:00"})"},
      {Action::kFeedback, feedback, R"({"result":"已清理"})"},
      {Action::kMerge, merge, R"({"into":"20200412-000007"})"},
      {Action::kAccept, {}, "{}"},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(EncodeActionParams(row.action, row.params), row.json) << Name(row.action);
    auto back = DecodeActionParams(row.action, row.json);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, row.params);
  }
}

TEST(CaseStateMachineTest, DecodeRefusesBadPayloads) {
  for (const char* bad : {"", "[]", "{\"valid\":1}", "{\"colour\":\"red\"}",
                          "{\"until\":\"2020-05-06 10:00\"}", "{\"unit\":7}"}) {
    Action a =
        std::string_view(bad).find("until") != std::string_view::npos
            ? Action::kPostponeRequest
            : (std::string_view(bad).find("unit") != std::string_view::npos ? Action::kDispatch
                                                                            : Action::kVerify);
    EXPECT_EQ(DecodeActionParams(a, bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  // A field the action does not take.
  EXPECT_EQ(DecodeActionParams(Action::kAccept, R"({"unit":"U01"})").status().code(),
            StatusCode::kInvalidArgument);
}

// ---- history ----

Case WithoutStorageIdentity(Case c) {
  c.number.clear();
  c.idempotency_key.clear();
  return c;
}

TEST(CaseStateMachineTest, FoldOfFullLifecycleEqualsStepByStep) {
  Case intake = Intake(Channel::kPublic);
  auto opened = OpenCase(intake, kT0, kT0 + 2h);
  ASSERT_TRUE(opened.ok());
  Case c = *opened;
  std::vector<CaseEvent> events = {MakeCreatedEvent(c, kSystem, "来自12345")};
  Timestamp at = kT0;
  auto act = [&](Action a, const Actor& who, ActionParams p) {
    at += 30min;
    ActionRequest r = Req(a, who, at, std::move(p));
    r.note = std::string("note for ") + std::string(Name(a));
    auto next = ApplyAction(c, r);
    ASSERT_TRUE(next.ok()) << Name(a) << ": " << next.status().ToString();
    events.push_back(MakeActionEvent(c, r));
    c = *next;
  };
  ActionParams p;
  p.valid = true;
  p.deadline = kT0 + 5h;
  act(Action::kVerify, kInspector, p);
  act(Action::kRegister, kOperator, {});
  ActionParams d;
  d.unit = "U01";
  d.deadline = kT0 + 48h;
  act(Action::kDispatch, kDispatcher, d);
  act(Action::kAccept, kHandler, {});
  // The sweeper sees the handling deadline pass.
  CaseEvent overdue = MakeOverdueEvent(c, kT0 + 49h);
  auto o = ApplyEvent(c, overdue);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_TRUE(o->overdue && o->handle_overdue);
  events.push_back(overdue);
  c = *o;
  at = kT0 + 50h;
  act(Action::kPostponeRequest, kHandler, ValidParams(Action::kPostponeRequest, at + 30min));
  act(Action::kPostponeApprove, kDispatcher, {});
  EXPECT_FALSE(c.overdue);
  EXPECT_TRUE(c.handle_overdue);
  CaseEvent photo = MakePhotoAddedEvent(c, kHandler, at + 1min, {"bb22", "cc33"});
  auto ph = ApplyEvent(c, photo);
  ASSERT_TRUE(ph.ok());
  events.push_back(photo);
  c = *ph;
  act(Action::kSupervise, kLeader, {});
  act(Action::kFeedback, kHandler, ValidParams(Action::kFeedback, at));
  act(Action::kCheckFail, kInspector, {});
  act(Action::kSuspend, kDispatcher, {});
  act(Action::kResume, kDispatcher, {});
  act(Action::kFeedback, kHandler, ValidParams(Action::kFeedback, at));
  act(Action::kCheckPass, kInspector, {});
  act(Action::kClose, kOperator, {});
  act(Action::kComment, kLeader, {});

  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].version, int64_t(i) + 1);
  auto folded = FoldHistory(events);
  ASSERT_TRUE(folded.ok()) << folded.status().ToString();
  EXPECT_EQ(*folded, WithoutStorageIdentity(c));
  EXPECT_EQ(folded->photos, (std::vector<std::string>{"aa11", "bb22", "cc33"}));
  EXPECT_EQ(folded->location, intake.location);
  EXPECT_EQ(folded->reporter, intake.reporter);
  EXPECT_EQ(folded->rework_count, 1);
  EXPECT_EQ(folded->supervise_count, 1);
  EXPECT_EQ(folded->state, CaseState::kClosed);
}

TEST(CaseStateMachineTest, FoldOfEveryBuiltStateEqualsTheBuiltCase) {
  for (CaseState s : AllStates()) {
    Built b = Build(s);
    auto folded = FoldHistory(b.events);
    ASSERT_TRUE(folded.ok()) << Name(s) << ": " << folded.status().ToString();
    EXPECT_EQ(*folded, WithoutStorageIdentity(b.c)) << Name(s);
  }
}

TEST(CaseStateMachineTest, FoldOfRandomWalksEqualsStepByStep) {
  std::mt19937 rng(20200412);
  std::set<Action> taken;
  for (int walk = 0; walk < 60; ++walk) {
    auto opened = OpenCase(Intake(walk % 3 == 0 ? Channel::kInspector : Channel::kVideoAi), kT0);
    ASSERT_TRUE(opened.ok());
    Case c = *opened;
    std::vector<CaseEvent> events = {MakeCreatedEvent(c, kSystem)};
    Timestamp at = kT0;
    for (int step = 0; step < 60; ++step) {
      at += std::chrono::minutes(1 + rng() % 600);
      // Every (actor, action) pair possible now; mostly move the case forward, so that the
      // walks reach the later states too.
      std::vector<std::pair<Actor, Action>> all, forward;
      for (const Actor& actor : kAllActors) {
        for (Action x : AvailableActions(c, actor)) {
          all.emplace_back(actor, x);
          if (x != Action::kCancel && x != Action::kMerge) {
            forward.emplace_back(actor, x);
          }
        }
      }
      ASSERT_FALSE(all.empty());  // comment is always possible
      const auto& pool = (!forward.empty() && rng() % 10 != 0) ? forward : all;
      const auto& [who, a] = pool[rng() % pool.size()];
      ActionRequest r = Req(a, who, at, ValidParams(a, at));
      if (a == Action::kVerify) r.params.valid = rng() % 4 != 0;
      Case probe = c;
      auto first = ApplyAction(c, r);
      ASSERT_TRUE(first.ok()) << Name(a) << ": " << first.status().ToString();
      if (EntersNewStage(probe, *first) && first->stage != Stage::kNone) {
        r.params.deadline = at + std::chrono::hours(1 + rng() % 72);
      }
      auto next = ApplyAction(c, r);
      ASSERT_TRUE(next.ok()) << next.status().ToString();
      events.push_back(MakeActionEvent(c, r));
      taken.insert(a);
      c = *next;
      if (c.stage != Stage::kNone && !c.overdue && rng() % 5 == 0) {
        at += 1min;
        CaseEvent e = MakeOverdueEvent(c, at);
        auto o = ApplyEvent(c, e);
        ASSERT_TRUE(o.ok()) << o.status().ToString();
        events.push_back(e);
        c = *o;
      }
    }
    auto folded = FoldHistory(events);
    ASSERT_TRUE(folded.ok()) << folded.status().ToString();
    ASSERT_EQ(*folded, WithoutStorageIdentity(c)) << "walk " << walk;
  }
  for (Action a : AllActions()) {
    EXPECT_TRUE(taken.count(a)) << "no walk took " << Name(a);
  }
}

TEST(CaseStateMachineTest, FoldTrustsRecordedAuthorisationButNotTransitions) {
  Built b = Build(CaseState::kPending);
  // An operator registered it, say; the history does not depend on today's role table.
  CaseEvent e = MakeActionEvent(b.c, Req(Action::kRegister, kLeader, kT0 + 1h));
  auto events = b.events;
  events.push_back(e);
  ASSERT_TRUE(FoldHistory(events).ok());

  // An illegal transition in a history is refused, naming the event.
  CaseEvent close = MakeActionEvent(b.c, Req(Action::kClose, kOperator, kT0 + 1h));
  auto bad = b.events;
  bad.push_back(close);
  auto r = FoldHistory(bad);
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("event 1 (version 2)"), std::string::npos)
      << r.status().message();
}

TEST(CaseStateMachineTest, FoldRefusesMalformedHistories) {
  Built b = Build(CaseState::kDispatched);
  EXPECT_EQ(FoldHistory({}).status().code(), StatusCode::kInvalidArgument);

  auto no_created = b.events;
  no_created.erase(no_created.begin());
  EXPECT_EQ(FoldHistory(no_created).status().code(), StatusCode::kInvalidArgument);

  auto gap = b.events;
  gap.erase(gap.begin() + 1);
  EXPECT_EQ(FoldHistory(gap).status().code(), StatusCode::kInvalidArgument);

  auto other_case = b.events;
  other_case.back().case_id = 7;
  EXPECT_EQ(FoldHistory(other_case).status().code(), StatusCode::kInvalidArgument);

  auto bad_payload = b.events;
  bad_payload.back().payload_json = R"({"unit":"U01","colour":"red"})";
  auto r = FoldHistory(bad_payload);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("colour"), std::string::npos);

  auto bad_created = b.events;
  bad_created.front().payload_json = R"({"channel":"carrier pigeon","category":"06010"})";
  EXPECT_EQ(FoldHistory(bad_created).status().code(), StatusCode::kInvalidArgument);

  auto no_action = b.events;
  no_action.back().action.reset();
  EXPECT_EQ(FoldHistory(no_action).status().code(), StatusCode::kInvalidArgument);

  // Overdue for a stage the case is not in.
  auto wrong_stage = b.events;
  CaseEvent o = MakeOverdueEvent(b.c, kT0 + 9h);
  o.payload_json = R"({"stage":"verify"})";
  wrong_stage.push_back(o);
  EXPECT_EQ(FoldHistory(wrong_stage).status().code(), StatusCode::kFailedPrecondition);
}

TEST(CaseStateMachineTest, CreatedPayloadIsCanonical) {
  auto opened = OpenCase(Intake(Channel::kHotline), kT0, kT0 + 1h);
  ASSERT_TRUE(opened.ok());
  CaseEvent e = MakeCreatedEvent(*opened, kSystem);
  EXPECT_EQ(e.payload_json,
            R"({"category":"06010","channel":"hotline","deadline":"2020-04-12T10:30:00+08:00",)"
            R"("description":"路边暴露垃圾","location":{"address":"大学路与陇海路交叉口",)"
            R"("community":"410103001002","district":"410103","grid":"410103001002007",)"
            R"("lat":34.7197,"lon":113.6401,"road":"R17","subdistrict":"410103001"},)"
            R"("reporter":{"name":"张三","phone":"13800000000"},"suggested_unit":"U01"})");
  EXPECT_EQ(e.photos, std::vector<std::string>{"aa11"});
  EXPECT_EQ(e.version, 1);
  EXPECT_EQ(e.type, EventType::kCreated);
}

}  // namespace
}  // namespace citygrid
