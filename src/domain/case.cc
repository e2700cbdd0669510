#include "citygrid/domain/case.h"

#include <array>

namespace citygrid {
namespace {

template <typename E, size_t N>
Result<E> ParseByName(std::string_view name, const std::array<E, N>& all, const char* what) {
  for (E e : all) {
    if (Name(e) == name) return e;
  }
  std::string m = "unknown ";
  m += what;
  m += " '";
  m.append(name.substr(0, 64));
  m += "'";
  return InvalidArgumentError(std::move(m));
}

constexpr std::array kAllStates = {
    CaseState::kReported,  CaseState::kPending,  CaseState::kInvalid,   CaseState::kRegistered,
    CaseState::kNotRegistered, CaseState::kDispatched, CaseState::kHandling,
    CaseState::kSuspended, CaseState::kChecking, CaseState::kChecked,   CaseState::kClosed,
    CaseState::kCancelled, CaseState::kMerged};
constexpr std::array kAllActions = {
    Action::kVerify,    Action::kRegister,        Action::kReject,          Action::kDispatch,
    Action::kAccept,    Action::kReturn,          Action::kPostponeRequest, Action::kPostponeApprove,
    Action::kPostponeDeny, Action::kSuspend,      Action::kResume,          Action::kFeedback,
    Action::kCheckPass, Action::kCheckFail,       Action::kClose,           Action::kCancel,
    Action::kMerge,     Action::kSupervise,       Action::kComment};
constexpr std::array kAllRoles = {Role::kAdmin,     Role::kOperator, Role::kDispatcher,
                                  Role::kInspector, Role::kHandler,  Role::kLeader,
                                  Role::kSystem};
constexpr std::array kAllChannels = {Channel::kInspector, Channel::kPublic, Channel::kHotline,
                                     Channel::kOpen311,   Channel::kVideoAi, Channel::kLeader,
                                     Channel::kMedia};
constexpr std::array kAllStages = {Stage::kVerify, Stage::kRegister, Stage::kDispatch,
                                   Stage::kHandle, Stage::kCheck,    Stage::kNone};
constexpr std::array kAllEventTypes = {EventType::kCreated, EventType::kAction,
                                       EventType::kOverdue, EventType::kPhotoAdded};

static_assert(kAllStates.size() == kCaseStateCount);
static_assert(kAllActions.size() == kActionCount);

}  // namespace

std::string_view Name(CaseState s) {
  switch (s) {
    case CaseState::kReported: return "reported";
    case CaseState::kPending: return "pending";
    case CaseState::kInvalid: return "invalid";
    case CaseState::kRegistered: return "registered";
    case CaseState::kNotRegistered: return "not_registered";
    case CaseState::kDispatched: return "dispatched";
    case CaseState::kHandling: return "handling";
    case CaseState::kSuspended: return "suspended";
    case CaseState::kChecking: return "checking";
    case CaseState::kChecked: return "checked";
    case CaseState::kClosed: return "closed";
    case CaseState::kCancelled: return "cancelled";
    case CaseState::kMerged: return "merged";
  }
  return "?";
}

std::string_view Name(Action a) {
  switch (a) {
    case Action::kVerify: return "verify";
    case Action::kRegister: return "register";
    case Action::kReject: return "reject";
    case Action::kDispatch: return "dispatch";
    case Action::kAccept: return "accept";
    case Action::kReturn: return "return";
    case Action::kPostponeRequest: return "postpone_request";
    case Action::kPostponeApprove: return "postpone_approve";
    case Action::kPostponeDeny: return "postpone_deny";
    case Action::kSuspend: return "suspend";
    case Action::kResume: return "resume";
    case Action::kFeedback: return "feedback";
    case Action::kCheckPass: return "check_pass";
    case Action::kCheckFail: return "check_fail";
    case Action::kClose: return "close";
    case Action::kCancel: return "cancel";
    case Action::kMerge: return "merge";
    case Action::kSupervise: return "supervise";
    case Action::kComment: return "comment";
  }
  return "?";
}

std::string_view Name(Role r) {
  switch (r) {
    case Role::kAdmin: return "admin";
    case Role::kOperator: return "operator";
    case Role::kDispatcher: return "dispatcher";
    case Role::kInspector: return "inspector";
    case Role::kHandler: return "handler";
    case Role::kLeader: return "leader";
    case Role::kSystem: return "system";
  }
  return "?";
}

std::string_view Name(Channel c) {
  switch (c) {
    case Channel::kInspector: return "inspector";
    case Channel::kPublic: return "public";
    case Channel::kHotline: return "hotline";
    case Channel::kOpen311: return "open311";
    case Channel::kVideoAi: return "video_ai";
    case Channel::kLeader: return "leader";
    case Channel::kMedia: return "media";
  }
  return "?";
}

std::string_view Name(Stage s) {
  switch (s) {
    case Stage::kVerify: return "verify";
    case Stage::kRegister: return "register";
    case Stage::kDispatch: return "dispatch";
    case Stage::kHandle: return "handle";
    case Stage::kCheck: return "check";
    case Stage::kNone: return "none";
  }
  return "?";
}

std::string_view Name(EventType t) {
  switch (t) {
    case EventType::kCreated: return "created";
    case EventType::kAction: return "action";
    case EventType::kOverdue: return "overdue";
    case EventType::kPhotoAdded: return "photo_added";
  }
  return "?";
}

Result<CaseState> ParseCaseState(std::string_view n) { return ParseByName(n, kAllStates, "state"); }
Result<Action> ParseAction(std::string_view n) { return ParseByName(n, kAllActions, "action"); }
Result<Role> ParseRole(std::string_view n) { return ParseByName(n, kAllRoles, "role"); }
Result<Channel> ParseChannel(std::string_view n) {
  return ParseByName(n, kAllChannels, "channel");
}
Result<Stage> ParseStage(std::string_view n) { return ParseByName(n, kAllStages, "stage"); }
Result<EventType> ParseEventType(std::string_view n) {
  return ParseByName(n, kAllEventTypes, "event type");
}

bool IsTerminal(CaseState s) {
  return s == CaseState::kInvalid || s == CaseState::kNotRegistered || s == CaseState::kClosed ||
         s == CaseState::kCancelled || s == CaseState::kMerged;
}

}  // namespace citygrid
