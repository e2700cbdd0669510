#include "citygrid/service/reference_data.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <stdexcept>

namespace citygrid::service {
namespace {

namespace json = boost::json;

constexpr char kUnitKind[] = "unit";
constexpr char kRuleKind[] = "routing_rule";
constexpr char kGeographyKind[] = "geography";
constexpr char kCategoryKind[] = "category";
constexpr char kCalendarKind[] = "calendar";
constexpr char kSettingKind[] = "setting";
constexpr char kGeographyKey[] = "current";
constexpr char kCatalogKey[] = "catalog";
constexpr char kOfficeHoursKey[] = "office_hours";
constexpr char kSettingsKey[] = "reference";

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

bool AllDigits(std::string_view s, size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// ---- JSON helpers (throwing inside; the callers wrap them) ----

std::string Str(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return "";
  return std::string(it->value().as_string());
}

json::array EncodeRing(const geo::Ring& ring) {
  json::array a;
  a.reserve(ring.size());
  for (const geo::LonLat& p : ring) a.push_back(json::array{p.lon, p.lat});
  return a;
}

json::array EncodeLine(const geo::LineString& line) { return EncodeRing(line); }

json::array EncodeArea(const geo::MultiPolygon& area) {
  json::array polygons;
  for (const geo::Polygon& polygon : area) {
    json::array rings;
    rings.push_back(EncodeRing(polygon.outer));
    for (const geo::Ring& hole : polygon.holes) rings.push_back(EncodeRing(hole));
    polygons.push_back(std::move(rings));
  }
  return polygons;
}

geo::Ring DecodeRing(const json::value& v) {
  geo::Ring ring;
  const json::array& a = v.as_array();
  ring.reserve(a.size());
  for (const json::value& p : a) {
    const json::array& xy = p.as_array();
    if (xy.size() != 2) throw std::invalid_argument("a point must be [lon, lat]");
    ring.push_back({xy[0].to_number<double>(), xy[1].to_number<double>()});
  }
  return ring;
}

geo::MultiPolygon DecodeArea(const json::value& v) {
  geo::MultiPolygon area;
  for (const json::value& pv : v.as_array()) {
    const json::array& rings = pv.as_array();
    if (rings.empty()) throw std::invalid_argument("a polygon needs an outer ring");
    geo::Polygon polygon;
    polygon.outer = DecodeRing(rings[0]);
    for (size_t i = 1; i < rings.size(); ++i) polygon.holes.push_back(DecodeRing(rings[i]));
    area.push_back(std::move(polygon));
  }
  return area;
}

json::object EncodeUnit(const Unit& u) {
  return json::object{{"code", u.code},
                      {"name", u.name},
                      {"kind", Name(u.kind)},
                      {"type", u.type},
                      {"subdistrict", u.subdistrict}};
}

Result<Unit> DecodeUnit(const std::string& text) {
  try {
    const json::value parsed = json::parse(text);
    const json::object& o = parsed.as_object();
    Unit u;
    u.code = Str(o, "code");
    u.name = Str(o, "name");
    CITYGRID_ASSIGN_OR_RETURN(u.kind, ParseUnitKind(Str(o, "kind")));
    u.type = Str(o, "type");
    u.subdistrict = Str(o, "subdistrict");
    return u;
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("unit document: ") + e.what());
  }
}

json::object EncodeRule(const RoutingRule& r) {
  return json::object{{"id", r.id},
                      {"category", r.category},
                      {"scope", Name(r.scope)},
                      {"scope_id", r.scope_id},
                      {"unit", r.unit}};
}

Result<RoutingRule> DecodeRule(const std::string& text) {
  try {
    const json::value parsed = json::parse(text);
    const json::object& o = parsed.as_object();
    RoutingRule r;
    r.id = Str(o, "id");
    r.category = Str(o, "category");
    CITYGRID_ASSIGN_OR_RETURN(r.scope, ParseRoutingScope(Str(o, "scope")));
    r.scope_id = Str(o, "scope_id");
    r.unit = Str(o, "unit");
    return r;
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("routing_rule document: ") + e.what());
  }
}

std::string EncodeSettings(const ReferenceSettings& s) {
  return json::serialize(json::object{
      {"road_distance_m", s.road_distance_m},
      {"duplicate_radius_m", s.duplicate_radius_m},
      {"duplicate_window_hours",
       std::chrono::duration<double, std::ratio<3600>>(s.duplicate_window).count()},
      {"tile_url", s.tile_url},
      {"tile_attribution", s.tile_attribution}});
}

Result<ReferenceSettings> DecodeSettings(const std::string& text) {
  try {
    const json::value parsed = json::parse(text);
    const json::object& o = parsed.as_object();
    ReferenceSettings s;
    s.road_distance_m = o.at("road_distance_m").to_number<double>();
    s.duplicate_radius_m = o.at("duplicate_radius_m").to_number<double>();
    s.duplicate_window = std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::ratio<3600>>(
        o.at("duplicate_window_hours").to_number<double>()));
    // Documents written before the map settings existed have none.
    if (const json::value* v = o.if_contains("tile_url")) {
      s.tile_url = json::value_to<std::string>(*v);
    }
    if (const json::value* v = o.if_contains("tile_attribution")) {
      s.tile_attribution = json::value_to<std::string>(*v);
    }
    return s;
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("setting document 'reference': ") + e.what());
  }
}

