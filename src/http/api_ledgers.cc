// Ledgers API (issue #9): /api/v1/ledgers — definitions, rows, progress updates with history,
// roll-ups, campaign figures, CSV/XLSX export and import with a dry run, chain verification.
// Every handler authenticates, calls one LedgerService function and maps its Status through
// error_mapping.h (404 for a row the caller may not see, 403 for what its role or unit may not
// do, 409 for a stale version). Definitions travel in the stored JSON form
// (domain/ledger.h EncodeLedgerDefinition), so GET → edit → PUT round-trips.
//
// Decisions (also in docs/openapi.json and docs/ledgers.md):
//   - POST /api/v1/ledgers/{id}/import takes the file as the raw request body (text/csv or the
//     .xlsx bytes) with ?format=csv|xlsx (default: by Content-Type), ?dry_run=1 and
//     ?valid_rows_only=1; it answers 200 with the report whether or not rows were written, and
//     "applied" says which.
//   - Without a LedgerService (ApiServices::ledgers null) every route answers 503.

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>

#include "citygrid/common/utf8.h"
#include "citygrid/http/api.h"
#include "citygrid/http/error_mapping.h"
#include "citygrid/service/ledger_service.h"
#include "src/http/api_common.h"
#include "src/http/json_util.h"
#include "src/http/multipart.h"

