#include "citygrid/domain/case_state_machine.h"

#include <boost/json.hpp>
#include <charconv>
#include <initializer_list>
#include <utility>

#include "citygrid/common/case_number.h"
#include "citygrid/common/json_text.h"

namespace citygrid {
namespace {

namespace json = boost::json;

std::string CaseLabel(const Case& c) {
  if (!c.number.empty()) return "case " + c.number;
  if (c.id != 0) return "case #" + std::to_string(c.id);
  return "the case";
}

std::string Quoted(std::string_view s) {
  std::string out = "'";
  out += s;
  out += "'";
  return out;
}

bool IsOneOf(Action a, std::initializer_list<Action> list) {
  for (Action x : list) {
    if (x == a) return true;
  }
  return false;
}

// Actions only the handler of the case's unit takes.
bool IsHandlerAction(Action a) {
  return IsOneOf(a,
                 {Action::kAccept, Action::kReturn, Action::kPostponeRequest, Action::kFeedback});
}

// The one state `action` needs, or nullopt when it is legal in several (open states / any).
std::optional<CaseState> RequiredState(Action action) {
  switch (action) {
    case Action::kVerify:
      return CaseState::kReported;
    case Action::kRegister:
    case Action::kReject:
      return CaseState::kPending;
    case Action::kDispatch:
      return CaseState::kRegistered;
    case Action::kAccept:
    case Action::kReturn:
      return CaseState::kDispatched;
    case Action::kPostponeRequest:
    case Action::kPostponeApprove:
    case Action::kPostponeDeny:
    case Action::kSuspend:
    case Action::kFeedback:
      return CaseState::kHandling;
    case Action::kResume:
      return CaseState::kSuspended;
    case Action::kCheckPass:
    case Action::kCheckFail:
      return CaseState::kChecking;
    case Action::kClose:
      return CaseState::kChecked;
    case Action::kCancel:
    case Action::kMerge:
    case Action::kSupervise:
    case Action::kComment:
      return std::nullopt;
  }
  return std::nullopt;
}

Status CheckRole(const Case& c, const Actor& actor, Action action) {
  if (!RoleMayTake(actor.role, action)) {
    return PermissionDeniedError("role " + Quoted(Name(actor.role)) + " may not " +
                                 Quoted(Name(action)));
  }
  // Handlers see only their own unit's cases: every handler action, comment included, needs
  // the case to be assigned to the handler's unit.
  if (actor.role == Role::kHandler && (actor.unit.empty() || actor.unit != c.unit)) {
    return PermissionDeniedError(Quoted(Name(action)) + " on " + CaseLabel(c) +
                                 " is for a handler of its assigned unit; handler " +
                                 Quoted(actor.user) + " is in unit " + Quoted(actor.unit));
  }
  return OkStatus();
}

Status CheckState(const Case& c, Action action) {
  if (StateAllows(c.state, action)) return OkStatus();
  std::string m =
      CaseLabel(c) + " is " + Quoted(Name(c.state)) + "; " + Quoted(Name(action)) + " needs ";
  if (auto s = RequiredState(action)) {
    m += Quoted(Name(*s));
  } else {
    m += "an open state";
  }
  return FailedPreconditionError(std::move(m));
}

Status CheckPostponeRequest(const Case& c, Action action) {
  if ((action == Action::kPostponeApprove || action == Action::kPostponeDeny) &&
      !c.postpone_requested_until) {
    return InvalidArgumentError(Quoted(Name(action)) + ": " + CaseLabel(c) +
                                " has no postpone request pending");
  }
  if (action == Action::kPostponeRequest && c.postpone_requested_until) {
    return InvalidArgumentError("'postpone_request': " + CaseLabel(c) +
                                " already has a postpone request pending (until " +
                                FormatIso8601(*c.postpone_requested_until) + ")");
  }
  return OkStatus();
}

// The state `action` leads to from `current` (which StateAllows).
CaseState TargetState(const Case& current, Action action, const ActionParams& params) {
  switch (action) {
    case Action::kVerify:
      return params.valid.value_or(false) ? CaseState::kPending : CaseState::kInvalid;
    case Action::kRegister:
      return CaseState::kRegistered;
    case Action::kReject:
      return CaseState::kNotRegistered;
    case Action::kDispatch:
      return CaseState::kDispatched;
    case Action::kAccept:
      return CaseState::kHandling;
    case Action::kReturn:
      return CaseState::kRegistered;
    case Action::kPostponeRequest:
    case Action::kPostponeApprove:
    case Action::kPostponeDeny:
      return CaseState::kHandling;
    case Action::kSuspend:
      return CaseState::kSuspended;
    case Action::kResume:
      return CaseState::kHandling;
    case Action::kFeedback:
      return CaseState::kChecking;
    case Action::kCheckPass:
      return CaseState::kChecked;
    case Action::kCheckFail:
      return CaseState::kHandling;
    case Action::kClose:
      return CaseState::kClosed;
    case Action::kCancel:
      return CaseState::kCancelled;
    case Action::kMerge:
      return CaseState::kMerged;
    case Action::kSupervise:
    case Action::kComment:
      return current.state;
  }
  return current.state;
}

Status ParamError(Action action, std::string_view field, std::string_view why) {
  return InvalidArgumentError(Quoted(Name(action)) + ": " + Quoted(field) + " " + std::string(why));
}

// Refuses fields `action` does not take (deadline is checked against the stage separately).
Status CheckFieldsTaken(Action action, const ActionParams& p) {
  auto refuse = [&](bool set, std::string_view field, Action taker) -> Status {
    if (set && action != taker) return ParamError(action, field, "is not a parameter of it");
    return OkStatus();
  };
  CITYGRID_RETURN_IF_ERROR(refuse(p.valid.has_value(), "valid", Action::kVerify));
  CITYGRID_RETURN_IF_ERROR(refuse(!p.unit.empty(), "unit", Action::kDispatch));
  CITYGRID_RETURN_IF_ERROR(refuse(!p.into.empty(), "into", Action::kMerge));
  CITYGRID_RETURN_IF_ERROR(refuse(p.until.has_value(), "until", Action::kPostponeRequest));
  CITYGRID_RETURN_IF_ERROR(refuse(!p.reason.empty(), "reason", Action::kPostponeRequest));
  CITYGRID_RETURN_IF_ERROR(refuse(!p.result.empty(), "result", Action::kFeedback));
  return OkStatus();
}

Status CheckParams(const Case& current, const ActionRequest& r, CaseState target) {
  const ActionParams& p = r.params;
  CITYGRID_RETURN_IF_ERROR(CheckFieldsTaken(r.action, p));
  switch (r.action) {
    case Action::kVerify:
      if (!p.valid) return ParamError(r.action, "valid", "is required (true or false)");
      break;
    case Action::kDispatch:
      if (p.unit.empty()) return ParamError(r.action, "unit", "is required");
      break;
    case Action::kMerge: {
      if (p.into.empty()) return ParamError(r.action, "into", "is required (a case number)");
      if (auto n = ParseCaseNumber(p.into); !n.ok()) {
        return n.status().WithContext("'merge': 'into'");
      }
      if (p.into == current.number) {
        return InvalidArgumentError("'merge': " + CaseLabel(current) +
                                    " cannot be merged into itself");
      }
      break;
    }
    case Action::kPostponeRequest:
      if (!p.until) return ParamError(r.action, "until", "is required");
      if (*p.until <= r.at) {
        return ParamError(
            r.action, "until",
            FormatIso8601(*p.until) + " is not after the request time " + FormatIso8601(r.at));
      }
      if (current.stage_deadline && *p.until <= *current.stage_deadline) {
        return ParamError(r.action, "until",
                          FormatIso8601(*p.until) + " is not later than the current deadline " +
                              FormatIso8601(*current.stage_deadline));
      }
      if (p.reason.empty()) return ParamError(r.action, "reason", "is required");
      break;
    case Action::kFeedback:
      if (p.result.empty()) return ParamError(r.action, "result", "is required");
      break;
    default:
      break;
  }
  if (p.deadline) {
    Stage entered = StageOf(target);
    if (entered == StageOf(current.state) || entered == Stage::kNone) {
      return ParamError(r.action, "deadline", "is given but the action starts no stage");
    }
    if (*p.deadline < r.at) {
      return ParamError(
          r.action, "deadline",
          FormatIso8601(*p.deadline) + " is before the action time " + FormatIso8601(r.at));
    }
  }
  return OkStatus();
}

Result<Case> Apply(const Case& current, const ActionRequest& r, bool authorize) {
  if (authorize) CITYGRID_RETURN_IF_ERROR(CheckRole(current, r.actor, r.action));
  CITYGRID_RETURN_IF_ERROR(CheckState(current, r.action));
  CITYGRID_RETURN_IF_ERROR(CheckPostponeRequest(current, r.action));
  const CaseState target = TargetState(current, r.action, r.params);
  CITYGRID_RETURN_IF_ERROR(CheckParams(current, r, target));

  Case next = current;
  next.state = target;
  switch (r.action) {
    case Action::kRegister:
      next.registered_at = r.at;
      break;
    case Action::kDispatch:
      next.unit = r.params.unit;
      next.dispatched_at = r.at;
      break;
    case Action::kReturn:
      ++next.return_count;
      next.unit.clear();  // back to the dispatcher; the returning unit no longer sees it
      break;
    case Action::kPostponeRequest:
      next.postpone_requested_until = r.params.until;
      break;
    case Action::kPostponeApprove:
      next.stage_deadline = current.postpone_requested_until;
      next.handle_deadline = current.postpone_requested_until;
      next.overdue = false;
      next.postpone_requested_until.reset();
      break;
    case Action::kPostponeDeny:
      next.postpone_requested_until.reset();
      break;
    case Action::kFeedback:
      next.handled_at = r.at;
      break;
    case Action::kCheckFail:
      ++next.rework_count;
      break;
    case Action::kClose:
      next.closed_at = r.at;
      break;
    case Action::kMerge:
      next.merged_into = r.params.into;
      break;
    case Action::kSupervise:
      ++next.supervise_count;
      break;
    default:
      break;
  }
  // A postponement is asked for the handling stage; leaving it drops an unanswered request.
  if (next.state != CaseState::kHandling) next.postpone_requested_until.reset();

  const Stage entered = StageOf(next.state);
  if (entered != StageOf(current.state)) {
    next.stage_started = r.at;
    next.stage_deadline = r.params.deadline;
    next.overdue = false;
    if (entered == Stage::kHandle) next.handle_deadline = r.params.deadline;
  }
  next.stage = entered;
  next.version = current.version + 1;
  next.updated_at = r.at;
  return next;
}

// ---- canonical JSON ----

// `d` in its shortest round-trip form.
void AppendShortestDouble(std::string& out, double d) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, res.ptr);
}