Status ValidateSettings(const ReferenceSettings& s) {
  if (!(s.road_distance_m > 0 && s.road_distance_m <= 1000)) {
    return InvalidArgumentError("road_distance_m " + std::to_string(s.road_distance_m) +
                                " is out of range (0, 1000]");
  }
  if (!(s.duplicate_radius_m > 0 && s.duplicate_radius_m <= 10000)) {
    return InvalidArgumentError("duplicate_radius_m " + std::to_string(s.duplicate_radius_m) +
                                " is out of range (0, 10000]");
  }
  if (s.duplicate_window <= Duration::zero() || s.duplicate_window > std::chrono::days(90)) {
    return InvalidArgumentError("duplicate_window is out of range (0, 90 days]");
  }
  auto has_control = [](std::string_view text, bool space_too) {
    for (unsigned char ch : text) {
      if (ch < 0x20 || ch == 0x7f || (space_too && ch == ' ')) return true;
    }
    return false;
  };
  if (!s.tile_url.empty()) {
    const std::string shown = Quoted(s.tile_url.substr(0, 80));
    if (s.tile_url.size() > 500) {
      return InvalidArgumentError("tile_url is longer than 500 bytes");
    }
    if (!s.tile_url.starts_with("http://") && !s.tile_url.starts_with("https://")) {
      return InvalidArgumentError("tile_url " + shown + " must start with http:// or https://");
    }
    if (has_control(s.tile_url, true)) {
      return InvalidArgumentError("tile_url " + shown + " holds a space or control character");
    }
    for (const char* part : {"{z}", "{x}", "{y}"}) {
      if (s.tile_url.find(part) == std::string::npos) {
        return InvalidArgumentError("tile_url " + shown + " lacks " + part +
                                    " (a tile URL template such as "
                                    "https://tile.openstreetmap.org/{z}/{x}/{y}.png)");
      }
    }
  }
  if (s.tile_attribution.size() > 200 || has_control(s.tile_attribution, false)) {
    return InvalidArgumentError(
        "tile_attribution must have at most 200 bytes and no control characters");
  }
  return OkStatus();
}

// Builds the calendar from stored documents.
Result<std::shared_ptr<const WorkCalendar>> BuildCalendar(
    const std::vector<storage::Document>& docs) {
  std::optional<OfficeHours> hours;
  std::vector<HolidayYear> years;
  for (const storage::Document& d : docs) {
    if (d.key == kOfficeHoursKey) {
      CITYGRID_ASSIGN_OR_RETURN(OfficeHours h, OfficeHours::Parse(d.json, "calendar/office_hours"));
      hours = std::move(h);
    } else {
      CITYGRID_ASSIGN_OR_RETURN(HolidayYear y, HolidayYear::Parse(d.json, "calendar/" + d.key));
      years.push_back(std::move(y));
    }
  }
  if (!hours) return FailedPreconditionError("no office hours stored (calendar/office_hours)");
  CITYGRID_ASSIGN_OR_RETURN(WorkCalendar cal, WorkCalendar::Make(std::move(*hours), std::move(years)));
  return std::make_shared<const WorkCalendar>(std::move(cal));
}

