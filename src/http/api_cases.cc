// The cases API: intake, photos, media, reads, list, workflow actions and the live feed.
//
// Decisions (also in docs/openapi.json):
//   - Idempotency-Key is optional on POST /api/v1/cases: with it a retry returns the same case
//     (200 instead of 201); without it every POST creates a case.
//   - Unknown body fields and unknown query parameters are 400 (they are typos, not extensions).
//   - An unknown action name is 400 invalid_argument naming it.
//   - Photos: multipart/form-data (every file part) or a raw image/* body; JPEG, PNG and WebP by
//     content sniffing; a file over ApiServices::max_photo_bytes is 413; anything else is 415.
//   - GET /api/v1/media/{hash}: any signed-in user (hashes are unguessable SHA-256 values).
//   - GET /api/v1/stream takes the token from Authorization or ?access_token=; with
//     Last-Event-ID (an EventSource's reconnection) it first replays what the client missed, or
//     sends one `reset` event when that cannot be done.

#include <boost/json.hpp>

#include <cctype>
#include <charconv>
#include <chrono>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "citygrid/common/case_number.h"
#include "citygrid/common/image_type.h"
#include "citygrid/common/time.h"
#include "citygrid/domain/case_state_machine.h"
#include "citygrid/http/api.h"
#include "citygrid/http/error_mapping.h"
#include "citygrid/http/sse.h"
#include "citygrid/service/routing.h"
#include "citygrid/service/visibility.h"
#include "citygrid/storage/case_version_source.h"
#include "src/http/api_common.h"
#include "src/http/case_json.h"
#include "src/http/json_util.h"
#include "src/http/multipart.h"

namespace citygrid::http {

namespace {

using boost::json::object;
using boost::json::value;

// ---- POST /api/v1/cases ----

// A create request as the service takes it.
struct CreateInput {
  Actor actor;
  service::CreateCaseRequest create;
  std::string idempotency_key;
};

// The fields of a create request in `form` (POST /api/v1/cases, or one report of a batch);
// `extra` lists the other keys `form` may have.
Result<service::CreateCaseRequest> ReadCreateFields(const json::ObjectReader& form,
                                                    std::initializer_list<std::string_view> extra) {
  std::vector<std::string_view> known = {"channel", "category", "condition", "description",
                                         "lon",     "lat",      "crs",       "address",
                                         "reporter", "photos",  "confidence"};
  known.insert(known.end(), extra.begin(), extra.end());
  for (const auto& kv : form.object()) {
    std::string_view key(kv.key().data(), kv.key().size());
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return InvalidArgumentError("unknown field '" + std::string(key) + "'");
    }
  }
  service::CreateCaseRequest create;
  CITYGRID_ASSIGN_OR_RETURN(create.channel, form.String("channel", 32));
  CITYGRID_ASSIGN_OR_RETURN(create.category, form.String("category", 32));
  CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> condition,
                            form.OptionalString("condition"));
  create.condition = condition.value_or("");
  CITYGRID_ASSIGN_OR_RETURN(create.description, form.String("description"));
  CITYGRID_ASSIGN_OR_RETURN(create.lon, form.Number("lon", -180, 180));
  CITYGRID_ASSIGN_OR_RETURN(create.lat, form.Number("lat", -90, 90));
  CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> crs, form.OptionalString("crs", 16));
  create.crs = crs.value_or("");
  CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> address, form.OptionalString("address"));
  create.address = address.value_or("");
  CITYGRID_ASSIGN_OR_RETURN(std::optional<json::ObjectReader> reporter,
                            form.OptionalObject("reporter"));
  if (reporter) {
    CITYGRID_RETURN_IF_ERROR(reporter->RejectUnknown({"name", "phone"}));
    CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> name, reporter->OptionalString("name"));
    CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> phone,
                              reporter->OptionalString("phone"));
    create.reporter.name = name.value_or("");
    create.reporter.phone = phone.value_or("");
  }
  if (form.Has("photos")) {
    CITYGRID_ASSIGN_OR_RETURN(create.photos, form.StringArray("photos", 100));
  }
  CITYGRID_ASSIGN_OR_RETURN(create.intake.confidence, form.OptionalNumber("confidence", 0, 1));
  return create;
}

