// Open311 GeoReport v2 over HTTP: parameter parsing and XML/JSON rendering around
// service::Open311Service. See include/citygrid/http/open311_routes.h for the contract.

#include "citygrid/http/open311_routes.h"

#include <boost/url/pct_string_view.hpp>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "citygrid/common/image_type.h"
#include "citygrid/common/time.h"
#include "citygrid/common/utf8.h"
#include "citygrid/http/error_mapping.h"
#include "src/http/api_common.h"
#include "src/http/multipart.h"
#include "src/http/open311_format.h"

namespace citygrid::http {
namespace {

using open311::Format;
using open311::Node;

// The answers of GET requests.json/.xml lists (no service_request_id), by request target. An
// entry holds while no case event was committed since it was made (CaseStore::LastGlobalSeq,
// read on every request, so a write on any node shows at once), no Open311 update was posted
// here since (its media document is written after its event), the reference data is the same
// snapshot, and for at most kTtl of the server's clock: the default window ends now and starts
// 90 days before, and another node's update document may follow its event. Thread-safe.
class RequestListCache {
 public:
  static constexpr Duration kTtl = std::chrono::seconds(1);

  struct Entry {
    int64_t seq = 0;         // LastGlobalSeq read before the list was made
    uint64_t updates = 0;    // updates_posted() read before the list was made
    std::shared_ptr<const service::ReferenceData> reference;
    Timestamp made;
    Response response;
  };

  std::shared_ptr<const Entry> Find(const std::string& target) const {
    std::lock_guard lock(mu_);
    auto it = entries_.find(target);
    return it == entries_.end() ? nullptr : it->second;
  }

  void Put(const std::string& target, std::shared_ptr<const Entry> entry) {
    std::lock_guard lock(mu_);
    if (entries_.size() >= kMaxEntries && !entries_.contains(target)) entries_.clear();
    entries_[target] = std::move(entry);
  }

  // Counts an Open311 update posted through this server.
  void UpdatePosted() {
    std::lock_guard lock(mu_);
    ++updates_;
  }
  uint64_t updates_posted() const {
    std::lock_guard lock(mu_);
    return updates_;
  }

 private:
  static constexpr size_t kMaxEntries = 256;

  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const Entry>> entries_;  // GUARDED_BY(mu_)
  uint64_t updates_ = 0;                                                   // GUARDED_BY(mu_)
};

// The handlers' shared state.
struct Open311State {
  ApiServices& api;
  service::ApiKeyService keys;
  service::Open311Service open311;
  RequestListCache lists;

  Open311State(ApiServices& services, service::Open311Options options,
               service::ApiKeyOptions key_options)
      : api(services),
        keys(services.store.documents(), services.clock, key_options),
        open311(services.store, services.reference, services.cases, keys, services.clock,
                std::move(options)) {}
};

// "services.xml" → ("services", kXml). nullopt for another suffix.
std::optional<std::pair<std::string, Format>> SplitFormat(std::string_view file) {
  size_t dot = file.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  std::string_view ext = file.substr(dot + 1);
  if (ext == "xml") return std::make_pair(std::string(file.substr(0, dot)), Format::kXml);
  if (ext == "json") return std::make_pair(std::string(file.substr(0, dot)), Format::kJson);
  return std::nullopt;
}

int HttpStatusOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kPermissionDenied:
    case StatusCode::kUnauthenticated:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
      return 409;  // an Idempotency-Key reused for another request
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kInternal:
      return 500;
    default:
      return 400;
  }
}

Response Answer(const Node& root, Format format, int status = 200) {
  Response r;
  r.status = status;
  r.content_type = std::string(open311::ContentType(format));
  r.body = open311::Render(root, format);
  return r;
}

// The spec's error document: <errors><error><code/><description/></error></errors>.
Response ErrorDocument(int status, std::string_view description, Format format) {
  Node errors = Node::List("errors");
  errors.Add(Node::Object("error", {Node::Integer("code", status),
                                    Node::String("description", std::string(description))}));
  return Answer(errors, format, status);
}