bool HasZone(const geo::Geography& g, std::string_view id) {
  return std::any_of(g.zones.begin(), g.zones.end(), [&](const auto& z) { return z.id == id; });
}
bool HasRoad(const geo::Geography& g, std::string_view id) {
  return std::any_of(g.roads.begin(), g.roads.end(), [&](const auto& r) { return r.id == id; });
}
template <typename T>
bool HasCode(const std::vector<T>& items, std::string_view code) {
  return std::any_of(items.begin(), items.end(), [&](const T& t) { return t.code == code; });
}

}  // namespace

std::string_view Name(UnitKind kind) {
  return kind == UnitKind::kStreetOffice ? "street_office" : "department";
}

Result<UnitKind> ParseUnitKind(std::string_view name) {
  if (name == "street_office") return UnitKind::kStreetOffice;
  if (name == "department") return UnitKind::kDepartment;
  return InvalidArgumentError("unknown unit kind " + Quoted(name) +
                              " (expected street_office or department)");
}

std::string_view Name(RoutingScope scope) {
  switch (scope) {
    case RoutingScope::kZone: return "zone";
    case RoutingScope::kRoad: return "road";
    case RoutingScope::kGrid: return "grid";
    case RoutingScope::kCommunity: return "community";
    case RoutingScope::kSubdistrict: return "subdistrict";
    case RoutingScope::kDistrict: return "district";
  }
  return "district";
}

Result<RoutingScope> ParseRoutingScope(std::string_view name) {
  for (RoutingScope s : {RoutingScope::kZone, RoutingScope::kRoad, RoutingScope::kGrid,
                         RoutingScope::kCommunity, RoutingScope::kSubdistrict,
                         RoutingScope::kDistrict}) {
    if (Name(s) == name) return s;
  }
  return InvalidArgumentError("unknown routing scope " + Quoted(name) +
                              " (expected zone, road, grid, community, subdistrict or district)");
}

const Unit* ReferenceData::FindUnit(std::string_view code) const {
  auto it = std::lower_bound(units.begin(), units.end(), code,
                             [](const Unit& u, std::string_view c) { return u.code < c; });
  return it != units.end() && it->code == code ? &*it : nullptr;
}

const Unit* ReferenceData::UnitOfType(std::string_view type, std::string_view subdistrict) const {
  for (const Unit& u : units) {  // sorted by code: the first match is the lowest code
    if (type == kStreetOfficeType) {
      if (u.kind == UnitKind::kStreetOffice && !subdistrict.empty() && u.subdistrict == subdistrict) {
        return &u;
      }
    } else if (u.kind == UnitKind::kDepartment && u.type == type) {
      return &u;
    }
  }
  return nullptr;
}

std::string ReferenceDataService::EncodeGeography(const geo::Geography& g) {
  json::object o;
  o["district"] = json::object{{"code", g.district.code}, {"name", g.district.name},
                               {"area", EncodeArea(g.district.area)}};
  json::array subs, comms, grids, roads, zones;
  for (const auto& s : g.subdistricts) {
    subs.push_back(json::object{{"code", s.code}, {"name", s.name}, {"area", EncodeArea(s.area)}});
  }
  for (const auto& c : g.communities) {
    comms.push_back(json::object{{"code", c.code}, {"name", c.name}, {"area", EncodeArea(c.area)}});
  }
  for (const auto& gr : g.grids) {
    grids.push_back(json::object{{"code", gr.code}, {"area", EncodeArea(gr.area)}});
  }
  for (const auto& r : g.roads) {
    roads.push_back(json::object{{"id", r.id},
                                 {"name", r.name},
                                 {"line", EncodeLine(r.line)},
                                 {"chief_name", r.chief.name},
                                 {"chief_phone", r.chief.phone},
                                 {"unit", r.unit}});
  }
  for (const auto& z : g.zones) {
    json::array cats;
    for (const auto& c : z.categories) cats.push_back(json::string(c));
    zones.push_back(json::object{{"id", z.id},
                                 {"name", z.name},
                                 {"area", EncodeArea(z.area)},
                                 {"unit", z.unit},
                                 {"categories", std::move(cats)}});
  }
  o["subdistricts"] = std::move(subs);
  o["communities"] = std::move(comms);
  o["grids"] = std::move(grids);
  o["roads"] = std::move(roads);
  o["zones"] = std::move(zones);
  return json::serialize(o);
}

