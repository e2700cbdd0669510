#include "citygrid/geo/projection.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace citygrid::geo {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDegToRad = kPi / 180.0;
// WGS84 ellipsoid.
constexpr double kA = 6378137.0;
constexpr double kF = 1.0 / 298.257223563;
constexpr double kE2 = kF * (2.0 - kF);

// Meridian arc length from the equator to latitude `phi` (radians), metres. Series in e²
// (truncated at e⁶: error well below a millimetre, and only differences are used).
double MeridianArc(double phi) {
  constexpr double e2 = kE2;
  constexpr double e4 = e2 * e2;
  constexpr double e6 = e4 * e2;
  constexpr double c0 = 1.0 - e2 / 4.0 - 3.0 * e4 / 64.0 - 5.0 * e6 / 256.0;
  constexpr double c2 = 3.0 * e2 / 8.0 + 3.0 * e4 / 32.0 + 45.0 * e6 / 1024.0;
  constexpr double c4 = 15.0 * e4 / 256.0 + 45.0 * e6 / 1024.0;
  constexpr double c6 = 35.0 * e6 / 3072.0;
  return kA * (c0 * phi - c2 * std::sin(2 * phi) + c4 * std::sin(4 * phi) -
               c6 * std::sin(6 * phi));
}

// Radius of curvature in the meridian, M(φ) = dm/dφ.
double MeridianRadius(double phi) {
  const double s = std::sin(phi);
  const double w = 1.0 - kE2 * s * s;
  return kA * (1.0 - kE2) / (w * std::sqrt(w));
}

// Radius of curvature in the prime vertical, N(φ).
double PrimeVerticalRadius(double phi) {
  const double s = std::sin(phi);
  return kA / std::sqrt(1.0 - kE2 * s * s);
}

double WrapDegrees(double d) {
  while (d > 180.0) d -= 360.0;
  while (d < -180.0) d += 360.0;
  return d;
}

double SignedRingArea(const Ring& ring, const LocalProjection& proj) {
  double twice = 0;
  if (ring.size() < 3) return 0;
  PlanePoint prev = proj.Forward(ring.back());
  for (const LonLat& p : ring) {
    PlanePoint cur = proj.Forward(p);
    twice += prev.x * cur.y - cur.x * prev.y;
    prev = cur;
  }
  return twice / 2;
}

}  // namespace

LocalProjection::LocalProjection(LonLat origin)
    : origin_(origin), origin_arc_(MeridianArc(origin.lat * kDegToRad)) {}

LocalProjection LocalProjection::CenteredOn(const MultiPolygon& area) {
  double min_lon = std::numeric_limits<double>::infinity(), min_lat = min_lon;
  double max_lon = -min_lon, max_lat = -min_lon;
  for (const Polygon& poly : area) {
    for (const LonLat& p : poly.outer) {
      min_lon = std::min(min_lon, p.lon);
      max_lon = std::max(max_lon, p.lon);
      min_lat = std::min(min_lat, p.lat);
      max_lat = std::max(max_lat, p.lat);
    }
  }
  if (!(min_lon <= max_lon) || !(min_lat <= max_lat)) return LocalProjection(LonLat{0, 0});
  return LocalProjection(LonLat{(min_lon + max_lon) / 2, (min_lat + max_lat) / 2});
}

PlanePoint LocalProjection::Forward(LonLat p) const {
  const double phi = p.lat * kDegToRad;
  const double dlambda = WrapDegrees(p.lon - origin_.lon) * kDegToRad;
  return PlanePoint{PrimeVerticalRadius(phi) * std::cos(phi) * dlambda,
                    MeridianArc(phi) - origin_arc_};
}

LonLat LocalProjection::Inverse(PlanePoint p) const {
  const double target = p.y + origin_arc_;
  double phi = origin_.lat * kDegToRad + p.y / MeridianRadius(origin_.lat * kDegToRad);
  // Newton on m(φ) = target; converges to machine precision in 3-4 steps at district scale.
  for (int i = 0; i < 10; ++i) {
    const double step = (MeridianArc(phi) - target) / MeridianRadius(phi);
    phi -= step;
    if (std::abs(step) < 1e-15) break;
  }
  const double parallel = PrimeVerticalRadius(phi) * std::cos(phi);
  const double dlambda = parallel > 0 ? p.x / parallel : 0.0;
  return LonLat{WrapDegrees(origin_.lon + dlambda / kDegToRad), phi / kDegToRad};
}

double AreaSquareMetres(const MultiPolygon& area) {
  const LocalProjection proj = LocalProjection::CenteredOn(area);
  double total = 0;
  for (const Polygon& poly : area) {
    double a = std::abs(SignedRingArea(poly.outer, proj));
    for (const Ring& hole : poly.holes) a -= std::abs(SignedRingArea(hole, proj));
    total += a;
  }
  return total;
}

double LengthMetres(const LineString& line) {
  if (line.size() < 2) return 0;
  const LocalProjection proj(line.front());
  double total = 0;
  PlanePoint prev = proj.Forward(line.front());
  for (size_t i = 1; i < line.size(); ++i) {
    PlanePoint cur = proj.Forward(line[i]);
    total += std::hypot(cur.x - prev.x, cur.y - prev.y);
    prev = cur;
  }
  return total;
}

}  // namespace citygrid::geo