// Writes `v` with object keys in the order they were inserted (callers insert them sorted) and
// doubles in their shortest round-trip form, so equal values always give equal text.
void WriteJson(const json::value& v, std::string& out) {
  // Strings, keys and scalars are written directly (a json::serialize call per string costs a
  // serializer each), with the same bytes Boost.JSON writes.
  switch (v.kind()) {
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        AppendJsonString(out, std::string_view(kv.key().data(), kv.key().size()));
        out += ':';
        WriteJson(kv.value(), out);
      }
      out += '}';
      break;
    }
    case json::kind::string: {
      const json::string& text = v.get_string();
      AppendJsonString(out, std::string_view(text.data(), text.size()));
      break;
    }
    case json::kind::int64:
    case json::kind::uint64: {
      char buf[32];
      auto res = v.is_int64() ? std::to_chars(buf, buf + sizeof buf, v.get_int64())
                              : std::to_chars(buf, buf + sizeof buf, v.get_uint64());
      out.append(buf, res.ptr);
      break;
    }
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      break;
    case json::kind::null:
      out += "null";
      break;
    case json::kind::double_:
      AppendShortestDouble(out, v.get_double());
      break;
    default:  // arrays: as Boost.JSON writes them (doubles inside keep its formatting)
      out += json::serialize(v);
      break;
  }
}