Result<geo::Geography> ReferenceDataService::DecodeGeography(std::string_view text) {
  try {
    const json::value parsed = json::parse(text);
    const json::object& o = parsed.as_object();
    geo::Geography g;
    const json::object& d = o.at("district").as_object();
    g.district.code = Str(d, "code");
    g.district.name = Str(d, "name");
    g.district.area = DecodeArea(d.at("area"));
    for (const auto& v : o.at("subdistricts").as_array()) {
      const json::object& s = v.as_object();
      g.subdistricts.push_back({Str(s, "code"), Str(s, "name"), DecodeArea(s.at("area"))});
    }
    for (const auto& v : o.at("communities").as_array()) {
      const json::object& c = v.as_object();
      g.communities.push_back({Str(c, "code"), Str(c, "name"), DecodeArea(c.at("area"))});
    }
    for (const auto& v : o.at("grids").as_array()) {
      const json::object& c = v.as_object();
      g.grids.push_back({Str(c, "code"), DecodeArea(c.at("area"))});
    }
    for (const auto& v : o.at("roads").as_array()) {
      const json::object& r = v.as_object();
      geo::RoadSegment road;
      road.id = Str(r, "id");
      road.name = Str(r, "name");
      road.line = DecodeRing(r.at("line"));
      road.chief = {Str(r, "chief_name"), Str(r, "chief_phone")};
      road.unit = Str(r, "unit");
      g.roads.push_back(std::move(road));
    }
    for (const auto& v : o.at("zones").as_array()) {
      const json::object& z = v.as_object();
      geo::ResponsibilityZone zone;
      zone.id = Str(z, "id");
      zone.name = Str(z, "name");
      zone.area = DecodeArea(z.at("area"));
      zone.unit = Str(z, "unit");
      for (const auto& c : z.at("categories").as_array()) zone.categories.emplace_back(c.as_string());
      g.zones.push_back(std::move(zone));
    }
    return g;
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("geography document: ") + e.what());
  }
}

Result<std::unique_ptr<ReferenceDataService>> ReferenceDataService::Open(
    storage::DocumentStore& docs, const std::string& seed_data_dir) {
  namespace fs = std::filesystem;
  // Seed what an empty store lacks.
  CITYGRID_ASSIGN_OR_RETURN(std::vector<storage::Document> cats, docs.List(kCategoryKind));
  if (cats.empty()) {
    fs::path path = fs::path(seed_data_dir) / "categories.json";
    CITYGRID_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    CITYGRID_RETURN_IF_ERROR(CategoryCatalog::Parse(text, path.string()));
    CITYGRID_RETURN_IF_ERROR(docs.Put(kCategoryKind, kCatalogKey, text));
  }
  CITYGRID_ASSIGN_OR_RETURN(std::vector<storage::Document> cal, docs.List(kCalendarKind));
  if (cal.empty()) {
    fs::path dir = fs::path(seed_data_dir) / "calendar";
    CITYGRID_ASSIGN_OR_RETURN(std::string hours, ReadFile(dir / "office_hours.json"));
    CITYGRID_RETURN_IF_ERROR(OfficeHours::Parse(hours, (dir / "office_hours.json").string()));
    std::vector<std::pair<std::string, std::string>> years;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      std::string stem = entry.path().stem().string();
      if (entry.path().extension() != ".json" || !AllDigits(stem, 4)) continue;
      CITYGRID_ASSIGN_OR_RETURN(std::string text, ReadFile(entry.path()));
      CITYGRID_RETURN_IF_ERROR(HolidayYear::Parse(text, entry.path().string()));
      years.emplace_back(stem, std::move(text));
    }
    for (const auto& [year, text] : years) {
      CITYGRID_RETURN_IF_ERROR(docs.Put(kCalendarKind, year, text));
    }
    CITYGRID_RETURN_IF_ERROR(docs.Put(kCalendarKind, kOfficeHoursKey, hours));
  }
  std::unique_ptr<ReferenceDataService> service(new ReferenceDataService(docs));
  CITYGRID_RETURN_IF_ERROR(service->Reload());
  return service;
}

