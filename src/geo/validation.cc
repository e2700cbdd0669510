#include "citygrid/geo/validation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "boost_geometry.h"

namespace citygrid::geo {
namespace {

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string RingName(std::size_t poly, std::size_t ring) {
  return "polygon " + std::to_string(poly) + " ring " + std::to_string(ring);
}

Status CheckPoints(const std::vector<LonLat>& pts, const std::string& where) {
  for (std::size_t k = 0; k < pts.size(); ++k) {
    Status s = ValidateLonLat(pts[k]);
    if (!s.ok()) return s.WithContext(where + " point " + std::to_string(k));
  }
  return OkStatus();
}

// Drops consecutive repeated points; returns how many were dropped.
std::size_t DropRepeats(std::vector<LonLat>* pts) {
  auto end = std::unique(pts->begin(), pts->end());
  std::size_t dropped = static_cast<std::size_t>(pts->end() - end);
  pts->erase(end, pts->end());
  return dropped;
}

Status NormalizeRing(Ring* ring, bool outer, const std::string& where,
                     std::vector<std::string>* repairs) {
  auto note = [&](const std::string& what) {
    if (repairs) repairs->push_back(where + ": " + what);
  };
  CITYGRID_RETURN_IF_ERROR(CheckPoints(*ring, where));
  if (ring->empty()) return InvalidArgumentError(where + ": ring is empty");
  if (std::size_t n = DropRepeats(ring); n > 0) {
    note("dropped " + std::to_string(n) + " repeated consecutive point(s)");
  }
  if (ring->size() >= 2 && ring->front() != ring->back()) {
    ring->push_back(ring->front());
    note("closed an unclosed ring (appended the first point)");
  }
  if (ring->size() < 4) {
    return InvalidArgumentError(where + ": ring has " + std::to_string(ring->size() - 1) +
                                " distinct point(s); at least 3 are needed");
  }
  double area = SignedAreaDegrees(*ring);
  if (area == 0) {
    return InvalidArgumentError(where + ": ring has zero signed area (degenerate or "
                                "self-intersecting)");
  }
  if ((area > 0) != outer) {
    std::reverse(ring->begin(), ring->end());
    note(std::string("reversed to ") + (outer ? "counter-clockwise (outer ring)"
                                              : "clockwise (hole)") +
         " winding");
  }
  return OkStatus();
}

}  // namespace

Status ValidateLonLat(LonLat p) {
  if (!std::isfinite(p.lon) || !std::isfinite(p.lat)) {
    return InvalidArgumentError("coordinate is not a finite number");
  }
  if (p.lon < -180 || p.lon > 180) {
    return InvalidArgumentError("longitude " + Num(p.lon) + " is outside [-180, 180]");
  }
  if (p.lat < -90 || p.lat > 90) {
    return InvalidArgumentError("latitude " + Num(p.lat) + " is outside [-90, 90]");
  }
  return OkStatus();
}

double SignedAreaDegrees(const Ring& ring) {
  // Shoelace relative to the first point, which keeps the products small and precise.
  if (ring.size() < 3) return 0;
  double x0 = ring[0].lon, y0 = ring[0].lat, sum = 0;
  for (std::size_t i = 1; i + 1 < ring.size(); ++i) {
    sum += (ring[i].lon - x0) * (ring[i + 1].lat - y0) - (ring[i + 1].lon - x0) * (ring[i].lat - y0);
  }
  return sum / 2;
}

BoundingBox BoundsOf(const MultiPolygon& mp) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  BoundingBox b{kInf, kInf, -kInf, -kInf};
  for (const Polygon& poly : mp) {
    for (const LonLat& p : poly.outer) {
      b.min_lon = std::min(b.min_lon, p.lon);
      b.min_lat = std::min(b.min_lat, p.lat);
      b.max_lon = std::max(b.max_lon, p.lon);
      b.max_lat = std::max(b.max_lat, p.lat);
    }
  }
  return b;
}

Status NormalizeMultiPolygon(MultiPolygon* mp, std::vector<std::string>* repairs) {
  if (mp->empty()) return InvalidArgumentError("multipolygon has no polygons");
  for (std::size_t i = 0; i < mp->size(); ++i) {
    Polygon& poly = (*mp)[i];
    CITYGRID_RETURN_IF_ERROR(NormalizeRing(&poly.outer, true, RingName(i, 0), repairs));
    for (std::size_t j = 0; j < poly.holes.size(); ++j) {
      CITYGRID_RETURN_IF_ERROR(NormalizeRing(&poly.holes[j], false, RingName(i, j + 1), repairs));
    }
  }
  bgx::BgMultiPolygon bg_mp = bgx::ToBg(*mp);
  std::string reason;
  if (!boost::geometry::is_valid(bg_mp, reason)) {
    return InvalidArgumentError("invalid geometry: " + reason);
  }
  return OkStatus();
}

Status NormalizeMultiLineString(MultiLineString* lines, std::vector<std::string>* repairs) {
  if (lines->empty()) return InvalidArgumentError("multilinestring has no lines");
  for (std::size_t i = 0; i < lines->size(); ++i) {
    std::string where = "line " + std::to_string(i);
    LineString& line = (*lines)[i];
    CITYGRID_RETURN_IF_ERROR(CheckPoints(line, where));
    if (std::size_t n = DropRepeats(&line); n > 0 && repairs) {
      repairs->push_back(where + ": dropped " + std::to_string(n) +
                         " repeated consecutive point(s)");
    }
    if (line.size() < 2) {
      return InvalidArgumentError(where + ": needs at least 2 distinct points, has " +
                                  std::to_string(line.size()));
    }
  }
  return OkStatus();
}

}  // namespace citygrid::geo