Result<CreateInput> ParseCreate(ApiServices& services, const Request& request) {
  CITYGRID_ASSIGN_OR_RETURN(service::Principal who, Authenticate(services, request));
  CITYGRID_ASSIGN_OR_RETURN(value body, json::ParseBody(request.body));
  CITYGRID_ASSIGN_OR_RETURN(json::ObjectReader form, json::ObjectReader::Of(body));
  CITYGRID_ASSIGN_OR_RETURN(service::CreateCaseRequest create, ReadCreateFields(form, {}));
  return CreateInput{who.ToActor(), std::move(create),
                     std::string(request.headers.GetOr("Idempotency-Key", ""))};
}

// The request's thread parses, checks and queues the case; the response is sent from wherever
// the service completes (CaseService::SetCompletionExecutor). The responder keeps the
// connection's session alive until then, and answers nobody if the client left meanwhile: the
// case is then stored or not, whole, as the commit decided.
void CreateCase(ApiServices& services, const Request& request, Responder respond) {
  Result<CreateInput> input = ParseCreate(services, request);
  if (!input.ok()) {
    respond(ErrorResponse(input.status()));
    return;
  }
  services.cases.CreateAsync(
      input->actor, input->create, input->idempotency_key,
      [&services, respond = std::move(respond)](Result<service::CreateCaseResult> result) {
        if (!result.ok()) {
          respond(ErrorResponse(result.status()));
          return;
        }
        Response response;
        try {
          response = CreatedCaseResponse(*result, *services.reference.Get());
        } catch (const std::exception& e) {
          response = ErrorResponse(InternalError(std::string("the response failed: ") + e.what()));
        }
        respond(std::move(response));
      });
}

// ---- POST /api/v1/cases/batch ----

// One report of a batch: its create fields, key and snapshot, or what is wrong with it.
Result<service::BatchReport> ReadBatchReport(const boost::json::value& item, size_t index) {
  CITYGRID_ASSIGN_OR_RETURN(json::ObjectReader fields,
                            json::ObjectReader::Of(item, "reports[" + std::to_string(index) + "]"));
  service::BatchReport report;
  CITYGRID_ASSIGN_OR_RETURN(report.request,
                            ReadCreateFields(fields, {"idempotency_key", "snapshot"}));
  CITYGRID_ASSIGN_OR_RETURN(report.idempotency_key, fields.String("idempotency_key", 1024));
  CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> snapshot,
                            fields.OptionalString("snapshot", 64 << 20));
  report.snapshot_base64 = snapshot.value_or("");
  return report;
}

// The reports of a batch body, or why the body is not {"reports": [...]}.
Result<std::vector<service::BatchReport>> ReadBatch(std::string_view text) {
  CITYGRID_ASSIGN_OR_RETURN(value body, json::ParseBody(text));
  CITYGRID_ASSIGN_OR_RETURN(json::ObjectReader form, json::ObjectReader::Of(body));
  CITYGRID_RETURN_IF_ERROR(form.RejectUnknown({"reports"}));
  const boost::json::value* list = form.object().if_contains("reports");
  if (list == nullptr || !list->is_array()) {
    return InvalidArgumentError("field 'reports' must be a list of reports");
  }
  std::vector<service::BatchReport> reports;
  reports.reserve(list->get_array().size());
  for (const boost::json::value& item : list->get_array()) {
    Result<service::BatchReport> report = ReadBatchReport(item, reports.size());
    if (report.ok()) {
      reports.push_back(std::move(*report));
    } else {
      reports.emplace_back().problem = report.status();  // answered as that report's error
    }
  }
  return reports;
}