Result<std::shared_ptr<const ReferenceData>> ReferenceDataService::Load() {
  auto data = std::make_shared<ReferenceData>();
  CITYGRID_ASSIGN_OR_RETURN(storage::Document cat, docs_.Get(kCategoryKind, kCatalogKey));
  CITYGRID_ASSIGN_OR_RETURN(CategoryCatalog catalog, CategoryCatalog::Parse(cat.json, "category/catalog"));
  data->categories = std::make_shared<const CategoryCatalog>(std::move(catalog));

  CITYGRID_ASSIGN_OR_RETURN(std::vector<storage::Document> cal, docs_.List(kCalendarKind));
  CITYGRID_ASSIGN_OR_RETURN(data->calendar, BuildCalendar(cal));

  Result<storage::Document> geo_doc = docs_.Get(kGeographyKind, kGeographyKey);
  if (geo_doc.ok()) {
    CITYGRID_ASSIGN_OR_RETURN(geo::Geography g, DecodeGeography(geo_doc->json));
    auto shared = std::make_shared<const geo::Geography>(std::move(g));
    CITYGRID_ASSIGN_OR_RETURN(data->index, geo::SpatialIndex::Build(shared));
    data->geography = std::move(shared);
  } else if (geo_doc.status().code() != StatusCode::kNotFound) {
    return geo_doc.status();
  }

  CITYGRID_ASSIGN_OR_RETURN(std::vector<storage::Document> units, docs_.List(kUnitKind));
  for (const auto& d : units) {
    CITYGRID_ASSIGN_OR_RETURN(Unit u, DecodeUnit(d.json));
    data->units.push_back(std::move(u));
  }
  std::sort(data->units.begin(), data->units.end(),
            [](const Unit& a, const Unit& b) { return a.code < b.code; });

  CITYGRID_ASSIGN_OR_RETURN(std::vector<storage::Document> rules, docs_.List(kRuleKind));
  for (const auto& d : rules) {
    CITYGRID_ASSIGN_OR_RETURN(RoutingRule r, DecodeRule(d.json));
    data->rules.push_back(std::move(r));
  }
  std::sort(data->rules.begin(), data->rules.end(),
            [](const RoutingRule& a, const RoutingRule& b) { return a.id < b.id; });

  Result<storage::Document> settings = docs_.Get(kSettingKind, kSettingsKey);
  if (settings.ok()) {
    CITYGRID_ASSIGN_OR_RETURN(data->settings, DecodeSettings(settings->json));
  } else if (settings.status().code() != StatusCode::kNotFound) {
    return settings.status();
  }
  return std::shared_ptr<const ReferenceData>(std::move(data));
}

Status ReferenceDataService::Reload() {
  std::lock_guard lock(write_mu_);
  CITYGRID_ASSIGN_OR_RETURN(std::shared_ptr<const ReferenceData> data, Load());
  current_.store(std::move(data));
  return OkStatus();
}

Status ReferenceDataService::ValidateUnit(const ReferenceData& data, const Unit& u) {
  if (!geo::IsValidUnitCode(u.code)) {
    return InvalidArgumentError("unit code " + Quoted(u.code) +
                                " is invalid (1-32 characters of A-Z a-z 0-9 _ -)");
  }
  if (u.name.empty()) return InvalidArgumentError("unit " + u.code + ": name is empty");
  if (u.name.size() > 200) return InvalidArgumentError("unit " + u.code + ": name is too long");
  if (u.kind == UnitKind::kStreetOffice) {
    if (u.type != kStreetOfficeType) {
      return InvalidArgumentError("unit " + u.code + ": a street office has type '街道', not " +
                                  Quoted(u.type));
    }
    if (!AllDigits(u.subdistrict, 9)) {
      return InvalidArgumentError("unit " + u.code + ": subdistrict " + Quoted(u.subdistrict) +
                                  " is not a 9-digit sub-district code");
    }
    if (data.geography && !HasCode(data.geography->subdistricts, u.subdistrict)) {
      return InvalidArgumentError("unit " + u.code + ": subdistrict " + u.subdistrict +
                                  " is not in the geography");
    }
  } else {
    if (u.type.empty()) return InvalidArgumentError("unit " + u.code + ": type is empty");
    if (u.type == kStreetOfficeType) {
      return InvalidArgumentError("unit " + u.code +
                                  ": type '街道' belongs to kind street_office");
    }
    if (!u.subdistrict.empty()) {
      return InvalidArgumentError("unit " + u.code + ": a department has no subdistrict");
    }
  }
  return OkStatus();
}