std::string ToCanonical(const json::object& o) {
  std::string out;
  WriteJson(o, out);
  return out;
}

Result<json::object> ParseObject(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec) {
    return InvalidArgumentError(std::string(what) + " payload is not JSON: " + ec.message());
  }
  if (!v.is_object()) return InvalidArgumentError(std::string(what) + " payload is not an object");
  return std::move(v.get_object());
}

Result<std::string> GetString(const json::value& v, std::string_view key) {
  if (!v.is_string()) return InvalidArgumentError(Quoted(key) + " must be a string");
  return std::string(v.get_string());
}

Result<Timestamp> GetTime(const json::value& v, std::string_view key) {
  CITYGRID_ASSIGN_OR_RETURN(std::string s, GetString(v, key));
  auto t = ParseIso8601(s);
  if (!t.ok()) return t.status().WithContext(Quoted(key));
  return *t;
}

Result<double> GetNumber(const json::value& v, std::string_view key) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return InvalidArgumentError(Quoted(key) + " must be a number");
}

void PutString(json::object& o, std::string_view key, const std::string& value) {
  if (!value.empty()) o[key] = value;
}

void PutTime(json::object& o, std::string_view key, const std::optional<Timestamp>& t) {
  if (t) o[key] = FormatIso8601(*t);
}

