#include "citygrid/geo/geojson.h"

#include <gtest/gtest.h>

#include <string>

#include "citygrid/geo/projection.h"
#include "citygrid/geo/validation.h"
#include "tests/testing/paths.h"

namespace citygrid::geo {
namespace {

const char* kSquare = R"([[[0,0],[1,0],[1,1],[0,1],[0,0]]])";

std::string Feature(const std::string& geometry, const std::string& props = "{}") {
  return R"({"type":"Feature","properties":)" + props + R"(,"geometry":)" + geometry + "}";
}
std::string Polygon(const std::string& coords) {
  return R"({"type":"Polygon","coordinates":)" + coords + "}";
}
std::string Collection(const std::string& features) {
  return R"({"type":"FeatureCollection","features":[)" + features + "]}";
}

TEST(GeoJsonTest, ReadsFeatureCollectionBareFeatureAndArray) {
  const std::string f = Feature(Polygon(kSquare), R"({"name":"a"})");
  for (const std::string& text : {Collection(f + "," + f), "[" + f + "," + f + "]"}) {
    Result<GeoJsonDocument> doc = ParseGeoJson(text, {});
    ASSERT_TRUE(doc.ok()) << doc.status().ToString();
    ASSERT_EQ(doc->features.size(), 2u);
    EXPECT_EQ(doc->features[1].index, 1u);
    EXPECT_EQ(doc->features[1].id, "1");  // no id anywhere: the index
    EXPECT_EQ(doc->features[1].name, "a");
    EXPECT_EQ(doc->features[1].polygons.size(), 1u);
  }
  Result<GeoJsonDocument> one = ParseGeoJson(f, {});
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(one->features.size(), 1u);
}

TEST(GeoJsonTest, ReadsEveryGeometryKind) {
  const std::string text = Collection(
      Feature(Polygon(kSquare)) + "," +
      Feature(R"({"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],)"
              R"([[[2,0],[3,0],[3,1],[2,0]]]]})") + "," +
      Feature(R"({"type":"LineString","coordinates":[[0,0],[1,1]]})") + "," +
      Feature(R"({"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3],[4,3]]]})") +
      "," + Feature(R"({"type":"Point","coordinates":[5,6]})"));
  Result<GeoJsonDocument> doc = ParseGeoJson(text, {});
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  ASSERT_EQ(doc->features.size(), 5u);
  EXPECT_EQ(doc->features[0].kind, GeometryKind::kPolygonal);
  EXPECT_EQ(doc->features[1].polygons.size(), 2u);
  EXPECT_EQ(doc->features[2].kind, GeometryKind::kLinear);
  EXPECT_EQ(doc->features[3].lines.size(), 2u);
  EXPECT_EQ(doc->features[3].lines[1].size(), 3u);
  EXPECT_EQ(doc->features[4].kind, GeometryKind::kPoint);
  EXPECT_EQ(doc->features[4].points[0], (LonLat{5, 6}));
}

TEST(GeoJsonTest, TakesIdAndNameFromOptionsAdcodeOrFeatureId) {
  const std::string props = R"({"BoroCD":311,"label":"Brooklyn 11","adcode":410103,"x":true})";
  const std::string text = Collection(Feature(Polygon(kSquare), props));
  GeoJsonOptions by_prop;
  by_prop.id_property = "BoroCD";
  by_prop.name_property = "label";
  Result<GeoJsonDocument> doc = ParseGeoJson(text, by_prop);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->features[0].id, "311");
  EXPECT_EQ(doc->features[0].name, "Brooklyn 11");
  EXPECT_EQ(doc->features[0].properties.at("x"), "true");

  Result<GeoJsonDocument> by_adcode = ParseGeoJson(text, {});
  ASSERT_TRUE(by_adcode.ok());
  EXPECT_EQ(by_adcode->features[0].id, "410103");

  std::string with_id = R"({"type":"Feature","id":"G-7","properties":null,"geometry":)" +
                        Polygon(kSquare) + "}";
  Result<GeoJsonDocument> by_member = ParseGeoJson(with_id, {});
  ASSERT_TRUE(by_member.ok()) << by_member.status().ToString();
  EXPECT_EQ(by_member->features[0].id, "G-7");
}

