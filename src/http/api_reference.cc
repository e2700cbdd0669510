// Reference data API (issue #5 items 4 and 8, plus users admin): geography as GeoJSON,
// categories, units, work calendar, routing rules and users. Reads are open to every signed-in
// role; writes (and the user list) are admin-only. Each write calls one ReferenceDataService /
// AuthService function, which validates, persists and swaps the snapshot; on error nothing
// changes and the status maps through error_mapping.h.
//
// Bodies of the catalog and calendar writes are the data-file formats (data/categories.json,
// data/calendar/office_hours.json, data/calendar/<year>.json) handed to the service as text, so
// a file that loads at start-up is exactly what the API accepts. GET /api/v1/categories answers
// in the same format, so GET → edit → PUT round-trips. PUT /api/v1/geography takes the service's
// geography document (ReferenceDataService::EncodeGeography), which GET /api/v1/geography/export
// returns.

#include <boost/json.hpp>

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "citygrid/common/time.h"
#include "citygrid/geo/coordinates.h"
#include "citygrid/geo/district.h"
#include "citygrid/http/api.h"
#include "citygrid/http/error_mapping.h"
#include "citygrid/service/geography_import.h"
#include "citygrid/storage/audit_chain.h"
#include "src/http/api_common.h"
#include "src/http/json_util.h"

namespace citygrid::http {
namespace {

namespace bj = boost::json;
using service::Principal;

// ---------------------------------------------------------------- auth

Result<Principal> RequireAdmin(ApiServices& services, const Request& request) {
  CITYGRID_ASSIGN_OR_RETURN(Principal who, Authenticate(services, request));
  if (who.role != Role::kAdmin) {
    return PermissionDeniedError("only an admin may do this; '" + who.username + "' is " +
                                 std::string(Name(who.role)));
  }
  return who;
}

// Wraps a handler body returning Result<Response> so that errors become JSON error responses.
template <typename F>
Handler Wrap(F body) {
  return [body = std::move(body)](const Request& req, const RouteParams& params) -> Response {
    Result<Response> r = body(req, params);
    if (!r.ok()) return ErrorResponse(r.status());
    return std::move(*r);
  };
}

Status Prefixed(const Status& status, std::string_view prefix) {
  if (status.ok()) return status;
  return Status(status.code(), std::string(prefix) + status.message());
}

// ---------------------------------------------------------------- geometry / GeoJSON

struct Box {
  double min_lon = std::numeric_limits<double>::infinity();
  double min_lat = std::numeric_limits<double>::infinity();
  double max_lon = -std::numeric_limits<double>::infinity();
  double max_lat = -std::numeric_limits<double>::infinity();

  bool empty() const { return min_lon > max_lon; }
  void Add(const geo::LonLat& p) {
    min_lon = std::min(min_lon, p.lon);
    min_lat = std::min(min_lat, p.lat);
    max_lon = std::max(max_lon, p.lon);
    max_lat = std::max(max_lat, p.lat);
  }
  void Add(const Box& b) {
    if (b.empty()) return;
    Add(geo::LonLat{b.min_lon, b.min_lat});
    Add(geo::LonLat{b.max_lon, b.max_lat});
  }
  bool Intersects(const Box& b) const {
    return !empty() && !b.empty() && min_lon <= b.max_lon && b.min_lon <= max_lon &&
           min_lat <= b.max_lat && b.min_lat <= max_lat;
  }
  bj::array ToJson() const { return bj::array{min_lon, min_lat, max_lon, max_lat}; }
};

Box BoxOf(const geo::MultiPolygon& area) {
  Box b;
  for (const auto& p : area) {
    for (const auto& pt : p.outer) b.Add(pt);
  }
  return b;
}

Box BoxOf(const geo::LineString& line) {
  Box b;
  for (const auto& pt : line) b.Add(pt);
  return b;
}

bj::array Coords(const std::vector<geo::LonLat>& points) {
  bj::array a;
  a.reserve(points.size());
  for (const auto& p : points) a.push_back(bj::array{p.lon, p.lat});
  return a;
}

bj::object MultiPolygonGeometry(const geo::MultiPolygon& area) {
  bj::array polys;
  for (const auto& p : area) {
    bj::array rings;
    rings.push_back(Coords(p.outer));
    for (const auto& h : p.holes) rings.push_back(Coords(h));
    polys.push_back(std::move(rings));
  }
  return bj::object{{"type", "MultiPolygon"}, {"coordinates", std::move(polys)}};
}

bj::object LineStringGeometry(const geo::LineString& line) {
  return bj::object{{"type", "LineString"}, {"coordinates", Coords(line)}};
}

bj::object Feature(std::string_view id, bj::object properties, bj::object geometry) {
  return bj::object{{"type", "Feature"},
                    {"id", id},
                    {"properties", std::move(properties)},
                    {"geometry", std::move(geometry)}};
}

// Parses "minlon,minlat,maxlon,maxlat".
Result<Box> ParseBbox(std::string_view text) {
  std::vector<double> v;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string_view part = text.substr(start, comma == std::string_view::npos ? text.npos
                                                                               : comma - start);
    double d = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), d);
    if (part.empty() || ec != std::errc() || ptr != part.data() + part.size() ||
        !std::isfinite(d)) {
      return InvalidArgumentError("query parameter 'bbox' must be minlon,minlat,maxlon,maxlat; '" +
                                  std::string(part.substr(0, 40)) + "' is not a number");
    }
    v.push_back(d);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (v.size() != 4) {
    return InvalidArgumentError("query parameter 'bbox' must have 4 numbers "
                                "(minlon,minlat,maxlon,maxlat), got " +
                                std::to_string(v.size()));
  }
  Box b{v[0], v[1], v[2], v[3]};
  if (b.min_lon < -180 || b.max_lon > 180 || b.min_lat < -90 || b.max_lat > 90) {
    return InvalidArgumentError("query parameter 'bbox' is outside lon [-180,180] / lat [-90,90]");
  }
  if (b.min_lon > b.max_lon || b.min_lat > b.max_lat) {
    return InvalidArgumentError("query parameter 'bbox' must have min <= max");
  }
  return b;
}