// {"reports": [{...create fields, "idempotency_key", "snapshot"?}, ...]} → 200 with one result
// per report, in order: {"index", "status" (201 created, 200 an idempotent retry, else the
// error's), "number", "state", "merged_into"?, "duplicates"} or {"index", "status", "error"}.
// A body that is not such an object, or an empty or oversized list, is one 400: nothing done.
void CreateBatch(ApiServices& services, const Request& request, Responder respond) {
  Result<service::Principal> who = Authenticate(services, request);
  if (!who.ok()) {
    respond(ErrorResponse(who.status()));
    return;
  }
  Result<std::vector<service::BatchReport>> reports = ReadBatch(request.body);
  if (!reports.ok()) {
    respond(ErrorResponse(reports.status()));
    return;
  }
  services.cases.CreateBatchAsync(
      who->ToActor(), std::move(*reports), services.max_photo_bytes,
      [respond = std::move(respond)](
          Result<std::vector<Result<service::CreateCaseResult>>> results) {
        if (!results.ok()) {
          respond(ErrorResponse(results.status()));
          return;
        }
        boost::json::array out;
        for (size_t i = 0; i < results->size(); ++i) {
          const Result<service::CreateCaseResult>& r = (*results)[i];
          boost::json::object entry;
          entry["index"] = i;
          if (!r.ok()) {
            entry["status"] = HttpStatusFor(r.status().code());
            entry["error"] = {{"code", StatusCodeName(r.status().code())},
                              {"message", r.status().message()}};
          } else {
            entry["status"] = r->created ? 201 : 200;
            entry["number"] = r->record.number;
            entry["state"] = Name(r->record.state);
            if (!r->merged_into.empty()) entry["merged_into"] = r->merged_into;
            entry["duplicates"] = r->duplicates.size();
          }
          out.push_back(std::move(entry));
        }
        respond(json::JsonResponse(200, boost::json::object{{"results", std::move(out)}}));
      });
}

// ---- GET /api/v1/cases ----

Result<Timestamp> ParseTimeParam(std::string_view name, std::string_view text) {
  Result<Timestamp> t = ParseIso8601(text);
  if (!t.ok()) {
    return InvalidArgumentError("parameter '" + std::string(name) +
                                "' must be an ISO-8601 time such as 2026-03-10T09:30:00+08:00, "
                                "got '" + std::string(text) + "'");
  }
  return t;
}

