#pragma once

// Resolves an Open311 address_string against the district's own geography, for reports that
// carry no lat/long: a responsibility zone (park, market), a road, a community or a sub-district
// whose name the address names. No external geocoder is asked.
//
// Matching: the address (trimmed) equals a feature's name, or contains it, or contains its stem
// (the name without a trailing 街道, 社区, 居委会, 办事处, 镇 or 乡, when at least two characters
// remain: "建中街12号" names 建中街街道). The longest matched text wins; on a tie the more
// specific kind (zone, road, community, sub-district), then the lower code or id.
//
// The point: a road's point halfway along its length (of the segment in the middle when the road
// has several segments of that name); a polygon's representative point, inside it: the middle of
// the widest stretch of the horizontal line through the middle of its largest part.
//
// Pure; thread-compatible.

#include <string>
#include <string_view>

#include "citygrid/common/status.h"
#include "citygrid/geo/district.h"
#include "citygrid/geo/geometry.h"

namespace citygrid::service {

struct ResolvedAddress {
  geo::LonLat point;  // WGS84, like the geography
  std::string kind;   // "zone", "road", "community" or "subdistrict"
  std::string id;     // zone or road id, community or sub-district code
  std::string name;   // the feature's name
};

// kInvalidArgument naming the address (and the district) when nothing matches or it is empty.
Result<ResolvedAddress> ResolveAddress(const geo::Geography& geography, std::string_view address);

// A point inside `area` (see the file comment); the first vertex when the line finds no stretch.
geo::LonLat RepresentativePoint(const geo::MultiPolygon& area);

// The point halfway along `line` (its only point for one point; {0,0} for none).
geo::LonLat Midpoint(const geo::LineString& line);

}  // namespace citygrid::service