Result<std::shared_ptr<const geo::Geography>> CurrentGeography(ApiServices& services) {
  std::shared_ptr<const service::ReferenceData> data = services.reference.Get();
  if (!data->geography) return NotFoundError("no geography is loaded");
  // Keep the snapshot alive with the geography (aliasing constructor).
  return std::shared_ptr<const geo::Geography>(data, data->geography.get());
}

std::string ParentCode(std::string_view code, size_t length) {
  return std::string(code.substr(0, std::min(length, code.size())));
}

// Large, rarely changing answers (the grids layer is megabytes): an ETag from the body, so the
// console's browser revalidates (Cache-Control: no-cache) and gets 304 without the body.
Response Revalidated(const Request& req, Response r) {
  const std::string etag = "\"" + storage::Sha256Hex(r.body).substr(0, 32) + "\"";
  r.headers.Set("ETag", etag);
  r.headers.Set("Cache-Control", "private, no-cache");
  if (auto inm = req.headers.Get("If-None-Match"); inm) {
    std::string_view tags = *inm;
    if (tags == "*" || tags.find(etag) != std::string_view::npos) {
      r.status = 304;
      r.body.clear();
    }
  }
  return r;
}

Result<Response> GetLayer(ApiServices& services, const Request& req, std::string_view layer) {
  CITYGRID_ASSIGN_OR_RETURN(std::shared_ptr<const geo::Geography> g,
                            CurrentGeography(services));
  std::optional<Box> filter;
  if (std::optional<std::string_view> bbox = req.query.Get("bbox")) {
    CITYGRID_ASSIGN_OR_RETURN(filter, ParseBbox(*bbox));
  }
  bj::array features;
  Box total;
  auto add = [&](const Box& b, auto make) {
    if (filter && !b.Intersects(*filter)) return;
    total.Add(b);
    features.push_back(make());
  };
  if (layer == "subdistricts") {
    for (const auto& s : g->subdistricts) {
      add(BoxOf(s.area), [&] {
        return Feature(s.code,
                       bj::object{{"code", s.code}, {"name", s.name}, {"district", g->district.code}},
                       MultiPolygonGeometry(s.area));
      });
    }
  } else if (layer == "communities") {
    for (const auto& c : g->communities) {
      add(BoxOf(c.area), [&] {
        return Feature(c.code,
                       bj::object{{"code", c.code},
                                  {"name", c.name},
                                  {"subdistrict", ParentCode(c.code, 9)},
                                  {"district", g->district.code}},
                       MultiPolygonGeometry(c.area));
      });
    }
  } else if (layer == "grids") {
    for (const auto& gr : g->grids) {
      add(BoxOf(gr.area), [&] {
        return Feature(gr.code,
                       bj::object{{"code", gr.code},
                                  {"community", ParentCode(gr.code, 12)},
                                  {"subdistrict", ParentCode(gr.code, 9)},
                                  {"district", g->district.code}},
                       MultiPolygonGeometry(gr.area));
      });
    }
  } else if (layer == "roads") {
    for (const auto& r : g->roads) {
      add(BoxOf(r.line), [&] {
        return Feature(r.id,
                       bj::object{{"id", r.id},
                                  {"name", r.name},
                                  {"chief", bj::object{{"name", r.chief.name},
                                                       {"phone", r.chief.phone}}},
                                  {"unit", r.unit}},
                       LineStringGeometry(r.line));
      });
    }
  } else if (layer == "zones") {
    for (const auto& z : g->zones) {
      add(BoxOf(z.area), [&] {
        bj::array cats;
        for (const auto& c : z.categories) cats.push_back(bj::string(c));
        return Feature(z.id,
                       bj::object{{"id", z.id},
                                  {"name", z.name},
                                  {"unit", z.unit},
                                  {"categories", std::move(cats)}},
                       MultiPolygonGeometry(z.area));
      });
    }
  } else {
    return NotFoundError("unknown geography layer '" + std::string(layer.substr(0, 40)) +
                         "'; layers are subdistricts, communities, grids, roads, zones");
  }
  bj::object fc{{"type", "FeatureCollection"}};
  if (!total.empty()) fc["bbox"] = total.ToJson();
  fc["features"] = std::move(features);
  return json::JsonResponse(200, fc);
}