Result<storage::CaseQuery> ParseListQuery(const QueryParams& params) {
  storage::CaseQuery q;
  for (const auto& [name, raw] : params) {
    const std::string_view v = raw;
    if (name == "state") {
      size_t start = 0;
      while (start <= v.size()) {
        size_t comma = v.find(',', start);
        std::string_view one = v.substr(start, comma == std::string_view::npos
                                                   ? std::string_view::npos
                                                   : comma - start);
        Result<CaseState> s = ParseCaseState(one);
        if (!s.ok()) {
          return InvalidArgumentError("parameter 'state': unknown state '" + std::string(one) +
                                      "'");
        }
        q.states.push_back(*s);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
    } else if (name == "category") {
      q.category = raw;
    } else if (name == "unit") {
      q.unit = raw;
    } else if (name == "subdistrict") {
      q.subdistrict = raw;
    } else if (name == "community") {
      q.community = raw;
    } else if (name == "grid") {
      q.grid = raw;
    } else if (name == "channel") {
      Result<Channel> c = ParseChannel(v);
      if (!c.ok()) {
        return InvalidArgumentError("parameter 'channel': unknown channel '" + raw + "'");
      }
      q.channel = *c;
    } else if (name == "overdue") {
      CITYGRID_ASSIGN_OR_RETURN(bool b, ParseBoolParam(name, v));
      q.overdue = b;
    } else if (name == "q") {
      q.text = raw;
    } else if (name == "from") {
      CITYGRID_ASSIGN_OR_RETURN(Timestamp t, ParseTimeParam(name, v));
      q.created_from = t;
    } else if (name == "to") {
      CITYGRID_ASSIGN_OR_RETURN(Timestamp t, ParseTimeParam(name, v));
      q.created_to = t;
    } else if (name == "sort") {
      if (v == "created_desc") {
        q.sort = storage::CaseSort::kCreatedDesc;
      } else if (v == "created_asc") {
        q.sort = storage::CaseSort::kCreatedAsc;
      } else if (v == "deadline_asc") {
        q.sort = storage::CaseSort::kDeadlineAsc;
      } else if (v == "updated_desc") {
        q.sort = storage::CaseSort::kUpdatedDesc;
      } else {
        return InvalidArgumentError("parameter 'sort' must be created_desc, created_asc, "
                                    "deadline_asc or updated_desc, got '" + raw + "'");
      }
    } else if (name == "cursor") {
      q.cursor = raw;
    } else if (name == "limit") {
      int limit = 0;
      bool ok = !v.empty() && v.size() <= 4;
      for (char ch : v) ok = ok && ch >= '0' && ch <= '9';
      if (ok) limit = std::stoi(raw);
      if (!ok || limit < 1 || limit > 1000) {
        return InvalidArgumentError("parameter 'limit' must be an integer between 1 and 1000, "
                                    "got '" + raw + "'");
      }
      q.limit = limit;
    } else {
      return InvalidArgumentError("unknown parameter '" + name + "'");
    }
  }
  return q;
}

Result<Response> ListCases(ApiServices& services, const Request& request) {
  CITYGRID_ASSIGN_OR_RETURN(service::Principal who, Authenticate(services, request));
  CITYGRID_ASSIGN_OR_RETURN(storage::CaseQuery query, ParseListQuery(request.query));
  CITYGRID_ASSIGN_OR_RETURN(storage::CasePage page, services.cases.Query(who.ToActor(), query));
  std::vector<service::LocationNames> names;
  names.reserve(page.cases.size());
  for (const Case& c : page.cases) names.push_back(services.cases.NamesFor(c));
  return CaseListResponse(page, names, *services.reference.Get());
}

// ---- GET /api/v1/cases/{number} ----

// The encoded answers of GET /api/v1/cases/{number} without their last member
// ("available_actions", which depends on who asks), by case and viewer class, with the case
// record they encode. An entry holds for one version of the case (every event raises it, on any
// node) and one snapshot of the reference data (names of categories, units, places); anything
// else is a miss. The masking of the reporter is the only other thing that differs between
// viewers, so the class is SeesReporter(role). Thread-safe.
class CaseDetailCache {
 public:
  struct Entry {
    Case record;  // the case at the encoded version: visibility and actions come from it
    std::shared_ptr<const service::ReferenceData> reference;
    std::string json_head;  // the detail object without available_actions and the final '}'
  };

  std::shared_ptr<const Entry> Find(std::string_view number, bool sees_reporter) const {
    std::lock_guard lock(mu_);
    const Map& entries = entries_[sees_reporter ? 1 : 0];
    auto it = entries.find(number);
    return it == entries.end() ? nullptr : it->second;
  }

  void Put(const std::string& number, bool sees_reporter, std::shared_ptr<const Entry> entry) {
    std::lock_guard lock(mu_);
    Map& entries = entries_[sees_reporter ? 1 : 0];
    if (auto it = entries.find(number); it != entries.end()) {
      bytes_ -= it->second->json_head.size();
      entries.erase(it);
    }
    // Bounded: past the limits, arbitrary entries make room (a read of them re-encodes).
    while (!entries.empty() && (entries_[0].size() + entries_[1].size() >= kMaxEntries ||
                                bytes_ + entry->json_head.size() > kMaxBytes)) {
      bytes_ -= entries.begin()->second->json_head.size();
      entries.erase(entries.begin());
    }
    bytes_ += entry->json_head.size();
    entries.emplace(number, std::move(entry));
  }

 private:
  static constexpr size_t kMaxEntries = 50000;
  static constexpr size_t kMaxBytes = 128 << 20;

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, std::shared_ptr<const Entry>, StringHash,
                                 std::equal_to<>>;

  mutable std::mutex mu_;
  Map entries_[2];    // GUARDED_BY(mu_); [1]: viewers who see the reporter
  size_t bytes_ = 0;  // GUARDED_BY(mu_)
};

// The whole answer: a head from CaseDetailJsonHead and the viewer's available actions.
Response DetailResponse(const std::string& json_head, const std::vector<Action>& actions) {
  std::string body;
  body.reserve(json_head.size() + 24 + actions.size() * 16);
  body += json_head;
  body += ",\"available_actions\":[";
  for (size_t i = 0; i < actions.size(); ++i) {
    if (i) body += ',';
    body += '"';
    body += Name(actions[i]);  // action names are plain ASCII identifiers
    body += '"';
  }
  body += "]}";
  return Response::Json(200, std::move(body));
}

Result<Response> GetCase(ApiServices& services, CaseDetailCache& cache,
                         storage::CaseVersionSource* versions, const Request& request,
                         std::string_view number) {
  CITYGRID_ASSIGN_OR_RETURN(service::Principal who, Authenticate(services, request));
  const Actor actor = who.ToActor();
  const bool sees_reporter = service::SeesReporter(actor.role);
  std::shared_ptr<const service::ReferenceData> reference = services.reference.Get();
  std::string number_text(number);
  // The fast path: a cached encoding of the case's current version (CaseVersionSource::CurrentVersion:
  // every acknowledged write is in it, this node's or another's) that this viewer may see.
  // Anything else (not cached, missing, invisible, malformed, storage errors) takes the
  // service's path, which gives the answer and its error exactly.
  if (std::shared_ptr<const CaseDetailCache::Entry> hit = cache.Find(number, sees_reporter);
      hit && hit->reference == reference && service::MayView(actor, hit->record)) {
    Result<storage::CaseVersion> current =
        storage::CurrentCaseVersion(services.store.cases(), versions, number_text);
    if (current.ok() && current->id == hit->record.id &&
        current->version == hit->record.version) {
      return DetailResponse(hit->json_head, AvailableActions(hit->record, actor));
    }
  }
  CITYGRID_ASSIGN_OR_RETURN(service::CaseDetail detail, services.cases.Get(actor, number_text));
  auto entry = std::make_shared<CaseDetailCache::Entry>();
  entry->record = detail.record;
  entry->json_head = CaseDetailJsonHead(detail, *reference, "history");
  entry->reference = std::move(reference);
  Response response = DetailResponse(entry->json_head, detail.available_actions);
  // The service resolved the place names from its own snapshot: cache only when no new snapshot
  // came meanwhile.
  if (entry->reference == services.reference.Get()) {
    cache.Put(number_text, sees_reporter, std::move(entry));
  }
  return response;
}

// ---- POST /api/v1/cases/{number}/actions/{action} ----

Result<Response> TakeAction(ApiServices& services, const Request& request,
                            std::string_view number, std::string_view action_name) {
  CITYGRID_ASSIGN_OR_RETURN(service::Principal who, Authenticate(services, request));
  Result<Action> action = ParseAction(action_name);
  if (!action.ok()) {
    return InvalidArgumentError("unknown action '" + std::string(action_name) + "'");
  }
  CITYGRID_ASSIGN_OR_RETURN(value body, json::ParseBody(request.body));
  CITYGRID_ASSIGN_OR_RETURN(json::ObjectReader form, json::ObjectReader::Of(body));
  CITYGRID_RETURN_IF_ERROR(form.RejectUnknown({"version", "note", "photos", "condition", "valid",
                                               "unit", "into", "until", "reason", "result"}));
  service::ActRequest act;
  act.action = *action;
  CITYGRID_ASSIGN_OR_RETURN(act.expected_version,
                            form.Integer("version", 1, std::numeric_limits<int64_t>::max()));
  CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> note, form.OptionalString("note"));
  act.note = note.value_or("");
  if (form.Has("photos")) {
    CITYGRID_ASSIGN_OR_RETURN(act.photos, form.StringArray("photos", 100));
  }
  CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> condition,
                            form.OptionalString("condition"));
  act.condition = condition.value_or("");
  CITYGRID_ASSIGN_OR_RETURN(std::optional<bool> valid, form.OptionalBool("valid"));
  act.params.valid = valid;
  CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> unit, form.OptionalString("unit", 64));
  act.params.unit = unit.value_or("");
  CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> into, form.OptionalString("into", 64));
  act.params.into = into.value_or("");
  CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> until, form.OptionalString("until", 64));
  if (until) {
    CITYGRID_ASSIGN_OR_RETURN(Timestamp t, ParseTimeParam("until", *until));
    act.params.until = t;
  }
  CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> reason, form.OptionalString("reason"));
  if (reason && act.action != Action::kPostponeRequest) {
    // Other actions (check_fail, return, reject, cancel...) record their reason as the note.
    act.note = act.note.empty() ? *reason : *reason + "\n" + act.note;
  } else {
    act.params.reason = reason.value_or("");
  }
  CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> result_text,
                            form.OptionalString("result"));
  act.params.result = result_text.value_or("");
  CITYGRID_ASSIGN_OR_RETURN(service::CaseDetail detail,
                            services.cases.Act(who.ToActor(), std::string(number), act));
  return DetailResponse(CaseDetailJsonHead(detail, *services.reference.Get(), "events"),
                        detail.available_actions);
}

