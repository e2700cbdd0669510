#include "citygrid/geo/geojson.h"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "citygrid/geo/validation.h"

namespace citygrid::geo {
namespace {

namespace json = boost::json;

std::string KindName(json::kind k) {
  switch (k) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "?";
}

std::string NumberText(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return ec == std::errc() ? std::string(buf, end) : std::string();
}

std::string ScalarText(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "";
    case json::kind::bool_: return v.get_bool() ? "true" : "false";
    case json::kind::int64: return std::to_string(v.get_int64());
    case json::kind::uint64: return std::to_string(v.get_uint64());
    case json::kind::double_: return NumberText(v.get_double());
    case json::kind::string: return std::string(v.get_string());
    default: return json::serialize(v);
  }
}

void FlattenProperties(const json::object& obj, const std::string& prefix,
                       std::map<std::string, std::string>* out) {
  for (const auto& [key, value] : obj) {
    std::string name = prefix + std::string(key);
    if (value.is_object()) {
      FlattenProperties(value.get_object(), name + ".", out);
    } else {
      (*out)[name] = ScalarText(value);
    }
  }
}

// Converts coordinates of one feature; `where` names positions inside the geometry.
class CoordinateReader {
 public:
  explicit CoordinateReader(Crs crs) : crs_(crs) {}

  Result<LonLat> Position(const json::value& v, const std::string& where) const {
    if (!v.is_array()) return Wrong(where, "a position [lon, lat]", v);
    const json::array& a = v.get_array();
    if (a.size() < 2) {
      return InvalidArgumentError(where + ": a position needs [lon, lat], got " +
                                  std::to_string(a.size()) + " number(s)");
    }
    double xy[2];
    for (int i = 0; i < 2; ++i) {
      if (!a[i].is_number()) return Wrong(where + (i ? " latitude" : " longitude"), "a number", a[i]);
      xy[i] = a[i].to_number<double>();
    }
    LonLat p{xy[0], xy[1]};
    Status s = ValidateLonLat(p);
    if (!s.ok()) return s.WithContext(where);
    return Convert(p, crs_, Crs::kWgs84);
  }

  Result<std::vector<LonLat>> Positions(const json::value& v, const std::string& where) const {
    if (!v.is_array()) return Wrong(where, "an array of positions", v);
    std::vector<LonLat> out;
    out.reserve(v.get_array().size());
    std::size_t k = 0;
    for (const json::value& p : v.get_array()) {
      CITYGRID_ASSIGN_OR_RETURN(LonLat ll, Position(p, where + " point " + std::to_string(k++)));
      out.push_back(ll);
    }
    return out;
  }

  Result<Polygon> PolygonOf(const json::value& v, const std::string& where) const {
    if (!v.is_array()) return Wrong(where, "an array of rings", v);
    const json::array& rings = v.get_array();
    if (rings.empty()) return InvalidArgumentError(where + ": polygon has no rings");
    Polygon poly;
    for (std::size_t r = 0; r < rings.size(); ++r) {
      CITYGRID_ASSIGN_OR_RETURN(std::vector<LonLat> ring,
                                Positions(rings[r], where + " ring " + std::to_string(r)));
      if (r == 0) {
        poly.outer = std::move(ring);
      } else {
        poly.holes.push_back(std::move(ring));
      }
    }
    return poly;
  }

  static Status Wrong(const std::string& where, const std::string& want, const json::value& got) {
    return InvalidArgumentError(where + ": expected " + want + ", got " + KindName(got.kind()));
  }