bj::object GeographySummary(const geo::Geography& g) {
  Box b = BoxOf(g.district.area);
  bj::object o{{"district", bj::object{{"code", g.district.code}, {"name", g.district.name}}},
               {"counts", bj::object{{"subdistricts", g.subdistricts.size()},
                                     {"communities", g.communities.size()},
                                     {"grids", g.grids.size()},
                                     {"roads", g.roads.size()},
                                     {"zones", g.zones.size()}}}};
  if (!b.empty()) o["bbox"] = b.ToJson();
  return o;
}

// ---------------------------------------------------------------- categories

bj::object DeadlineJson(const DeadlineRow& row) {
  return bj::object{{"condition", row.condition},
                    {"verify", row.verify.ToString()},
                    {"register", row.registration.ToString()},
                    {"dispatch", row.dispatch.ToString()},
                    {"handle", row.handle.ToString()},
                    {"check", row.check.ToString()}};
}

// One category in the data-file format (categories.json), every field explicit.
bj::object CategoryJson(const Category& c) {
  bj::array rows;
  for (const auto& row : c.deadlines) rows.push_back(DeadlineJson(row));
  bj::array attributes;
  for (const CategoryAttribute& a : c.attributes) {
    bj::array values;
    for (const AttributeValue& v : a.values) {
      values.push_back(bj::object{{"key", v.key}, {"name", v.name}});
    }
    attributes.push_back(bj::object{{"code", a.code},
                                    {"description", a.description},
                                    {"datatype", Name(a.datatype)},
                                    {"datatype_description", a.datatype_description},
                                    {"variable", a.variable},
                                    {"required", a.required},
                                    {"order", a.order},
                                    {"values", std::move(values)}});
  }
  return bj::object{{"code", c.code},
                    {"name", c.name},
                    {"name_en", c.name_en},
                    {"kind", Name(c.kind)},
                    {"register_standard", c.register_standard},
                    {"close_standard", c.close_standard},
                    {"unit_type", c.unit_type},
                    {"public", c.is_public},
                    {"deadlines", std::move(rows)},
                    {"attributes", std::move(attributes)}};
}

// ---------------------------------------------------------------- units

bj::object UnitJson(const service::Unit& u) {
  return bj::object{{"code", u.code},
                    {"name", u.name},
                    {"kind", service::Name(u.kind)},
                    {"type", u.type},
                    {"subdistrict", u.subdistrict}};
}

Result<service::Unit> ParseUnit(const Request& req, std::string_view code) {
  CITYGRID_ASSIGN_OR_RETURN(bj::value body, json::ParseBody(req.body));
  CITYGRID_ASSIGN_OR_RETURN(json::ObjectReader form, json::ObjectReader::Of(body));
  CITYGRID_RETURN_IF_ERROR(form.RejectUnknown({"code", "name", "kind", "type", "subdistrict"}));
  service::Unit u;
  u.code = std::string(code);
  CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> body_code, form.OptionalString("code"));
  if (body_code && *body_code != u.code) {
    return InvalidArgumentError("field 'code' is '" + body_code->substr(0, 40) +
                                "' but the path names unit '" + u.code + "'");
  }
  CITYGRID_ASSIGN_OR_RETURN(u.name, form.String("name", 200));
  CITYGRID_ASSIGN_OR_RETURN(std::string kind, form.String("kind", 40));
  Result<service::UnitKind> parsed_kind = service::ParseUnitKind(kind);
  if (!parsed_kind.ok()) return Prefixed(parsed_kind.status(), "field 'kind': ");
  u.kind = *parsed_kind;
  CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> type, form.OptionalString("type", 40));
  u.type = type.value_or(u.kind == service::UnitKind::kStreetOffice
                             ? std::string(service::kStreetOfficeType)
                             : std::string());
  CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> sub, form.OptionalString("subdistrict", 40));
  u.subdistrict = sub.value_or("");
  return u;
}

