#pragma once

// Reference data (基础数据): the units (责任单位), routing rules, category taxonomy, work calendar,
// geography and the few tunable settings that intake and workflow read on every request.
//
// ReferenceData is one immutable snapshot; ReferenceDataService holds the current one behind a
// std::shared_ptr<const ReferenceData> and swaps a new snapshot in atomically when an admin
// changes something, so readers never lock and never see half an update.
//
// Persistence (storage::DocumentStore, one kind per part):
//   "unit"          key = unit code         {"code","name","kind","type","subdistrict"}
//   "routing_rule"  key = rule id           {"id","category","scope","scope_id","unit"}
//   "geography"     key = "current"         the whole geo::Geography (see SetGeography)
//   "category"      key = "catalog"         the text of categories.json (CategoryCatalog::Parse)
//   "calendar"      key = "office_hours"    the text of office_hours.json
//                   key = "<year>"          the text of <year>.json (HolidayYear::Parse)
//   "setting"       key = "reference"       {"road_distance_m","duplicate_radius_m",
//                                            "duplicate_window_hours"}
// On a store without categories or calendar, Open() seeds them from the repository's data
// directory (data/categories.json, data/calendar/office_hours.json, data/calendar/<year>.json).
// Everything in memory is rebuilt from the store by Open() and Reload(), so several nodes
// sharing one database converge by calling Reload().

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/domain/category.h"
#include "citygrid/domain/work_calendar.h"
#include "citygrid/geo/district.h"
#include "citygrid/geo/spatial_index.h"
#include "citygrid/storage/store.h"

namespace citygrid::service {

// What a responsible unit is.
enum class UnitKind {
  kStreetOffice,  // 街道办事处: serves one sub-district; its type is "街道"
  kDepartment,    // 专业部门: 城管局, 市政, 园林, 环卫, 住建, 交通 ...
};
std::string_view Name(UnitKind kind);  // "street_office", "department"
Result<UnitKind> ParseUnitKind(std::string_view name);

// The unit type of street offices, as categories name it in Category::unit_type.
inline constexpr std::string_view kStreetOfficeType = "街道";

// A responsible unit (责任单位).
struct Unit {
  std::string code;         // geo::IsValidUnitCode
  std::string name;         // "二七区城市管理局", "建中街街道办事处"
  UnitKind kind = UnitKind::kDepartment;
  std::string type;         // the Category::unit_type it serves: "环卫", "市政"; "街道" for offices
  std::string subdistrict;  // street offices: the 9-digit sub-district code; "" for departments

  friend bool operator==(const Unit&, const Unit&) = default;
};

// The area a routing rule covers, most specific first (DESIGN.md §2 Routing).
enum class RoutingScope { kZone, kRoad, kGrid, kCommunity, kSubdistrict, kDistrict };
std::string_view Name(RoutingScope scope);  // "zone", "road", "grid", "community", ...
Result<RoutingScope> ParseRoutingScope(std::string_view name);

// "Cases of `category` (all when "") located in `scope_id` go to `unit`."
// scope_id is a responsibility-zone id, a road-segment id, or a grid/community/sub-district/
// district code, according to `scope`.
struct RoutingRule {
  std::string id;
  std::string category;  // 5-digit code, "" = every category
  RoutingScope scope = RoutingScope::kDistrict;
  std::string scope_id;
  std::string unit;

  friend bool operator==(const RoutingRule&, const RoutingRule&) = default;
};

// Tunables read by intake and routing.
struct ReferenceSettings {
  double road_distance_m = 30;     // a case this close to a road segment is "on" it
  double duplicate_radius_m = 50;  // 重复案件: same category within this distance ...
  Duration duplicate_window = std::chrono::hours(72);  // ... created within this time
  // Base map tiles for the console (天地图, Amap, OSM): an http(s) URL template with {z}, {x}
  // and {y}; "" = no base map (the console draws the district's own boundaries).
  std::string tile_url;
  std::string tile_attribution;  // shown under the map, e.g. "© OpenStreetMap contributors"

