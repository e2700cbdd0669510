#pragma once

// Private to src/geo: Boost.Geometry models and conversions from the plain value types of
// include/citygrid/geo/geometry.h. Coordinates stay degrees (lon = x, lat = y); callers that
// need metres project first (see the local equirectangular projection in the grid generator).

// GCC 12 reports false "maybe-uninitialized" positives inside Boost.Geometry's envelope and
// validity code at -O2; they are the library's, not ours, so they are silenced for its headers
// only (the diagnostic state is tracked by source location).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/geometry.hpp>
#include <boost/geometry/geometries/multi_polygon.hpp>
#include <boost/geometry/geometries/point_xy.hpp>
#include <boost/geometry/geometries/polygon.hpp>
#pragma GCC diagnostic pop

#include "citygrid/geo/geometry.h"

namespace citygrid::geo::bgx {

namespace bg = boost::geometry;

using Point = bg::model::d2::point_xy<double>;
// Counter-clockwise outer rings, closed (RFC 7946 winding).
using BgPolygon = bg::model::polygon<Point, /*ClockWise=*/false, /*Closed=*/true>;
using BgMultiPolygon = bg::model::multi_polygon<BgPolygon>;
using BgRing = BgPolygon::ring_type;
using BgLineString = bg::model::linestring<Point>;
using BgBox = bg::model::box<Point>;

inline BgRing ToBg(const Ring& ring) {
  BgRing out;
  out.reserve(ring.size());
  for (const LonLat& p : ring) out.emplace_back(p.lon, p.lat);
  return out;
}

inline BgPolygon ToBg(const Polygon& poly) {
  BgPolygon out;
  out.outer() = ToBg(poly.outer);
  for (const Ring& h : poly.holes) out.inners().push_back(ToBg(h));
  return out;
}

inline BgMultiPolygon ToBg(const MultiPolygon& mp) {
  BgMultiPolygon out;
  out.reserve(mp.size());
  for (const Polygon& p : mp) out.push_back(ToBg(p));
  return out;
}

inline Ring FromBg(const BgRing& ring) {
  Ring out;
  out.reserve(ring.size());
  for (const Point& p : ring) out.push_back(LonLat{p.x(), p.y()});
  return out;
}

inline Polygon FromBg(const BgPolygon& poly) {
  Polygon out;
  out.outer = FromBg(poly.outer());
  for (const BgRing& h : poly.inners()) out.holes.push_back(FromBg(h));
  return out;
}

inline MultiPolygon FromBg(const BgMultiPolygon& mp) {
  MultiPolygon out;
  out.reserve(mp.size());
  for (const BgPolygon& p : mp) out.push_back(FromBg(p));
  return out;
}

}  // namespace citygrid::geo::bgx
