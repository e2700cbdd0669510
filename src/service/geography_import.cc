#include "citygrid/service/geography_import.h"

#include <boost/json.hpp>

#include <map>
#include <set>
#include <utility>

#include "citygrid/geo/geojson.h"
#include "citygrid/geo/grid_code.h"

namespace citygrid::service {
namespace {

enum class Layer { kDistrict, kSubDistrict, kCommunity, kGrid, kRoad, kZone };

constexpr std::pair<std::string_view, Layer> kLayerNames[] = {
    {"district", Layer::kDistrict}, {"subdistrict", Layer::kSubDistrict},
    {"community", Layer::kCommunity}, {"grid", Layer::kGrid},
    {"road", Layer::kRoad},         {"zone", Layer::kZone},
};

std::string FeatureName(const geo::GeoJsonFeature& f) {
  return "feature " + std::to_string(f.index) + (f.id.empty() ? "" : " (id " + f.id + ")");
}

Status FeatureError(const geo::GeoJsonFeature& f, const std::string& reason) {
  return InvalidArgumentError(FeatureName(f) + ": " + reason);
}

std::string Property(const geo::GeoJsonFeature& f, const std::string& key) {
  auto it = f.properties.find(key);
  return it == f.properties.end() ? "" : it->second;
}

// The code of an area feature: property "code", else the feature's id.
std::string CodeOf(const geo::GeoJsonFeature& f) {
  std::string code = Property(f, "code");
  return code.empty() ? f.id : code;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

Result<Layer> LayerOf(const geo::GeoJsonFeature& f) {
  std::string named = Property(f, "layer");
  if (!named.empty()) {
    for (const auto& [name, layer] : kLayerNames) {
      if (named == name) {
        bool linear = f.kind == geo::GeometryKind::kLinear;
        if ((layer == Layer::kRoad) != linear) {
          return FeatureError(f, "layer '" + named + "' needs " +
                                     (linear ? "a polygon" : "a LineString") + " geometry");
        }
        return layer;
      }
    }
    return FeatureError(f, "unknown layer '" + named.substr(0, 40) +
                               "'; layers are district, subdistrict, community, grid, road, "
                               "zone");
  }
  if (f.kind == geo::GeometryKind::kPoint) {
    return FeatureError(f, "a point is no part of a district's geography (areas and roads "
                           "only)");
  }
  if (f.kind == geo::GeometryKind::kLinear) return Layer::kRoad;
  std::string code = CodeOf(f);
  if (AllDigits(code)) {
    switch (code.size()) {
      case 6: return Layer::kDistrict;
      case 9: return Layer::kSubDistrict;
      case 12: return Layer::kCommunity;
      case 15: return Layer::kGrid;
      default: break;
    }
    return FeatureError(f, "code '" + code.substr(0, 40) + "' has " +
                               std::to_string(code.size()) +
                               " digits; a district, sub-district, community or grid code has "
                               "6, 9, 12 or 15 (or set property 'layer')");
  }
  if (!Property(f, "unit").empty()) return Layer::kZone;
  return FeatureError(f, "cannot tell its layer: no numeric code and no unit; set property "
                         "'layer' to district, subdistrict, community, grid, road or zone");
}

Result<std::vector<std::string>> ParseCategories(const geo::GeoJsonFeature& f,
                                                 const std::string& text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  if (text.front() == '[') {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(text, ec);
    if (ec || !v.is_array()) return FeatureError(f, "property 'categories' is not an array");
    for (const auto& item : v.as_array()) {
      if (!item.is_string()) {
        return FeatureError(f, "property 'categories' must hold category codes as strings");
      }
      out.emplace_back(item.as_string());
    }
  } else {
    size_t start = 0;
    while (start <= text.size()) {
      size_t comma = text.find(',', start);
      std::string one = text.substr(start, comma == std::string::npos ? std::string::npos
                                                                      : comma - start);
      if (!one.empty()) out.push_back(one);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  for (const std::string& c : out) {
    if (c.size() != 5 || !AllDigits(c)) {
      return FeatureError(f, "category '" + c.substr(0, 20) + "' is not a 5-digit category code");
    }
  }
  return out;
}

Status RequireName(const geo::GeoJsonFeature& f, std::string_view what) {
  if (f.name.empty()) {
    return FeatureError(f, std::string(what) + " has no name (property 'name')");
  }
  return OkStatus();
}

}  // namespace

Result<ImportedGeography> GeographyFromGeoJson(std::string_view text, geo::Crs crs) {
  geo::GeoJsonOptions options;
  options.crs = crs;
  CITYGRID_ASSIGN_OR_RETURN(geo::GeoJsonDocument doc, geo::ParseGeoJson(text, options));
  if (doc.features.empty()) return InvalidArgumentError("the FeatureCollection has no features");

  // Sort the features by layer first: parents are checked before children whatever the file
  // order.
  std::map<Layer, std::vector<const geo::GeoJsonFeature*>> by_layer;
  for (const geo::GeoJsonFeature& f : doc.features) {
    CITYGRID_ASSIGN_OR_RETURN(Layer layer, LayerOf(f));
    by_layer[layer].push_back(&f);
  }
  ImportedGeography out;
  out.warnings = std::move(doc.warnings);
  geo::Geography& g = out.geography;

  const auto& districts = by_layer[Layer::kDistrict];
  if (districts.empty()) {
    return InvalidArgumentError("no district: one feature must be the district (a 6-digit code "
                                "or property layer=district)");
  }
  if (districts.size() > 1) {
    return FeatureError(*districts[1], "a second district; the file must hold exactly one "
                                       "(the first is feature " +
                                           std::to_string(districts[0]->index) + ")");
  }
  const geo::GeoJsonFeature& d = *districts[0];
  g.district.code = CodeOf(d);
  if (!geo::GridCode::ParseAt(g.district.code, geo::AreaLevel::kDistrict).ok()) {
    return FeatureError(d, "district code '" + g.district.code.substr(0, 40) +
                               "' is not 6 digits");
  }
  CITYGRID_RETURN_IF_ERROR(RequireName(d, "the district"));
  g.district.name = d.name;
  g.district.area = d.polygons;

  std::set<std::string> seen{g.district.code};
  // Area levels below the district: code length, unique, parent present, named.
  struct AreaStep {
    Layer layer;
    geo::AreaLevel level;
    const char* what;
  };
  const AreaStep steps[] = {
      {Layer::kSubDistrict, geo::AreaLevel::kSubDistrict, "sub-district"},
      {Layer::kCommunity, geo::AreaLevel::kCommunity, "community"},
      {Layer::kGrid, geo::AreaLevel::kGrid, "grid"},
  };
  for (const AreaStep& step : steps) {
    for (const geo::GeoJsonFeature* f : by_layer[step.layer]) {
      std::string code = CodeOf(*f);
      Result<geo::GridCode> parsed = geo::GridCode::ParseAt(code, step.level);
      if (!parsed.ok()) return FeatureError(*f, parsed.status().message());
      std::string parent = parsed->Parent()->str();
      if (!seen.contains(parent)) {
        return FeatureError(*f, std::string(step.what) + " code " + code +
                                    " lies under " + parent + ", which is not in the file");
      }
      if (!seen.insert(code).second) {
        return FeatureError(*f, "code " + code + " appears twice");
      }
      if (step.layer == Layer::kSubDistrict) {
        CITYGRID_RETURN_IF_ERROR(RequireName(*f, "a sub-district"));
        g.subdistricts.push_back({code, f->name, f->polygons});
      } else if (step.layer == Layer::kCommunity) {
        CITYGRID_RETURN_IF_ERROR(RequireName(*f, "a community"));
        g.communities.push_back({code, f->name, f->polygons});
      } else {
        g.grids.push_back({code, f->polygons});
      }
    }
  }

  std::set<std::string> ids;
  for (const geo::GeoJsonFeature* f : by_layer[Layer::kRoad]) {
    geo::RoadSegment r;
    r.id = Property(*f, "id");
    if (r.id.empty()) r.id = f->id;
    if (r.id.empty()) return FeatureError(*f, "a road segment needs an id (property 'id')");
    if (!ids.insert("road:" + r.id).second) return FeatureError(*f, "road id appears twice");
    CITYGRID_RETURN_IF_ERROR(RequireName(*f, "a road segment"));
    r.name = f->name;
    if (f->lines.size() != 1) {
      return FeatureError(*f, "a road segment must be one LineString, not " +
                                  std::to_string(f->lines.size()) + " lines");
    }
    r.line = f->lines.front();
    r.chief.name = Property(*f, "chief.name");
    if (r.chief.name.empty()) r.chief.name = Property(*f, "chief_name");
    r.chief.phone = Property(*f, "chief.phone");
    if (r.chief.phone.empty()) r.chief.phone = Property(*f, "chief_phone");
    if (r.chief.name.empty()) {
      return FeatureError(*f, "a road segment needs its road chief (路长): property chief.name "
                              "or chief_name");
    }
    if (!geo::IsPlausiblePhone(r.chief.phone)) {
      return FeatureError(*f, "road chief phone '" + r.chief.phone.substr(0, 30) +
                                  "' is not a plausible phone number");
    }
    r.unit = Property(*f, "unit");
    if (!geo::IsValidUnitCode(r.unit)) {
      return FeatureError(*f, "property 'unit' '" + r.unit.substr(0, 40) +
                                  "' is not a unit code");
    }
    g.roads.push_back(std::move(r));
  }
  for (const geo::GeoJsonFeature* f : by_layer[Layer::kZone]) {
    geo::ResponsibilityZone z;
    z.id = Property(*f, "id");
    if (z.id.empty()) z.id = f->id;
    if (z.id.empty()) return FeatureError(*f, "a zone needs an id (property 'id')");
    if (!ids.insert("zone:" + z.id).second) return FeatureError(*f, "zone id appears twice");
    CITYGRID_RETURN_IF_ERROR(RequireName(*f, "a zone"));
    z.name = f->name;
    z.area = f->polygons;
    z.unit = Property(*f, "unit");
    if (!geo::IsValidUnitCode(z.unit)) {
      return FeatureError(*f, "property 'unit' '" + z.unit.substr(0, 40) +
                                  "' is not a unit code");
    }
    CITYGRID_ASSIGN_OR_RETURN(z.categories, ParseCategories(*f, Property(*f, "categories")));
    g.zones.push_back(std::move(z));
  }

  Status whole = geo::ValidateGeography(g);
  if (!whole.ok()) return InvalidArgumentError("geography: " + whole.message());
  return out;
}

}  // namespace citygrid::service
