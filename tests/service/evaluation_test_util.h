#pragma once

// Hand-built case histories for the evaluation tests: a case is scripted action by action with
// explicit instants (and the handling deadline given by hand), then written with one CreateCase
// and one Append, exactly as the service would have written it event by event.
//
//   ScriptedCase c(At("2026-03-02T09:00:00+08:00"), "06010", "U-HW");
//   c.Register(...).Dispatch("U-HW", at, deadline).Accept(at).Feedback(at).CheckPass(at)
//    .Close(at);
//   ASSERT_TRUE(c.WriteTo(store).ok());

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/common/time.h"
#include "citygrid/domain/case.h"
#include "citygrid/domain/case_state_machine.h"
#include "citygrid/storage/store.h"

namespace citygrid::service::testing {

inline Timestamp At(const std::string& iso) {
  Result<Timestamp> t = ParseIso8601(iso);
  EXPECT_TRUE(t.ok()) << iso;
  return t.value_or(Timestamp{});
}

// The grids of tests/service/service_test_env.h.
inline constexpr const char* kGridA = "410103001001001";  // sub-district 001
inline constexpr const char* kGridB = "410103002001001";  // sub-district 002

class ScriptedCase {
 public:
  // A case reported at `at` on `channel` by `reporter` (an inspector's username for the
  // inspector channel). Public channels start in state reported.
  ScriptedCase(Timestamp at, std::string category, std::string grid = kGridA,
               Channel channel = Channel::kInspector, std::string reporter = "inspector1") {
    Case intake;
    intake.channel = channel;
    intake.category = std::move(category);
    intake.description = "scripted case";
    intake.location.lon = 113.601;
    intake.location.lat = 34.701;
    intake.location.district_code = "410103";
    intake.location.grid_code = grid;
    intake.location.community_code = grid.substr(0, 12);
    intake.location.subdistrict_code = grid.substr(0, 9);
    intake.created_at = at;
    Result<Case> opened = OpenCase(intake, at);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    current_ = opened.value_or(Case{});
    Actor actor{reporter, channel == Channel::kInspector ? Role::kInspector : Role::kSystem, ""};
    if (channel != Channel::kInspector) actor = Actor{"public", Role::kSystem, ""};
    created_ = MakeCreatedEvent(current_, actor);
  }

  ScriptedCase& Verify(Timestamp at, bool valid, const std::string& inspector = "inspector2") {
    ActionParams p;
    p.valid = valid;
    return Do(Action::kVerify, at, p, Actor{inspector, Role::kInspector, ""});
  }
  ScriptedCase& Register(Timestamp at) { return Do(Action::kRegister, at, {}); }
  ScriptedCase& Reject(Timestamp at) { return Do(Action::kReject, at, {}); }
  ScriptedCase& Dispatch(const std::string& unit, Timestamp at, Timestamp handle_deadline) {
    ActionParams p;
    p.unit = unit;
    p.deadline = handle_deadline;
    return Do(Action::kDispatch, at, p);
  }
  ScriptedCase& Accept(Timestamp at) { return Do(Action::kAccept, at, {}); }
  ScriptedCase& Return(Timestamp at) { return Do(Action::kReturn, at, {}); }
  ScriptedCase& Feedback(Timestamp at) {
    ActionParams p;
    p.result = "done";
    return Do(Action::kFeedback, at, p);
  }
  ScriptedCase& CheckPass(Timestamp at) { return Do(Action::kCheckPass, at, {}); }
  ScriptedCase& CheckFail(Timestamp at, Timestamp new_deadline) {
    ActionParams p;
    p.deadline = new_deadline;
    return Do(Action::kCheckFail, at, p);
  }
  ScriptedCase& Close(Timestamp at) { return Do(Action::kClose, at, {}); }
  ScriptedCase& Suspend(Timestamp at) { return Do(Action::kSuspend, at, {}); }
  ScriptedCase& Cancel(Timestamp at) { return Do(Action::kCancel, at, {}); }
  ScriptedCase& PostponeTo(Timestamp at, Timestamp until) {
    ActionParams p;
    p.until = until;
    p.reason = "materials";
    Do(Action::kPostponeRequest, at, p);
    return Do(Action::kPostponeApprove, at, {});
  }
  // The sweeper's overdue mark of the current stage.
  ScriptedCase& MarkOverdue(Timestamp at) {
    events_.push_back(MakeOverdueEvent(current_, at));
    current_.version += 1;
    current_.overdue = true;
    if (current_.stage == Stage::kHandle) current_.handle_overdue = true;
    current_.updated_at = at;
    return *this;
  }

  // Passes `c` through CreateCase and one Append. Returns the stored case id.
  Result<int64_t> WriteTo(storage::CaseStore& store) const {
    storage::NewCase n;
    n.initial = initial();
    n.created = created_;
    CITYGRID_ASSIGN_OR_RETURN(storage::CreateResult created, store.CreateCase(n));
    if (!events_.empty()) {
      Result<std::vector<CaseEvent>> appended =
          store.Append(created.created_case.id, 1, events_, current_);
      if (!appended.ok()) return appended.status();
    }
    return created.created_case.id;
  }

  const Case& current() const { return current_; }

 private:
  Case initial() const {
    Result<Case> c = FoldHistory({created_});
    return c.value_or(Case{});
  }

  ScriptedCase& Do(Action action, Timestamp at, ActionParams params,
                   Actor actor = Actor{"admin", Role::kAdmin, ""}) {
    ActionRequest r;
    r.action = action;
    r.actor = actor;
    r.at = at;
    r.params = params;
    Result<Case> next = ApplyAction(current_, r);
    EXPECT_TRUE(next.ok()) << Name(action) << ": " << next.status().ToString();
    if (!next.ok()) return *this;
    events_.push_back(MakeActionEvent(current_, r));
    current_ = *next;
    return *this;
  }

  Case current_;
  CaseEvent created_;
  std::vector<CaseEvent> events_;
};

}  // namespace citygrid::service::testing
