#pragma once

// The case (案卷) and its events: the vocabulary every layer above domain shares.
//
// A case's current state is derived from its events (domain/case_state_machine.h applies them);
// storage keeps both the append-only event log and the derived current-state row.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/common/time.h"

namespace citygrid {

// Workflow states of DESIGN.md §2 (GB/T 30428 flow).
enum class CaseState {
  kReported,       // 上报: a public-channel report awaiting verification (核实)
  kPending,        // 待立案: verified or inspector-reported, awaiting registration
  kInvalid,        // 无效: verification found the report invalid (terminal)
  kRegistered,     // 已立案
  kNotRegistered,  // 不予立案 (terminal)
  kDispatched,     // 已派遣, awaiting the unit's acceptance
  kHandling,       // 处置中
  kSuspended,      // 挂账
  kChecking,       // 待核查: the unit reported back, an inspector checks the fix
  kChecked,        // 核查通过, awaiting closing
  kClosed,         // 结案 (terminal)
  kCancelled,      // 作废 (terminal)
  kMerged,         // merged into another case as a duplicate (terminal)
};
inline constexpr int kCaseStateCount = 13;

// What a person (or the system) does to a case.
enum class Action {
  kVerify,           // 核实 (payload: valid or invalid)
  kRegister,         // 立案
  kReject,           // 不予立案
  kDispatch,         // 派遣 (payload: unit)
  kAccept,           // 签收
  kReturn,           // 回退 (wrong unit)
  kPostponeRequest,  // 延期申请 (payload: until, reason)
  kPostponeApprove,  // 延期批准
  kPostponeDeny,     // 延期驳回
  kSuspend,          // 挂账
  kResume,           // 恢复处置
  kFeedback,         // 处理反馈 (payload: result, photos)
  kCheckPass,        // 核查通过
  kCheckFail,        // 核查不通过 → 返工 (rework)
  kClose,            // 结案
  kCancel,           // 作废
  kMerge,            // 合并 into another case (payload: into)
  kSupervise,        // 督办
  kComment,          // 备注
};
inline constexpr int kActionCount = 19;

enum class Role {
  kAdmin,
  kOperator,    // 受理员
  kDispatcher,  // 派遣员
  kInspector,   // 监督员 / 网格员
  kHandler,     // 处置人员, belongs to a unit
  kLeader,      // 领导
  kSystem,      // citygrid itself: the overdue sweeper, automatic merges
};

// Intake channels.
enum class Channel { kInspector, kPublic, kHotline, kOpen311, kVideoAi, kLeader, kMedia };

// Stages that carry a deadline.
enum class Stage { kVerify, kRegister, kDispatch, kHandle, kCheck, kNone };

// Stable lowercase names used in the API, the database and logs ("handling", "check_fail", ...).
std::string_view Name(CaseState s);
std::string_view Name(Action a);
std::string_view Name(Role r);
std::string_view Name(Channel c);
std::string_view Name(Stage s);
Result<CaseState> ParseCaseState(std::string_view name);
Result<Action> ParseAction(std::string_view name);
Result<Role> ParseRole(std::string_view name);
Result<Channel> ParseChannel(std::string_view name);
Result<Stage> ParseStage(std::string_view name);

// Terminal states accept no action but comment.
bool IsTerminal(CaseState s);

// Who did something.
struct Actor {
  std::string user;  // username; "system" for citygrid itself, "public" for anonymous intake
  Role role = Role::kSystem;
  std::string unit;  // unit code, set for handlers