// ---------------------------------------------------------------- routing rules

bj::object RuleJson(const service::RoutingRule& r) {
  return bj::object{{"id", r.id},
                    {"category", r.category},
                    {"scope", service::Name(r.scope)},
                    {"scope_id", r.scope_id},
                    {"unit", r.unit}};
}

Result<service::RoutingRule> ParseRule(const bj::value& v) {
  CITYGRID_ASSIGN_OR_RETURN(json::ObjectReader form, json::ObjectReader::Of(v, "rule"));
  CITYGRID_RETURN_IF_ERROR(form.RejectUnknown({"id", "category", "scope", "scope_id", "unit"}));
  service::RoutingRule r;
  CITYGRID_ASSIGN_OR_RETURN(r.id, form.String("id", 64));
  CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> category, form.OptionalString("category", 16));
  r.category = category.value_or("");
  CITYGRID_ASSIGN_OR_RETURN(std::string scope, form.String("scope", 32));
  Result<service::RoutingScope> parsed = service::ParseRoutingScope(scope);
  if (!parsed.ok()) return Prefixed(parsed.status(), "field 'scope': ");
  r.scope = *parsed;
  CITYGRID_ASSIGN_OR_RETURN(r.scope_id, form.String("scope_id", 64));
  CITYGRID_ASSIGN_OR_RETURN(r.unit, form.String("unit", 64));
  return r;
}

Result<std::vector<service::RoutingRule>> ParseRules(const std::string& text) {
  CITYGRID_ASSIGN_OR_RETURN(bj::value body, json::ParseBody(text));
  const bj::array* items = nullptr;
  if (body.is_array()) {
    items = &body.get_array();
  } else {
    CITYGRID_ASSIGN_OR_RETURN(json::ObjectReader form, json::ObjectReader::Of(body));
    CITYGRID_RETURN_IF_ERROR(form.RejectUnknown({"rules"}));
    const bj::value* rules = form.object().if_contains("rules");
    if (rules == nullptr || !rules->is_array()) {
      return InvalidArgumentError("field 'rules' is required and must be an array");
    }
    items = &rules->get_array();
  }
  std::vector<service::RoutingRule> out;
  for (size_t i = 0; i < items->size(); ++i) {
    Result<service::RoutingRule> rule = ParseRule((*items)[i]);
    if (!rule.ok()) return Prefixed(rule.status(), "rules[" + std::to_string(i) + "]: ");
    out.push_back(std::move(*rule));
  }
  return out;
}

// ---------------------------------------------------------------- users

bj::object UserJson(const service::User& u) {
  return bj::object{{"username", u.username},
                    {"display_name", u.display_name},
                    {"role", Name(u.role)},
                    {"unit", u.unit},
                    {"disabled", u.disabled},
                    {"created_at", FormatIso8601(u.created_at)}};
}

// ---------------------------------------------------------------- settings

bj::object SettingsJson(const service::ReferenceData& data) {
  const service::ReferenceSettings& st = data.settings;
  bj::object o{{"road_distance_m", st.road_distance_m},
               {"duplicate_radius_m", st.duplicate_radius_m},
               {"duplicate_window_hours",
                std::chrono::duration<double, std::ratio<3600>>(st.duplicate_window).count()},
               {"tile_url", st.tile_url},
               {"tile_attribution", st.tile_attribution}};
  if (data.geography) {
    o["district"] = bj::object{{"code", data.geography->district.code},
                               {"name", data.geography->district.name}};
  } else {
    o["district"] = nullptr;
  }
  return o;
}

// A partial update: the fields present replace the current values; the rest stay.
Result<service::ReferenceSettings> ParseSettings(const Request& req,
                                                 service::ReferenceSettings current) {
  CITYGRID_ASSIGN_OR_RETURN(bj::value body, json::ParseBody(req.body));
  CITYGRID_ASSIGN_OR_RETURN(json::ObjectReader form, json::ObjectReader::Of(body));
  if (form.object().contains("district")) {
    return InvalidArgumentError("field 'district' is read-only here; the district's code and "
                                "name come from the geography (PUT /api/v1/geography)");
  }
  CITYGRID_RETURN_IF_ERROR(form.RejectUnknown({"road_distance_m", "duplicate_radius_m",
                                               "duplicate_window_hours", "tile_url",
                                               "tile_attribution"}));
  CITYGRID_ASSIGN_OR_RETURN(std::optional<double> road,
                            form.OptionalNumber("road_distance_m", 0.001, 1000));
  CITYGRID_ASSIGN_OR_RETURN(std::optional<double> radius,
                            form.OptionalNumber("duplicate_radius_m", 0.001, 10000));
  CITYGRID_ASSIGN_OR_RETURN(std::optional<double> window,
                            form.OptionalNumber("duplicate_window_hours", 0.001, 90 * 24));
  CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> tile_url,
                            form.OptionalString("tile_url", 500));
  CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> attribution,
                            form.OptionalString("tile_attribution", 200));
  if (road) current.road_distance_m = *road;
  if (radius) current.duplicate_radius_m = *radius;
  if (window) {
    current.duplicate_window = std::chrono::duration_cast<Duration>(
        std::chrono::duration<double, std::ratio<3600>>(*window));
  }
  if (tile_url) current.tile_url = *tile_url;
  if (attribution) current.tile_attribution = *attribution;
  return current;
}

