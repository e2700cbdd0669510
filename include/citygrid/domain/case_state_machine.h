#pragma once

// The case workflow (案卷流转) of DESIGN.md §2 as pure functions: who may take which action in
// which state, what each action does to the case, and how a case's event history folds back into
// its current state.
//
//   public channels:    reported ─verify(valid)→ pending     reported ─verify(invalid)→ invalid
//   inspector channel:  (created) → pending
//   pending ─register→ registered                           pending ─reject→ not_registered
//   registered ─dispatch(unit)→ dispatched
//   dispatched ─accept→ handling                            dispatched ─return→ registered
//   handling ─feedback(result)→ checking
//   handling ─suspend→ suspended ─resume→ handling
//   handling ─postpone_request(until, reason)→ handling ─postpone_approve|postpone_deny→ handling
//   checking ─check_pass→ checked ─close→ closed            checking ─check_fail→ handling (返工)
//   any open state ─cancel→ cancelled · ─merge(into)→ merged · supervise (督办): no move
//   any state ─comment: no move
//   terminal: invalid, not_registered, closed, cancelled, merged
//
// Roles: inspector verifies and checks; operator registers, rejects, closes, cancels and merges;
// dispatcher dispatches, approves/denies postponements, suspends and resumes; the handler of the
// case's assigned unit accepts, returns, requests postponement and reports back; leader
// supervises; every role comments; admin may do everything; system (citygrid itself) merges
// (automatic merge of video-AI duplicates).
//
// Checks run in this order, so one request gets one specific error:
//   1. role        → kPermissionDenied naming role and action (a handler of another unit, too;
//                    the HTTP layer answers that one with 404 so units cannot probe each other);
//   2. state       → kFailedPrecondition naming the case, its state, the action and the states
//                    it needs ("case 20200412-000123 is 'closed'; 'dispatch' needs 'registered'");
//   3. parameters  → kInvalidArgument naming the parameter.
//
// Stage deadlines are not computed here: the service computes them with the work calendar and
// hands them in as ActionParams::deadline, so that they are recorded in the event and the fold
// reproduces them. An action that changes the stage clears stage_deadline and overdue unless a
// deadline is given. Typical service code:
//
//   ActionRequest request{...};
//   CITYGRID_ASSIGN_OR_RETURN(Case next, ApplyAction(current, request));
//   if (EntersNewStage(current, next) && next.stage != Stage::kNone) {
//     request.params.deadline = calendar.Deadline(request.at, DurationFor(next.stage));
//     CITYGRID_ASSIGN_OR_RETURN(next, ApplyAction(current, request));
//   }
//   CaseEvent event = MakeActionEvent(current, request);
//   store.Append(current.id, current.version, {event}, next);
//
// Event payloads (CaseEvent::payload_json) are canonical JSON: an object whose keys appear in
// lexicographic order, with only the fields the action takes, timestamps as ISO-8601 at +08:00.
//   verify            {"valid":true}                 (false for invalid)
//   dispatch          {"unit":"U01"}
//   postpone_request  {"reason":"...","until":"2020-05-06T18:00:00+08:00"}
//   feedback          {"result":"..."}
//   merge             {"into":"20200412-000007"}
//   any action that enters a stage may add {"deadline":"..."}; other actions: {}.
//   kCreated          {"category":..,"channel":..,"deadline":..,"description":..,
//                      "location":{"address":..,"community":..,"district":..,"grid":..,
//                                  "lat":..,"lon":..,"road":..,"subdistrict":..},
//                      "reporter":{"name":..,"phone":..},"suggested_unit":..,
//                      "intake":{"address_id":..,"attributes":[[code,value],..],
//                                "media_urls":[..],"token":..}}
//                     (empty strings and absent values are left out; "intake" only when the
//                     report carried any. The fold ignores "intake": it is no part of the state,
//                     and unknown keys inside it are skipped so that later fields need no fold
//                     change. Events written before "intake" existed simply have none.)
//   kOverdue          {"stage":"handle"}
//   kPhotoAdded       {}  (the photos are CaseEvent::photos)
//
// All functions are pure and thread-compatible.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/common/time.h"
#include "citygrid/domain/case.h"

namespace citygrid {

// The parameters an action takes. Each action accepts only its own fields; any other field set
// is refused with kInvalidArgument, so that an event's payload is exactly what the action used.
struct ActionParams {
  std::optional<bool> valid;          // verify: true = valid (→ pending), false = invalid
  std::string unit;                   // dispatch: the unit code
  std::string into;                   // merge: the number of the case kept
  std::optional<Timestamp> until;     // postpone_request: the requested new deadline
  std::string reason;                 // postpone_request: why
  std::string result;                 // feedback: what was done (处理结果)
  std::optional<Timestamp> deadline;  // deadline of the stage the action enters

