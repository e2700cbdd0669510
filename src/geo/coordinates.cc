#include "citygrid/geo/coordinates.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace citygrid::geo {
namespace {

constexpr double kPi = 3.14159265358979323846;
// Krasovsky 1940 ellipsoid, as used by the GCJ-02 algorithm.
constexpr double kA = 6378245.0;
constexpr double kEe = 0.00669342162296594323;
constexpr double kXPi = kPi * 3000.0 / 180.0;
// Iteration stops when the forward image is this close to the target (degrees).
constexpr double kInverseTolerance = 1e-10;
constexpr int kMaxIterations = 32;

double TransformLat(double x, double y) {
  double r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * std::sqrt(std::fabs(x));
  r += (20.0 * std::sin(6.0 * x * kPi) + 20.0 * std::sin(2.0 * x * kPi)) * 2.0 / 3.0;
  r += (20.0 * std::sin(y * kPi) + 40.0 * std::sin(y / 3.0 * kPi)) * 2.0 / 3.0;
  r += (160.0 * std::sin(y / 12.0 * kPi) + 320.0 * std::sin(y * kPi / 30.0)) * 2.0 / 3.0;
  return r;
}

double TransformLon(double x, double y) {
  double r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * std::sqrt(std::fabs(x));
  r += (20.0 * std::sin(6.0 * x * kPi) + 20.0 * std::sin(2.0 * x * kPi)) * 2.0 / 3.0;
  r += (20.0 * std::sin(x * kPi) + 40.0 * std::sin(x / 3.0 * kPi)) * 2.0 / 3.0;
  r += (150.0 * std::sin(x / 12.0 * kPi) + 300.0 * std::sin(x / 30.0 * kPi)) * 2.0 / 3.0;
  return r;
}

bool Finite(LonLat p) { return std::isfinite(p.lon) && std::isfinite(p.lat); }

// The closed forms, without the China test.
LonLat RawWgsToGcj(LonLat p) {
  double dlat = TransformLat(p.lon - 105.0, p.lat - 35.0);
  double dlon = TransformLon(p.lon - 105.0, p.lat - 35.0);
  double radlat = p.lat / 180.0 * kPi;
  double magic = std::sin(radlat);
  magic = 1 - kEe * magic * magic;
  double sqrtmagic = std::sqrt(magic);
  dlat = (dlat * 180.0) / ((kA * (1 - kEe)) / (magic * sqrtmagic) * kPi);
  dlon = (dlon * 180.0) / (kA / sqrtmagic * std::cos(radlat) * kPi);
  return {p.lon + dlon, p.lat + dlat};
}

LonLat RawGcjToBd(LonLat p) {
  double z = std::sqrt(p.lon * p.lon + p.lat * p.lat) + 0.00002 * std::sin(p.lat * kXPi);
  double theta = std::atan2(p.lat, p.lon) + 0.000003 * std::cos(p.lon * kXPi);
  return {z * std::cos(theta) + 0.0065, z * std::sin(theta) + 0.006};
}

// The usual one-step approximate inverse of RawGcjToBd; a good starting point.
LonLat ApproxBdToGcj(LonLat p) {
  double x = p.lon - 0.0065, y = p.lat - 0.006;
  double z = std::sqrt(x * x + y * y) - 0.00002 * std::sin(y * kXPi);
  double theta = std::atan2(y, x) - 0.000003 * std::cos(x * kXPi);
  return {z * std::cos(theta), z * std::sin(theta)};
}

// Solves forward(x) == target by x ← x − (forward(x) − target). The forward maps are the
// identity plus a slowly varying offset, so this contracts quickly (3-5 steps).
template <typename Forward>
LonLat Invert(LonLat target, LonLat guess, Forward forward) {
  LonLat x = guess;
  for (int i = 0; i < kMaxIterations; ++i) {
    LonLat f = forward(x);
    double dlon = f.lon - target.lon, dlat = f.lat - target.lat;
    x.lon -= dlon;
    x.lat -= dlat;
    if (std::fabs(dlon) < kInverseTolerance && std::fabs(dlat) < kInverseTolerance) break;
  }
  return x;
}

}  // namespace

std::string_view CrsName(Crs crs) {
  switch (crs) {
    case Crs::kWgs84: return "wgs84";
    case Crs::kGcj02: return "gcj02";
    case Crs::kBd09: return "bd09";
  }
  return "?";
}

std::optional<Crs> ParseCrs(std::string_view text) {
  std::string s;
  for (char c : text) {
    if (c != '-' && c != '_') s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (s == "wgs84") return Crs::kWgs84;
  if (s == "gcj02") return Crs::kGcj02;
  if (s == "bd09") return Crs::kBd09;
  return std::nullopt;
}

bool InChina(LonLat p) {
  return p.lon >= 72.004 && p.lon <= 137.8347 && p.lat >= 0.8293 && p.lat <= 55.8271;
}

LonLat Wgs84ToGcj02(LonLat p) {
  if (!Finite(p) || !InChina(p)) return p;
  return RawWgsToGcj(p);
}

LonLat Gcj02ToWgs84(LonLat p) {
  if (!Finite(p) || !InChina(p)) return p;
  LonLat first = RawWgsToGcj(p);
  LonLat guess{2 * p.lon - first.lon, 2 * p.lat - first.lat};
  return Invert(p, guess, RawWgsToGcj);
}

LonLat Gcj02ToBd09(LonLat p) {
  if (!Finite(p) || !InChina(p)) return p;
  return RawGcjToBd(p);
}

LonLat Bd09ToGcj02(LonLat p) {
  if (!Finite(p) || !InChina(p)) return p;
  return Invert(p, ApproxBdToGcj(p), RawGcjToBd);
}

LonLat Wgs84ToBd09(LonLat p) {
  if (!Finite(p) || !InChina(p)) return p;
  return RawGcjToBd(RawWgsToGcj(p));
}

LonLat Bd09ToWgs84(LonLat p) {
  if (!Finite(p) || !InChina(p)) return p;
  return Gcj02ToWgs84(Bd09ToGcj02(p));
}

LonLat Convert(LonLat p, Crs from, Crs to) {
  if (from == to) return p;
  LonLat wgs = p;
  if (from == Crs::kGcj02) wgs = Gcj02ToWgs84(p);
  if (from == Crs::kBd09) wgs = Bd09ToWgs84(p);
  if (to == Crs::kWgs84) return wgs;
  if (to == Crs::kGcj02) return from == Crs::kBd09 ? Bd09ToGcj02(p) : Wgs84ToGcj02(wgs);
  return from == Crs::kGcj02 ? Gcj02ToBd09(p) : Wgs84ToBd09(wgs);
}

double HaversineMetres(LonLat a, LonLat b) {
  constexpr double kR = 6371008.8;
  double lat1 = a.lat * kPi / 180, lat2 = b.lat * kPi / 180;
  double dlat = lat2 - lat1, dlon = (b.lon - a.lon) * kPi / 180;
  double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
             std::cos(lat1) * std::cos(lat2) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kR * std::asin(std::min(1.0, std::sqrt(h)));
}

}  // namespace citygrid::geo