namespace citygrid::http {
namespace {

namespace bj = boost::json;
using service::LedgerService;
using service::Principal;


constexpr std::string_view kXlsxType =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

template <typename F>
Handler Wrap(ApiServices& services, F body) {
  return [&services, body = std::move(body)](const Request& req, const RouteParams& params) -> Response {
    if (services.ledgers == nullptr) {
      return ErrorResponse(UnavailableError("ledgers are not available on this server"));
    }
    Result<Principal> who = Authenticate(services, req);
    if (!who.ok()) return ErrorResponse(who.status());
    Result<Response> r = body(*services.ledgers, who->ToActor(), req, params);
    if (!r.ok()) return ErrorResponse(r.status());
    return std::move(*r);
  };
}

bj::value ParseJsonText(const std::string& text) { return bj::parse(text); }

std::string OptDate(const std::optional<std::chrono::year_month_day>& d) {
  return d ? FormatDate(*d) : "";
}

bj::object RowJson(const service::LedgerRowView& v) {
  const LedgerRow& r = v.row;
  bj::object o = ParseJsonText(EncodeLedgerRow(r)).as_object();
  o["state_name"] = ChineseName(r.state);
  o["effective_deadline"] = OptDate(v.effective_deadline);
  o["behind"] = v.behind;
  o["overdue"] = v.overdue;
  return o;
}

bj::object EventJson(const LedgerEvent& e) {
  bj::object o;
  o["version"] = e.version;
  o["seq"] = e.seq;
  o["type"] = Name(e.type);
  o["actor"] = bj::object{{"user", e.actor.user}, {"role", Name(e.actor.role)}, {"unit", e.actor.unit}};
  o["at"] = FormatIso8601(e.at);
  o["note"] = e.note;
  bj::array photos;
  for (const auto& p : e.photos) photos.emplace_back(p);
  o["photos"] = std::move(photos);
  boost::system::error_code ec;
  bj::value payload = bj::parse(e.payload_json, ec);
  o["changes"] = ec ? bj::value(e.payload_json) : payload;
  o["prev_hash"] = e.prev_hash;
  o["hash"] = e.hash;
  return o;
}

bj::object GroupJson(const service::LedgerGroup& g) {
  bj::object o;
  o["key"] = g.key;
  o["label"] = g.label;
  o["rows"] = g.rows;
  bj::object by_state;
  for (int i = 0; i < kLedgerRowStateCount; ++i) {
    by_state[Name(static_cast<LedgerRowState>(i))] = g.by_state[i];
  }
  o["by_state"] = std::move(by_state);
  o["completed"] = g.completed;
  o["behind"] = g.behind;
  o["overdue"] = g.overdue;
  o["completion_rate"] = g.rows > 0 ? static_cast<double>(g.completed) / static_cast<double>(g.rows) : 0.0;
  o["progress_avg"] = g.progress_avg;
  if (g.deadline) o["deadline"] = FormatDate(*g.deadline);
  bj::object sums;
  for (const auto& [k, v] : g.sums) sums[k] = v;
  o["sums"] = std::move(sums);
  return o;
}

bj::array FiguresJson(const std::vector<service::CampaignFigure>& figures) {
  bj::array a;
  for (const auto& f : figures) {
    bj::object o{{"name", f.name}, {"value", f.value}};
    if (f.target) {
      o["target"] = *f.target;
      o["at_most"] = f.at_most;
      o["met"] = *f.met;
    }
    a.push_back(std::move(o));
  }
  return a;
}

Result<std::optional<std::chrono::year_month_day>> OptionalDateField(const json::ObjectReader& r,
                                                                     std::string_view key) {
  CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> text, r.OptionalString(key, 32));
  if (!text || text->empty()) return std::optional<std::chrono::year_month_day>();
  Result<std::chrono::year_month_day> d = ParseDate(*text);
  if (!d.ok()) return InvalidArgumentError("field '" + std::string(key) + "': " + d.status().message());
  return std::optional<std::chrono::year_month_day>(*d);
}

Result<std::map<std::string, std::string>> ValuesField(const json::ObjectReader& r) {
  std::map<std::string, std::string> out;
  if (!r.Has("values")) return out;
  const bj::value& v = r.object().at("values");
  if (!v.is_object()) return InvalidArgumentError("field 'values' must be an object of column key → value");
  for (const auto& kv : v.as_object()) {
    const bj::value& x = kv.value();
    if (x.is_string()) {
      out[std::string(kv.key())] = std::string(x.as_string());
    } else if (x.is_number()) {
      out[std::string(kv.key())] = bj::serialize(x);
    } else if (x.is_null()) {
      out[std::string(kv.key())] = "";
    } else if (x.is_array()) {
      std::string joined;
      for (const bj::value& e : x.as_array()) {
        if (!e.is_string()) return InvalidArgumentError("field 'values." + std::string(kv.key()) + "' must hold strings");
        joined += (joined.empty() ? "" : ";") + std::string(e.as_string());
      }
      out[std::string(kv.key())] = joined;
    } else {
      return InvalidArgumentError("field 'values." + std::string(kv.key()) + "' must be a string, number, array or null");
    }
  }
  return out;
}

Result<std::optional<LedgerRowState>> StateField(const json::ObjectReader& r) {
  CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> s, r.OptionalString("state", 32));
  if (!s) return std::optional<LedgerRowState>();
  Result<LedgerRowState> state = ParseLedgerRowState(*s);
  if (!state.ok()) return InvalidArgumentError("field 'state': " + state.status().message());
  return std::optional<LedgerRowState>(*state);
}

Status RejectUnknownQuery(const Request& req, std::initializer_list<std::string_view> known) {
  for (const auto& [k, v] : req.query) {
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      return InvalidArgumentError("unknown query parameter '" + k + "'");
    }
  }
  return OkStatus();
}

// A non-negative integer query parameter (`fallback` when absent); kInvalidArgument naming it.
Result<size_t> QueryCount(const Request& req, std::string_view key, size_t fallback, size_t min) {
  std::optional<std::string_view> v = req.query.Get(key);
  if (!v || v->empty()) return fallback;
  size_t n = 0;
  for (char c : *v) {
    if (c < '0' || c > '9' || n > 100'000'000) {
      return InvalidArgumentError("query parameter '" + std::string(key) + "' must be a whole number, got '" +
                                  std::string(*v) + "'");
    }
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  if (n < min) {
    return InvalidArgumentError("query parameter '" + std::string(key) + "' must be at least " + std::to_string(min));
  }
  return n;
}

}  // namespace