// Writes one JSON object's members straight into `out`, in the order they are given, with the
// bytes ToCanonical would write for the same object: the created payload is built on every
// create, and a document built only to be serialized cost as much as the writing.
class ObjectText {
 public:
  explicit ObjectText(std::string& out) : out_(out) { out_ += '{'; }
  ~ObjectText() { out_ += '}'; }
  ObjectText(const ObjectText&) = delete;
  ObjectText& operator=(const ObjectText&) = delete;

  // Starts the member `key`; the caller writes its value.
  std::string& Key(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    AppendJsonString(out_, key);
    out_ += ':';
    return out_;
  }
  void String(std::string_view key, std::string_view value) { AppendJsonString(Key(key), value); }
  // Empty strings and absent times are left out (PutString, PutTime).
  void StringIfSet(std::string_view key, std::string_view value) {
    if (!value.empty()) String(key, value);
  }
  void TimeIfSet(std::string_view key, const std::optional<Timestamp>& t) {
    if (t) String(key, FormatIso8601(*t));
  }
  void Number(std::string_view key, double value) { AppendShortestDouble(Key(key), value); }

 private:
  std::string& out_;
  bool first_ = true;
};

void AppendIntake(std::string& out, const CaseIntake& intake) {
  ObjectText o(out);
  o.StringIfSet("address_id", intake.address_id);
  if (!intake.attributes.empty()) {
    std::string& a = o.Key("attributes");
    a += '[';
    for (size_t i = 0; i < intake.attributes.size(); ++i) {
      if (i) a += ',';
      a += '[';
      AppendJsonString(a, intake.attributes[i].first);
      a += ',';
      AppendJsonString(a, intake.attributes[i].second);
      a += ']';
    }
    a += ']';
  }
  if (intake.confidence) o.Number("confidence", *intake.confidence);
  if (!intake.media_urls.empty()) {
    std::string& m = o.Key("media_urls");
    m += '[';
    for (size_t i = 0; i < intake.media_urls.size(); ++i) {
      if (i) m += ',';
      AppendJsonString(m, intake.media_urls[i]);
    }
    m += ']';
  }
  o.StringIfSet("token", intake.token);
}

// Keys sorted, except "intake", which comes first as it always has (the text is hashed into the
// audit chain, so its bytes never change).
std::string EncodeCreatedPayload(const Case& c, const CaseIntake& intake) {
  std::string out;
  out.reserve(512);
  {
    ObjectText o(out);
    if (!intake.empty()) AppendIntake(o.Key("intake"), intake);
    o.StringIfSet("category", c.category);
    o.String("channel", Name(c.channel));
    o.TimeIfSet("deadline", c.stage_deadline);
    o.StringIfSet("description", c.description);
    const CaseLocation& l = c.location;
    if (!(l == CaseLocation{})) {
      ObjectText lo(o.Key("location"));
      lo.StringIfSet("address", l.address);
      lo.StringIfSet("community", l.community_code);
      lo.StringIfSet("district", l.district_code);
      lo.StringIfSet("grid", l.grid_code);
      lo.Number("lat", l.lat);
      lo.Number("lon", l.lon);
      lo.StringIfSet("road", l.road_id);
      lo.StringIfSet("subdistrict", l.subdistrict_code);
    }
    if (!(c.reporter == Reporter{})) {
      ObjectText ro(o.Key("reporter"));
      ro.StringIfSet("name", c.reporter.name);
      ro.StringIfSet("phone", c.reporter.phone);
    }
    o.StringIfSet("suggested_unit", c.suggested_unit);
  }
  return out;
}

Status DecodeLocation(const json::value& v, CaseLocation& l) {
  if (!v.is_object()) return InvalidArgumentError("'location' must be an object");
  for (const auto& kv : v.get_object()) {
    std::string_view k(kv.key().data(), kv.key().size());
    if (k == "lat" || k == "lon") {
      CITYGRID_ASSIGN_OR_RETURN(double d, GetNumber(kv.value(), k));
      (k == "lat" ? l.lat : l.lon) = d;
      continue;
    }
    std::string* field = k == "address"       ? &l.address
                         : k == "community"   ? &l.community_code
                         : k == "district"    ? &l.district_code
                         : k == "grid"        ? &l.grid_code
                         : k == "road"        ? &l.road_id
                         : k == "subdistrict" ? &l.subdistrict_code
                                              : nullptr;
    if (!field) return InvalidArgumentError("unknown key 'location." + std::string(k) + "'");
    CITYGRID_ASSIGN_OR_RETURN(*field, GetString(kv.value(), k));
  }
  return OkStatus();
}