Response ErrorAnswer(const Status& s, Format format, int retry_after_seconds = 0) {
  const int status = HttpStatusOf(s);
  Response r = ErrorDocument(status, s.message(), format);
  if (status == 429 && retry_after_seconds > 0) {
    r.headers.Set("Retry-After", std::to_string(retry_after_seconds));
  }
  return r;
}

// Request parameters: the query, plus the form fields of a POST body. Empty values are absent.
class Params {
 public:
  void Add(std::string name, std::string value) {
    values_.emplace_back(std::move(name), std::move(value));
  }
  // The first non-empty value of `name`.
  std::optional<std::string> Get(std::string_view name) const {
    for (const auto& [k, v] : values_) {
      if (k == name && !v.empty()) return v;
    }
    return std::nullopt;
  }
  std::string GetOr(std::string_view name) const { return Get(name).value_or(""); }
  std::vector<std::string> GetAll(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : values_) {
      if (k == name && !v.empty()) out.push_back(v);
    }
    return out;
  }
  const std::vector<std::pair<std::string, std::string>>& all() const { return values_; }

 private:
  std::vector<std::pair<std::string, std::string>> values_;
};

struct Upload {
  std::string name;
  std::string bytes;
};

std::string Lower(std::string_view s) {
  std::string out;
  for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Result<Params> ReadParams(const Request& request, std::vector<Upload>* uploads) {
  Params params;
  for (const auto& [k, v] : request.query) params.Add(k, v);
  if (request.method != Method::kPost) return params;
  const std::string content_type(request.headers.GetOr("Content-Type", ""));
  const std::string lower = Lower(content_type);
  if (lower.rfind("multipart/form-data", 0) == 0) {
    CITYGRID_ASSIGN_OR_RETURN(std::vector<MultipartPart> parts,
                              ParseMultipart(content_type, request.body));
    for (MultipartPart& p : parts) {
      if (p.filename.empty()) {
        if (!IsValidUtf8(p.name) || !IsValidUtf8(p.bytes)) {
          return InvalidArgumentError("form field '" + ToValidUtf8(Utf8Prefix(p.name, 40)) +
                                      "' is not UTF-8 text");
        }
        params.Add(std::move(p.name), std::move(p.bytes));
      } else if (uploads != nullptr) {
        uploads->push_back({std::move(p.filename), std::move(p.bytes)});
      }
    }
    return params;
  }
  if (!lower.empty() && lower.rfind("application/x-www-form-urlencoded", 0) != 0) {
    return InvalidArgumentError("POST bodies must be application/x-www-form-urlencoded or "
                                "multipart/form-data, got Content-Type '" + content_type + "'");
  }
  if (request.body.empty()) return params;
  // Split by hand and only percent-decode: clients send brackets ("attribute[code][]")
  // unencoded, which a strict RFC 3986 query parser refuses.
  std::string_view body = request.body;
  int index = 0;
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    ++index;
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view raw_key = pair.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    auto key = boost::urls::make_pct_string_view(raw_key);
    auto value = boost::urls::make_pct_string_view(raw_value);
    if (!key || !value) {
      return InvalidArgumentError("form field " + std::to_string(index) + " ('" +
                                  std::string(raw_key.substr(0, 40)) +
                                  "') has a bad percent-encoding");
    }
    boost::urls::encoding_opts opts(/*space_as_plus=*/true);
    std::string decoded_key = key->decode(opts);
    std::string decoded_value = value->decode(opts);
    if (!IsValidUtf8(decoded_key) || !IsValidUtf8(decoded_value)) {
      return InvalidArgumentError("form field " + std::to_string(index) +
                                  " is not UTF-8 once percent-decoded");
    }
    params.Add(std::move(decoded_key), std::move(decoded_value));
  }
  return params;
}

// ?extensions=true|false (citygrid's extension fields of a request); absent is false.
Result<bool> ExtensionsParam(const Params& params) {
  std::optional<std::string> text = params.Get("extensions");
  if (!text) return false;
  return ParseBoolParam("extensions", *text);
}