 private:
  Crs crs_;
};

Status ReadGeometry(const json::value& gv, const CoordinateReader& reader, GeoJsonFeature* f,
                    std::vector<std::string>* repairs) {
  if (!gv.is_object()) {
    if (gv.is_null()) return InvalidArgumentError("geometry is null");
    return CoordinateReader::Wrong("geometry", "an object", gv);
  }
  const json::object& g = gv.get_object();
  const json::value* type = g.if_contains("type");
  if (!type || !type->is_string()) return InvalidArgumentError("geometry has no \"type\" string");
  std::string t(type->get_string());
  const json::value* coords = g.if_contains("coordinates");
  if (!coords) return InvalidArgumentError(t + " geometry has no \"coordinates\"");
  if (t == "Polygon") {
    f->kind = GeometryKind::kPolygonal;
    CITYGRID_ASSIGN_OR_RETURN(Polygon p, reader.PolygonOf(*coords, "polygon 0"));
    f->polygons.push_back(std::move(p));
  } else if (t == "MultiPolygon") {
    f->kind = GeometryKind::kPolygonal;
    if (!coords->is_array()) return CoordinateReader::Wrong("coordinates", "an array", *coords);
    std::size_t i = 0;
    for (const json::value& pv : coords->get_array()) {
      CITYGRID_ASSIGN_OR_RETURN(Polygon p, reader.PolygonOf(pv, "polygon " + std::to_string(i++)));
      f->polygons.push_back(std::move(p));
    }
  } else if (t == "LineString") {
    f->kind = GeometryKind::kLinear;
    CITYGRID_ASSIGN_OR_RETURN(LineString l, reader.Positions(*coords, "line 0"));
    f->lines.push_back(std::move(l));
  } else if (t == "MultiLineString") {
    f->kind = GeometryKind::kLinear;
    if (!coords->is_array()) return CoordinateReader::Wrong("coordinates", "an array", *coords);
    std::size_t i = 0;
    for (const json::value& lv : coords->get_array()) {
      CITYGRID_ASSIGN_OR_RETURN(LineString l, reader.Positions(lv, "line " + std::to_string(i++)));
      f->lines.push_back(std::move(l));
    }
  } else if (t == "Point") {
    f->kind = GeometryKind::kPoint;
    CITYGRID_ASSIGN_OR_RETURN(LonLat p, reader.Position(*coords, "point"));
    f->points.push_back(p);
  } else if (t == "MultiPoint") {
    f->kind = GeometryKind::kPoint;
    CITYGRID_ASSIGN_OR_RETURN(f->points, reader.Positions(*coords, "multipoint"));
    if (f->points.empty()) return InvalidArgumentError("MultiPoint has no points");
  } else {
    return InvalidArgumentError("unsupported geometry type \"" + t + "\"");
  }
  if (f->kind == GeometryKind::kPolygonal) return NormalizeMultiPolygon(&f->polygons, repairs);
  if (f->kind == GeometryKind::kLinear) return NormalizeMultiLineString(&f->lines, repairs);
  return OkStatus();
}

Status ReadFeature(const json::value& fv, std::size_t index, const GeoJsonOptions& options,
                   GeoJsonFeature* f, std::vector<std::string>* warnings) {
  f->index = index;
  if (!fv.is_object()) return CoordinateReader::Wrong("feature", "an object", fv);
  const json::object& obj = fv.get_object();
  const json::value* type = obj.if_contains("type");
  if (!type || !type->is_string() || type->get_string() != "Feature") {
    return InvalidArgumentError("expected an object with \"type\": \"Feature\"");
  }
  const json::value* props = obj.if_contains("properties");
  if (props && !props->is_null()) {
    if (!props->is_object()) return CoordinateReader::Wrong("properties", "an object", *props);
    FlattenProperties(props->get_object(), "", &f->properties);
  }
  auto prop = [&](const std::string& key) -> const std::string* {
    auto it = f->properties.find(key);
    return it == f->properties.end() ? nullptr : &it->second;
  };
  if (!options.id_property.empty()) {
    const std::string* id = prop(options.id_property);
    if (!id || id->empty()) {
      return InvalidArgumentError("has no property \"" + options.id_property + "\" for the id");
    }
    f->id = *id;
  } else if (const std::string* adcode = prop("adcode"); adcode && !adcode->empty()) {
    f->id = *adcode;
  } else if (const json::value* id = obj.if_contains("id"); id && !id->is_null()) {
    f->id = ScalarText(*id);
  } else {
    f->id = std::to_string(index);
  }
  if (const std::string* name = prop(options.name_property)) f->name = *name;
  if (const std::string* parent = prop("parent.adcode")) f->parent_code = *parent;
  if (const std::string* level = prop("level")) f->level = *level;

  CoordinateReader reader(options.crs);
  if (props && props->is_object()) {
    if (const json::value* center = props->get_object().if_contains("center");
        center && !center->is_null()) {
      Result<LonLat> c = reader.Position(*center, "property center");
      if (!c.ok()) return c.status();
      f->center = *c;
    }
  }
  const json::value* geometry = obj.if_contains("geometry");
  if (!geometry) return InvalidArgumentError("has no \"geometry\"");
  std::vector<std::string> repairs;
  CITYGRID_RETURN_IF_ERROR(ReadGeometry(*geometry, reader, f, &repairs));
  for (std::string& r : repairs) {
    warnings->push_back("feature " + std::to_string(index) + " (id " + f->id + "): " + r);
  }
  return OkStatus();
}

}  // namespace

Result<GeoJsonDocument> ParseGeoJson(std::string_view text, const GeoJsonOptions& options) {
  boost::system::error_code ec;
  json::parse_options popts;
  popts.max_depth = 64;
  json::value root = json::parse(text, ec, {}, popts);
  if (ec) return InvalidArgumentError("not valid JSON: " + ec.message());

  const json::array* features = nullptr;
  json::array single;
  if (root.is_array()) {
    features = &root.get_array();
  } else if (root.is_object()) {
    const json::value* type = root.get_object().if_contains("type");
    std::string t = type && type->is_string() ? std::string(type->get_string()) : "";
    if (t == "FeatureCollection") {
      const json::value* fs = root.get_object().if_contains("features");
      if (!fs || !fs->is_array()) {
        return InvalidArgumentError("FeatureCollection has no \"features\" array");
      }
      features = &fs->get_array();
    } else if (t == "Feature") {
      single.push_back(root);
      features = &single;
    } else {
      return InvalidArgumentError("top level must be a FeatureCollection, a Feature or an array "
                                  "of Features; got type \"" + t + "\"");
    }
  } else {
    return InvalidArgumentError("top level must be an object or an array, got " +
                                KindName(root.kind()));
  }

  GeoJsonDocument doc;
  doc.features.resize(features->size());
  for (std::size_t i = 0; i < features->size(); ++i) {
    GeoJsonFeature& f = doc.features[i];
    Status s = ReadFeature((*features)[i], i, options, &f, &doc.warnings);
    if (!s.ok()) {
      std::string ctx = "feature " + std::to_string(i);
      if (!f.id.empty()) ctx += " (id " + f.id + ")";
      return s.WithContext(ctx);
    }
  }
  return doc;
}

Result<GeoJsonDocument> ReadGeoJsonFile(const std::string& path, const GeoJsonOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open " + path);
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return InvalidArgumentError("cannot read " + path);
  Result<GeoJsonDocument> doc = ParseGeoJson(buf.str(), options);
  if (!doc.ok()) return doc.status().WithContext(path);
  return doc;
}

}  // namespace citygrid::geo
