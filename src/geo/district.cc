#include "citygrid/geo/district.h"

#include <cmath>
#include <set>
#include <string>

#include "citygrid/geo/grid_code.h"

namespace citygrid::geo {
namespace {

std::string Describe(std::string_view kind, size_t index, std::string_view key,
                     std::string_view name = {}) {
  std::string out(kind);
  out += " #" + std::to_string(index);
  if (!key.empty()) out += " " + std::string(key);
  if (!name.empty()) out += " (" + std::string(name) + ")";
  return out;
}

Status CheckPoint(const LonLat& p, size_t i, const std::string& where) {
  if (!std::isfinite(p.lon) || !std::isfinite(p.lat) || p.lon < -180 || p.lon > 180 ||
      p.lat < -90 || p.lat > 90) {
    return InvalidArgumentError(where + ": point " + std::to_string(i) + " (" +
                                std::to_string(p.lon) + ", " + std::to_string(p.lat) +
                                ") is not a finite WGS84 lon/lat");
  }
  return OkStatus();
}

Status CheckRing(const Ring& ring, const std::string& where) {
  if (ring.size() < 4) {
    return InvalidArgumentError(where + " has " + std::to_string(ring.size()) +
                                " points; a closed ring needs at least 4");
  }
  for (size_t i = 0; i < ring.size(); ++i) CITYGRID_RETURN_IF_ERROR(CheckPoint(ring[i], i, where));
  if (!(ring.front() == ring.back())) return InvalidArgumentError(where + " is not closed");
  return OkStatus();
}

Status CheckArea(const MultiPolygon& area, const std::string& what) {
  if (area.empty()) return InvalidArgumentError(what + " has no area polygon");
  for (size_t p = 0; p < area.size(); ++p) {
    const std::string poly = what + ": polygon " + std::to_string(p);
    CITYGRID_RETURN_IF_ERROR(CheckRing(area[p].outer, poly + " outer ring"));
    for (size_t h = 0; h < area[p].holes.size(); ++h) {
      CITYGRID_RETURN_IF_ERROR(CheckRing(area[p].holes[h], poly + " hole " + std::to_string(h)));
    }
  }
  return OkStatus();
}

Status CheckCode(const std::string& code, AreaLevel level, const std::string& what) {
  Result<GridCode> parsed = GridCode::ParseAt(code, level);
  if (!parsed.ok()) return parsed.status().WithContext(what);
  return OkStatus();
}

bool IsCategoryCode(std::string_view code) {
  if (code.size() != 5) return false;
  for (char c : code) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

bool IsPlausiblePhone(std::string_view phone) {
  std::string digits;
  bool plus86 = false;
  if (phone.substr(0, 3) == "+86") {
    plus86 = true;
    phone.remove_prefix(3);
  }
  for (char c : phone) {
    if (c >= '0' && c <= '9') {
      digits += c;
    } else if (c != '-' && c != ' ') {
      return false;
    }
  }
  if (digits.size() == 11 && digits[0] == '1') return true;
  return !plus86 && digits.size() >= 10 && digits.size() <= 12 && digits[0] == '0';
}

bool IsValidUnitCode(std::string_view unit) {
  if (unit.empty() || unit.size() > 32) return false;
  for (char c : unit) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Status ValidateGeography(const Geography& g) {
  const std::string district = "district " + g.district.code;
  CITYGRID_RETURN_IF_ERROR(CheckCode(g.district.code, AreaLevel::kDistrict, "district"));
  if (g.district.name.empty()) return InvalidArgumentError(district + " has no name");
  CITYGRID_RETURN_IF_ERROR(CheckArea(g.district.area, district));

  std::set<std::string> subdistricts;
  for (size_t i = 0; i < g.subdistricts.size(); ++i) {
    const SubDistrict& s = g.subdistricts[i];
    const std::string what = Describe("sub-district", i, s.code, s.name);
    CITYGRID_RETURN_IF_ERROR(CheckCode(s.code, AreaLevel::kSubDistrict, what));
    if (s.code.compare(0, g.district.code.size(), g.district.code) != 0) {
      return InvalidArgumentError(what + ": code does not start with the district code " +
                                  g.district.code);
    }
    if (!subdistricts.insert(s.code).second) {
      return InvalidArgumentError(what + ": duplicate sub-district code");
    }
    if (s.name.empty()) return InvalidArgumentError(what + " has no name");
    CITYGRID_RETURN_IF_ERROR(CheckArea(s.area, what));
  }

  std::set<std::string> communities;
  for (size_t i = 0; i < g.communities.size(); ++i) {
    const Community& c = g.communities[i];
    const std::string what = Describe("community", i, c.code, c.name);
    CITYGRID_RETURN_IF_ERROR(CheckCode(c.code, AreaLevel::kCommunity, what));
    const std::string parent = c.code.substr(0, CodeLength(AreaLevel::kSubDistrict));
    if (!subdistricts.contains(parent)) {
      return InvalidArgumentError(what + ": sub-district " + parent + " does not exist");
    }
    if (!communities.insert(c.code).second) {
      return InvalidArgumentError(what + ": duplicate community code");
    }
    if (c.name.empty()) return InvalidArgumentError(what + " has no name");
    CITYGRID_RETURN_IF_ERROR(CheckArea(c.area, what));
  }

  std::set<std::string> grids;
  for (size_t i = 0; i < g.grids.size(); ++i) {
    const UnitGrid& grid = g.grids[i];
    const std::string what = Describe("grid", i, grid.code);
    CITYGRID_RETURN_IF_ERROR(CheckCode(grid.code, AreaLevel::kGrid, what));
    const std::string parent = grid.code.substr(0, CodeLength(AreaLevel::kCommunity));
    if (!communities.contains(parent)) {
      return InvalidArgumentError(what + ": community " + parent + " does not exist");
    }
    if (!grids.insert(grid.code).second) {
      return InvalidArgumentError(what + ": duplicate grid code");
    }
    CITYGRID_RETURN_IF_ERROR(CheckArea(grid.area, what));
  }

  std::set<std::string> road_ids;
  for (size_t i = 0; i < g.roads.size(); ++i) {
    const RoadSegment& r = g.roads[i];
    const std::string what = Describe("road segment", i, r.id, r.name);
    if (r.id.empty()) return InvalidArgumentError(what + " has no id");
    if (!road_ids.insert(r.id).second) return InvalidArgumentError(what + ": duplicate id");
    if (r.name.empty()) return InvalidArgumentError(what + " has no name");
    if (r.line.size() < 2) {
      return InvalidArgumentError(what + " has " + std::to_string(r.line.size()) +
                                  " points; a line needs at least 2");
    }
    for (size_t p = 0; p < r.line.size(); ++p) {
      CITYGRID_RETURN_IF_ERROR(CheckPoint(r.line[p], p, what));
    }
    if (r.chief.name.empty()) return InvalidArgumentError(what + ": road chief has no name");
    if (!IsPlausiblePhone(r.chief.phone)) {
      return InvalidArgumentError(what + ": road chief phone '" + r.chief.phone +
                                  "' is not a mobile or landline number");
    }
    if (!IsValidUnitCode(r.unit)) {
      return InvalidArgumentError(what + ": responsible unit '" + r.unit + "' is not a unit code");
    }
  }

  std::set<std::string> zone_ids;
  for (size_t i = 0; i < g.zones.size(); ++i) {
    const ResponsibilityZone& z = g.zones[i];
    const std::string what = Describe("responsibility zone", i, z.id, z.name);
    if (z.id.empty()) return InvalidArgumentError(what + " has no id");
    if (!zone_ids.insert(z.id).second) return InvalidArgumentError(what + ": duplicate id");
    if (z.name.empty()) return InvalidArgumentError(what + " has no name");
    CITYGRID_RETURN_IF_ERROR(CheckArea(z.area, what));
    if (!IsValidUnitCode(z.unit)) {
      return InvalidArgumentError(what + ": unit '" + z.unit + "' is not a unit code");
    }
    for (const std::string& category : z.categories) {
      if (!IsCategoryCode(category)) {
        return InvalidArgumentError(what + ": category '" + category +
                                    "' is not a 5-digit category code");
      }
    }
  }
  return OkStatus();
}

}  // namespace citygrid::geo
