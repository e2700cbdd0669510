#pragma once

// A synthetic but plausible district for demos, tests and benchmarks (`citygrid demo`): 二七区 of
// 郑州市 (admin code 410103) at its real location (centre 113.645E 34.731N, WGS84).
//
// What it contains at scale 1 (the default):
//   - the district: an irregular compact urban core of about 42 km²;
//   - 14 sub-districts (街道/乡) named after the district's real ones, codes 410103001..014 in
//     this order: 淮河路街道, 解放路街道, 铭功路街道, 一马路街道, 蜜蜂张街道, 五里堡街道,
//     大学路街道, 建中街街道, 福华街街道, 德化街街道, 嵩山路街道, 京广路街道, 长江路街道,
//     侯寨乡 (the codes follow this list; they are not claimed to be the official ones);
//   - about 100 communities (社区; villages, 村, in 侯寨乡), with made-up but plausible names;
//   - about 5,000 unit grids from GenerateGrids (grid_generator.h) with the default options;
//   - a road network of named roads (陇海路, 航海路, 大学路, 嵩山路, 京广路, ...), clipped to
//     the district and split into segments of about 700 m, each with a road chief (路长: a
//     generated name and an obviously fake mobile number 1390000xxxx) and, as responsible unit,
//     the street office (街道办事处) of the sub-district holding the segment's midpoint;
//   - responsibility zones: a park (YL), a market (SCJG) and two construction sites (ZJ), each
//     overriding the unit for a few categories.
//
// The partition is exact: sub-districts tile the district, communities tile their sub-district
// and grids tile their community (no gaps or overlaps beyond floating-point rounding), built
// by cutting with jittered strips. All geometry is WGS84 lon/lat, outer rings counter-clockwise.
//
// Units (DemoDistrict::units) are the ones the output refers to, for the server to create:
//   "410103001".."410103014"  one 街道办事处 per sub-district (code = sub-district code), kind
//                             "street_office";
//   "CGJ" 城市管理局, "SZ" 市政工程管理中心, "YL" 园林绿化中心, "HW" 环境卫生管理中心,
//   "ZJ" 住房和城乡建设局, "JT" 交通运输局, "JJ" 公安交通警察大队, "SCJG" 市场监督管理局,
//                             kind "department".
//
// Deterministic: the same options give the same DemoDistrict on the same build, byte for byte.
// Pure and thread-safe. Takes well under a second at scale 1 (release build).

#include <cstdint>
#include <string>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/geo/district.h"

namespace citygrid::geo {

struct DemoOptions {
  uint64_t seed = 410103;
  // Multiplies the district's area and its number of communities and grids (the number of
  // sub-districts stays 14): scale 10 gives about 1,000 communities and 50,000 grids.
  // Valid range [0.05, 100].
  double scale = 1.0;
};

// A unit (责任单位) the demo geography refers to.
struct DemoUnit {
  std::string code;  // e.g. "410103001" or "CGJ"
  std::string name;  // e.g. "淮河路街道办事处", "城市管理局"
  std::string kind;  // "street_office" or "department"
  friend bool operator==(const DemoUnit&, const DemoUnit&) = default;
};

struct DemoDistrict {
  Geography geography;         // passes ValidateGeography
  std::vector<DemoUnit> units;  // every unit code used by roads and zones, street offices first
  friend bool operator==(const DemoDistrict&, const DemoDistrict&) = default;
};

// Builds the demo district. kInvalidArgument if options.scale is outside [0.05, 100] or not
// finite; kInternal if the construction breaks an invariant (a bug).
Result<DemoDistrict> GenerateDemoDistrict(const DemoOptions& options = {});

}  // namespace citygrid::geo
