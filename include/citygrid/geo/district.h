#pragma once

// The district model (DESIGN.md §2 Geography): district → sub-district (街道/镇) → community (社区)
// → unit grid (单元网格), road segments with road chiefs (路长), and responsibility zones.
//
// Codes: district 6 digits (admin code, e.g. 410103 二七区); sub-district code = district + 3;
// community code = sub-district + 3; grid code = community + 3 (15 digits), the 3-digit grid
// sequence numbered west→east then north→south inside its community.

#include <string>
#include <vector>

#include "citygrid/geo/geometry.h"

namespace citygrid::geo {

struct District {
  std::string code;  // 6 digits
  std::string name;
  MultiPolygon area;
};

struct SubDistrict {
  std::string code;  // 9 digits
  std::string name;
  MultiPolygon area;
};

struct Community {
  std::string code;  // 12 digits
  std::string name;
  MultiPolygon area;
};

struct UnitGrid {
  std::string code;  // 15 digits
  MultiPolygon area;
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
};

// A park, market or construction site whose unit overrides routing for some categories.
struct ResponsibilityZone {
  std::string id;
  std::string name;
  MultiPolygon area;
  std::string unit;                     // the overriding unit code
  std::vector<std::string> categories;  // category codes it applies to; empty = all
};

// A complete snapshot of one district's geography; the spatial index is built from it.
struct Geography {
  District district;
  std::vector<SubDistrict> subdistricts;
  std::vector<Community> communities;
  std::vector<UnitGrid> grids;
  std::vector<RoadSegment> roads;
  std::vector<ResponsibilityZone> zones;
};

}  // namespace citygrid::geo