// ---- photos and media ----

struct Upload {
  std::string name;  // file name or "body"
  std::string bytes;
};

// The files of a multipart/form-data body (parts with a filename, or any part when none has
// one).
Result<std::vector<Upload>> MultipartUploads(std::string_view content_type,
                                             std::string_view body) {
  CITYGRID_ASSIGN_OR_RETURN(std::vector<MultipartPart> parts, ParseMultipart(content_type, body));
  std::vector<Upload> uploads;
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string name =
        parts[i].filename.empty() ? "part " + std::to_string(i + 1) : parts[i].filename;
    uploads.push_back({std::move(name), std::move(parts[i].bytes)});
  }
  return uploads;
}

Response UnsupportedMedia(const std::string& message) {
  return Response::Json(415, ErrorBody("unsupported_media_type", message));
}

Response AddPhotos(ApiServices& services, const Request& request, std::string_view number) {
  Result<service::Principal> who = Authenticate(services, request);
  if (!who.ok()) return ErrorResponse(who.status());
  std::string content_type(request.headers.GetOr("Content-Type", ""));
  std::string lower;
  for (char ch : content_type) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  std::vector<Upload> uploads;
  if (lower.rfind("multipart/form-data", 0) == 0) {
    Result<std::vector<Upload>> parts = MultipartUploads(content_type, request.body);
    if (!parts.ok()) return ErrorResponse(parts.status());
    uploads = std::move(*parts);
  } else if (lower.rfind("image/", 0) == 0) {
    uploads.push_back({"body", request.body});
  } else {
    return UnsupportedMedia("photos must be sent as multipart/form-data or an image/* body, "
                            "got Content-Type '" + content_type + "'");
  }
  for (const Upload& u : uploads) {
    if (u.bytes.size() > services.max_photo_bytes) {
      Response r = PayloadTooLargeResponse(services.max_photo_bytes);
      r.body = ErrorBody("resource_exhausted",
                         "photo '" + u.name + "' is " + std::to_string(u.bytes.size()) +
                             " bytes, over the limit of " +
                             std::to_string(services.max_photo_bytes));
      return r;
    }
    if (SniffImageType(u.bytes).empty()) {
      return UnsupportedMedia("photo '" + u.name + "' is not a JPEG, PNG or WebP image");
    }
  }
  // The case must be visible before anything is stored.
  Result<service::CaseDetail> before = services.cases.Get(who->ToActor(), std::string(number));
  if (!before.ok()) return ErrorResponse(before.status());
  std::vector<std::string> hashes;
  for (const Upload& u : uploads) {
    Result<std::string> hash = services.store.media().Put(u.bytes);
    if (!hash.ok()) return ErrorResponse(hash.status());
    hashes.push_back(*hash);
  }
  Result<service::CaseDetail> detail =
      services.cases.AddPhotos(who->ToActor(), std::string(number), hashes);
  if (!detail.ok()) return ErrorResponse(detail.status());
  return PhotosAddedResponse(hashes, *detail, *services.reference.Get());
}