Status RegisterLedgerRoutes(Router& router, ApiServices& services) {
  using service::LedgerRowView;
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/api/v1/ledgers",
      Wrap(services, [](LedgerService& ledgers, const Actor& actor, const Request&,
                        const RouteParams&) -> Result<Response> {
        CITYGRID_ASSIGN_OR_RETURN(std::vector<LedgerDefinition> list, ledgers.ListLedgers(actor));
        bj::array items;
        for (const LedgerDefinition& d : list) items.push_back(ParseJsonText(EncodeLedgerDefinition(d)));
        return json::JsonResponse(200, bj::object{{"ledgers", std::move(items)}});
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kPost, "/api/v1/ledgers",
      Wrap(services, [](LedgerService& ledgers, const Actor& actor, const Request& req,
                        const RouteParams&) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(json::ParseBody(req.body));
        CITYGRID_ASSIGN_OR_RETURN(LedgerDefinition d, DecodeLedgerDefinition(req.body));
        CITYGRID_ASSIGN_OR_RETURN(LedgerDefinition created, ledgers.CreateLedger(actor, std::move(d)));
        return json::JsonResponse(201, ParseJsonText(EncodeLedgerDefinition(created)));
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/api/v1/ledgers/{id}",
      Wrap(services, [](LedgerService& ledgers, const Actor& actor, const Request&,
                        const RouteParams& p) -> Result<Response> {
        CITYGRID_ASSIGN_OR_RETURN(LedgerDefinition d, ledgers.GetLedger(actor, std::string(p.Get("id"))));
        return json::JsonResponse(200, ParseJsonText(EncodeLedgerDefinition(d)));
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kPut, "/api/v1/ledgers/{id}",
      Wrap(services, [](LedgerService& ledgers, const Actor& actor, const Request& req,
                        const RouteParams& p) -> Result<Response> {
        CITYGRID_ASSIGN_OR_RETURN(bj::value body, json::ParseBody(req.body));
        CITYGRID_ASSIGN_OR_RETURN(json::ObjectReader form, json::ObjectReader::Of(body));
        CITYGRID_ASSIGN_OR_RETURN(int64_t version, form.Integer("version", 1, INT64_MAX));
        CITYGRID_ASSIGN_OR_RETURN(LedgerDefinition d, DecodeLedgerDefinition(req.body));
        if (!d.id.empty() && d.id != p.Get("id")) {
          return InvalidArgumentError("field 'id' is '" + std::string(Utf8Prefix(d.id, 80)) +
                                      "' but the path names ledger '" + std::string(p.Get("id")) +
                                      "'; a ledger's id cannot change");
        }
        CITYGRID_ASSIGN_OR_RETURN(LedgerDefinition updated,
                                  ledgers.UpdateLedger(actor, std::string(p.Get("id")), version, std::move(d)));
        return json::JsonResponse(200, ParseJsonText(EncodeLedgerDefinition(updated)));
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/api/v1/ledgers/{id}/rows",
      Wrap(services, [](LedgerService& ledgers, const Actor& actor, const Request& req,
                        const RouteParams& p) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(
            RejectUnknownQuery(req, {"unit", "batch", "subdistrict", "state", "behind", "q", "offset", "limit"}));
        CITYGRID_ASSIGN_OR_RETURN(size_t offset, QueryCount(req, "offset", 0, 0));
        CITYGRID_ASSIGN_OR_RETURN(size_t limit, QueryCount(req, "limit", 0, 1));
        service::LedgerRowFilter f;
        f.unit = std::string(req.query.Get("unit").value_or(""));
        f.batch = std::string(req.query.Get("batch").value_or(""));
        f.subdistrict = std::string(req.query.Get("subdistrict").value_or(""));
        f.text = std::string(req.query.Get("q").value_or(""));
        if (auto s = req.query.Get("state"); s && !s->empty()) {
          if (*s == "behind" || *s == "滞后") {
            f.behind = true;
          } else {
            Result<LedgerRowState> state = ParseLedgerRowState(*s);
            if (!state.ok()) return InvalidArgumentError("query parameter 'state': " + state.status().message());
            f.state = *state;
          }
        }
        if (auto b = req.query.Get("behind"); b) {
          CITYGRID_ASSIGN_OR_RETURN(f.behind, ParseBoolParam("behind", *b));
        }
        CITYGRID_ASSIGN_OR_RETURN(std::vector<LedgerRowView> rows,
                                  ledgers.ListRows(actor, std::string(p.Get("id")), f));
        bj::array items;
        const size_t end = limit == 0 ? rows.size() : std::min(rows.size(), offset + limit);
        for (size_t i = offset; i < end; ++i) items.push_back(RowJson(rows[i]));
        return json::JsonResponse(200, bj::object{{"rows", std::move(items)}, {"count", rows.size()},
                                                  {"offset", offset}});
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kPost, "/api/v1/ledgers/{id}/rows",
      Wrap(services, [](LedgerService& ledgers, const Actor& actor, const Request& req,
                        const RouteParams& p) -> Result<Response> {
        CITYGRID_ASSIGN_OR_RETURN(bj::value body, json::ParseBody(req.body));
        CITYGRID_ASSIGN_OR_RETURN(json::ObjectReader form, json::ObjectReader::Of(body));
        CITYGRID_RETURN_IF_ERROR(form.RejectUnknown({"key", "title", "unit", "subdistrict", "batch", "deadline",
                                                     "state", "progress", "values", "note", "photos"}));
        service::NewLedgerRow row;
        CITYGRID_ASSIGN_OR_RETURN(auto key, form.OptionalString("key", 64));
        row.key = key.value_or("");
        CITYGRID_ASSIGN_OR_RETURN(auto title, form.OptionalString("title", 300));
        row.title = title.value_or("");
        CITYGRID_ASSIGN_OR_RETURN(row.unit, form.String("unit", 64));
        CITYGRID_ASSIGN_OR_RETURN(auto sd, form.OptionalString("subdistrict", 64));
        row.subdistrict = sd.value_or("");
        CITYGRID_ASSIGN_OR_RETURN(auto batch, form.OptionalString("batch", 100));
        row.batch = batch.value_or("");
        CITYGRID_ASSIGN_OR_RETURN(row.deadline, OptionalDateField(form, "deadline"));
        CITYGRID_ASSIGN_OR_RETURN(auto state, StateField(form));
        row.state = state.value_or(LedgerRowState::kNotStarted);
        CITYGRID_ASSIGN_OR_RETURN(auto progress, form.OptionalNumber("progress", 0, 100));
        row.progress = progress.value_or(0);
        CITYGRID_ASSIGN_OR_RETURN(row.values, ValuesField(form));
        CITYGRID_ASSIGN_OR_RETURN(auto note, form.OptionalString("note", 2000));
        row.note = note.value_or("");
        if (form.Has("photos")) {
          CITYGRID_ASSIGN_OR_RETURN(row.photos, form.StringArray("photos", 9));
        }
        CITYGRID_ASSIGN_OR_RETURN(LedgerRowView v, ledgers.AddRow(actor, std::string(p.Get("id")), std::move(row)));
        return json::JsonResponse(201, RowJson(v));
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/api/v1/ledgers/{id}/rows/{key}",
      Wrap(services, [](LedgerService& ledgers, const Actor& actor, const Request&,
                        const RouteParams& p) -> Result<Response> {
        const std::string id(p.Get("id")), key(p.Get("key"));
        CITYGRID_ASSIGN_OR_RETURN(LedgerRowView v, ledgers.GetRow(actor, id, key));
        CITYGRID_ASSIGN_OR_RETURN(std::vector<LedgerEvent> history, ledgers.RowHistory(actor, id, key));
        bj::object o = RowJson(v);
        bj::array events;
        for (const LedgerEvent& e : history) events.push_back(EventJson(e));
        o["history"] = std::move(events);
        return json::JsonResponse(200, o);
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/api/v1/ledgers/{id}/rows/{key}/history",
      Wrap(services, [](LedgerService& ledgers, const Actor& actor, const Request&,
                        const RouteParams& p) -> Result<Response> {
        CITYGRID_ASSIGN_OR_RETURN(std::vector<LedgerEvent> history,
                                  ledgers.RowHistory(actor, std::string(p.Get("id")), std::string(p.Get("key"))));
        bj::array events;
        for (const LedgerEvent& e : history) events.push_back(EventJson(e));
        return json::JsonResponse(200, bj::object{{"events", std::move(events)}});
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kPost, "/api/v1/ledgers/{id}/rows/{key}/progress",
      Wrap(services, [](LedgerService& ledgers, const Actor& actor, const Request& req,
                        const RouteParams& p) -> Result<Response> {
        CITYGRID_ASSIGN_OR_RETURN(bj::value body, json::ParseBody(req.body));
        CITYGRID_ASSIGN_OR_RETURN(json::ObjectReader form, json::ObjectReader::Of(body));
        CITYGRID_RETURN_IF_ERROR(form.RejectUnknown({"expected_version", "state", "progress", "values", "note",
                                                     "photos", "title", "unit", "subdistrict", "batch",
                                                     "deadline"}));
        service::LedgerRowUpdate u;
        CITYGRID_ASSIGN_OR_RETURN(u.expected_version, form.Integer("expected_version", 1, INT64_MAX));
        CITYGRID_ASSIGN_OR_RETURN(u.state, StateField(form));
        CITYGRID_ASSIGN_OR_RETURN(u.progress, form.OptionalNumber("progress", 0, 100));
        CITYGRID_ASSIGN_OR_RETURN(u.values, ValuesField(form));
        CITYGRID_ASSIGN_OR_RETURN(auto note, form.OptionalString("note", 2000));
        u.note = note.value_or("");
        if (form.Has("photos")) {
          CITYGRID_ASSIGN_OR_RETURN(u.photos, form.StringArray("photos", 9));
        }
        CITYGRID_ASSIGN_OR_RETURN(u.title, form.OptionalString("title", 300));
        CITYGRID_ASSIGN_OR_RETURN(u.unit, form.OptionalString("unit", 64));
        CITYGRID_ASSIGN_OR_RETURN(u.subdistrict, form.OptionalString("subdistrict", 64));
        CITYGRID_ASSIGN_OR_RETURN(u.batch, form.OptionalString("batch", 100));
        if (form.object().contains("deadline")) {
          CITYGRID_ASSIGN_OR_RETURN(auto deadline, OptionalDateField(form, "deadline"));
          u.deadline = deadline;
        }
        CITYGRID_ASSIGN_OR_RETURN(LedgerRowView v, ledgers.UpdateRow(actor, std::string(p.Get("id")),
                                                                     std::string(p.Get("key")), u));
        return json::JsonResponse(200, RowJson(v));
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kPost, "/api/v1/ledgers/{id}/rows/{key}/photos",
      Wrap(services, [&services](LedgerService& ledgers, const Actor& actor, const Request& req,
                                 const RouteParams& p) -> Result<Response> {
        std::string content_type(req.headers.Get("Content-Type").value_or(""));
        std::string lower;
        for (char c : content_type) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::vector<std::string> names, images;
        if (lower.rfind("multipart/form-data", 0) == 0) {
          CITYGRID_ASSIGN_OR_RETURN(std::vector<MultipartPart> parts, ParseMultipart(content_type, req.body));
          for (size_t i = 0; i < parts.size(); ++i) {
            names.push_back(parts[i].filename.empty() ? "part " + std::to_string(i + 1) : parts[i].filename);
            images.push_back(std::move(parts[i].bytes));
          }
        } else if (lower.rfind("image/", 0) == 0) {
          names.push_back("body");
          images.push_back(req.body);
        } else {
          return Response::Json(415, ErrorBody("unsupported_media_type",
                                               "photos must be sent as multipart/form-data or an image/* body, "
                                               "got Content-Type '" + content_type + "'"));
        }
        for (size_t i = 0; i < images.size(); ++i) {
          if (images[i].size() > services.max_photo_bytes) {
            Response r = PayloadTooLargeResponse(services.max_photo_bytes);
            r.body = ErrorBody("resource_exhausted", "photo '" + names[i] + "' is " +
                                                         std::to_string(images[i].size()) +
                                                         " bytes, over the limit of " +
                                                         std::to_string(services.max_photo_bytes));
            return r;
          }
        }
        CITYGRID_ASSIGN_OR_RETURN(std::vector<std::string> hashes,
                                  ledgers.StorePhotos(actor, std::string(p.Get("id")), std::string(p.Get("key")),
                                                      names, images));
        bj::array a;
        for (const std::string& h : hashes) a.emplace_back(h);
        return json::JsonResponse(201, bj::object{{"photos", std::move(a)}});
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/api/v1/ledgers/{id}/summary",
      Wrap(services, [](LedgerService& ledgers, const Actor& actor, const Request& req,
                        const RouteParams& p) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(RejectUnknownQuery(req, {"group_by"}));
        CITYGRID_ASSIGN_OR_RETURN(service::LedgerGroupBy g,
                                  service::ParseLedgerGroupBy(req.query.Get("group_by").value_or("state")));
        CITYGRID_ASSIGN_OR_RETURN(service::LedgerSummary s, ledgers.Summarize(actor, std::string(p.Get("id")), g));
        bj::object o;
        o["group_by"] = Name(s.group_by);
        o["as_of"] = FormatIso8601(s.as_of);
        o["total"] = GroupJson(s.total);
        bj::array groups;
        for (const auto& grp : s.groups) groups.push_back(GroupJson(grp));
        o["groups"] = std::move(groups);
        bj::array overdue;
        for (const auto& v : s.overdue_rows) {
          overdue.push_back(bj::object{{"key", v.row.key},
                                       {"title", v.row.title},
                                       {"unit", v.row.unit},
                                       {"batch", v.row.batch},
                                       {"state", Name(v.row.state)},
                                       {"progress", v.row.progress},
                                       {"deadline", OptDate(v.effective_deadline)}});
        }
        o["overdue_rows"] = std::move(overdue);
        bj::array curve;
        for (const auto& pt : s.curve) {
          curve.push_back(bj::object{{"date", FormatDate(pt.day)}, {"completed", pt.completed}, {"cumulative", pt.cumulative}});
        }
        o["completion_curve"] = std::move(curve);
        return json::JsonResponse(200, o);
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/api/v1/ledgers/{id}/campaign",
      Wrap(services, [](LedgerService& ledgers, const Actor& actor, const Request&,
                        const RouteParams& p) -> Result<Response> {
        CITYGRID_ASSIGN_OR_RETURN(service::CampaignReport r, ledgers.Campaign(actor, std::string(p.Get("id"))));
        bj::object o;
        o["as_of"] = FormatIso8601(r.as_of);
        o["from"] = FormatIso8601(r.scope.from);
        o["to"] = FormatIso8601(r.scope.to);
        o["figures"] = FiguresJson(r.figures);
        auto groups = [](const std::vector<service::CampaignGroup>& gs) {
          bj::array a;
          for (const auto& g : gs) a.push_back(bj::object{{"key", g.key}, {"label", g.label}, {"figures", FiguresJson(g.figures)}});
          return a;
        };
        o["by_category"] = groups(r.by_category);
        o["by_subdistrict"] = groups(r.by_subdistrict);
        return json::JsonResponse(200, o);
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/api/v1/ledgers/{id}/export",
      Wrap(services, [](LedgerService& ledgers, const Actor& actor, const Request& req,
                        const RouteParams& p) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(RejectUnknownQuery(req, {"format"}));
        const std::string id(p.Get("id"));
        CITYGRID_ASSIGN_OR_RETURN(service::LedgerFileFormat format,
                                  service::ParseLedgerFileFormat(req.query.Get("format").value_or("csv")));
        Response r;
        if (format == service::LedgerFileFormat::kCsv) {
          CITYGRID_ASSIGN_OR_RETURN(r.body, ledgers.ExportCsv(actor, id));
          r.content_type = "text/csv; charset=utf-8";
          r.headers.Set("Content-Disposition", "attachment; filename=\"" + id + ".csv\"");
        } else {
          CITYGRID_ASSIGN_OR_RETURN(r.body, ledgers.ExportXlsx(actor, id));
          r.content_type = std::string(kXlsxType);
          r.headers.Set("Content-Disposition", "attachment; filename=\"" + id + ".xlsx\"");
        }
        return r;
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kPost, "/api/v1/ledgers/{id}/import",
      Wrap(services, [](LedgerService& ledgers, const Actor& actor, const Request& req,
                        const RouteParams& p) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(RejectUnknownQuery(req, {"format", "dry_run", "valid_rows_only"}));
        service::LedgerImportOptions options;
        std::optional<std::string_view> format = req.query.Get("format");
        std::string type(req.headers.Get("Content-Type").value_or(""));
        if (format) {
          CITYGRID_ASSIGN_OR_RETURN(options.format, service::ParseLedgerFileFormat(*format));
        } else {
          options.format = type.find("spreadsheetml") != std::string::npos ? service::LedgerFileFormat::kXlsx
                                                                          : service::LedgerFileFormat::kCsv;
        }
        if (auto b = req.query.Get("dry_run"); b) {
          CITYGRID_ASSIGN_OR_RETURN(options.dry_run, ParseBoolParam("dry_run", *b));
        }
        if (auto b = req.query.Get("valid_rows_only"); b) {
          CITYGRID_ASSIGN_OR_RETURN(options.valid_rows_only, ParseBoolParam("valid_rows_only", *b));
        }
        CITYGRID_ASSIGN_OR_RETURN(service::LedgerImportReport rep,
                                  ledgers.Import(actor, std::string(p.Get("id")), req.body, options));
        bj::object o;
        o["dry_run"] = options.dry_run;
        o["valid_rows_only"] = options.valid_rows_only;
        o["applied"] = rep.applied;
        o["rows_read"] = rep.rows_read;
        o["rows_valid"] = rep.rows_valid;
        o["rows_created"] = rep.rows_created;
        o["rows_updated"] = rep.rows_updated;
        o["rows_unchanged"] = rep.rows_unchanged;
        bj::array errors;
        for (const auto& e : rep.errors) {
          bj::array args;
          for (const std::string& a : e.reason.args) args.emplace_back(a);
          errors.push_back(bj::object{{"row", e.row},
                                      {"column", e.column},
                                      {"cell", e.cell},
                                      {"value", e.value},
                                      {"reason", e.reason.Text()},
                                      {"reason_code", e.reason.code},
                                      {"reason_args", std::move(args)}});
        }
        o["errors"] = std::move(errors);
        return json::JsonResponse(200, o);
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/api/v1/ledgers/{id}/verify",
      Wrap(services, [](LedgerService& ledgers, const Actor& actor, const Request&,
                        const RouteParams& p) -> Result<Response> {
        CITYGRID_ASSIGN_OR_RETURN(storage::LedgerChainReport r, ledgers.VerifyChains(actor, std::string(p.Get("id"))));
        bj::object o{{"ok", r.ok()}, {"events_checked", r.events_checked}, {"rows_seen", r.rows_seen}};
        if (!r.ok()) o["first_break"] = r.first_break->ToString();
        return json::JsonResponse(200, o);
      })));
  return OkStatus();
}

}  // namespace citygrid::http