Result<std::optional<Timestamp>> DateParam(const Params& params, std::string_view name) {
  std::optional<std::string> text = params.Get(name);
  if (!text) return std::optional<Timestamp>();
  Result<Timestamp> t = ParseIso8601(*text);
  if (!t.ok()) {
    return InvalidArgumentError(std::string(name) + " '" + text->substr(0, 80) +
                                "' is not an ISO-8601 time with offset, such as "
                                "2026-03-10T09:30:00+08:00 or 2026-03-10T01:30:00Z");
  }
  return std::optional<Timestamp>(*t);
}

Result<std::optional<double>> NumberParam(const Params& params, std::string_view name,
                                          double min, double max) {
  std::optional<std::string> text = params.Get(name);
  if (!text) return std::optional<double>();
  char* end = nullptr;
  double v = std::strtod(text->c_str(), &end);
  if (end != text->c_str() + text->size() || !std::isfinite(v) || v < min || v > max) {
    return InvalidArgumentError(std::string(name) + " '" + text->substr(0, 40) +
                                "' is not a number between " + std::to_string(int(min)) +
                                " and " + std::to_string(int(max)));
  }
  return std::optional<double>(v);
}

Result<int> IntParam(const Params& params, std::string_view name, int fallback) {
  std::optional<std::string> text = params.Get(name);
  if (!text) return fallback;
  bool ok = text->size() <= 7;
  for (char c : *text) ok = ok && c >= '0' && c <= '9';
  if (!ok) {
    return InvalidArgumentError(std::string(name) + " '" + text->substr(0, 40) +
                                "' is not a positive integer");
  }
  return std::atoi(text->c_str());
}

std::vector<std::string> CommaList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string one = text.substr(start, comma == std::string::npos ? std::string::npos
                                                                    : comma - start);
    while (!one.empty() && one.front() == ' ') one.erase(0, 1);
    while (!one.empty() && one.back() == ' ') one.pop_back();
    if (!one.empty()) out.push_back(one);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// "attribute[code]" and "attribute[code][]" → "code"; nullopt for other names.
std::optional<std::string> AttributeCode(std::string_view name) {
  constexpr std::string_view kAttr = "attribute[";
  if (name.rfind(kAttr, 0) != 0) return std::nullopt;
  std::string_view rest = name.substr(kAttr.size());
  if (rest.size() >= 3 && rest.substr(rest.size() - 3) == "][]") {
    rest = rest.substr(0, rest.size() - 3);
  } else if (!rest.empty() && rest.back() == ']') {
    rest = rest.substr(0, rest.size() - 1);
  } else {
    return std::nullopt;
  }
  return std::string(rest);
}

// ---- rendering

// Whole seconds, as the spec's examples and most clients' parsers have them.
std::string Open311Time(Timestamp t) {
  return FormatIso8601(std::chrono::floor<std::chrono::seconds>(t));
}

Node TimeNode(std::string name, const std::optional<Timestamp>& t) {
  if (!t) return Node::Null(std::move(name));
  return Node::String(std::move(name), Open311Time(*t));
}

Node ServiceNode(const service::Open311Service& svc, const Category& c) {
  std::string keywords = c.name;
  if (!c.name_en.empty()) keywords += ", " + c.name_en;
  keywords += ", " + std::string(ChineseName(c.kind));
  return Node::Object(
      "service",
      {Node::String("service_code", c.code), Node::String("service_name", c.name),
       Node::String("description", c.register_standard),
       Node::Bool("metadata", !c.attributes.empty()), Node::String("type", "realtime"),
       Node::String("keywords", keywords), Node::String("group", svc.GroupOf(c))});
}