Response GetMedia(ApiServices& services, const Request& request, std::string_view hash) {
  Result<service::Principal> who = Authenticate(services, request);
  if (!who.ok()) return ErrorResponse(who.status());
  Result<std::string> bytes = services.store.media().Get(std::string(hash));
  if (!bytes.ok()) return ErrorResponse(bytes.status());
  Response r;
  r.status = 200;
  std::string type(SniffImageType(*bytes));
  r.content_type = type.empty() ? "application/octet-stream" : type;
  r.body = std::move(*bytes);
  r.headers.Set("Cache-Control", "private, max-age=31536000, immutable");
  r.headers.Set("ETag", "\"" + std::string(hash) + "\"");
  r.headers.Set("X-Content-Type-Options", "nosniff");
  return r;
}

// ---- GET /api/v1/stream ----

std::string FeedEventText(const service::FeedItem& item) {
  SseEvent event;
  event.id = std::to_string(item.event.global_seq);
  if (item.reset) {
    object data;
    data["reason"] = item.reset_reason;
    event.event = "reset";
    event.data = json::Serialize(data);
    return FormatSseEvent(event);
  }
  object data;
  data["number"] = item.number;
  data["version"] = item.version;
  data["state"] = std::string(Name(item.state));
  data["type"] = std::string(Name(item.event.type));
  data["action"] =
      item.event.action ? value(std::string(Name(*item.event.action))) : value(nullptr);
  data["at"] = FormatIso8601(item.event.at);
  data["category"] = item.category;
  data["unit"] = item.unit;
  data["subdistrict"] = item.subdistrict;
  data["overdue"] = item.overdue;
  data["event_version"] = item.event.version;
  event.event = item.event.action ? std::string(Name(*item.event.action))
                                  : std::string(Name(item.event.type));
  event.data = json::Serialize(data);
  return FormatSseEvent(event);
}

