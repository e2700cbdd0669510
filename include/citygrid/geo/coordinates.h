#pragma once

// Coordinate reference systems used in China and conversions between them.
//
//   WGS84  — GPS, OpenStreetMap, what citygrid stores.
//   GCJ-02 — the national "offset" system (国测局坐标, "火星坐标"): Amap/高德, Tencent, Aliyun DataV.
//   BD-09  — Baidu's further offset of GCJ-02 (百度坐标).
//
// Forward conversions (WGS84 → GCJ-02 → BD-09) are the published closed forms. The inverses have
// no closed form; they are solved by fixed-point iteration on the forward function until the
// round trip is below 1e-10 degrees (about 0.01 mm), at most 32 steps.
//
// Outside China the offsets are not applied: a point is "in China" when
// 72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271 (the rough bounding box every public
// implementation uses; it also covers parts of neighbouring countries, which is the rule as
// practised). The rule is applied to the input of each conversion, in every direction, so
// WGS84/GCJ-02/BD-09 are all the identity outside the box.
//
// All functions are pure, thread-safe and never fail; non-finite input is returned unchanged.

#include <optional>
#include <string>
#include <string_view>

#include "citygrid/geo/geometry.h"

namespace citygrid::geo {

enum class Crs { kWgs84, kGcj02, kBd09 };

// "wgs84", "gcj02", "bd09".
std::string_view CrsName(Crs crs);

// Parses "wgs84" | "gcj02" | "bd09" (case-insensitive; "wgs-84", "gcj-02", "bd-09" too).
std::optional<Crs> ParseCrs(std::string_view text);

// True inside the rough China bounding box described above.
bool InChina(LonLat p);

LonLat Wgs84ToGcj02(LonLat p);
LonLat Gcj02ToWgs84(LonLat p);  // iterated inverse
LonLat Gcj02ToBd09(LonLat p);
LonLat Bd09ToGcj02(LonLat p);   // iterated inverse
LonLat Wgs84ToBd09(LonLat p);
LonLat Bd09ToWgs84(LonLat p);

// Converts `p` from `from` to `to` (identity when equal).
LonLat Convert(LonLat p, Crs from, Crs to);

// Great-circle distance in metres on a sphere of the mean Earth radius (6,371,008.8 m).
double HaversineMetres(LonLat a, LonLat b);

// Metres per degree of latitude on that sphere (about 111,195 m).
inline constexpr double kMetresPerDegree = 6371008.8 * 3.14159265358979323846 / 180.0;

}  // namespace citygrid::geo
