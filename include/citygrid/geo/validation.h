#pragma once

// Validation and unambiguous repair of imported geometry (coordinates in degrees, WGS84).
//
// Checks, in order, for each ring of each polygon:
//   1. every coordinate is finite, lon in [-180, 180], lat in [-90, 90];
//   2. consecutive repeated points are dropped                          (repair, reported);
//   3. an unclosed ring (last point != first) is closed                  (repair, reported);
//   4. a ring needs at least 3 distinct points and a non-zero area;
//   5. outer rings are made counter-clockwise and holes clockwise (RFC 7946)  (repair, reported);
// then the whole multipolygon goes through Boost.Geometry's OGC validity check (is_valid), which
// rejects self-intersections, holes outside their shell, nested or overlapping parts, spikes...
// with the library's own reason. Nothing else is repaired: anything ambiguous is an error.
//
// Errors are kInvalidArgument; the message names "polygon P ring R point K" (0-based; ring 0 is
// the outer ring). Repairs are appended to `repairs` as sentences with the same naming. Callers
// prefix their own context (file, feature index) with Status::WithContext.

#include <string>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/geo/geometry.h"

namespace citygrid::geo {

// kInvalidArgument unless `p` is finite and within lon [-180, 180], lat [-90, 90].
Status ValidateLonLat(LonLat p);

// Validates `mp` in place as described above; `repairs` may be null.
Status NormalizeMultiPolygon(MultiPolygon* mp, std::vector<std::string>* repairs);

// Validates each line: coordinates as above, consecutive repeats dropped (reported), and at
// least 2 distinct points.
Status NormalizeMultiLineString(MultiLineString* lines, std::vector<std::string>* repairs);

// Signed area of a closed ring in square degrees (positive when counter-clockwise).
double SignedAreaDegrees(const Ring& ring);

BoundingBox BoundsOf(const MultiPolygon& mp);

}  // namespace citygrid::geo