Response Stream(ApiServices& services, const Request& request) {
  Result<service::Principal> who = Authenticate(services, request, /*allow_query=*/true);
  if (!who.ok()) return ErrorResponse(who.status());
  if (services.feed == nullptr) {
    return ErrorResponse(Status(StatusCode::kUnavailable, "the live feed is not running"));
  }
  // A reconnecting EventSource names the last event it received; the stream goes on from there.
  std::shared_ptr<service::FeedSubscription> sub;
  int given = 0;
  for (const auto& field : request.headers) {
    given += EqualsIgnoreCase(field.first, "Last-Event-ID");
  }
  if (given > 1) {
    return ErrorResponse(InvalidArgumentError("Last-Event-ID is given " + std::to_string(given) +
                                              " times; send the one last id received"));
  }
  if (auto last = request.headers.Get("Last-Event-ID"); last && !last->empty()) {
    int64_t after = 0;
    auto [end, ec] = std::from_chars(last->data(), last->data() + last->size(), after);
    if (ec == std::errc::result_out_of_range && end == last->data() + last->size() &&
        last->front() != '-') {
      after = std::numeric_limits<int64_t>::max();  // a whole number, but no id this feed sent
    } else if (ec != std::errc() || end != last->data() + last->size() || after < 0) {
      return ErrorResponse(InvalidArgumentError(
          "Last-Event-ID '" + std::string(last->substr(0, 40)) +
          "' is not an event id of this feed (a whole number from an id: line)"));
    }
    Result<std::shared_ptr<service::FeedSubscription>> replaying =
        services.feed->SubscribeAfter(who->ToActor(), after);
    if (!replaying.ok()) return ErrorResponse(replaying.status());
    sub = std::move(*replaying);
  } else {
    sub = services.feed->Subscribe(who->ToActor());
  }
  // The stream outlives the request that opened it: before each delivery the token is checked
  // again, so a logout, an expired session or a disabled user ends the stream (the error ends
  // it; the EventSource's reconnection then gets 401) instead of feeding it on.
  const std::string token_key = service::AuthService::TokenKey(BearerToken(request, true));
  service::AuthService* auth = &services.auth;
  return PulledEventStream(
      [sub, auth, token_key](std::chrono::milliseconds wait) -> Result<std::string> {
        CITYGRID_ASSIGN_OR_RETURN(std::vector<service::FeedItem> items, sub->Next(wait));
        Result<service::Principal> still = auth->AuthenticateKey(token_key);
        if (!still.ok()) return still.status();
        std::string text;
        for (const service::FeedItem& item : items) text += FeedEventText(item);
        return text;
      },
      [sub] { sub->Close(); });
}

