#pragma once

// Routing (派遣路由): which unit a case at a place, of a category, belongs to (DESIGN.md §2).
//
// Most specific first; within one level a rule for the case's category beats a rule for every
// category (category ""), and among equals the lowest rule id wins:
//   1. responsibility zone containing the point: a zone routing rule, else the zone's own unit
//      when the zone applies to the category (its category list is empty or holds it);
//      zones are tried in snapshot order;
//   2. road segment within ReferenceSettings::road_distance_m: a road rule, else the road's unit;
//   3. grid rule;  4. community rule;  5. sub-district rule;  6. district rule;
//   7. the category's default unit type (Category::unit_type): the department of that type, or
//      for "街道" the street office of the point's sub-district;
//   8. none: unit "" (the dispatcher must choose).
// The decision carries the reason and the rule/zone/road that matched; the API shows both.
//
// Pure functions over an immutable snapshot; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "citygrid/geo/geometry.h"
#include "citygrid/geo/spatial_index.h"
#include "citygrid/service/reference_data.h"

namespace citygrid::service {

// A point resolved against the geography.
struct LocatedPoint {
  geo::LonLat wgs84;
  geo::Placement placement;
  std::optional<geo::RoadHit> road;  // nearest road within road_distance_m
  std::vector<std::int32_t> zones;   // responsibility zones containing the point

  // Codes ("" where absent), and the road segment (nullptr when none).
  std::string grid_code;
  std::string community_code;
  std::string subdistrict_code;
  const geo::RoadSegment* road_segment = nullptr;  // points into the snapshot's geography
};

// Locates `wgs84` in `data`'s spatial index. REQUIRES: data.index != nullptr.
LocatedPoint LocatePoint(const ReferenceData& data, geo::LonLat wgs84);

enum class RoutingReason {
  kZoneRule,         // a routing rule for the responsibility zone
  kZone,             // the responsibility zone's own unit
  kRoadRule,         // a routing rule for the road segment
  kRoad,             // the road segment's own unit (路长制)
  kGridRule,
  kCommunityRule,
  kSubdistrictRule,
  kDistrictRule,
  kCategoryDefault,  // the category's default unit type
  kNone,             // nothing matched
};
// "zone_rule", "zone", "road_rule", "road", "grid_rule", "community_rule", "subdistrict_rule",
// "district_rule", "category_default", "none".
std::string_view Name(RoutingReason reason);

struct RoutingDecision {
  std::string unit;  // "" when reason == kNone
  RoutingReason reason = RoutingReason::kNone;
  std::string matched;  // rule id, zone id, road id, or the unit type for kCategoryDefault

  // "road_rule R-12 → U-HW" style text for the API and logs.
  std::string Explain() const;

  friend bool operator==(const RoutingDecision&, const RoutingDecision&) = default;
};

// The unit for a case of `category` at `at`, by the order above.
RoutingDecision Route(const ReferenceData& data, std::string_view category, const LocatedPoint& at);

}  // namespace citygrid::service
