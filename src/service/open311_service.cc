#include "citygrid/service/open311_service.h"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <set>
#include <sodium.h>

#include "citygrid/common/case_number.h"
#include "citygrid/common/utf8.h"
#include "citygrid/domain/case_state_machine.h"
#include "citygrid/service/open311_address.h"
#include "citygrid/storage/audit_chain.h"
#include "citygrid/storage/case_query.h"

namespace citygrid::service {
namespace {

namespace json = boost::json;

constexpr CaseState kOpenStates[] = {
    CaseState::kReported, CaseState::kPending,  CaseState::kRegistered, CaseState::kDispatched,
    CaseState::kHandling, CaseState::kSuspended, CaseState::kChecking,  CaseState::kChecked};
constexpr CaseState kClosedStates[] = {CaseState::kInvalid, CaseState::kNotRegistered,
                                       CaseState::kClosed, CaseState::kCancelled,
                                       CaseState::kMerged};

constexpr std::string_view kOpen311UserPrefix = "open311:";


std::string Quoted(std::string_view s) { return "'" + std::string(s.substr(0, 100)) + "'"; }

// A media_url must be an absolute http(s) URL with a host, in one piece (the scheme in any case,
// as RFC 3986 allows). The error names what is wrong with it.
Status CheckMediaUrl(std::string_view url) {
  constexpr size_t kMaxUrl = 2048;
  if (url.size() > kMaxUrl) {
    return InvalidArgumentError("media_url is too long (" + std::to_string(url.size()) +
                                " bytes; at most " + std::to_string(kMaxUrl) + ")");
  }
  auto starts_with = [&](std::string_view scheme) {
    return url.size() >= scheme.size() &&
           std::equal(scheme.begin(), scheme.end(), url.begin(), [](char a, char b) {
             return a == std::tolower(static_cast<unsigned char>(b));
           });
  };
  std::string_view rest;
  if (starts_with("http://")) {
    rest = url.substr(7);
  } else if (starts_with("https://")) {
    rest = url.substr(8);
  } else {
    return InvalidArgumentError("media_url " + Quoted(url) + " is not an http(s) URL");
  }
  // The authority ends at the path, query or fragment; its host is what follows any userinfo
  // and precedes any port.
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  const std::string_view host =
      authority.starts_with('[') ? authority : authority.substr(0, authority.rfind(':'));
  if (host.empty()) return InvalidArgumentError("media_url " + Quoted(url) + " has no host");
  if (url.find(' ') != std::string_view::npos || HasControlCharacter(url, false)) {
    return InvalidArgumentError("media_url " + Quoted(url) +
                                " holds a space or a control character (percent-encode them)");
  }
  return OkStatus();
}

// The same answer twice (attribute[x][]=a&attribute[x][]=a) is one answer, kept where it first
// came.
std::vector<AttributeAnswer> DistinctAnswers(std::vector<AttributeAnswer> answers) {
  std::vector<AttributeAnswer> distinct;
  distinct.reserve(answers.size());
  std::set<AttributeAnswer> seen;  // a form may repeat one answer many times
  for (AttributeAnswer& a : answers) {
    if (seen.insert(a).second) distinct.push_back(std::move(a));
  }
  return distinct;
}

bool ParseNumber(const std::string& text, double* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

Status CheckAttributes(const Category& category, const std::vector<AttributeAnswer>& answers) {
  for (const AttributeAnswer& a : answers) {
    const CategoryAttribute* def = nullptr;
    for (const CategoryAttribute& d : category.attributes) {
      if (d.code == a.first) def = &d;
    }
    const std::string field = "attribute[" + a.first.substr(0, 64) + "]";
    if (def == nullptr) {
      return InvalidArgumentError(field + ": service " + category.code +
                                  " has no attribute " + Quoted(a.first));
    }
    if (!def->variable) {
      return InvalidArgumentError(field + " is informational and takes no value");
    }
    // As the description: text lines only (XML cannot carry most control characters at all).
    if (HasControlCharacter(a.second, /*allow_line_breaks=*/def->datatype ==
                                          AttributeDatatype::kText)) {
      return InvalidArgumentError(field + " holds a control character");
    }
    switch (def->datatype) {
      case AttributeDatatype::kNumber: {
        double v;
        if (!ParseNumber(a.second, &v)) {
          return InvalidArgumentError(field + ": " + Quoted(a.second) + " is not a number");
        }
        break;
      }
      case AttributeDatatype::kDatetime:
        if (!ParseIso8601(a.second).ok()) {
          return InvalidArgumentError(field + ": " + Quoted(a.second) +
                                      " is not an ISO-8601 time with offset");
        }
        break;
      case AttributeDatatype::kSingleValueList:
      case AttributeDatatype::kMultiValueList: {
        bool known = std::any_of(def->values.begin(), def->values.end(),
                                 [&](const AttributeValue& v) { return v.key == a.second; });
        if (!known) {
          std::string keys;
          for (const AttributeValue& v : def->values) keys += (keys.empty() ? "" : ", ") + v.key;
          return InvalidArgumentError(field + ": " + Quoted(a.second) + " is not one of " +
                                      keys);
        }
        break;
      }
      case AttributeDatatype::kString:
        if (a.second.size() > 1000) {
          return InvalidArgumentError(field + " is too long (" + std::to_string(a.second.size()) +
                                      " bytes; at most 1000)");
        }
        break;
      case AttributeDatatype::kText:
        if (Utf8Length(a.second) > 4000) {
          return InvalidArgumentError(field + " is too long (at most 4000 characters)");
        }
        break;
    }
  }
  for (const CategoryAttribute& d : category.attributes) {
    int count = 0;
    for (const AttributeAnswer& a : answers) count += a.first == d.code && !a.second.empty();
    if (d.variable && d.required && count == 0) {
      return InvalidArgumentError("attribute[" + d.code + "] is required by service " +
                                  category.code + " (" + d.description + ")");
    }
    if (d.datatype != AttributeDatatype::kMultiValueList && count > 1) {
      return InvalidArgumentError("attribute[" + d.code + "] takes one value, got " +
                                  std::to_string(count));
    }
  }
  return OkStatus();
}

std::string RandomHex(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  randombytes_buf(buf.data(), buf.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), buf.data(), buf.size());
  hex.pop_back();
  return hex;
}

// The side document of a request POSTed before intake records existed (legacy; read only).
struct RequestExtras {
  std::vector<AttributeAnswer> attributes;
  std::vector<std::string> media_urls;
  std::string address_id;
  std::string account_id;
};

RequestExtras DecodeExtras(const std::string& text) {
  RequestExtras e;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return e;
  const json::object& o = v.get_object();
  if (const json::value* a = o.if_contains("attributes"); a && a->is_array()) {
    for (const json::value& pair : a->get_array()) {
      if (pair.is_array() && pair.get_array().size() == 2 && pair.get_array()[0].is_string() &&
          pair.get_array()[1].is_string()) {
        e.attributes.emplace_back(std::string(pair.get_array()[0].get_string()),
                                  std::string(pair.get_array()[1].get_string()));
      }
    }
  }
  if (const json::value* m = o.if_contains("media_urls"); m && m->is_array()) {
    for (const json::value& url : m->get_array()) {
      if (url.is_string()) e.media_urls.emplace_back(url.get_string());
    }
  }
  if (const json::value* s = o.if_contains("address_id"); s && s->is_string()) {
    e.address_id = std::string(s->get_string());
  }
  if (const json::value* s = o.if_contains("account_id"); s && s->is_string()) {
    e.account_id = std::string(s->get_string());
  }
  return e;
}

std::string PayloadString(const CaseEvent& e, std::string_view key) {
  boost::system::error_code ec;
  json::value v = json::parse(e.payload_json.empty() ? "{}" : e.payload_json, ec);
  if (ec || !v.is_object()) return "";
  const json::value* f = v.get_object().if_contains(key);
  return f && f->is_string() ? std::string(f->get_string()) : "";
}

std::optional<bool> PayloadBool(const CaseEvent& e, std::string_view key) {
  boost::system::error_code ec;
  json::value v = json::parse(e.payload_json.empty() ? "{}" : e.payload_json, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::value* f = v.get_object().if_contains(key);
  if (f && f->is_bool()) return f->get_bool();
  return std::nullopt;
}

bool IsOpen311Comment(const CaseEvent& e) {
  return e.type == EventType::kAction && e.action == Action::kComment &&
         e.actor.user.rfind(kOpen311UserPrefix, 0) == 0;
}

std::string Join(std::string_view a, std::string_view b) {
  if (b.empty()) return std::string(a);
  return std::string(a) + "：" + std::string(b);
}

// The published status and description of `e`, or nullopt for an internal event.
std::optional<std::pair<ExtendedStatus, std::string>> Publish(const CaseEvent& e,
                                                              ExtendedStatus before) {
  using S = ExtendedStatus;
  if (e.type == EventType::kCreated) return std::make_pair(S::kOpen, std::string("已受理"));
  if (e.type != EventType::kAction || !e.action) return std::nullopt;
  switch (*e.action) {
    case Action::kVerify:
      if (PayloadBool(e, "valid").value_or(true)) {
        return std::make_pair(S::kInvestigating, std::string("核实属实"));
      }
      return std::make_pair(S::kNoFurtherAction, Join("核实无效", e.note));
    case Action::kRegister:
      return std::make_pair(S::kActionScheduled, std::string("已立案"));
    case Action::kReject:
      return std::make_pair(S::kNotCouncilsResponsibility, Join("不予立案", e.note));
    case Action::kDispatch:
      return std::make_pair(S::kActionScheduled, std::string("已派遣至责任单位"));
    case Action::kAccept:
      return std::make_pair(S::kInProgress, std::string("责任单位已签收，处置中"));
    case Action::kReturn:
      return std::make_pair(S::kInternalReferral, std::string("退回重新派遣"));
    case Action::kSuspend:
      return std::make_pair(S::kActionScheduled, Join("挂账", e.note));
    case Action::kResume:
      return std::make_pair(S::kInProgress, std::string("恢复处置"));
    case Action::kFeedback:
      return std::make_pair(S::kInProgress,
                            Join("处置完成，待核查", PayloadString(e, "result")));
    case Action::kCheckPass:
      return std::make_pair(S::kInProgress, std::string("核查通过，待结案"));
    case Action::kCheckFail:
      return std::make_pair(S::kReopen, Join("核查未通过，返工", e.note));
    case Action::kClose:
      return std::make_pair(S::kFixed, std::string("已结案"));
    case Action::kCancel:
      return std::make_pair(S::kCancelled, Join("已作废", e.note));
    case Action::kMerge:
      return std::make_pair(S::kDuplicate, "与案件 " + PayloadString(e, "into") + " 重复，已合并");
    case Action::kComment:
      if (IsOpen311Comment(e)) return std::make_pair(before, e.note);
      return std::nullopt;
    case Action::kPostponeRequest:
    case Action::kPostponeApprove:
    case Action::kPostponeDeny:
    case Action::kSupervise:
      return std::nullopt;
  }
  return std::nullopt;
}

// The text a closed request shows as status_notes: the last published update's description.
std::string StatusNotes(const std::vector<Open311Update>& notes, bool open) {
  if (open || notes.empty()) return "";
  return notes.back().description;
}

}  // namespace

std::string_view Name(ExtendedStatus status) {
  switch (status) {
    case ExtendedStatus::kOpen: return "OPEN";
    case ExtendedStatus::kInvestigating: return "INVESTIGATING";
    case ExtendedStatus::kInProgress: return "IN_PROGRESS";
    case ExtendedStatus::kActionScheduled: return "ACTION_SCHEDULED";
    case ExtendedStatus::kFixed: return "FIXED";
    case ExtendedStatus::kClosed: return "CLOSED";
    case ExtendedStatus::kDuplicate: return "DUPLICATE";
    case ExtendedStatus::kNotCouncilsResponsibility: return "NOT_COUNCILS_RESPONSIBILITY";
    case ExtendedStatus::kNoFurtherAction: return "NO_FURTHER_ACTION";
    case ExtendedStatus::kInternalReferral: return "INTERNAL_REFERRAL";
    case ExtendedStatus::kCancelled: return "CANCELLED";
    case ExtendedStatus::kReopen: return "REOPEN";
  }
  return "OPEN";
}

std::vector<Open311Update> PublicHistory(
    const Case& c, const std::vector<CaseEvent>& history,
    const std::vector<std::pair<std::string, std::string>>& media) {
  std::vector<Open311Update> out;
  ExtendedStatus status = ExtendedStatus::kOpen;
  for (const CaseEvent& e : history) {
    std::optional<std::pair<ExtendedStatus, std::string>> p = Publish(e, status);
    if (!p) continue;
    status = p->first;
    Open311Update u;
    u.update_id = std::to_string(e.global_seq);
    u.service_request_id = c.number;
    u.status = p->first;
    u.updated_datetime = e.at;
    u.description = std::move(p->second);
    for (const auto& [id, url] : media) {
      if (id == u.update_id) u.media_url = url;
    }
    out.push_back(std::move(u));
  }
  return out;
}

Open311Service::Open311Service(storage::Store& store, ReferenceDataService& reference,
                               CaseService& cases, ApiKeyService& keys, const Clock& clock,
                               Open311Options options)
    : store_(store),
      reference_(reference),
      cases_(cases),
      keys_(keys),
      clock_(clock),
      options_(std::move(options)) {}

std::string Open311Service::JurisdictionId() const {
  if (!options_.jurisdiction_id.empty()) return options_.jurisdiction_id;
  std::shared_ptr<const ReferenceData> data = reference_.Get();
  return data->geography ? data->geography->district.code : "";
}

Status Open311Service::CheckJurisdiction(std::string_view jurisdiction_id) const {
  if (jurisdiction_id.empty() || jurisdiction_id == JurisdictionId()) return OkStatus();
  return NotFoundError("jurisdiction_id " + Quoted(jurisdiction_id) +
                       " is not served here; this server answers to " +
                       Quoted(JurisdictionId()));
}

std::vector<Category> Open311Service::Services() const {
  std::shared_ptr<const ReferenceData> data = reference_.Get();
  std::vector<Category> out;
  for (const Category* c : data->categories->PublicCategories()) out.push_back(*c);
  return out;
}

Result<Category> Open311Service::Service(std::string_view code) const {
  std::shared_ptr<const ReferenceData> data = reference_.Get();
  const Category* c = data->categories->Find(code);
  if (c == nullptr || !c->is_public) {
    return NotFoundError("service_code " + Quoted(code) + " is not a service of this server");
  }
  return *c;
}

std::string Open311Service::GroupOf(const Category& category) const {
  std::shared_ptr<const ReferenceData> data = reference_.Get();
  const MajorClass* m = data->categories->FindMajor(category.major_code());
  return m ? m->name : "";
}

Result<Open311Service::PreparedPost> Open311Service::PreparePost(
    const ApiKey& key, const Open311NewRequest& r, const std::string& idempotency_key) {
  CITYGRID_RETURN_IF_ERROR(CheckJurisdiction(r.jurisdiction_id));
  if (r.service_code.empty()) return InvalidArgumentError("service_code is missing");
  CITYGRID_ASSIGN_OR_RETURN(Category category, Service(r.service_code));
  const size_t chars = Utf8Length(r.description);
  if (chars > options_.max_description_chars) {
    return InvalidArgumentError("description is too long (" + std::to_string(chars) +
                                " characters; at most " +
                                std::to_string(options_.max_description_chars) + ")");
  }
  if (r.lat.has_value() != r.lon.has_value()) {
    return InvalidArgumentError(r.lat ? "long is missing (lat and long go together)"
                                      : "lat is missing (lat and long go together)");
  }
  std::optional<ResolvedAddress> resolved;
  if (!r.lat) {
    if (r.address_string.empty()) {
      return InvalidArgumentError(
          r.address_id.empty()
              ? "a location is required: lat and long, or address_string"
              : "address_id '" + r.address_id.substr(0, 100) +
                    "' is not known here; send lat and long, or address_string");
    }
    std::shared_ptr<const ReferenceData> data = reference_.Get();
    if (!data->geography) {
      return FailedPreconditionError("no geography is loaded; import the district first");
    }
    CITYGRID_ASSIGN_OR_RETURN(resolved, ResolveAddress(*data->geography, r.address_string));
  }
  if (r.media_urls.size() > options_.max_media_urls) {
    return InvalidArgumentError("media_url: " + std::to_string(r.media_urls.size()) +
                                " given, at most " + std::to_string(options_.max_media_urls));
  }
  for (const std::string& url : r.media_urls) CITYGRID_RETURN_IF_ERROR(CheckMediaUrl(url));
  if (r.address_id.size() > 200) {
    return InvalidArgumentError("address_id is too long (" + std::to_string(r.address_id.size()) +
                                " bytes; at most 200)");
  }
  std::vector<AttributeAnswer> answers = DistinctAnswers(r.attributes);
  CITYGRID_RETURN_IF_ERROR(CheckAttributes(category, answers));
  if (idempotency_key.size() > 128) {
    return InvalidArgumentError("Idempotency-Key is too long (" +
                                std::to_string(idempotency_key.size()) + " bytes; at most 128)");
  }

  PreparedPost prepared;
  CreateCaseRequest& create = prepared.create;
  create.channel = std::string(Name(Channel::kOpen311));
  create.category = category.code;
  create.description = r.description.empty() ? category.name : r.description;
  if (resolved) {
    create.lat = resolved->point.lat;
    create.lon = resolved->point.lon;
    create.crs = "wgs84";  // the geography's own coordinates
  } else {
    create.lat = *r.lat;
    create.lon = *r.lon;
    create.crs = options_.crs;
  }
  create.address = r.address_string;
  std::string name = r.last_name + r.first_name;  // 姓名: family name first
  if (!r.first_name.empty() && !r.last_name.empty() &&
      static_cast<unsigned char>(r.first_name[0]) < 0x80) {
    name = r.first_name + " " + r.last_name;  // Latin names: given name first
  }
  create.reporter.name = name;
  create.reporter.phone = r.phone;
  create.photos = r.photos;
  create.intake.attributes = std::move(answers);
  create.intake.media_urls = r.media_urls;
  create.intake.address_id = r.address_id;
  if (options_.defer_ids) create.intake.token = RandomHex(16);
  // Scoped to the client's key, so two clients' keys never meet; hashed, so any length fits.
  prepared.scoped_key =
      idempotency_key.empty()
          ? ""
          : std::string(kOpen311UserPrefix) + key.name + ":" +
                storage::Sha256Hex(idempotency_key).substr(0, 32);
  prepared.actor = Actor{std::string(kOpen311UserPrefix) + key.name, Role::kSystem, ""};
  prepared.category = std::move(category);
  prepared.account_id = r.account_id;
  return prepared;
}

Result<Open311Posted> Open311Service::FinishPost(const PreparedPost& prepared,
                                                 const CreateCaseResult& created) {
  const Category& category = prepared.category;
  Open311Posted posted;
  if (options_.defer_ids) {
    posted.token = prepared.create.intake.token;
    if (!created.created) {
      // A retry: answer the token the first attempt recorded with the case.
      CITYGRID_ASSIGN_OR_RETURN(std::vector<CaseEvent> history,
                                store_.cases().LoadHistory(created.record.id));
      if (!history.empty()) {
        CITYGRID_ASSIGN_OR_RETURN(CaseIntake first, DecodeIntake(history.front()));
        if (!first.token.empty()) posted.token = first.token;
      }
    }
    json::object t{{"service_request_id", created.record.number}};
    Result<storage::Document> put =
        store_.documents().Put(kOpen311TokenKind, posted.token, json::serialize(t), 0);
    if (!put.ok()) {
      // A retry finds the document the first attempt wrote; anything else is an error.
      if (put.status().code() != StatusCode::kAlreadyExists) return put.status();
      Result<std::string> known = LookupToken(posted.token);
      if (!known.ok()) return known.status();
      if (*known != created.record.number) {
        return InternalError("token " + Quoted(posted.token) + " already stands for " + *known);
      }
    }
  } else {
    posted.service_request_id = created.record.number;
  }
  posted.service_notice = category.close_standard.empty()
                              ? ""
                              : "结案标准：" + category.close_standard;
  posted.account_id = prepared.account_id;
  return posted;
}

Result<Open311Posted> Open311Service::PostRequest(const ApiKey& key,
                                                  const Open311NewRequest& r,
                                                  const std::string& idempotency_key) {
  CITYGRID_ASSIGN_OR_RETURN(PreparedPost prepared, PreparePost(key, r, idempotency_key));
  CITYGRID_ASSIGN_OR_RETURN(CreateCaseResult created,
                            cases_.Create(prepared.actor, prepared.create, prepared.scoped_key));
  return FinishPost(prepared, created);
}

void Open311Service::PostRequestAsync(const ApiKey& key, const Open311NewRequest& r,
                                      const std::string& idempotency_key,
                                      std::function<void(Result<Open311Posted>)> done) {
  Result<PreparedPost> prepared = PreparePost(key, r, idempotency_key);
  if (!prepared.ok()) {
    done(prepared.status());
    return;
  }
  auto kept = std::make_shared<const PreparedPost>(std::move(*prepared));
  cases_.CreateAsync(kept->actor, kept->create, kept->scoped_key,
                     [this, kept, done = std::move(done)](Result<CreateCaseResult> created) {
                       if (!created.ok()) {
                         done(created.status());
                         return;
                       }
                       done(FinishPost(*kept, *created));
                     });
}

Result<std::string> Open311Service::LookupToken(std::string_view token) {
  Result<storage::Document> doc = store_.documents().Get(kOpen311TokenKind, std::string(token));
  if (!doc.ok()) {
    if (doc.status().code() == StatusCode::kNotFound) {
      return NotFoundError("token " + Quoted(token) + " is not known");
    }
    return doc.status();
  }
  boost::system::error_code ec;
  json::value v = json::parse(doc->json, ec);
  if (ec || !v.is_object() || !v.get_object().contains("service_request_id") ||
      !v.get_object().at("service_request_id").is_string()) {
    return InternalError("stored token " + Quoted(token) + " is malformed");
  }
  return std::string(v.get_object().at("service_request_id").get_string());
}

Result<Open311Request> Open311Service::Describe(const Case& c, bool extensions,
                                                bool need_history) {
  std::shared_ptr<const ReferenceData> data = reference_.Get();
  Open311Request r;
  r.service_request_id = c.number;
  r.open = !IsTerminal(c.state);
  const Category* category = data->categories->Find(c.category);
  r.service_code = c.category;
  r.service_name = category ? category->name : c.category;
  r.description = c.description;
  const Unit* unit = data->FindUnit(c.unit.empty() ? c.suggested_unit : c.unit);
  r.agency_responsible = unit ? unit->name : "";
  if (category && !category->close_standard.empty()) {
    r.service_notice = "结案标准：" + category->close_standard;
  }
  r.requested_datetime = c.created_at;
  r.updated_datetime = c.updated_at;
  r.expected_datetime = c.handle_deadline;
  r.address = c.location.address;
  r.lat = c.location.lat;
  r.lon = c.location.lon;
  r.channel = std::string(Name(c.channel));
  r.state = std::string(Name(c.state));
  r.photos = c.photos;
  std::optional<std::vector<CaseEvent>> history;
  if (c.channel == Channel::kOpen311) {
    CITYGRID_ASSIGN_OR_RETURN(history, store_.cases().LoadHistory(c.id));
    if (history->empty()) return InternalError("case " + c.number + " has no history");
    Result<CaseIntake> intake = DecodeIntake(history->front());
    if (!intake.ok()) {
      return InternalError("case " + c.number + ": " + intake.status().message());
    }
    if (intake->empty()) {
      // Posted before intake records existed: the side document, when there is one.
      Result<storage::Document> doc = store_.documents().Get(kOpen311RequestKind, c.number);
      if (doc.ok()) {
        RequestExtras extras = DecodeExtras(doc->json);
        intake->attributes = std::move(extras.attributes);
        intake->media_urls = std::move(extras.media_urls);
        intake->address_id = std::move(extras.address_id);
      } else if (doc.status().code() != StatusCode::kNotFound) {
        return doc.status();
      }
    }
    r.media_urls = std::move(intake->media_urls);
    r.address_id = std::move(intake->address_id);
    if (extensions) r.attributes = std::move(intake->attributes);
  }
  if (extensions || need_history || !r.open) {
    if (!history) {
      CITYGRID_ASSIGN_OR_RETURN(history, store_.cases().LoadHistory(c.id));
    }
    std::vector<std::pair<std::string, std::string>> media;
    for (const CaseEvent& e : *history) {
      if (!IsOpen311Comment(e)) continue;
      Result<storage::Document> doc =
          store_.documents().Get(kOpen311UpdateKind, std::to_string(e.global_seq));
      if (!doc.ok()) continue;
      boost::system::error_code ec;
      json::value v = json::parse(doc->json, ec);
      if (!ec && v.is_object() && v.get_object().contains("media_url") &&
          v.get_object().at("media_url").is_string()) {
        media.emplace_back(std::to_string(e.global_seq),
                           std::string(v.get_object().at("media_url").get_string()));
      }
    }
    std::vector<Open311Update> notes = PublicHistory(c, *history, media);
    r.status_notes = StatusNotes(notes, r.open);
    if (!notes.empty()) r.extended_status = notes.back().status;
    if (extensions) r.notes = std::move(notes);
  }
  return r;
}

Result<Open311Request> Open311Service::GetRequest(std::string_view id, bool extensions) {
  if (!ParseCaseNumber(id).ok()) {
    return NotFoundError("service_request_id " + Quoted(id) + " is not known");
  }
  Result<Case> c = store_.cases().LoadCaseByNumber(std::string(id));
  if (!c.ok()) {
    if (c.status().code() == StatusCode::kNotFound) {
      return NotFoundError("service_request_id " + Quoted(id) + " is not known");
    }
    return c.status();
  }
  return Describe(*c, extensions, false);
}

Result<std::vector<Open311Request>> Open311Service::ListRequests(const Open311RequestFilter& f) {
  std::vector<Open311Request> out;
  if (!f.service_request_ids.empty()) {
    for (const std::string& id : f.service_request_ids) {
      Result<Open311Request> r = GetRequest(id, f.extensions);
      if (r.ok()) {
        out.push_back(std::move(*r));
      } else if (r.status().code() != StatusCode::kNotFound) {
        return r.status();
      }
    }
    return out;
  }
  const int page_size = f.page_size == 0 ? options_.max_results : f.page_size;
  if (page_size < 1 || page_size > options_.max_results) {
    return InvalidArgumentError("page_size must be between 1 and " +
                                std::to_string(options_.max_results) + ", got " +
                                std::to_string(page_size));
  }
  if (f.page < 1) {
    return InvalidArgumentError("page must be 1 or more, got " + std::to_string(f.page));
  }
  const Timestamp now = clock_.Now();
  Timestamp end = f.end.value_or(now);
  Timestamp start = f.start.value_or(
      (f.end ? *f.end : now) - std::chrono::hours(24) * options_.default_window_days);
  if (start > end) {
    return InvalidArgumentError("start_date " + FormatIso8601(start) + " is after end_date " +
                                FormatIso8601(end));
  }
  for (const std::string& code : f.service_codes) {
    std::shared_ptr<const ReferenceData> data = reference_.Get();
    if (data->categories->Find(code) == nullptr) {
      return NotFoundError("service_code " + Quoted(code) + " is not a service of this server");
    }
  }
  storage::CaseQuery base;
  base.created_from = start;
  base.created_to = end + std::chrono::milliseconds(1);
  if (f.open) {
    if (*f.open) {
      base.states.assign(std::begin(kOpenStates), std::end(kOpenStates));
    } else {
      base.states.assign(std::begin(kClosedStates), std::end(kClosedStates));
    }
  }
  base.sort = storage::CaseSort::kCreatedDesc;
  const int64_t wanted = static_cast<int64_t>(f.page) * page_size;
  std::vector<std::string> codes = f.service_codes;
  if (codes.empty()) codes.push_back("");
  std::vector<Case> found;
  for (const std::string& code : codes) {
    storage::CaseQuery q = base;
    q.category = code;
    int64_t taken = 0;
    while (taken < wanted) {
      q.limit = static_cast<int>(std::min<int64_t>(storage::kMaxCaseQueryLimit, wanted - taken));
      CITYGRID_ASSIGN_OR_RETURN(storage::CasePage page, store_.cases().QueryCases(q));
      taken += static_cast<int64_t>(page.cases.size());
      for (Case& c : page.cases) found.push_back(std::move(c));
      if (page.next_cursor.empty()) break;
      q.cursor = page.next_cursor;
    }
  }
  std::sort(found.begin(), found.end(), [](const Case& a, const Case& b) {
    return a.created_at != b.created_at ? a.created_at > b.created_at : a.id > b.id;
  });
  const size_t first = static_cast<size_t>(f.page - 1) * page_size;
  for (size_t i = first; i < found.size() && i < first + page_size; ++i) {
    CITYGRID_ASSIGN_OR_RETURN(Open311Request r, Describe(found[i], f.extensions, false));
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<Open311Update>> Open311Service::Updates(std::optional<Timestamp> start_opt,
                                                           std::optional<Timestamp> end_opt) {
  const Timestamp now = clock_.Now();
  Timestamp end = end_opt.value_or(now);
  Timestamp start = start_opt.value_or(end - std::chrono::hours(24));
  if (start > end) {
    return InvalidArgumentError("start_date " + FormatIso8601(start) + " is after end_date " +
                                FormatIso8601(end));
  }
  if (end - start > std::chrono::hours(24 * 90)) {
    return InvalidArgumentError("the window from start_date to end_date is over 90 days");
  }
  // A case with an event in the window was updated at or after `start`: walk the cases by
  // updated_at, newest first, until they are older.
  storage::CaseQuery q;
  q.sort = storage::CaseSort::kUpdatedDesc;
  q.limit = storage::kMaxCaseQueryLimit;
  std::vector<Open311Update> out;
  bool done = false;
  while (!done) {
    CITYGRID_ASSIGN_OR_RETURN(storage::CasePage page, store_.cases().QueryCases(q));
    for (const Case& c : page.cases) {
      if (c.updated_at < start) {
        done = true;
        break;
      }
      CITYGRID_ASSIGN_OR_RETURN(Open311Request r, Describe(c, /*extensions=*/true, true));
      for (Open311Update& u : r.notes) {
        if (u.updated_datetime >= start && u.updated_datetime <= end && u.update_id != "0") {
          out.push_back(std::move(u));
        }
      }
    }
    if (page.next_cursor.empty()) break;
    q.cursor = page.next_cursor;
  }
  std::sort(out.begin(), out.end(), [](const Open311Update& a, const Open311Update& b) {
    return a.updated_datetime != b.updated_datetime ? a.updated_datetime < b.updated_datetime
                                                    : a.update_id.size() != b.update_id.size()
                                                          ? a.update_id.size() < b.update_id.size()
                                                          : a.update_id < b.update_id;
  });
  return out;
}

Result<Open311Update> Open311Service::PostUpdate(const ApiKey& key,
                                                 std::string_view service_request_id,
                                                 const std::string& description,
                                                 const std::string& media_url) {
  if (service_request_id.empty()) return InvalidArgumentError("service_request_id is missing");
  if (description.empty()) return InvalidArgumentError("description is missing");
  if (Utf8Length(description) > options_.max_description_chars) {
    return InvalidArgumentError("description is too long (at most " +
                                std::to_string(options_.max_description_chars) + " characters)");
  }
  if (!media_url.empty()) CITYGRID_RETURN_IF_ERROR(CheckMediaUrl(media_url));
  if (!ParseCaseNumber(service_request_id).ok()) {
    return NotFoundError("service_request_id " + Quoted(service_request_id) + " is not known");
  }
  const Actor actor{std::string(kOpen311UserPrefix) + key.name, Role::kSystem, ""};
  const std::string number(service_request_id);
  // A comment never conflicts in meaning; retry when a concurrent writer moved first.
  for (int attempt = 0;; ++attempt) {
    Result<Case> current = store_.cases().LoadCaseByNumber(number);
    if (!current.ok()) {
      if (current.status().code() == StatusCode::kNotFound) {
        return NotFoundError("service_request_id " + Quoted(number) + " is not known");
      }
      return current.status();
    }
    ActRequest act;
    act.action = Action::kComment;
    act.expected_version = current->version;
    act.note = description;
    Result<CaseDetail> detail = cases_.Act(actor, number, act);
    if (!detail.ok()) {
      if (detail.status().code() == StatusCode::kAborted && attempt < 5) continue;
      return detail.status();
    }
    if (detail->history.empty()) return InternalError("comment appended no event");
    const CaseEvent& e = detail->history.back();
    Open311Update u;
    u.update_id = std::to_string(e.global_seq);
    u.service_request_id = number;
    u.updated_datetime = e.at;
    u.description = description;
    u.media_url = media_url;
    if (!media_url.empty()) {
      json::object doc{{"media_url", media_url}, {"api_key", key.name}};
      CITYGRID_RETURN_IF_ERROR(
          store_.documents().Put(kOpen311UpdateKind, u.update_id, json::serialize(doc)));
    }
    return u;
  }
}

}  // namespace citygrid::service