Response Answer(Result<Response> result) {
  if (!result.ok()) return ErrorResponse(result.status());
  return std::move(*result);
}

}  // namespace

Status RegisterCaseRoutes(Router& router, ApiServices& services) {
  ApiServices* s = &services;
  CITYGRID_RETURN_IF_ERROR(
      router.AddAsync(Method::kPost, "/api/v1/cases",
                      [s](const Request& request, const RouteParams&, Responder respond) {
                        CreateCase(*s, request, std::move(respond));
                      }));
  CITYGRID_RETURN_IF_ERROR(
      router.AddAsync(Method::kPost, "/api/v1/cases/batch",
                      [s](const Request& request, const RouteParams&, Responder respond) {
                        CreateBatch(*s, request, std::move(respond));
                      }));
  CITYGRID_RETURN_IF_ERROR(router.Add(Method::kGet, "/api/v1/cases",
                                      [s](const Request& request, const RouteParams&) {
                                        return Answer(ListCases(*s, request));
                                      }));
  auto detail_cache = std::make_shared<CaseDetailCache>();
  storage::CaseVersionSource* versions = storage::VersionSourceOf(services.store.cases());
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/api/v1/cases/{number}",
      [s, detail_cache, versions](const Request& request, const RouteParams& params) {
        return Answer(GetCase(*s, *detail_cache, versions, request, params.Get("number")));
      }));
  CITYGRID_RETURN_IF_ERROR(
      router.Add(Method::kPost, "/api/v1/cases/{number}/actions/{action}",
                 [s](const Request& request, const RouteParams& params) {
                   return Answer(
                       TakeAction(*s, request, params.Get("number"), params.Get("action")));
                 }));
  CITYGRID_RETURN_IF_ERROR(
      router.Add(Method::kPost, "/api/v1/cases/{number}/photos",
                 [s](const Request& request, const RouteParams& params) {
                   return AddPhotos(*s, request, params.Get("number"));
                 }));
  CITYGRID_RETURN_IF_ERROR(
      router.Add(Method::kGet, "/api/v1/media/{hash}",
                 [s](const Request& request, const RouteParams& params) {
                   return GetMedia(*s, request, params.Get("hash"));
                 }));
  CITYGRID_RETURN_IF_ERROR(router.Add(Method::kGet, "/api/v1/stream",
                                      [s](const Request& request, const RouteParams&) {
                                        return Stream(*s, request);
                                      }));
  return Status::Ok();
}

}  // namespace citygrid::http
