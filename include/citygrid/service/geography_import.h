#pragma once

// A district's geography from one GeoJSON file (PUT /api/v1/geography with a FeatureCollection):
// every feature is one item of the district model (geo/district.h).
//
// A feature's layer is its property "layer" (district, subdistrict, community, grid, road,
// zone), or else inferred: a line is a road; a polygon whose code is 6, 9, 12 or 15 digits is
// the district, a sub-district, a community or a unit grid; a polygon with a "unit" property
// and a non-numeric id is a responsibility zone. Properties read per layer (missing ones are
// errors where the model needs them):
//   district, subdistrict, community: code (else the feature id / DataV adcode), name
//   grid:  code
//   road:  id (else the feature id), name, chief.name + chief.phone (a nested "chief" object,
//          or chief_name / chief_phone), unit
//   zone:  id, name, unit, categories (a JSON array or a comma-separated list; optional)
// The GeoJSON layers GET /api/v1/geography/{layer} returns carry exactly these properties, so
// their features concatenated into one FeatureCollection (plus the district) upload again.
//
// Geometry is converted from `crs` to WGS84 and validated by geo/geojson.h (rings closed and
// oriented as repairs, anything ambiguous an error). Errors are kInvalidArgument naming the
// feature: "feature 12 (id 410103001002): community code must start with an existing
// sub-district's code"; a whole-snapshot rule (geo::ValidateGeography) that no single feature
// breaks is named as "geography: ...". Nothing is returned on error.

#include <string>
#include <string_view>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/geo/coordinates.h"
#include "citygrid/geo/district.h"

namespace citygrid::service {

struct ImportedGeography {
  geo::Geography geography;
  std::vector<std::string> warnings;  // repairs, one sentence each, naming the feature
};

Result<ImportedGeography> GeographyFromGeoJson(std::string_view text,
                                               geo::Crs crs = geo::Crs::kWgs84);

}  // namespace citygrid::service
