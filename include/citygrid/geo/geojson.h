#pragma once

// GeoJSON import (RFC 7946, plus the shapes public files really come in).
//
// Accepted top levels: a FeatureCollection, a bare Feature, or a JSON array of Features.
// Geometries: Polygon, MultiPolygon (→ polygons), LineString, MultiLineString (→ lines),
// Point, MultiPoint (→ points). Aliyun DataV boundary files (阿里云 DataV.GeoAtlas) are read
// with their properties: `adcode` (the feature id by default), `name`, `parent: {adcode}`,
// `level`, `center`.
//
// Coordinates are converted from `options.crs` to WGS84 on import, then validated and
// normalised by validation.h (closing unclosed rings, RFC 7946 winding; each repair becomes a
// warning naming the feature). Any other defect rejects the whole file with kInvalidArgument
// and a message "feature I (id X): <reason>" — I is the 0-based position of the feature in the
// file. Nothing is partially returned on error.
//
// Pure functions; thread-safe.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/geo/coordinates.h"
#include "citygrid/geo/geometry.h"

namespace citygrid::geo {

struct GeoJsonOptions {
  // Property holding the feature id. Empty: `adcode` when present, else the Feature's own
  // "id" member, else the feature index. When set, every feature must have it (else an error).
  std::string id_property;
  // Property holding the display name; a missing name is "".
  std::string name_property = "name";
  // CRS of the coordinates in the file; they are converted to WGS84.
  Crs crs = Crs::kWgs84;
};

enum class GeometryKind { kPolygonal, kLinear, kPoint };

struct GeoJsonFeature {
  std::size_t index = 0;  // position in the file
  std::string id;
  std::string name;
  // Property values as text: strings as is, numbers in shortest round-trip form (311, 34.5),
  // booleans "true"/"false", null "", arrays as compact JSON; nested objects are flattened
  // with dotted keys ("parent.adcode").
  std::map<std::string, std::string> properties;
  GeometryKind kind = GeometryKind::kPolygonal;
  MultiPolygon polygons;     // kPolygonal
  MultiLineString lines;     // kLinear
  std::vector<LonLat> points;  // kPoint
  // DataV extras ("" / nullopt when absent). `center` is converted to WGS84 too.
  std::string parent_code;
  std::string level;
  std::optional<LonLat> center;
};

struct GeoJsonDocument {
  std::vector<GeoJsonFeature> features;
  std::vector<std::string> warnings;  // one line per repair: "feature 3 (id 410103): ..."
};

// Parses GeoJSON text. Errors: kInvalidArgument (not JSON, wrong shapes or types, bad
// coordinates, invalid geometry), naming the feature and the reason.
Result<GeoJsonDocument> ParseGeoJson(std::string_view text, const GeoJsonOptions& options);

// Reads and parses a file. Errors: kNotFound if it cannot be opened; else as ParseGeoJson,
// prefixed with the path.
Result<GeoJsonDocument> ReadGeoJsonFile(const std::string& path, const GeoJsonOptions& options);

}  // namespace citygrid::geo
