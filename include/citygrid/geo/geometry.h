#pragma once

// Plain geometry value types of the geo layer. Coordinates are degrees (lon, lat); stored
// geometry is always WGS84. Boost.Geometry adapts these types privately inside src/geo.

#include <vector>

namespace citygrid::geo {

struct LonLat {
  double lon = 0;
  double lat = 0;
  friend bool operator==(const LonLat&, const LonLat&) = default;
};

// A closed ring: front() == back(). Outer rings are counter-clockwise, holes clockwise
// (GeoJSON RFC 7946 winding) after import normalises them.
using Ring = std::vector<LonLat>;

struct Polygon {
  Ring outer;
  std::vector<Ring> holes;
  friend bool operator==(const Polygon&, const Polygon&) = default;
};

using MultiPolygon = std::vector<Polygon>;
using LineString = std::vector<LonLat>;
using MultiLineString = std::vector<LineString>;

struct BoundingBox {
  double min_lon = 0, min_lat = 0, max_lon = 0, max_lat = 0;
  friend bool operator==(const BoundingBox&, const BoundingBox&) = default;
};

}  // namespace citygrid::geo