Node DefinitionNode(const Category& c) {
  Node attributes = Node::List("attributes");
  for (const CategoryAttribute& a : c.attributes) {
    Node values = Node::List("values");
    for (const AttributeValue& v : a.values) {
      values.Add(Node::Object("value", {Node::String("key", v.key), Node::String("name", v.name)}));
    }
    attributes.Add(Node::Object(
        "attribute",
        {Node::Bool("variable", a.variable), Node::String("code", a.code),
         Node::String("datatype", std::string(Name(a.datatype))),
         Node::Bool("required", a.required),
         Node::String("datatype_description", a.datatype_description),
         Node::Integer("order", a.order), Node::String("description", a.description),
         std::move(values)}));
  }
  return Node::Object("service_definition",
                      {Node::String("service_code", c.code), std::move(attributes)});
}

Node UpdateNode(const service::Open311Update& u) {
  return Node::Object(
      "request_update",
      {Node::String("update_id", u.update_id),
       Node::String("service_request_id", u.service_request_id),
       Node::String("status", std::string(Name(u.status))),
       Node::String("updated_datetime", Open311Time(u.updated_datetime)),
       Node::String("description", u.description), Node::String("media_url", u.media_url)});
}

Node RequestNode(const service::Open311Request& r, bool extensions) {
  Node n = Node::Object(
      "request",
      {Node::String("service_request_id", r.service_request_id),
       Node::String("status", r.open ? "open" : "closed"),
       Node::String("status_notes", r.status_notes),
       Node::String("service_name", r.service_name),
       Node::String("service_code", r.service_code),
       Node::String("description", r.description),
       Node::String("agency_responsible", r.agency_responsible),
       Node::String("service_notice", r.service_notice),
       TimeNode("requested_datetime", r.requested_datetime),
       TimeNode("updated_datetime", r.updated_datetime),
       TimeNode("expected_datetime", r.expected_datetime), Node::String("address", r.address),
       Node::String("address_id", r.address_id), Node::String("zipcode", r.zipcode),
       Node::Number("lat", r.lat), Node::Number("long", r.lon),
       Node::String("media_url", r.media_urls.empty() ? "" : r.media_urls.front())});
  if (!extensions) return n;
  Node attributes = Node::List("attributes");
  for (const auto& [code, value] : r.attributes) {
    attributes.Add(Node::Object("attribute",
                                {Node::String("code", code), Node::String("value", value)}));
  }
  n.Add(std::move(attributes));
  Node photos = Node::List("photos");
  for (const std::string& p : r.photos) photos.Add(Node::String("photo", p));
  Node media = Node::List("media_urls");
  for (const std::string& m : r.media_urls) media.Add(Node::String("media_url", m));
  n.Add(Node::Object("extended_attributes",
                     {Node::String("channel", r.channel), Node::String("state", r.state),
                      Node::String("extended_status", std::string(Name(r.extended_status))),
                      std::move(photos), std::move(media)}));
  Node notes = Node::List("notes");
  for (const service::Open311Update& u : r.notes) {
    Node note = UpdateNode(u);
    note.name = "note";
    notes.Add(std::move(note));
  }
  n.Add(std::move(notes));
  return n;
}

// ---- handlers

Result<Response> Discovery(Open311State& s, const Request& request, Format format) {
  std::string host(request.headers.GetOr("Host", "127.0.0.1"));
  std::string scheme(request.headers.GetOr("X-Forwarded-Proto", "http"));
  if (scheme != "https") scheme = "http";
  const service::Open311Options& o = s.open311.options();
  Node formats = Node::List("formats", {Node::String("format", "text/xml"),
                                        Node::String("format", "application/json")});
  Node endpoint = Node::Object(
      "endpoint", {Node::String("specification", "http://wiki.open311.org/GeoReport_v2"),
                   Node::String("url", scheme + "://" + host + "/open311/v2"),
                   Node::String("changeset", o.changeset), Node::String("type", "production"),
                   std::move(formats)});
  Node root = Node::Object(
      "discovery", {Node::String("changeset", o.changeset), Node::String("contact", o.contact),
                    Node::String("key_service", o.key_service),
                    Node::List("endpoints", {std::move(endpoint)})});
  return Answer(root, format);
}