TEST(GeoJsonTest, ReadsDataVProperties) {
  const std::string props =
      R"({"adcode":410103,"name":"二七区","center":[113.645422,34.730936],)"
      R"("level":"district","parent":{"adcode":410100},"acroutes":[100000,410000,410100]})";
  GeoJsonOptions opts;
  opts.crs = Crs::kGcj02;
  Result<GeoJsonDocument> doc =
      ParseGeoJson(Collection(Feature(Polygon(R"([[[113.6,34.7],[113.7,34.7],[113.7,34.8],)"
                                              R"([113.6,34.8],[113.6,34.7]]])"),
                                      props)),
                   opts);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  const GeoJsonFeature& f = doc->features[0];
  EXPECT_EQ(f.id, "410103");
  EXPECT_EQ(f.name, "二七区");
  EXPECT_EQ(f.parent_code, "410100");
  EXPECT_EQ(f.level, "district");
  EXPECT_EQ(f.properties.at("parent.adcode"), "410100");
  EXPECT_EQ(f.properties.at("acroutes"), "[100000,410000,410100]");
  ASSERT_TRUE(f.center.has_value());
  // Converted from GCJ-02: the WGS84 centre lies a few hundred metres away.
  double shift = HaversineMetres(*f.center, {113.645422, 34.730936});
  EXPECT_GT(shift, 200);
  EXPECT_LT(shift, 800);
  LonLat first = f.polygons[0].outer[0];
  EXPECT_EQ(first, Gcj02ToWgs84({113.6, 34.7}));
}

TEST(GeoJsonTest, RepairsUnclosedRingAndWindingWithWarnings) {
  // Clockwise and missing its closing point.
  const std::string text =
      Collection(Feature(Polygon(R"([[[0,0],[0,1],[1,1],[1,0]]])"), R"({"adcode":7})"));
  Result<GeoJsonDocument> doc = ParseGeoJson(text, {});
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  const Ring& ring = doc->features[0].polygons[0].outer;
  ASSERT_EQ(ring.size(), 5u);
  EXPECT_EQ(ring.front(), ring.back());
  EXPECT_GT(SignedAreaDegrees(ring), 0);
  ASSERT_EQ(doc->warnings.size(), 2u);
  EXPECT_NE(doc->warnings[0].find("feature 0 (id 7)"), std::string::npos) << doc->warnings[0];
  EXPECT_NE(doc->warnings[0].find("closed"), std::string::npos) << doc->warnings[0];
  EXPECT_NE(doc->warnings[1].find("reversed"), std::string::npos) << doc->warnings[1];
}

struct BadCase {
  const char* name;
  std::string text;
  const char* expect_in_message;
};