  friend bool operator==(const ReferenceSettings&, const ReferenceSettings&) = default;
};

// One immutable, internally consistent snapshot. Thread-safe for concurrent reads.
struct ReferenceData {
  std::shared_ptr<const CategoryCatalog> categories;  // never null
  std::shared_ptr<const WorkCalendar> calendar;       // never null
  // Null until a geography is loaded (then intake answers kFailedPrecondition).
  std::shared_ptr<const geo::Geography> geography;
  std::shared_ptr<const geo::SpatialIndex> index;  // built from `geography`; null with it
  std::vector<Unit> units;                         // sorted by code
  std::vector<RoutingRule> rules;                  // sorted by id
  ReferenceSettings settings;

  // nullptr when unknown.
  const Unit* FindUnit(std::string_view code) const;
  // The department of `type`, or for kStreetOfficeType the street office of `subdistrict`;
  // the lowest code wins when several match. nullptr when none.
  const Unit* UnitOfType(std::string_view type, std::string_view subdistrict) const;
};

// Holds and edits the current snapshot. Writes are serialised; reads never block.
class ReferenceDataService {
 public:
  // Loads every part from `docs`. Categories or calendar missing from the store are read from
  // `seed_data_dir` (the repository's data/ directory) and written to the store first.
  // kNotFound when a seed file is needed but missing; kInvalidArgument (naming the document or
  // file) when a stored or seed document does not parse.
  static Result<std::unique_ptr<ReferenceDataService>> Open(storage::DocumentStore& docs,
                                                            const std::string& seed_data_dir);

  // The current snapshot; never null. Cheap (one atomic load).
  std::shared_ptr<const ReferenceData> Get() const { return current_.load(); }

  // Re-reads every document from the store (to pick up another node's admin writes).
  Status Reload();

  // ---- Admin writes. Each validates against the rest of the snapshot, persists, then swaps a
  // new snapshot in. kInvalidArgument names the field and value at fault; nothing is written
  // on error.

  // Adds or replaces a unit. Checks: valid code, non-empty name, street offices have kind
  // street_office, type "街道" and a 9-digit sub-district code (present in the geography when
  // one is loaded); departments have a non-empty type and no sub-district.
  Status PutUnit(const Unit& unit);
  // kNotFound for an unknown unit; kFailedPrecondition while a routing rule names it.
  Status DeleteUnit(const std::string& code);

  // Replaces the whole rule set. Checks per rule (naming its index and id): non-empty unique
  // id, category "" or known, unit known, scope_id non-empty and, when a geography is loaded,
  // naming an existing zone/road/grid/community/sub-district/district of the right level.
  Status ReplaceRoutingRules(std::vector<RoutingRule> rules);

  // Replaces the geography (geo::ValidateGeography) and rebuilds the spatial index.
  Status SetGeography(geo::Geography geography);

  // Replaces the taxonomy with `json_text` in categories.json format (CategoryCatalog::Parse).
  Status SetCategories(const std::string& json_text);
  // Replaces office hours (office_hours.json format).
  Status SetOfficeHours(const std::string& json_text);
  // Adds or replaces one year's holiday schedule (<year>.json format).
  Status PutHolidayYear(const std::string& json_text);

  // kInvalidArgument unless 0 < road_distance_m <= 1000, 0 < duplicate_radius_m <= 10000,
  // 0 < duplicate_window <= 90 days, tile_url is "" or an http(s) URL (at most 500 bytes, no
  // spaces or control characters) holding {z}, {x} and {y}, and tile_attribution has at most
  // 200 bytes and no control characters.
  Status SetSettings(const ReferenceSettings& settings);

  // JSON encodings used for the documents (exposed for the HTTP layer and tests).
  static std::string EncodeGeography(const geo::Geography& geography);
  static Result<geo::Geography> DecodeGeography(std::string_view json_text);

 private:
  explicit ReferenceDataService(storage::DocumentStore& docs) : docs_(docs) {}

  // Reads everything from docs_ into a snapshot.
  Result<std::shared_ptr<const ReferenceData>> Load();
  // Checks `rules` against `data` (units, categories, geography).
  static Status ValidateRules(const ReferenceData& data, const std::vector<RoutingRule>& rules);
  static Status ValidateUnit(const ReferenceData& data, const Unit& unit);

  storage::DocumentStore& docs_;
  std::mutex write_mu_;  // serialises writers; readers use current_ only
  std::atomic<std::shared_ptr<const ReferenceData>> current_;
};

}  // namespace citygrid::service