Result<Response> Services(Open311State& s, const Params& params, Format format) {
  CITYGRID_RETURN_IF_ERROR(s.open311.CheckJurisdiction(params.GetOr("jurisdiction_id")));
  Node root = Node::List("services");
  for (const Category& c : s.open311.Services()) root.Add(ServiceNode(s.open311, c));
  return Answer(root, format);
}

Result<Response> Definition(Open311State& s, const Params& params, std::string_view code,
                            Format format) {
  CITYGRID_RETURN_IF_ERROR(s.open311.CheckJurisdiction(params.GetOr("jurisdiction_id")));
  CITYGRID_ASSIGN_OR_RETURN(Category c, s.open311.Service(code));
  return Answer(DefinitionNode(c), format);
}

// The key of a POST, verified and admitted; `retry_after` is set on a 429.
Result<service::ApiKey> CheckKey(Open311State& s, const Params& params, int* retry_after) {
  CITYGRID_ASSIGN_OR_RETURN(service::ApiKey key, s.keys.Verify(params.GetOr("api_key")));
  CITYGRID_RETURN_IF_ERROR(s.keys.Admit(key, retry_after));
  return key;
}

// POST requests: the form as the service takes it (uploaded photos stored).
Result<service::Open311NewRequest> ParsePost(Open311State& s, const Params& params,
                                             const std::vector<Upload>& uploads) {
  service::Open311NewRequest r;
  r.jurisdiction_id = params.GetOr("jurisdiction_id");
  r.service_code = params.GetOr("service_code");
  CITYGRID_ASSIGN_OR_RETURN(r.lat, NumberParam(params, "lat", -90, 90));
  CITYGRID_ASSIGN_OR_RETURN(r.lon, NumberParam(params, "long", -180, 180));
  r.address_string = params.GetOr("address_string");
  r.address_id = params.GetOr("address_id");
  r.email = params.GetOr("email");
  r.device_id = params.GetOr("device_id");
  r.account_id = params.GetOr("account_id");
  r.first_name = params.GetOr("first_name");
  r.last_name = params.GetOr("last_name");
  r.phone = params.GetOr("phone");
  r.description = params.GetOr("description");
  r.media_urls = params.GetAll("media_url");
  for (std::string& m : params.GetAll("media_url[]")) r.media_urls.push_back(std::move(m));
  for (const auto& [name, value] : params.all()) {
    if (std::optional<std::string> code = AttributeCode(name); code && !value.empty()) {
      r.attributes.emplace_back(*code, value);
    }
  }
  for (const Upload& u : uploads) {
    if (u.bytes.size() > s.api.max_photo_bytes) {
      return ResourceExhaustedError("file '" + u.name + "' is " + std::to_string(u.bytes.size()) +
                                    " bytes, over the limit of " +
                                    std::to_string(s.api.max_photo_bytes));
    }
    if (SniffImageType(u.bytes).empty()) {
      return InvalidArgumentError("file '" + u.name + "' is not a JPEG, PNG or WebP image");
    }
  }
  std::vector<std::string> photos;
  for (const Upload& u : uploads) {
    CITYGRID_ASSIGN_OR_RETURN(std::string hash, s.api.store.media().Put(u.bytes));
    photos.push_back(std::move(hash));
  }
  r.photos = std::move(photos);
  return r;
}

Response PostedAnswer(const service::Open311Posted& posted, Format format) {
  Node request = Node::Object("request");
  if (!posted.token.empty()) {
    request.Add(Node::String("token", posted.token));
  } else {
    request.Add(Node::String("service_request_id", posted.service_request_id));
  }
  request.Add(Node::String("service_notice", posted.service_notice));
  request.Add(Node::String("account_id", posted.account_id));
  return Answer(Node::List("service_requests", {std::move(request)}), format);
}