Status CheckCreated(const CaseEvent& e) {
  if (e.type == EventType::kCreated) return OkStatus();
  return InvalidArgumentError("event version " + std::to_string(e.version) + " is " +
                              Quoted(Name(e.type)) + ", not 'created'");
}

Result<Case> ApplyOverdue(const Case& current, const CaseEvent& e) {
  CITYGRID_ASSIGN_OR_RETURN(json::object o, ParseObject(e.payload_json, "overdue"));
  if (o.size() != 1 || !o.contains("stage")) {
    return InvalidArgumentError("overdue payload must be {\"stage\":...}");
  }
  CITYGRID_ASSIGN_OR_RETURN(std::string name, GetString(o.at("stage"), "stage"));
  CITYGRID_ASSIGN_OR_RETURN(Stage stage, ParseStage(name));
  if (stage == Stage::kNone || stage != current.stage) {
    return FailedPreconditionError(CaseLabel(current) + " is in stage " +
                                   Quoted(Name(current.stage)) + ", not " + Quoted(name) +
                                   "; it cannot become overdue there");
  }
  if (current.overdue) {
    return FailedPreconditionError(CaseLabel(current) + " is already overdue in stage " +
                                   Quoted(name));
  }
  Case next = current;
  next.overdue = true;
  if (stage == Stage::kHandle) next.handle_overdue = true;
  next.version = current.version + 1;
  next.updated_at = e.at;
  return next;
}

CaseEvent BaseEvent(const Case& current, EventType type, const Actor& actor, Timestamp at) {
  CaseEvent e;
  e.case_id = current.id;
  e.version = current.version + 1;
  e.type = type;
  e.actor = actor;
  e.at = at;
  e.payload_json = "{}";
  return e;
}

}  // namespace

CaseState InitialState(Channel channel) {
  return channel == Channel::kInspector ? CaseState::kPending : CaseState::kReported;
}

Stage StageOf(CaseState state) {
  switch (state) {
    case CaseState::kReported:
      return Stage::kVerify;
    case CaseState::kPending:
      return Stage::kRegister;
    case CaseState::kRegistered:
      return Stage::kDispatch;
    case CaseState::kDispatched:
    case CaseState::kHandling:
      return Stage::kHandle;
    case CaseState::kChecking:
      return Stage::kCheck;
    default:
      return Stage::kNone;
  }
}

Result<Case> OpenCase(Case intake, Timestamp at, std::optional<Timestamp> stage_deadline) {
  if (intake.category.empty()) return InvalidArgumentError("a new case needs a category");
  if (stage_deadline && *stage_deadline < at) {
    return InvalidArgumentError("deadline " + FormatIso8601(*stage_deadline) +
                                " is before the creation time " + FormatIso8601(at));
  }
  Case c = std::move(intake);
  c.version = 1;
  c.state = InitialState(c.channel);
  c.stage = StageOf(c.state);
  c.stage_started = at;
  c.stage_deadline = stage_deadline;
  c.handle_deadline.reset();
  c.overdue = false;
  c.handle_overdue = false;
  c.unit.clear();
  c.rework_count = 0;
  c.return_count = 0;
  c.supervise_count = 0;
  c.postpone_requested_until.reset();
  c.merged_into.clear();
  c.created_at = at;
  c.updated_at = at;
  c.registered_at.reset();
  c.dispatched_at.reset();
  c.handled_at.reset();
  c.closed_at.reset();
  return c;
}

CaseEvent MakeCreatedEvent(const Case& opened, const Actor& actor, std::string note,
                           const CaseIntake& intake) {
  CaseEvent e;
  e.case_id = opened.id;
  e.version = 1;
  e.type = EventType::kCreated;
  e.actor = actor;
  e.at = opened.created_at;
  e.note = std::move(note);
  e.photos = opened.photos;
  e.payload_json = EncodeCreatedPayload(opened, intake);
  return e;
}

