#include "citygrid/service/routing.h"

#include <algorithm>

namespace citygrid::service {
namespace {

// The best rule of `scope` for `scope_id`: category-specific before "", then lowest id (the
// snapshot keeps rules sorted by id). nullptr when none.
const RoutingRule* FindRule(const ReferenceData& data, RoutingScope scope,
                            std::string_view scope_id, std::string_view category) {
  if (scope_id.empty()) return nullptr;
  const RoutingRule* general = nullptr;
  for (const RoutingRule& r : data.rules) {
    if (r.scope != scope || r.scope_id != scope_id) continue;
    if (r.category == category) return &r;
    if (r.category.empty() && general == nullptr) general = &r;
  }
  return general;
}

bool ZoneApplies(const geo::ResponsibilityZone& zone, std::string_view category) {
  return zone.categories.empty() ||
         std::find(zone.categories.begin(), zone.categories.end(), category) !=
             zone.categories.end();
}

}  // namespace

std::string_view Name(RoutingReason reason) {
  switch (reason) {
    case RoutingReason::kZoneRule: return "zone_rule";
    case RoutingReason::kZone: return "zone";
    case RoutingReason::kRoadRule: return "road_rule";
    case RoutingReason::kRoad: return "road";
    case RoutingReason::kGridRule: return "grid_rule";
    case RoutingReason::kCommunityRule: return "community_rule";
    case RoutingReason::kSubdistrictRule: return "subdistrict_rule";
    case RoutingReason::kDistrictRule: return "district_rule";
    case RoutingReason::kCategoryDefault: return "category_default";
    case RoutingReason::kNone: return "none";
  }
  return "none";
}

std::string RoutingDecision::Explain() const {
  if (reason == RoutingReason::kNone) return "none: no rule, zone, road or default unit matched";
  return std::string(Name(reason)) + " " + matched + " \u2192 " + unit;
}

LocatedPoint LocatePoint(const ReferenceData& data, geo::LonLat wgs84) {
  LocatedPoint at;
  at.wgs84 = wgs84;
  const geo::SpatialIndex& index = *data.index;
  at.placement = index.Locate(wgs84);
  at.grid_code = std::string(index.GridCode(at.placement));
  at.community_code = std::string(index.CommunityCode(at.placement));
  at.subdistrict_code = std::string(index.SubDistrictCode(at.placement));
  at.road = index.NearestRoad(wgs84, data.settings.road_distance_m);
  if (at.road) at.road_segment = &index.geography().roads[at.road->road];
  at.zones = index.ZonesAt(wgs84);
  return at;
}

RoutingDecision Route(const ReferenceData& data, std::string_view category, const LocatedPoint& at) {
  auto from_rule = [](const RoutingRule* r, RoutingReason reason) {
    return RoutingDecision{r->unit, reason, r->id};
  };
  if (data.geography) {
    const geo::Geography& g = *data.geography;
    for (std::int32_t zi : at.zones) {
      const geo::ResponsibilityZone& zone = g.zones[zi];
      if (const RoutingRule* r = FindRule(data, RoutingScope::kZone, zone.id, category)) {
        return from_rule(r, RoutingReason::kZoneRule);
      }
      if (ZoneApplies(zone, category) && !zone.unit.empty()) {
        return {zone.unit, RoutingReason::kZone, zone.id};
      }
    }
    if (at.road_segment != nullptr) {
      if (const RoutingRule* r = FindRule(data, RoutingScope::kRoad, at.road_segment->id, category)) {
        return from_rule(r, RoutingReason::kRoadRule);
      }
      if (!at.road_segment->unit.empty()) {
        return {at.road_segment->unit, RoutingReason::kRoad, at.road_segment->id};
      }
    }
  }
  if (const RoutingRule* r = FindRule(data, RoutingScope::kGrid, at.grid_code, category)) {
    return from_rule(r, RoutingReason::kGridRule);
  }
  if (const RoutingRule* r = FindRule(data, RoutingScope::kCommunity, at.community_code, category)) {
    return from_rule(r, RoutingReason::kCommunityRule);
  }
  if (const RoutingRule* r =
          FindRule(data, RoutingScope::kSubdistrict, at.subdistrict_code, category)) {
    return from_rule(r, RoutingReason::kSubdistrictRule);
  }
  if (data.geography) {
    if (const RoutingRule* r =
            FindRule(data, RoutingScope::kDistrict, data.geography->district.code, category)) {
      return from_rule(r, RoutingReason::kDistrictRule);
    }
  }
  if (const Category* c = data.categories->Find(category)) {
    if (const Unit* u = data.UnitOfType(c->unit_type, at.subdistrict_code)) {
      return {u->code, RoutingReason::kCategoryDefault, c->unit_type};
    }
  }
  return {};
}

}  // namespace citygrid::service