// Answers through `respond` once the case is stored (Open311Service::PostRequestAsync); the
// responder keeps the connection alive until then.
void PostRequest(Open311State& s, const service::ApiKey& key, const Request& http,
                 const Params& params, const std::vector<Upload>& uploads, Format format,
                 Responder respond) {
  Result<service::Open311NewRequest> r = ParsePost(s, params, uploads);
  if (!r.ok()) {
    respond(ErrorAnswer(r.status(), format));
    return;
  }
  s.open311.PostRequestAsync(
      key, *r, std::string(http.headers.GetOr("Idempotency-Key", "")),
      [format, respond = std::move(respond)](Result<service::Open311Posted> posted) {
        respond(posted.ok() ? PostedAnswer(*posted, format) : ErrorAnswer(posted.status(), format));
      });
}

Result<Response> GetRequests(Open311State& s, const Params& params, Format format) {
  CITYGRID_RETURN_IF_ERROR(s.open311.CheckJurisdiction(params.GetOr("jurisdiction_id")));
  service::Open311RequestFilter f;
  f.service_request_ids = CommaList(params.GetOr("service_request_id"));
  f.service_codes = CommaList(params.GetOr("service_code"));
  CITYGRID_ASSIGN_OR_RETURN(f.start, DateParam(params, "start_date"));
  CITYGRID_ASSIGN_OR_RETURN(f.end, DateParam(params, "end_date"));
  if (std::optional<std::string> status = params.Get("status")) {
    std::vector<std::string> statuses = CommaList(*status);
    bool open = false, closed = false;
    for (const std::string& st : statuses) {
      std::string l = Lower(st);
      if (l == "open") {
        open = true;
      } else if (l == "closed") {
        closed = true;
      } else {
        return InvalidArgumentError("status '" + st.substr(0, 40) + "' is not open or closed");
      }
    }
    if (open != closed) f.open = open;
  }
  CITYGRID_ASSIGN_OR_RETURN(f.page, IntParam(params, "page", 1));
  CITYGRID_ASSIGN_OR_RETURN(f.page_size, IntParam(params, "page_size", 0));
  if (params.Get("page_size") && f.page_size == 0) {
    return InvalidArgumentError("page_size must be between 1 and " +
                                std::to_string(s.open311.options().max_results));
  }
  CITYGRID_ASSIGN_OR_RETURN(f.extensions, ExtensionsParam(params));
  CITYGRID_ASSIGN_OR_RETURN(std::vector<service::Open311Request> found,
                            s.open311.ListRequests(f));
  Node root = Node::List("service_requests");
  for (const service::Open311Request& r : found) root.Add(RequestNode(r, f.extensions));
  return Answer(root, format);
}

// GetRequests through the list cache (see RequestListCache). Lookups by id are not cached.
Result<Response> GetRequestsCached(Open311State& s, const Request& request, const Params& params,
                                   Format format) {
  if (params.Get("service_request_id")) return GetRequests(s, params, format);
  const uint64_t updates = s.lists.updates_posted();
  CITYGRID_ASSIGN_OR_RETURN(int64_t seq, s.api.store.cases().LastGlobalSeq());
  std::shared_ptr<const service::ReferenceData> reference = s.api.reference.Get();
  const Timestamp now = s.api.clock.Now();
  if (std::shared_ptr<const RequestListCache::Entry> hit = s.lists.Find(request.target);
      hit && hit->seq == seq && hit->updates == updates && hit->reference == reference &&
      now >= hit->made && now - hit->made < RequestListCache::kTtl) {
    return hit->response;
  }
  CITYGRID_ASSIGN_OR_RETURN(Response response, GetRequests(s, params, format));
  if (response.status == 200 && !response.stream) {
    auto entry = std::make_shared<RequestListCache::Entry>();
    entry->seq = seq;
    entry->updates = updates;
    entry->reference = std::move(reference);
    entry->made = now;
    entry->response = response;
    s.lists.Put(request.target, std::move(entry));
  }
  return response;
}