// ---------------------------------------------------------------- calendar

std::string MonthDay(unsigned month, unsigned day) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02u-%02u", month % 100, day % 100);
  return buf;
}

std::string ClockText(int minute) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", (minute / 60) % 100, minute % 60);
  return buf;
}

bj::object OfficeHoursJson(const OfficeHours& hours) {
  bj::array timetables;
  for (const Timetable& t : hours.timetables()) {
    bj::array periods;
    for (const OfficePeriod& p : t.periods) {
      periods.push_back(bj::string(ClockText(p.start_minute) + "-" + ClockText(p.end_minute)));
    }
    timetables.push_back(bj::object{{"name", t.name},
                                    {"name_zh", t.name_zh},
                                    {"from", MonthDay(t.from_month, t.from_day)},
                                    {"periods", std::move(periods)}});
  }
  return bj::object{{"timetables", std::move(timetables)}};
}

Result<int> ParseYear(std::string_view text, std::string_view what) {
  int year = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), year);
  if (text.size() != 4 || ec != std::errc() || ptr != text.data() + text.size() ||
      year < WorkCalendar::kFirstYear || year > WorkCalendar::kLastYear) {
    return InvalidArgumentError(std::string(what) + " must be a year between " +
                                std::to_string(WorkCalendar::kFirstYear) + " and " +
                                std::to_string(WorkCalendar::kLastYear) + ", got '" +
                                std::string(text.substr(0, 20)) + "'");
  }
  return year;
}

Result<Response> GetCalendar(ApiServices& services, const Request& req) {
  int year = static_cast<int>(ToCivil(services.clock.Now()).date.year());
  if (std::optional<std::string_view> y = req.query.Get("year")) {
    CITYGRID_ASSIGN_OR_RETURN(year, ParseYear(*y, "query parameter 'year'"));
  }
  std::shared_ptr<const service::ReferenceData> data = services.reference.Get();
  const WorkCalendar& cal = *data->calendar;
  bj::array loaded;
  for (int y : cal.years()) loaded.push_back(y);
  bj::object o{{"year", year},
               {"covered", cal.CoversYear(year)},
               {"years", std::move(loaded)},
               {"office_hours", OfficeHoursJson(cal.office_hours())}};

  // The named holidays and adjusted working days come from the year's stored document (the
  // calendar keeps only the resulting day flags).
  bj::array holidays, adjusted;
  std::string source;
  Result<storage::Document> doc =
      services.store.documents().Get("calendar", std::to_string(year));
  if (!doc.ok() && doc.status().code() != StatusCode::kNotFound) return doc.status();
  if (doc.ok()) {
    CITYGRID_ASSIGN_OR_RETURN(HolidayYear hy, HolidayYear::Parse(doc->json, "calendar"));
    source = hy.source;
    for (const Holiday& h : hy.holidays) {
      holidays.push_back(bj::object{{"name", h.name},
                                    {"name_en", h.name_en},
                                    {"from", FormatDate(h.first)},
                                    {"to", FormatDate(h.last)},
                                    {"note", h.note}});
    }
    for (const AdjustedWorkingDay& d : hy.working_days) {
      adjusted.push_back(bj::object{{"date", FormatDate(d.date)}, {"note", d.note}});
    }
  }
  // Day counts of the year as the deadline arithmetic sees it.
  namespace chr = std::chrono;
  int working = 0, rest = 0;
  for (chr::sys_days d{chr::year{year} / 1 / 1}; d < chr::sys_days{chr::year{year + 1} / 1 / 1};
       d += chr::days{1}) {
    (cal.IsWorkingDay(chr::year_month_day{d}) ? working : rest)++;
  }
  o["source"] = source;
  o["holidays"] = std::move(holidays);
  o["working_days"] = std::move(adjusted);
  o["working_day_count"] = working;
  o["rest_day_count"] = rest;
  return json::JsonResponse(200, o);
}

}  // namespace