  friend bool operator==(const Actor&, const Actor&) = default;
};

// Event types in the log: every action, plus the events citygrid records by itself.
enum class EventType {
  kCreated,   // the report arrived (first event of every case)
  kAction,    // a workflow action; see CaseEvent::action
  kOverdue,   // the sweeper saw a stage deadline pass
  kPhotoAdded,
};
std::string_view Name(EventType t);
Result<EventType> ParseEventType(std::string_view name);

// One entry of a case's history. Immutable once stored.
struct CaseEvent {
  int64_t case_id = 0;
  int64_t version = 0;        // 1 for kCreated; the case's version after this event
  int64_t global_seq = 0;     // position in the deployment-wide log; set by storage on commit
  EventType type = EventType::kCreated;
  std::optional<Action> action;  // set iff type == kAction
  Actor actor;
  Timestamp at{};
  std::string note;
  std::vector<std::string> photos;  // media content hashes
  std::string payload_json;         // action fields, as canonical JSON text ("{}" when none)
  std::string prev_hash;            // hex SHA-256 of the previous event of this case ("" first)
  std::string hash;                 // hex SHA-256 of this event's canonical encoding

  friend bool operator==(const CaseEvent&, const CaseEvent&) = default;
};

// Where a case is, resolved from its coordinates by the geo index.
struct CaseLocation {
  double lon = 0;  // WGS84
  double lat = 0;
  std::string address;
  std::string district_code;     // 6 digits
  std::string subdistrict_code;  // 9 digits (district + 3)
  std::string community_code;    // 12 digits
  std::string grid_code;         // 15 digits
  std::string road_id;           // nearest road segment within range, "" if none

  friend bool operator==(const CaseLocation&, const CaseLocation&) = default;
};

struct Reporter {
  std::string name;
  std::string phone;

  friend bool operator==(const Reporter&, const Reporter&) = default;
};

// What a report carried beyond the case itself (an Open311 client's answers to the category's
// attributes, links to media hosted elsewhere, its own address id, the token it was given). It is
// recorded in the case's kCreated event, in the same append as the case, and is not part of the
// derived state: read it back with DecodeIntake (domain/case_state_machine.h).
struct CaseIntake {
  std::vector<std::pair<std::string, std::string>> attributes;  // (code, value), as given
  std::vector<std::string> media_urls;                           // http(s) URLs, as given
  std::string address_id;  // the client's id for the address
  std::string token;       // the token answered instead of the case number (deferred ids)
  // A detector's confidence in its report, 0..1 (channel video_ai; DESIGN.md §2 Intake).
  std::optional<double> confidence;

  bool empty() const {
    return attributes.empty() && media_urls.empty() && address_id.empty() && token.empty() &&
           !confidence;
  }
  friend bool operator==(const CaseIntake&, const CaseIntake&) = default;
};

// The current state of a case: a fold of its events. Storage keeps it as one row.
struct Case {
  int64_t id = 0;              // storage key
  std::string number;          // "20200412-000123"
  int64_t version = 0;         // number of events applied
  CaseState state = CaseState::kReported;
  Channel channel = Channel::kPublic;
  std::string category;        // 5-digit category code
  std::string description;
  CaseLocation location;
  Reporter reporter;
  std::vector<std::string> photos;
  std::string suggested_unit;  // from routing at intake
  std::string unit;            // assigned by dispatch
  Stage stage = Stage::kNone;  // the stage whose deadline runs now
  std::optional<Timestamp> stage_started;
  std::optional<Timestamp> stage_deadline;
  std::optional<Timestamp> handle_deadline;  // of the handling stage, kept after it ends
  bool overdue = false;        // the current stage's deadline has passed
  bool handle_overdue = false; // the handling stage ran past its deadline at least once
  int rework_count = 0;        // check_fail count (返工)
  int return_count = 0;        // return count (回退)
  int supervise_count = 0;     // 督办
  std::optional<Timestamp> postpone_requested_until;  // a pending 延期 request
  std::string merged_into;     // case number, when merged
  Timestamp created_at{};
  Timestamp updated_at{};
  std::optional<Timestamp> registered_at;
  std::optional<Timestamp> dispatched_at;
  std::optional<Timestamp> handled_at;  // last feedback
  std::optional<Timestamp> closed_at;
  std::string idempotency_key;

  friend bool operator==(const Case&, const Case&) = default;
};

}  // namespace citygrid