TEST(GeoJsonTest, RejectsMalformedFilesNamingFeatureAndReason) {
  const std::string good = Feature(Polygon(kSquare));
  const BadCase cases[] = {
      {"not json", "{\"type\": ", "not valid JSON"},
      {"top level number", "42", "top level"},
      {"geometry collection top", R"({"type":"Polygon","coordinates":[]})", "top level"},
      {"features not array", R"({"type":"FeatureCollection","features":{}})", "features"},
      {"feature not object", Collection(good + ",3"), "feature 1"},
      {"missing geometry", Collection(R"({"type":"Feature","properties":{}})"), "feature 0"},
      {"null geometry", Collection(Feature("null")), "geometry is null"},
      {"unknown type", Collection(Feature(R"({"type":"Circle","coordinates":[0,0]})")),
       "unsupported geometry type"},
      {"coordinate is string", Collection(Feature(Polygon(R"([[["0",0],[1,0],[1,1],[0,0]]])"))),
       "longitude: expected a number"},
      {"position too short", Collection(Feature(Polygon(R"([[[0],[1,0],[1,1],[0,0]]])"))),
       "point 0"},
      {"lon out of range", Collection(good + "," + Feature(Polygon(R"([[[0,0],[181,0],[1,1],[0,0]]])"))),
       "feature 1 (id 1): polygon 0 ring 0 point 1: longitude 181"},
      {"lat out of range", Collection(Feature(Polygon(R"([[[0,0],[1,-91],[1,1],[0,0]]])"))),
       "latitude -91"},
      {"too short ring", Collection(Feature(Polygon(R"([[[0,0],[1,0],[0,0]]])"))),
       "at least 3"},
      {"zero area ring", Collection(Feature(Polygon(R"([[[0,0],[1,0],[2,0],[0,0]]])"))),
       "zero signed area"},
      {"symmetric bow tie", Collection(Feature(Polygon(R"([[[0,0],[2,2],[2,0],[0,2],[0,0]]])"))),
       "self-intersecting"},
      {"empty polygon", Collection(Feature(Polygon("[]"))), "no rings"},
      {"self intersection (bow tie)",
       Collection(Feature(Polygon(R"([[[0,0],[2,2],[2,0],[0,3],[0,0]]])"))), "self-intersection"},
      {"hole outside shell",
       Collection(Feature(Polygon(R"([[[0,0],[1,0],[1,1],[0,1],[0,0]],)"
                                  R"([[5,5],[5,6],[6,6],[6,5],[5,5]]])"))),
       "interior"},
      {"id property missing",
       Collection(Feature(Polygon(kSquare), R"({"name":"x"})")), "no property \"BoroCD\""},
      {"line with one point", Collection(Feature(R"({"type":"LineString","coordinates":[[0,0]]})")),
       "at least 2"},
      {"properties not object", Collection(Feature(Polygon(kSquare), "[1]")), "properties"},
  };
  for (const BadCase& c : cases) {
    GeoJsonOptions opts;
    if (std::string(c.name) == "id property missing") opts.id_property = "BoroCD";
    Result<GeoJsonDocument> doc = ParseGeoJson(c.text, opts);
    ASSERT_FALSE(doc.ok()) << c.name;
    EXPECT_EQ(doc.status().code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(doc.status().message().find(c.expect_in_message), std::string::npos)
        << c.name << ": " << doc.status().message();
  }
}

TEST(GeoJsonTest, MissingFileIsNotFound) {
  Result<GeoJsonDocument> doc = ReadGeoJsonFile("/nonexistent/layer.geojson", {});
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kNotFound);
}

TEST(GeoJsonTest, LoadsZhengzhouDataVFileWithErqiDistrict) {
  const std::string dir = testing::SharedDataDir();
  if (dir.empty()) GTEST_SKIP() << "../shared/data is absent; skipping the Zhengzhou file test";
  GeoJsonOptions opts;
  opts.crs = Crs::kGcj02;
  Result<GeoJsonDocument> doc = ReadGeoJsonFile(dir + "/zhengzhou/410100_full.json", opts);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->features.size(), 12u);
  const GeoJsonFeature* erqi = nullptr;
  for (const GeoJsonFeature& f : doc->features) {
    if (f.id == "410103") erqi = &f;
  }
  ASSERT_NE(erqi, nullptr);
  EXPECT_EQ(erqi->name, "二七区");
  EXPECT_EQ(erqi->parent_code, "410100");
  EXPECT_EQ(erqi->level, "district");
  double km2 = AreaSquareMetres(erqi->polygons) / 1e6;
  EXPECT_GT(km2, 145);
  EXPECT_LT(km2, 165);
  BoundingBox b = BoundsOf(erqi->polygons);
  EXPECT_LT(b.min_lon, 113.645);
  EXPECT_GT(b.max_lon, 113.645);
}

TEST(GeoJsonTest, LoadsNycCommunityDistricts) {
  const std::string dir = testing::SharedDataDir();
  if (dir.empty()) GTEST_SKIP() << "../shared/data is absent; skipping the NYC file test";
  GeoJsonOptions opts;
  opts.id_property = "BoroCD";
  Result<GeoJsonDocument> doc = ReadGeoJsonFile(dir + "/nyc/nyc_community_districts.geojson", opts);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->features.size(), 71u);
  bool has_312 = false;
  for (const GeoJsonFeature& f : doc->features) has_312 |= f.id == "312";
  EXPECT_TRUE(has_312);
}

}  // namespace
}  // namespace citygrid::geo