Status RegisterReferenceRoutes(Router& router, ApiServices& services) {
  ApiServices* s = &services;

  // ---- geography
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/api/v1/geography", Wrap([s](const Request& req, const RouteParams&) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(Authenticate(*s, req));
        CITYGRID_ASSIGN_OR_RETURN(std::shared_ptr<const geo::Geography> g, CurrentGeography(*s));
        return json::JsonResponse(200, GeographySummary(*g));
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/api/v1/geography/export",
      Wrap([s](const Request& req, const RouteParams&) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(Authenticate(*s, req));
        CITYGRID_ASSIGN_OR_RETURN(std::shared_ptr<const geo::Geography> g, CurrentGeography(*s));
        return Response::Json(200, service::ReferenceDataService::EncodeGeography(*g));
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/api/v1/geography/{layer}",
      Wrap([s](const Request& req, const RouteParams& p) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(Authenticate(*s, req));
        CITYGRID_ASSIGN_OR_RETURN(Response r, GetLayer(*s, req, p.Get("layer")));
        return Revalidated(req, std::move(r));
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kPut, "/api/v1/geography",
      Wrap([s](const Request& req, const RouteParams&) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(RequireAdmin(*s, req));
        CITYGRID_ASSIGN_OR_RETURN(bj::value body, json::ParseBody(req.body));
        // A GeoJSON FeatureCollection (or Feature / array of Features) is imported feature by
        // feature (service/geography_import.h); anything else is the geography document.
        const bj::object* top = body.if_object();
        const bj::value* type = top ? top->if_contains("type") : nullptr;
        const bool geojson = body.is_array() ||
                             (type && type->is_string() &&
                              (type->get_string() == "FeatureCollection" ||
                               type->get_string() == "Feature"));
        std::optional<std::string_view> crs_text = req.query.Get("crs");
        if (crs_text && !geojson) {
          return InvalidArgumentError("query parameter 'crs' applies to GeoJSON uploads only");
        }
        for (const auto& [name, value] : req.query) {
          if (name != "crs") {
            return InvalidArgumentError("unknown parameter '" + name.substr(0, 40) + "'");
          }
        }
        bj::array warnings;
        if (geojson) {
          geo::Crs crs = geo::Crs::kWgs84;
          if (crs_text) {
            std::optional<geo::Crs> parsed = geo::ParseCrs(*crs_text);
            if (!parsed) {
              return InvalidArgumentError("query parameter 'crs' must be wgs84, gcj02 or bd09, "
                                          "got '" + std::string(crs_text->substr(0, 20)) + "'");
            }
            crs = *parsed;
          }
          CITYGRID_ASSIGN_OR_RETURN(service::ImportedGeography imported,
                                    service::GeographyFromGeoJson(req.body, crs));
          for (const std::string& w : imported.warnings) warnings.push_back(bj::string(w));
          CITYGRID_RETURN_IF_ERROR(s->reference.SetGeography(std::move(imported.geography)));
        } else {
          CITYGRID_ASSIGN_OR_RETURN(geo::Geography g,
                                    service::ReferenceDataService::DecodeGeography(req.body));
          CITYGRID_RETURN_IF_ERROR(s->reference.SetGeography(std::move(g)));
        }
        CITYGRID_ASSIGN_OR_RETURN(std::shared_ptr<const geo::Geography> now, CurrentGeography(*s));
        bj::object summary = GeographySummary(*now);
        summary["warnings"] = std::move(warnings);
        return json::JsonResponse(200, summary);
      })));

  // ---- categories
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/api/v1/categories",
      Wrap([s](const Request& req, const RouteParams&) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(Authenticate(*s, req));
        std::shared_ptr<const service::ReferenceData> data = s->reference.Get();
        std::optional<std::string_view> major = req.query.Get("major");
        std::optional<bool> pub;
        if (auto text = req.query.Get("public"); text) {
          CITYGRID_ASSIGN_OR_RETURN(pub, ParseBoolParam("public", *text));
        }
        bj::array majors, cats;
        for (const MajorClass& m : data->categories->major_classes()) {
          if (major && m.code != *major) continue;
          majors.push_back(bj::object{
              {"code", m.code}, {"name", m.name}, {"name_en", m.name_en}, {"kind", Name(m.kind)}});
        }
        for (const Category& c : data->categories->categories()) {
          if (major && c.major_code() != *major) continue;
          if (pub && c.is_public != *pub) continue;
          cats.push_back(CategoryJson(c));
        }
        return json::JsonResponse(200, bj::object{{"version", 1},
                                                  {"major_classes", std::move(majors)},
                                                  {"categories", std::move(cats)}});
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/api/v1/categories/{code}",
      Wrap([s](const Request& req, const RouteParams& p) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(Authenticate(*s, req));
        std::shared_ptr<const service::ReferenceData> data = s->reference.Get();
        CITYGRID_ASSIGN_OR_RETURN(const Category* c, data->categories->Get(p.Get("code")));
        return json::JsonResponse(200, CategoryJson(*c));
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kPut, "/api/v1/categories",
      Wrap([s](const Request& req, const RouteParams&) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(RequireAdmin(*s, req));
        CITYGRID_RETURN_IF_ERROR(s->reference.SetCategories(req.body));
        std::shared_ptr<const service::ReferenceData> data = s->reference.Get();
        return json::JsonResponse(
            200, bj::object{{"major_classes", data->categories->major_classes().size()},
                            {"categories", data->categories->size()}});
      })));

  // ---- units
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/api/v1/units",
      Wrap([s](const Request& req, const RouteParams&) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(Authenticate(*s, req));
        bj::array units;
        for (const auto& u : s->reference.Get()->units) units.push_back(UnitJson(u));
        return json::JsonResponse(200, bj::object{{"units", std::move(units)}});
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/api/v1/units/{code}",
      Wrap([s](const Request& req, const RouteParams& p) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(Authenticate(*s, req));
        std::shared_ptr<const service::ReferenceData> data = s->reference.Get();
        const service::Unit* u = data->FindUnit(p.Get("code"));
        if (u == nullptr) return NotFoundError("unknown unit '" + std::string(p.Get("code")) + "'");
        return json::JsonResponse(200, UnitJson(*u));
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kPut, "/api/v1/units/{code}",
      Wrap([s](const Request& req, const RouteParams& p) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(RequireAdmin(*s, req));
        CITYGRID_ASSIGN_OR_RETURN(service::Unit u, ParseUnit(req, p.Get("code")));
        bool existed = s->reference.Get()->FindUnit(u.code) != nullptr;
        CITYGRID_RETURN_IF_ERROR(s->reference.PutUnit(u));
        return json::JsonResponse(existed ? 200 : 201, UnitJson(u));
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kDelete, "/api/v1/units/{code}",
      Wrap([s](const Request& req, const RouteParams& p) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(RequireAdmin(*s, req));
        Status deleted = s->reference.DeleteUnit(std::string(p.Get("code")));
        if (deleted.code() == StatusCode::kFailedPrecondition) {
          // A routing rule still names the unit: a conflict with current state, not bad input.
          return Response::Json(409, ErrorBody("failed_precondition", deleted.message()));
        }
        CITYGRID_RETURN_IF_ERROR(deleted);
        Response r;
        r.status = 204;
        return r;
      })));

  // ---- calendar
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/api/v1/calendar",
      Wrap([s](const Request& req, const RouteParams&) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(Authenticate(*s, req));
        return GetCalendar(*s, req);
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kPut, "/api/v1/calendar/office-hours",
      Wrap([s](const Request& req, const RouteParams&) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(RequireAdmin(*s, req));
        CITYGRID_RETURN_IF_ERROR(s->reference.SetOfficeHours(req.body));
        return json::JsonResponse(200, OfficeHoursJson(s->reference.Get()->calendar->office_hours()));
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kPut, "/api/v1/calendar/{year}",
      Wrap([s](const Request& req, const RouteParams& p) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(RequireAdmin(*s, req));
        CITYGRID_ASSIGN_OR_RETURN(int year, ParseYear(p.Get("year"), "path segment 'year'"));
        CITYGRID_ASSIGN_OR_RETURN(HolidayYear parsed, HolidayYear::Parse(req.body, "body"));
        if (parsed.year != year) {
          return InvalidArgumentError("body is the schedule of " + std::to_string(parsed.year) +
                                      ", but the path names " + std::to_string(year));
        }
        CITYGRID_RETURN_IF_ERROR(s->reference.PutHolidayYear(req.body));
        return json::JsonResponse(200, bj::object{{"year", year},
                                                  {"holidays", parsed.holidays.size()},
                                                  {"working_days", parsed.working_days.size()}});
      })));

  // ---- routing rules
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/api/v1/routing-rules",
      Wrap([s](const Request& req, const RouteParams&) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(Authenticate(*s, req));
        bj::array rules;
        for (const auto& r : s->reference.Get()->rules) rules.push_back(RuleJson(r));
        return json::JsonResponse(200, bj::object{{"rules", std::move(rules)}});
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kPut, "/api/v1/routing-rules",
      Wrap([s](const Request& req, const RouteParams&) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(RequireAdmin(*s, req));
        CITYGRID_ASSIGN_OR_RETURN(std::vector<service::RoutingRule> rules, ParseRules(req.body));
        CITYGRID_RETURN_IF_ERROR(s->reference.ReplaceRoutingRules(std::move(rules)));
        bj::array out;
        for (const auto& r : s->reference.Get()->rules) out.push_back(RuleJson(r));
        return json::JsonResponse(200, bj::object{{"rules", std::move(out)}});
      })));

  // ---- settings: read by every signed-in role (the console needs the tile URL), written by
  // an admin. The request body limit, listen address and threads are start-up options of
  // `citygrid serve`, not settings.
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/api/v1/settings",
      Wrap([s](const Request& req, const RouteParams&) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(Authenticate(*s, req));
        return json::JsonResponse(200, SettingsJson(*s->reference.Get()));
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kPut, "/api/v1/settings",
      Wrap([s](const Request& req, const RouteParams&) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(RequireAdmin(*s, req));
        CITYGRID_ASSIGN_OR_RETURN(service::ReferenceSettings next,
                                  ParseSettings(req, s->reference.Get()->settings));
        CITYGRID_RETURN_IF_ERROR(s->reference.SetSettings(next));
        return json::JsonResponse(200, SettingsJson(*s->reference.Get()));
      })));

  // ---- users
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/api/v1/users",
      Wrap([s](const Request& req, const RouteParams&) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(RequireAdmin(*s, req));
        CITYGRID_ASSIGN_OR_RETURN(std::vector<service::User> users, s->auth.ListUsers());
        bj::array out;
        for (const auto& u : users) out.push_back(UserJson(u));
        return json::JsonResponse(200, bj::object{{"users", std::move(out)}});
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kPost, "/api/v1/users",
      Wrap([s](const Request& req, const RouteParams&) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(RequireAdmin(*s, req));
        CITYGRID_ASSIGN_OR_RETURN(bj::value body, json::ParseBody(req.body));
        CITYGRID_ASSIGN_OR_RETURN(json::ObjectReader form, json::ObjectReader::Of(body));
        CITYGRID_RETURN_IF_ERROR(
            form.RejectUnknown({"username", "display_name", "role", "unit", "password"}));
        service::NewUser nu;
        CITYGRID_ASSIGN_OR_RETURN(nu.username, form.String("username", 64));
        CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> display,
                                  form.OptionalString("display_name", 200));
        nu.display_name = display.value_or("");
        CITYGRID_ASSIGN_OR_RETURN(std::string role, form.String("role", 32));
        Result<Role> parsed_role = ParseRole(role);
        if (!parsed_role.ok()) return Prefixed(parsed_role.status(), "field 'role': ");
        nu.role = *parsed_role;
        CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> unit, form.OptionalString("unit", 64));
        nu.unit = unit.value_or("");
        if (!nu.unit.empty() && s->reference.Get()->FindUnit(nu.unit) == nullptr) {
          return InvalidArgumentError("field 'unit': unknown unit '" + nu.unit + "'");
        }
        CITYGRID_ASSIGN_OR_RETURN(nu.password, form.String("password", 1024));
        CITYGRID_ASSIGN_OR_RETURN(service::User user, s->auth.AddUser(nu));
        return json::JsonResponse(201, UserJson(user));
      })));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kPut, "/api/v1/users/{username}",
      Wrap([s](const Request& req, const RouteParams& p) -> Result<Response> {
        CITYGRID_RETURN_IF_ERROR(RequireAdmin(*s, req));
        std::string username(p.Get("username"));
        CITYGRID_ASSIGN_OR_RETURN(bj::value body, json::ParseBody(req.body));
        CITYGRID_ASSIGN_OR_RETURN(json::ObjectReader form, json::ObjectReader::Of(body));
        CITYGRID_RETURN_IF_ERROR(form.RejectUnknown({"password", "disabled", "display_name"}));
        CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> password,
                                  form.OptionalString("password", 1024));
        CITYGRID_ASSIGN_OR_RETURN(std::optional<bool> disabled, form.OptionalBool("disabled"));
        CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> display_name,
                                  form.OptionalString("display_name", 200));
        if (!password && !disabled && !display_name) {
          return InvalidArgumentError("body must set 'password', 'disabled' or 'display_name'");
        }
        // Fail on an unknown user, a bad value or a refused change before changing anything.
        CITYGRID_RETURN_IF_ERROR(s->auth.GetUser(username));
        if (disabled && *disabled) CITYGRID_RETURN_IF_ERROR(s->auth.CheckCanDisable(username));
        if (display_name && display_name->empty()) {
          return InvalidArgumentError("field 'display_name' must not be empty");
        }
        if (password && password->size() < 8) {
          return InvalidArgumentError("field 'password' must be at least 8 characters");
        }
        if (display_name) {
          CITYGRID_RETURN_IF_ERROR(Prefixed(s->auth.SetDisplayName(username, *display_name),
                                            "field 'display_name': "));
        }
        if (password) CITYGRID_RETURN_IF_ERROR(s->auth.SetPassword(username, *password));
        if (disabled) CITYGRID_RETURN_IF_ERROR(s->auth.SetDisabled(username, *disabled));
        CITYGRID_ASSIGN_OR_RETURN(service::User user, s->auth.GetUser(username));
        return json::JsonResponse(200, UserJson(user));
      })));
  return OkStatus();
}

}  // namespace citygrid::http
