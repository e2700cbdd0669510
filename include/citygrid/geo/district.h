#pragma once

// The district model (DESIGN.md §2 Geography): district → sub-district (街道/镇) → community (社区)
// → unit grid (单元网格), road segments with road chiefs (路长), and responsibility zones.
//
// Codes: district 6 digits (admin code, e.g. 410103 二七区); sub-district code = district + 3;
// community code = sub-district + 3; grid code = community + 3 (15 digits), the 3-digit grid
// sequence numbered west→east then north→south inside its community. GridCode (grid_code.h)
// parses and builds these codes; GenerateGrids (grid_generator.h) cuts communities into unit
// grids; GenerateDemoDistrict (demo_district.h) builds a whole demo snapshot.

#include <string>
#include <string_view>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/geo/geometry.h"

namespace citygrid::geo {

struct District {
  std::string code;  // 6 digits
  std::string name;
  MultiPolygon area;
  friend bool operator==(const District&, const District&) = default;
};

struct SubDistrict {
  std::string code;  // 9 digits
  std::string name;
  MultiPolygon area;
  friend bool operator==(const SubDistrict&, const SubDistrict&) = default;
};

struct Community {
  std::string code;  // 12 digits
  std::string name;
  MultiPolygon area;
  friend bool operator==(const Community&, const Community&) = default;
};

struct UnitGrid {
  std::string code;  // 15 digits
  MultiPolygon area;
  friend bool operator==(const UnitGrid&, const UnitGrid&) = default;
};

struct RoadChief {
  std::string name;
  std::string phone;
  friend bool operator==(const RoadChief&, const RoadChief&) = default;
};

struct RoadSegment {
  std::string id;     // stable id, e.g. "R0001-03"
  std::string name;   // 道路名称
  LineString line;
  RoadChief chief;    // 路长
  std::string unit;   // responsible unit code
  friend bool operator==(const RoadSegment&, const RoadSegment&) = default;
};

// A park, market or construction site whose unit overrides routing for some categories.
struct ResponsibilityZone {
  std::string id;
  std::string name;
  MultiPolygon area;
  std::string unit;                     // the overriding unit code
  std::vector<std::string> categories;  // category codes it applies to; empty = all
  friend bool operator==(const ResponsibilityZone&, const ResponsibilityZone&) = default;
};

// A complete snapshot of one district's geography; the spatial index is built from it.
struct Geography {
  District district;
  std::vector<SubDistrict> subdistricts;
  std::vector<Community> communities;
  std::vector<UnitGrid> grids;
  std::vector<RoadSegment> roads;
  std::vector<ResponsibilityZone> zones;
  friend bool operator==(const Geography&, const Geography&) = default;
};

// Checks that a snapshot is internally consistent. Returns kInvalidArgument naming the first
// offending item (its kind, index, code or id, and the rule broken) when:
//   - any code is malformed for its level (see grid_code.h) or duplicated;
//   - a sub-district's code does not start with the district code, a community's code does not
//     start with an existing sub-district's code, a grid's with an existing community's code;
//   - a district, sub-district or community has no name, or any area has no polygon, or a ring
//     has fewer than 4 points, is not closed, or holds a non-finite or out-of-range coordinate;
//   - a road segment has no id (or a duplicate one), no name, fewer than 2 points, a road chief
//     without a name or with an implausible phone (see IsPlausiblePhone), or no unit;
//   - a responsibility zone has no id (or a duplicate one), no name, no area, no unit, or a
//     category that is not a 5-digit category code.
// Geometric nesting (a community lying inside its sub-district) and ring simplicity are not
// checked here; GeoJSON import validates ring geometry.
Status ValidateGeography(const Geography& geography);

// True for a Chinese mobile number (11 digits starting with 1) or a landline with area code
// (10-12 digits starting with 0), optionally written with '-' or ' ' separators and a leading
// "+86" (mobile only): "13900001234", "139-0000-1234", "0371-6789 1234".
bool IsPlausiblePhone(std::string_view phone);

// True for a responsible-unit code: 1-32 characters of [A-Za-z0-9_-].
bool IsValidUnitCode(std::string_view unit);

}  // namespace citygrid::geo