  friend bool operator==(const ActionParams&, const ActionParams&) = default;
};

// One action as somebody takes it.
struct ActionRequest {
  Action action = Action::kComment;
  Actor actor;
  Timestamp at{};
  ActionParams params;
  std::string note;                 // free text kept on the event
  std::vector<std::string> photos;  // media hashes kept on the event (e.g. feedback photos)
};

// ---- Creation ----

// The state a case of `channel` starts in: pending for the inspector channel (the inspector saw
// the problem), reported for every other channel (someone must verify first).
CaseState InitialState(Channel channel);

// `intake` as a newly created case: state and stage from its channel (reported → verify stage,
// pending → register stage), version 1, created_at = updated_at = stage_started = `at`,
// stage_deadline = `stage_deadline`, all workflow fields reset. id, number and idempotency_key are
// kept as given (storage assigns them). kInvalidArgument when the deadline is before `at` or the
// category is empty.
Result<Case> OpenCase(Case intake, Timestamp at,
                      std::optional<Timestamp> stage_deadline = std::nullopt);

// The kCreated event (version 1) that records `opened` (a result of OpenCase): its payload holds
// the intake fields, photos go to CaseEvent::photos. Hashes and global_seq are left to storage.
// `intake` goes to the payload's "intake" key when not empty.
CaseEvent MakeCreatedEvent(const Case& opened, const Actor& actor, std::string note = "",
                           const CaseIntake& intake = {});

// The case a kCreated event opens, as FoldHistory starts from it: version 1, id from the event,
// number and idempotency_key empty (storage's). kInvalidArgument when `created` is not a
// kCreated event or its payload is malformed.
Result<Case> DecodeCreatedEvent(const CaseEvent& created);

// The intake record of a kCreated event: empty when it has none (events written before intake
// records existed). kInvalidArgument when `created` is not a kCreated event, its payload is not
// a JSON object, or "intake" holds a value of the wrong type; unknown keys inside it are skipped.
Result<CaseIntake> DecodeIntake(const CaseEvent& created);

// ---- Actions ----

// Whether `role` may take `action` at all (the handler's unit is not considered here).
bool RoleMayTake(Role role, Action action);

// The states in which `action` is legal.
bool StateAllows(CaseState state, Action action);

// Whether `actor` may take `action` on `c` now, parameters aside: kPermissionDenied or
// kFailedPrecondition as described above; kInvalidArgument for postpone_approve/postpone_deny
// when no postpone request is pending and for postpone_request when one already is.
Status CheckAction(const Case& c, const Actor& actor, Action action);

// Whether `actor` may report a new case on `channel` (POST /api/v1/cases and its batch), so that
// no one skips what the channel implies (an inspector report starts verified, at pending):
//   inspector                        inspectors;
//   public, hotline, media, video_ai operators and dispatchers (the command center enters
//                                    citizens' calls and letters; a detector's account);
//   leader                           leaders, operators and dispatchers (领导交办);
//   open311                          nobody here: Open311 clients post to /open311/v2;
// admins and the system actor (Open311, the demo) report on any channel; handlers on none.
// kPermissionDenied naming the role and the channel otherwise.
Status CheckIntake(const Actor& actor, Channel channel);

// The channels CheckIntake lets `role` report on, in enum order (the console's choice).
std::vector<Channel> IntakeChannels(Role role);

// The actions `actor` may take on `c` now, in enum order: exactly those CheckAction accepts.
// The console shows one button per action.
std::vector<Action> AvailableActions(const Case& c, const Actor& actor);

// Applies `request` to `current` and returns the new case: state, unit, counters (rework_count on
// check_fail, return_count on return, supervise_count on supervise), postpone_requested_until,
// merged_into, registered_at/dispatched_at/handled_at/closed_at, stage (and on a stage change
// stage_started, stage_deadline, overdue; handle_deadline when entering the handling stage),
// version + 1 and updated_at = request.at. Errors as described at the top of this file.
Result<Case> ApplyAction(const Case& current, const ActionRequest& request);

// The stage a case in `state` is in: reported → verify, pending → register, registered →
// dispatch, dispatched/handling → handle, checking → check; suspended, checked and the terminal
// states → none (no clock runs).
Stage StageOf(CaseState state);

// True when `after` is in another stage than `before`: the service then computes the new stage's
// deadline (unless it is Stage::kNone) and passes it as ActionParams::deadline.
bool EntersNewStage(const Case& before, const Case& after);

// The kAction event recording `request` taken on `current` (version current.version + 1).
// REQUIRES: ApplyAction(current, request) succeeded.
CaseEvent MakeActionEvent(const Case& current, const ActionRequest& request);

// The kOverdue event the sweeper records when the current stage's deadline passed at `at`.
CaseEvent MakeOverdueEvent(const Case& current, Timestamp at);

// The kPhotoAdded event adding `photos` (media hashes) to the case.
CaseEvent MakePhotoAddedEvent(const Case& current, const Actor& actor, Timestamp at,
                              std::vector<std::string> photos, std::string note = "");

// Canonical payload text of `params` for `action`, and back. Decode returns kInvalidArgument
// naming the bad field (unknown key, wrong type, bad timestamp, field the action does not take).
std::string EncodeActionParams(Action action, const ActionParams& params);
Result<ActionParams> DecodeActionParams(Action action, std::string_view payload_json);

// ---- History ----

// Applies one stored event to `current` (which must be at version event.version - 1).
// The authorisation recorded in the event is trusted (roles may change after the fact); the
// transition and its parameters are checked again. Not applicable to kCreated events.
Result<Case> ApplyEvent(const Case& current, const CaseEvent& event);

// Folds a complete history (kCreated first, versions 1, 2, ... consecutive, one case_id) into the
// current case. id comes from the events; number and idempotency_key are storage's and are left
// empty. Errors name the event (index and version) that does not fit: kInvalidArgument for a
// malformed event (payload, version, case id), kFailedPrecondition for an illegal transition.
Result<Case> FoldHistory(const std::vector<CaseEvent>& events);

}  // namespace citygrid