Status ReferenceDataService::ValidateRules(const ReferenceData& data,
                                           const std::vector<RoutingRule>& rules) {
  std::set<std::string> ids;
  for (size_t i = 0; i < rules.size(); ++i) {
    const RoutingRule& r = rules[i];
    std::string where = "routing rule " + std::to_string(i) + " (id " + Quoted(r.id) + "): ";
    if (r.id.empty() || r.id.size() > 64) {
      return InvalidArgumentError(where + "id must be 1-64 characters");
    }
    if (!ids.insert(r.id).second) return InvalidArgumentError(where + "id is given twice");
    if (!r.category.empty() && data.categories->Find(r.category) == nullptr) {
      return InvalidArgumentError(where + "unknown category " + Quoted(r.category));
    }
    if (data.FindUnit(r.unit) == nullptr) {
      return InvalidArgumentError(where + "unknown unit " + Quoted(r.unit));
    }
    if (r.scope_id.empty()) return InvalidArgumentError(where + "scope_id is empty");
    if (data.geography) {
      const geo::Geography& g = *data.geography;
      bool exists = false;
      switch (r.scope) {
        case RoutingScope::kZone: exists = HasZone(g, r.scope_id); break;
        case RoutingScope::kRoad: exists = HasRoad(g, r.scope_id); break;
        case RoutingScope::kGrid: exists = HasCode(g.grids, r.scope_id); break;
        case RoutingScope::kCommunity: exists = HasCode(g.communities, r.scope_id); break;
        case RoutingScope::kSubdistrict: exists = HasCode(g.subdistricts, r.scope_id); break;
        case RoutingScope::kDistrict: exists = g.district.code == r.scope_id; break;
      }
      if (!exists) {
        return InvalidArgumentError(where + "no " + std::string(Name(r.scope)) + " " +
                                    Quoted(r.scope_id) + " in the geography");
      }
    }
  }
  return OkStatus();
}

Status ReferenceDataService::PutUnit(const Unit& unit) {
  std::lock_guard lock(write_mu_);
  std::shared_ptr<const ReferenceData> cur = current_.load();
  CITYGRID_RETURN_IF_ERROR(ValidateUnit(*cur, unit));
  CITYGRID_RETURN_IF_ERROR(docs_.Put(kUnitKind, unit.code, json::serialize(EncodeUnit(unit))));
  auto next = std::make_shared<ReferenceData>(*cur);
  auto it = std::lower_bound(next->units.begin(), next->units.end(), unit.code,
                             [](const Unit& u, const std::string& c) { return u.code < c; });
  if (it != next->units.end() && it->code == unit.code) {
    *it = unit;
  } else {
    next->units.insert(it, unit);
  }
  current_.store(std::move(next));
  return OkStatus();
}

Status ReferenceDataService::DeleteUnit(const std::string& code) {
  std::lock_guard lock(write_mu_);
  std::shared_ptr<const ReferenceData> cur = current_.load();
  if (cur->FindUnit(code) == nullptr) return NotFoundError("unit " + Quoted(code) + " not found");
  for (const RoutingRule& r : cur->rules) {
    if (r.unit == code) {
      return FailedPreconditionError("unit " + code + " is used by routing rule " + Quoted(r.id));
    }
  }
  CITYGRID_RETURN_IF_ERROR(docs_.Delete(kUnitKind, code));
  auto next = std::make_shared<ReferenceData>(*cur);
  std::erase_if(next->units, [&](const Unit& u) { return u.code == code; });
  current_.store(std::move(next));
  return OkStatus();
}

Status ReferenceDataService::ReplaceRoutingRules(std::vector<RoutingRule> rules) {
  std::lock_guard lock(write_mu_);
  std::shared_ptr<const ReferenceData> cur = current_.load();
  CITYGRID_RETURN_IF_ERROR(ValidateRules(*cur, rules));
  std::sort(rules.begin(), rules.end(),
            [](const RoutingRule& a, const RoutingRule& b) { return a.id < b.id; });
  std::set<std::string> keep;
  for (const RoutingRule& r : rules) {
    CITYGRID_RETURN_IF_ERROR(docs_.Put(kRuleKind, r.id, json::serialize(EncodeRule(r))));
    keep.insert(r.id);
  }
  for (const RoutingRule& old : cur->rules) {
    if (!keep.contains(old.id)) {
      Status s = docs_.Delete(kRuleKind, old.id);
      if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
    }
  }
  auto next = std::make_shared<ReferenceData>(*cur);
  next->rules = std::move(rules);
  current_.store(std::move(next));
  return OkStatus();
}