Result<Response> GetRequest(Open311State& s, const Params& params, std::string_view id,
                            Format format) {
  CITYGRID_RETURN_IF_ERROR(s.open311.CheckJurisdiction(params.GetOr("jurisdiction_id")));
  CITYGRID_ASSIGN_OR_RETURN(const bool extensions, ExtensionsParam(params));
  CITYGRID_ASSIGN_OR_RETURN(service::Open311Request r, s.open311.GetRequest(id, extensions));
  return Answer(Node::List("service_requests", {RequestNode(r, extensions)}), format);
}

Result<Response> GetToken(Open311State& s, const Params& params, std::string_view token,
                          Format format) {
  CITYGRID_RETURN_IF_ERROR(s.open311.CheckJurisdiction(params.GetOr("jurisdiction_id")));
  CITYGRID_ASSIGN_OR_RETURN(std::string id, s.open311.LookupToken(token));
  return Answer(
      Node::List("service_requests",
                 {Node::Object("request", {Node::String("service_request_id", id),
                                           Node::String("token", std::string(token))})}),
      format);
}

Result<Response> GetUpdates(Open311State& s, const Params& params, Format format) {
  CITYGRID_RETURN_IF_ERROR(s.open311.CheckJurisdiction(params.GetOr("jurisdiction_id")));
  CITYGRID_ASSIGN_OR_RETURN(std::optional<Timestamp> start, DateParam(params, "start_date"));
  CITYGRID_ASSIGN_OR_RETURN(std::optional<Timestamp> end, DateParam(params, "end_date"));
  CITYGRID_ASSIGN_OR_RETURN(std::vector<service::Open311Update> updates,
                            s.open311.Updates(start, end));
  Node root = Node::List("service_requests_updates");
  for (const service::Open311Update& u : updates) root.Add(UpdateNode(u));
  return Answer(root, format);
}

Result<Response> PostUpdate(Open311State& s, const service::ApiKey& key, const Params& params,
                            Format format) {
  CITYGRID_RETURN_IF_ERROR(s.open311.CheckJurisdiction(params.GetOr("jurisdiction_id")));
  // FixMyStreet sends the time of the citizen's update; it must parse, the event records now.
  CITYGRID_RETURN_IF_ERROR(DateParam(params, "updated_datetime"));
  CITYGRID_ASSIGN_OR_RETURN(
      service::Open311Update u,
      s.open311.PostUpdate(key, params.GetOr("service_request_id"), params.GetOr("description"),
                           params.GetOr("media_url")));
  return Answer(Node::List("service_request_updates",
                           {Node::Object("request_update",
                                         {Node::String("update_id", u.update_id)})}),
                format);
}

// What every endpoint starts from: the format from `file`, the parameters and uploads, and the
// checked api_key for POSTs.
struct Call {
  Format format = Format::kXml;
  Params params;
  std::vector<Upload> uploads;
  std::optional<service::ApiKey> key;
};

// The call, or the error answer (in the format asked for) that ends it.
std::variant<Call, Response> Begin(Open311State& s, const Request& request, std::string_view file,
                                   bool keyed, std::string* base) {
  std::optional<std::pair<std::string, Format>> split = SplitFormat(file);
  if (!split) {
    return ErrorAnswer(NotFoundError("unknown Open311 resource '" + std::string(file.substr(0, 80)) +
                                     "'; name it with .xml or .json"),
                       Format::kXml);
  }
  *base = split->first;
  Call call;
  call.format = split->second;
  Result<Params> params = ReadParams(request, &call.uploads);
  if (!params.ok()) return ErrorAnswer(params.status(), call.format);
  call.params = std::move(*params);
  if (keyed) {
    int retry_after = 0;
    Result<service::ApiKey> k = CheckKey(s, call.params, &retry_after);
    if (!k.ok()) return ErrorAnswer(k.status(), call.format, retry_after);
    call.key = std::move(*k);
  }
  return call;
}

// Runs one endpoint (Begin, then `body`), errors rendered in the format asked for.
template <typename Body>
Response Run(Open311State& s, const Request& request, std::string_view file, bool keyed,
             std::string* base, Body body) {
  std::variant<Call, Response> begun = Begin(s, request, file, keyed, base);
  if (Response* answer = std::get_if<Response>(&begun)) return std::move(*answer);
  Call& call = std::get<Call>(begun);
  Result<Response> r = body(call.params, call.uploads, call.key ? &*call.key : nullptr,
                            call.format);
  if (!r.ok()) return ErrorAnswer(r.status(), call.format);
  return std::move(*r);
}

}  // namespace