Result<Case> DecodeCreatedEvent(const CaseEvent& e) {
  CITYGRID_RETURN_IF_ERROR(CheckCreated(e));
  CITYGRID_ASSIGN_OR_RETURN(json::object o, ParseObject(e.payload_json, "created"));
  Case c;
  c.id = e.case_id;
  c.photos = e.photos;
  std::optional<Timestamp> deadline;
  bool has_channel = false;
  for (const auto& kv : o) {
    std::string_view k(kv.key().data(), kv.key().size());
    if (k == "category") {
      CITYGRID_ASSIGN_OR_RETURN(c.category, GetString(kv.value(), k));
    } else if (k == "channel") {
      CITYGRID_ASSIGN_OR_RETURN(std::string s, GetString(kv.value(), k));
      CITYGRID_ASSIGN_OR_RETURN(c.channel, ParseChannel(s));
      has_channel = true;
    } else if (k == "deadline") {
      CITYGRID_ASSIGN_OR_RETURN(deadline, GetTime(kv.value(), k));
    } else if (k == "description") {
      CITYGRID_ASSIGN_OR_RETURN(c.description, GetString(kv.value(), k));
    } else if (k == "location") {
      CITYGRID_RETURN_IF_ERROR(DecodeLocation(kv.value(), c.location));
    } else if (k == "reporter") {
      if (!kv.value().is_object()) return InvalidArgumentError("'reporter' must be an object");
      for (const auto& r : kv.value().get_object()) {
        std::string_view rk(r.key().data(), r.key().size());
        if (rk == "name") {
          CITYGRID_ASSIGN_OR_RETURN(c.reporter.name, GetString(r.value(), rk));
        } else if (rk == "phone") {
          CITYGRID_ASSIGN_OR_RETURN(c.reporter.phone, GetString(r.value(), rk));
        } else {
          return InvalidArgumentError("unknown key 'reporter." + std::string(rk) + "'");
        }
      }
    } else if (k == "suggested_unit") {
      CITYGRID_ASSIGN_OR_RETURN(c.suggested_unit, GetString(kv.value(), k));
    } else if (k == "intake") {
      // No part of the state (DecodeIntake reads it).
    } else {
      return InvalidArgumentError("unknown key " + Quoted(k) + " in created payload");
    }
  }
  if (!has_channel) return InvalidArgumentError("created payload has no 'channel'");
  return OpenCase(std::move(c), e.at, deadline);
}

Result<CaseIntake> DecodeIntake(const CaseEvent& created) {
  CITYGRID_RETURN_IF_ERROR(CheckCreated(created));
  CITYGRID_ASSIGN_OR_RETURN(json::object o, ParseObject(created.payload_json, "created"));
  CaseIntake intake;
  const json::value* v = o.if_contains("intake");
  if (v == nullptr) return intake;
  if (!v->is_object()) return InvalidArgumentError("'intake' must be an object");
  for (const auto& kv : v->get_object()) {
    std::string_view k(kv.key().data(), kv.key().size());
    if (k == "address_id") {
      CITYGRID_ASSIGN_OR_RETURN(intake.address_id, GetString(kv.value(), k));
    } else if (k == "token") {
      CITYGRID_ASSIGN_OR_RETURN(intake.token, GetString(kv.value(), k));
    } else if (k == "confidence") {
      if (!kv.value().is_number()) return InvalidArgumentError("'intake.confidence' must be a number");
      intake.confidence = kv.value().to_number<double>();
    } else if (k == "media_urls") {
      if (!kv.value().is_array()) return InvalidArgumentError("'intake.media_urls' must be a list");
      for (const json::value& url : kv.value().get_array()) {
        CITYGRID_ASSIGN_OR_RETURN(std::string s, GetString(url, "intake.media_urls[]"));
        intake.media_urls.push_back(std::move(s));
      }
    } else if (k == "attributes") {
      if (!kv.value().is_array()) return InvalidArgumentError("'intake.attributes' must be a list");
      for (const json::value& pair : kv.value().get_array()) {
        if (!pair.is_array() || pair.get_array().size() != 2) {
          return InvalidArgumentError("'intake.attributes' entries must be [code, value]");
        }
        CITYGRID_ASSIGN_OR_RETURN(std::string code, GetString(pair.get_array()[0], "code"));
        CITYGRID_ASSIGN_OR_RETURN(std::string value, GetString(pair.get_array()[1], "value"));
        intake.attributes.emplace_back(std::move(code), std::move(value));
      }
    }
    // Other keys come from a later version and are skipped.
  }
  return intake;
}

bool RoleMayTake(Role role, Action action) {
  if (action == Action::kComment) return true;
  switch (role) {
    case Role::kAdmin:
      return true;
    case Role::kInspector:
      return IsOneOf(action, {Action::kVerify, Action::kCheckPass, Action::kCheckFail});
    case Role::kOperator:
      return IsOneOf(action, {Action::kRegister, Action::kReject, Action::kClose, Action::kCancel,
                              Action::kMerge});
    case Role::kDispatcher:
      return IsOneOf(action, {Action::kDispatch, Action::kPostponeApprove, Action::kPostponeDeny,
                              Action::kSuspend, Action::kResume});
    case Role::kHandler:
      return IsHandlerAction(action);
    case Role::kLeader:
      return action == Action::kSupervise;
    case Role::kSystem:
      return action == Action::kMerge;
  }
  return false;
}

