#pragma once

// LocalProjection: WGS84 degrees ↔ metres on a plane around a chosen origin, for areas, lengths
// and clipping at the scale of a district.
//
// The projection is the ellipsoidal sinusoidal projection (WGS84 ellipsoid) with the central
// meridian through the origin, shifted so the origin maps to (0, 0):
//   x = N(φ)·cos φ·(λ − λ0)          (exact length along the parallel through the point)
//   y = m(φ) − m(φ0)                 (meridian arc length from the origin's latitude)
// It is equal-area: planar area equals ellipsoidal area exactly (up to rounding). Lengths are
// exact along parallels and along the central meridian; away from the central meridian the
// meridians shear by about Δλ·sin φ, so a length's relative error is at most about
// ½·Δλ·sin φ: below 0.05 % within 10 km east or west of the origin at Chinese latitudes (the
// 0.1 % this layer promises over a district holds within about 15 km). x points east, y north,
// so ring orientation is preserved. Not for geometry spanning hundreds of kilometres or the
// antimeridian.
//
// Pure and thread-safe (immutable after construction).

#include "citygrid/geo/geometry.h"

namespace citygrid::geo {

// Metres east (x) and north (y) of a projection's origin.
struct PlanePoint {
  double x = 0;
  double y = 0;
  friend bool operator==(const PlanePoint&, const PlanePoint&) = default;
};

class LocalProjection {
 public:
  // REQUIRES: origin.lat within (-89, 89).
  explicit LocalProjection(LonLat origin);

  // A projection centred on the bounding box of `area` (the box centre). An empty area gives
  // origin (0, 0).
  static LocalProjection CenteredOn(const MultiPolygon& area);

  PlanePoint Forward(LonLat p) const;
  // Inverse of Forward; round trip error below 1e-9 degrees within 100 km of the origin.
  LonLat Inverse(PlanePoint p) const;

  const LonLat& origin() const { return origin_; }

 private:
  LonLat origin_;
  double origin_arc_ = 0;  // m(φ0), metres
};

// Ellipsoidal area of `area` in square metres (holes subtracted), through a LocalProjection
// centred on it. Rings may wind either way; each polygon's area is taken as |outer| − Σ|hole|.
double AreaSquareMetres(const MultiPolygon& area);

// Length of `line` in metres through a LocalProjection centred on its first point.
double LengthMetres(const LineString& line);

}  // namespace citygrid::geo