Status RegisterOpen311Routes(Router& router, ApiServices& services,
                             service::Open311Options options,
                             service::ApiKeyOptions key_options) {
  auto state = std::make_shared<Open311State>(services, std::move(options), key_options);
  using Uploads = std::vector<Upload>;
  // Errors found before an endpoint runs (a body over the limit, a method the path does not
  // take, a timeout) in the spec's document too, JSON for .json paths and XML otherwise.
  router.SetErrorFormat("/open311/", [](std::string_view path, int status,
                                        std::string_view message) {
    return ErrorDocument(status, message, path.ends_with(".json") ? Format::kJson : Format::kXml);
  });

  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/open311/v2/{file}",
      [state](const Request& request, const RouteParams& p) {
        std::string base;
        std::string_view file = p.Get("file");
        return Run(*state, request, file, false, &base,
                   [&](const Params& params, const Uploads&, const service::ApiKey*,
                       Format format) -> Result<Response> {
                     if (base == "discovery") return Discovery(*state, request, format);
                     if (base == "services") return Services(*state, params, format);
                     if (base == "requests") {
                       return GetRequestsCached(*state, request, params, format);
                     }
                     if (base == "servicerequestupdates") {
                       return GetUpdates(*state, params, format);
                     }
                     return NotFoundError("unknown Open311 resource '" + base + "'");
                   });
      },
      "/open311/v2/{resource}"));
  CITYGRID_RETURN_IF_ERROR(router.AddAsync(
      Method::kPost, "/open311/v2/{file}",
      [state](const Request& request, const RouteParams& p, Responder respond) {
        std::string_view file = p.Get("file");
        std::optional<std::pair<std::string, Format>> split = SplitFormat(file);
        const bool known = split && (split->first == "requests" ||
                                     split->first == "servicerequestupdates");
        std::string base;
        std::variant<Call, Response> begun = Begin(*state, request, file, known, &base);
        if (Response* answer = std::get_if<Response>(&begun)) {
          respond(std::move(*answer));
          return;
        }
        Call& call = std::get<Call>(begun);
        if (base == "requests") {
          PostRequest(*state, *call.key, request, call.params, call.uploads, call.format,
                      std::move(respond));
          return;
        }
        if (base == "servicerequestupdates") {
          Result<Response> posted = PostUpdate(*state, *call.key, call.params, call.format);
          state->lists.UpdatePosted();  // its media document is written now
          respond(posted.ok() ? std::move(*posted) : ErrorAnswer(posted.status(), call.format));
          return;
        }
        respond(ErrorAnswer(NotFoundError("no Open311 resource '" + base + "' takes POST"),
                            call.format));
      },
      "/open311/v2/{resource}"));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/open311/v2/services/{file}",
      [state](const Request& request, const RouteParams& p) {
        std::string base;
        return Run(*state, request, p.Get("file"), false, &base,
                   [&](const Params& params, const Uploads&, const service::ApiKey*,
                       Format format) { return Definition(*state, params, base, format); });
      }));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/open311/v2/requests/{file}",
      [state](const Request& request, const RouteParams& p) {
        std::string base;
        return Run(*state, request, p.Get("file"), false, &base,
                   [&](const Params& params, const Uploads&, const service::ApiKey*,
                       Format format) { return GetRequest(*state, params, base, format); });
      }));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/open311/v2/tokens/{file}",
      [state](const Request& request, const RouteParams& p) {
        std::string base;
        return Run(*state, request, p.Get("file"), false, &base,
                   [&](const Params& params, const Uploads&, const service::ApiKey*,
                       Format format) { return GetToken(*state, params, base, format); });
      }));
  return Status::Ok();
}

}  // namespace citygrid::http