bool StateAllows(CaseState state, Action action) {
  if (action == Action::kComment) return true;
  if (auto required = RequiredState(action)) return state == *required;
  return !IsTerminal(state);  // cancel, merge, supervise
}

namespace {

bool RoleMayReport(Role role, Channel channel) {
  switch (role) {
    case Role::kAdmin:
    case Role::kSystem:
      return true;
    case Role::kInspector:
      return channel == Channel::kInspector;
    case Role::kOperator:
    case Role::kDispatcher:
      return channel != Channel::kInspector && channel != Channel::kOpen311;
    case Role::kLeader:
      return channel == Channel::kLeader;
    case Role::kHandler:
      return false;
  }
  return false;
}

}  // namespace

Status CheckIntake(const Actor& actor, Channel channel) {
  if (RoleMayReport(actor.role, channel)) return OkStatus();
  if (actor.role == Role::kHandler) {
    return PermissionDeniedError("role handler may not report cases (a handler's unit takes "
                                 "them from dispatch)");
  }
  if (channel == Channel::kOpen311) {
    return PermissionDeniedError(
        "channel open311 is for Open311 clients: POST /open311/v2/requests with an api_key");
  }
  std::string may;
  for (Channel c : IntakeChannels(actor.role)) {
    may += (may.empty() ? "" : ", ") + std::string(Name(c));
  }
  return PermissionDeniedError("role " + std::string(Name(actor.role)) +
                               " may not report on channel " + std::string(Name(channel)) +
                               " (it may on " + may + ")");
}

std::vector<Channel> IntakeChannels(Role role) {
  std::vector<Channel> channels;
  for (Channel c : {Channel::kInspector, Channel::kPublic, Channel::kHotline, Channel::kOpen311,
                    Channel::kVideoAi, Channel::kLeader, Channel::kMedia}) {
    if (RoleMayReport(role, c)) channels.push_back(c);
  }
  return channels;
}

Status CheckAction(const Case& c, const Actor& actor, Action action) {
  CITYGRID_RETURN_IF_ERROR(CheckRole(c, actor, action));
  CITYGRID_RETURN_IF_ERROR(CheckState(c, action));
  return CheckPostponeRequest(c, action);
}

std::vector<Action> AvailableActions(const Case& c, const Actor& actor) {
  // The same decisions as CheckAction, without building the refusal messages: the console asks
  // this for every case it lists.
  const bool own_unit =
      actor.role != Role::kHandler || (!actor.unit.empty() && actor.unit == c.unit);
  std::vector<Action> out;
  if (!own_unit) return out;
  for (int i = 0; i < kActionCount; ++i) {
    Action a = static_cast<Action>(i);
    if (!RoleMayTake(actor.role, a) || !StateAllows(c.state, a)) continue;
    const bool pending = c.postpone_requested_until.has_value();
    if ((a == Action::kPostponeApprove || a == Action::kPostponeDeny) && !pending) continue;
    if (a == Action::kPostponeRequest && pending) continue;
    out.push_back(a);
  }
  return out;
}

Result<Case> ApplyAction(const Case& current, const ActionRequest& request) {
  return Apply(current, request, /*authorize=*/true);
}

bool EntersNewStage(const Case& before, const Case& after) { return before.stage != after.stage; }

CaseEvent MakeActionEvent(const Case& current, const ActionRequest& request) {
  CaseEvent e = BaseEvent(current, EventType::kAction, request.actor, request.at);
  e.action = request.action;
  e.note = request.note;
  e.photos = request.photos;
  e.payload_json = EncodeActionParams(request.action, request.params);
  return e;
}

CaseEvent MakeOverdueEvent(const Case& current, Timestamp at) {
  CaseEvent e = BaseEvent(current, EventType::kOverdue, Actor{"system", Role::kSystem, ""}, at);
  json::object o;
  o["stage"] = Name(current.stage);
  e.payload_json = ToCanonical(o);
  return e;
}

CaseEvent MakePhotoAddedEvent(const Case& current, const Actor& actor, Timestamp at,
                              std::vector<std::string> photos, std::string note) {
  CaseEvent e = BaseEvent(current, EventType::kPhotoAdded, actor, at);
  e.photos = std::move(photos);
  e.note = std::move(note);
  return e;
}