Status ReferenceDataService::SetGeography(geo::Geography geography) {
  std::lock_guard lock(write_mu_);
  CITYGRID_RETURN_IF_ERROR(geo::ValidateGeography(geography));
  std::shared_ptr<const ReferenceData> cur = current_.load();
  auto shared = std::make_shared<const geo::Geography>(std::move(geography));
  CITYGRID_ASSIGN_OR_RETURN(std::shared_ptr<const geo::SpatialIndex> index,
                            geo::SpatialIndex::Build(shared));
  CITYGRID_RETURN_IF_ERROR(
      docs_.Put(kGeographyKind, kGeographyKey, EncodeGeography(*shared)));
  auto next = std::make_shared<ReferenceData>(*cur);
  next->geography = std::move(shared);
  next->index = std::move(index);
  current_.store(std::move(next));
  return OkStatus();
}

Status ReferenceDataService::SetCategories(const std::string& json_text) {
  std::lock_guard lock(write_mu_);
  CITYGRID_ASSIGN_OR_RETURN(CategoryCatalog catalog, CategoryCatalog::Parse(json_text, "categories"));
  std::shared_ptr<const ReferenceData> cur = current_.load();
  for (const RoutingRule& r : cur->rules) {
    if (!r.category.empty() && catalog.Find(r.category) == nullptr) {
      return InvalidArgumentError("categories: category " + r.category +
                                  " is used by routing rule " + Quoted(r.id));
    }
  }
  CITYGRID_RETURN_IF_ERROR(docs_.Put(kCategoryKind, kCatalogKey, json_text));
  auto next = std::make_shared<ReferenceData>(*cur);
  next->categories = std::make_shared<const CategoryCatalog>(std::move(catalog));
  current_.store(std::move(next));
  return OkStatus();
}

Status ReferenceDataService::SetOfficeHours(const std::string& json_text) {
  std::lock_guard lock(write_mu_);
  CITYGRID_RETURN_IF_ERROR(OfficeHours::Parse(json_text, "office_hours"));
  CITYGRID_ASSIGN_OR_RETURN(std::vector<storage::Document> cal, docs_.List(kCalendarKind));
  std::erase_if(cal, [](const storage::Document& d) { return d.key == kOfficeHoursKey; });
  cal.push_back({kCalendarKind, kOfficeHoursKey, json_text, 0});
  CITYGRID_ASSIGN_OR_RETURN(std::shared_ptr<const WorkCalendar> calendar, BuildCalendar(cal));
  CITYGRID_RETURN_IF_ERROR(docs_.Put(kCalendarKind, kOfficeHoursKey, json_text));
  auto next = std::make_shared<ReferenceData>(*current_.load());
  next->calendar = std::move(calendar);
  current_.store(std::move(next));
  return OkStatus();
}

Status ReferenceDataService::PutHolidayYear(const std::string& json_text) {
  std::lock_guard lock(write_mu_);
  CITYGRID_ASSIGN_OR_RETURN(HolidayYear year, HolidayYear::Parse(json_text, "holiday year"));
  std::string key = std::to_string(year.year);
  CITYGRID_ASSIGN_OR_RETURN(std::vector<storage::Document> cal, docs_.List(kCalendarKind));
  std::erase_if(cal, [&](const storage::Document& d) { return d.key == key; });
  cal.push_back({kCalendarKind, key, json_text, 0});
  CITYGRID_ASSIGN_OR_RETURN(std::shared_ptr<const WorkCalendar> calendar, BuildCalendar(cal));
  CITYGRID_RETURN_IF_ERROR(docs_.Put(kCalendarKind, key, json_text));
  auto next = std::make_shared<ReferenceData>(*current_.load());
  next->calendar = std::move(calendar);
  current_.store(std::move(next));
  return OkStatus();
}

Status ReferenceDataService::SetSettings(const ReferenceSettings& settings) {
  std::lock_guard lock(write_mu_);
  CITYGRID_RETURN_IF_ERROR(ValidateSettings(settings));
  CITYGRID_RETURN_IF_ERROR(docs_.Put(kSettingKind, kSettingsKey, EncodeSettings(settings)));
  auto next = std::make_shared<ReferenceData>(*current_.load());
  next->settings = settings;
  current_.store(std::move(next));
  return OkStatus();
}

}  // namespace citygrid::service