std::string EncodeActionParams(Action /*action*/, const ActionParams& p) {
  // Keys in lexicographic order; an action's own fields are the only ones set (CheckParams).
  json::object o;
  PutTime(o, "deadline", p.deadline);
  PutString(o, "into", p.into);
  PutString(o, "reason", p.reason);
  PutString(o, "result", p.result);
  PutString(o, "unit", p.unit);
  PutTime(o, "until", p.until);
  if (p.valid) o["valid"] = *p.valid;
  return ToCanonical(o);
}

Result<ActionParams> DecodeActionParams(Action action, std::string_view payload_json) {
  std::string what(Name(action));
  CITYGRID_ASSIGN_OR_RETURN(json::object o, ParseObject(payload_json, what));
  ActionParams p;
  for (const auto& kv : o) {
    std::string_view k(kv.key().data(), kv.key().size());
    const json::value& v = kv.value();
    if (k == "deadline") {
      CITYGRID_ASSIGN_OR_RETURN(p.deadline, GetTime(v, k));
    } else if (k == "into") {
      CITYGRID_ASSIGN_OR_RETURN(p.into, GetString(v, k));
    } else if (k == "reason") {
      CITYGRID_ASSIGN_OR_RETURN(p.reason, GetString(v, k));
    } else if (k == "result") {
      CITYGRID_ASSIGN_OR_RETURN(p.result, GetString(v, k));
    } else if (k == "unit") {
      CITYGRID_ASSIGN_OR_RETURN(p.unit, GetString(v, k));
    } else if (k == "until") {
      CITYGRID_ASSIGN_OR_RETURN(p.until, GetTime(v, k));
    } else if (k == "valid") {
      if (!v.is_bool()) return InvalidArgumentError(Quoted(what) + ": 'valid' must be a boolean");
      p.valid = v.get_bool();
    } else {
      return InvalidArgumentError(Quoted(what) + ": unknown payload key " + Quoted(k));
    }
  }
  CITYGRID_RETURN_IF_ERROR(CheckFieldsTaken(action, p));
  return p;
}

Result<Case> ApplyEvent(const Case& current, const CaseEvent& event) {
  if (event.version != current.version + 1) {
    return InvalidArgumentError("event version " + std::to_string(event.version) +
                                " does not follow " + CaseLabel(current) + " at version " +
                                std::to_string(current.version));
  }
  if (event.case_id != current.id) {
    return InvalidArgumentError("event of case #" + std::to_string(event.case_id) + " applied to " +
                                CaseLabel(current));
  }
  switch (event.type) {
    case EventType::kCreated:
      return InvalidArgumentError("a 'created' event can only start a history");
    case EventType::kAction: {
      if (!event.action) return InvalidArgumentError("an 'action' event names no action");
      CITYGRID_ASSIGN_OR_RETURN(ActionParams params,
                                DecodeActionParams(*event.action, event.payload_json));
      ActionRequest r{*event.action,     event.actor, event.at,
                      std::move(params), event.note,  event.photos};
      return Apply(current, r, /*authorize=*/false);
    }
    case EventType::kOverdue:
      return ApplyOverdue(current, event);
    case EventType::kPhotoAdded: {
      if (event.photos.empty()) return InvalidArgumentError("a 'photo_added' event has no photos");
      Case next = current;
      next.photos.insert(next.photos.end(), event.photos.begin(), event.photos.end());
      next.version = current.version + 1;
      next.updated_at = event.at;
      return next;
    }
  }
  return InternalError("unknown event type");
}

Result<Case> FoldHistory(const std::vector<CaseEvent>& events) {
  if (events.empty()) return InvalidArgumentError("empty history: a case starts with 'created'");
  const CaseEvent& first = events.front();
  if (first.type != EventType::kCreated || first.version != 1) {
    return InvalidArgumentError("event 0 (version " + std::to_string(first.version) +
                                ") must be the 'created' event at version 1");
  }
  auto opened = DecodeCreatedEvent(first);
  if (!opened.ok()) return opened.status().WithContext("event 0 (version 1)");
  Case c = std::move(opened).value();
  for (size_t i = 1; i < events.size(); ++i) {
    auto next = ApplyEvent(c, events[i]);
    if (!next.ok()) {
      return next.status().WithContext("event " + std::to_string(i) + " (version " +
                                       std::to_string(events[i].version) + ")");
    }
    c = std::move(next).value();
  }
  return c;
}

}  // namespace citygrid
