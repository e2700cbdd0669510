// The reference data API (src/http/api_reference.cc) against a real in-process server:
// geography as GeoJSON, categories, units, calendar, routing rules and users.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "citygrid/geo/demo_district.h"
#include "citygrid/service/reference_data.h"
#include "tests/testing/api_fixture.h"
#include "tests/testing/http_client.h"

namespace citygrid::http {
namespace {

namespace bj = boost::json;
using testing::ApiFixture;
using testing::HttpResponse;

bj::value Parse(const HttpResponse& r) {
  boost::system::error_code ec;
  bj::value v = bj::parse(r.body, ec);
  EXPECT_FALSE(ec) << "not JSON: " << r.body.substr(0, 200);
  return v;
}

// The error code of an error response ("" when the body is not one).
std::string ErrorCode(const HttpResponse& r) {
  bj::value v = Parse(r);
  if (!v.is_object() || !v.as_object().contains("error")) return "";
  return std::string(v.at("error").at("code").as_string());
}

std::string ErrorMessage(const HttpResponse& r) {
  bj::value v = Parse(r);
  if (!v.is_object() || !v.as_object().contains("error")) return "";
  return std::string(v.at("error").at("message").as_string());
}

class ApiReferenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(api_.ready()) << api_.error();
    admin_ = ApiFixture::Auth(api_.Login("admin"));
    operator_ = ApiFixture::Auth(api_.Login("operator"));
  }

  HttpResponse Get(const std::string& target) { return api_.client().Get(target, operator_); }

  ApiFixture api_;
  testing::HttpHeaderList admin_;
  testing::HttpHeaderList operator_;
};

TEST_F(ApiReferenceTest, GeographySummaryNamesDistrictCountsAndBbox) {
  HttpResponse r = Get("/api/v1/geography");
  ASSERT_EQ(r.status, 200) << r.body;
  bj::value v = Parse(r);
  EXPECT_EQ(v.at("district").at("code").as_string(), "410103");
  EXPECT_EQ(v.at("counts").at("subdistricts").to_number<int>(), 2);
  EXPECT_EQ(v.at("counts").at("communities").to_number<int>(), 2);
  EXPECT_EQ(v.at("counts").at("grids").to_number<int>(), 4);
  EXPECT_EQ(v.at("counts").at("roads").to_number<int>(), 1);
  EXPECT_EQ(v.at("counts").at("zones").to_number<int>(), 1);
  const bj::array& bbox = v.at("bbox").as_array();
  ASSERT_EQ(bbox.size(), 4u);
  EXPECT_DOUBLE_EQ(bbox[0].to_number<double>(), 113.600);
  EXPECT_DOUBLE_EQ(bbox[3].to_number<double>(), 34.710);
}

TEST_F(ApiReferenceTest, EveryLayerIsAFeatureCollectionWithBbox) {
  struct Case {
    std::string layer;
    size_t features;
    std::string geometry;
  };
  for (const Case& c : std::vector<Case>{{"subdistricts", 2, "MultiPolygon"},
                                         {"communities", 2, "MultiPolygon"},
                                         {"grids", 4, "MultiPolygon"},
                                         {"roads", 1, "LineString"},
                                         {"zones", 1, "MultiPolygon"}}) {
    SCOPED_TRACE(c.layer);
    HttpResponse r = Get("/api/v1/geography/" + c.layer);
    ASSERT_EQ(r.status, 200) << r.body;
    bj::value v = Parse(r);
    EXPECT_EQ(v.at("type").as_string(), "FeatureCollection");
    EXPECT_EQ(v.at("bbox").as_array().size(), 4u);
    const bj::array& features = v.at("features").as_array();
    ASSERT_EQ(features.size(), c.features);
    for (const bj::value& f : features) {
      EXPECT_EQ(f.at("type").as_string(), "Feature");
      EXPECT_EQ(f.at("geometry").at("type").as_string(), c.geometry);
      EXPECT_TRUE(f.at("properties").is_object());
    }
  }
}

TEST_F(ApiReferenceTest, LayerPropertiesCarryNamesParentsChiefsAndUnits) {
  bj::value grids = Parse(Get("/api/v1/geography/grids"));
  const bj::value& g0 = grids.at("features").at(0).at("properties");
  EXPECT_EQ(g0.at("code").as_string(), "410103001001001");
  EXPECT_EQ(g0.at("community").as_string(), "410103001001");
  EXPECT_EQ(g0.at("subdistrict").as_string(), "410103001");

  bj::value communities = Parse(Get("/api/v1/geography/communities"));
  EXPECT_EQ(communities.at("features").at(0).at("properties").at("name").as_string(), "建中社区");

  bj::value roads = Parse(Get("/api/v1/geography/roads"));
  const bj::value& road = roads.at("features").at(0).at("properties");
  EXPECT_EQ(road.at("name").as_string(), "航海路");
  EXPECT_EQ(road.at("chief").at("name").as_string(), "张路长");
  EXPECT_EQ(road.at("chief").at("phone").as_string(), "13900001234");
  EXPECT_EQ(road.at("unit").as_string(), "U-SZ");

  bj::value zones = Parse(Get("/api/v1/geography/zones"));
  const bj::value& zone = zones.at("features").at(0).at("properties");
  EXPECT_EQ(zone.at("unit").as_string(), "U-YL");
  EXPECT_TRUE(zone.at("categories").is_array());
}

TEST_F(ApiReferenceTest, BboxQueryKeepsOnlyIntersectingFeatures) {
  HttpResponse r = Get("/api/v1/geography/grids?bbox=113.600,34.700,113.604,34.709");
  ASSERT_EQ(r.status, 200) << r.body;
  bj::value v = Parse(r);
  ASSERT_EQ(v.at("features").as_array().size(), 1u);
  EXPECT_EQ(v.at("features").at(0).at("id").as_string(), "410103001001001");

  HttpResponse none = Get("/api/v1/geography/grids?bbox=100,20,101,21");
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_TRUE(Parse(none).at("features").as_array().empty());
}

TEST_F(ApiReferenceTest, MalformedBboxIs400NamingBbox) {
  for (const char* bbox : {"1,2,3", "a,b,c,d", "113.6,34.7,113.5,34.8", "1,2,3,4,5", "",
                           "0,0,200,10", "1,,3,4"}) {
    SCOPED_TRACE(bbox);
    HttpResponse r = Get(std::string("/api/v1/geography/grids?bbox=") + bbox);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_argument");
    EXPECT_NE(ErrorMessage(r).find("bbox"), std::string::npos) << r.body;
  }
}

TEST_F(ApiReferenceTest, UnknownLayerIs404) {
  HttpResponse r = Get("/api/v1/geography/rivers");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(ErrorCode(r), "not_found");
}

TEST_F(ApiReferenceTest, ExportReturnsTheGeographyDocument) {
  HttpResponse r = Get("/api/v1/geography/export");
  ASSERT_EQ(r.status, 200) << r.body;
  Result<geo::Geography> g = service::ReferenceDataService::DecodeGeography(r.body);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(*g, *api_.reference().Get()->geography);
}

TEST(ApiReferenceDemoTest, LayersRevalidateByETagAndChangeWithTheGeography) {
  testing::ApiFixtureOptions options;
  options.body_limit = 64 << 20;
  ApiFixture api(options);
  ASSERT_TRUE(api.ready()) << api.error();
  auto admin = ApiFixture::Auth(api.Login("admin"));

  HttpResponse first = api.client().Get("/api/v1/geography/grids", admin);
  ASSERT_EQ(first.status, 200) << first.body;
  const std::string etag = first.Header("ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(first.Header("Cache-Control"), "private, no-cache");

  auto with_tag = admin;
  with_tag.emplace_back("If-None-Match", etag);
  HttpResponse again = api.client().Get("/api/v1/geography/grids", with_tag);
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(again.Header("ETag"), etag);

  // Another layer has another tag; a stale tag gets the whole body.
  HttpResponse roads = api.client().Get("/api/v1/geography/roads", with_tag);
  EXPECT_EQ(roads.status, 200);
  EXPECT_NE(roads.Header("ETag"), etag);

  // A new geography: the old tag no longer matches.
  geo::DemoOptions demo_options;
  demo_options.scale = 0.05;
  Result<geo::DemoDistrict> demo = geo::GenerateDemoDistrict(demo_options);
  ASSERT_TRUE(demo.ok()) << demo.status().ToString();
  HttpResponse put = api.client().Put(
      "/api/v1/geography", service::ReferenceDataService::EncodeGeography(demo->geography), admin);
  ASSERT_EQ(put.status, 200) << put.body.substr(0, 300);
  HttpResponse changed = api.client().Get("/api/v1/geography/grids", with_tag);
  EXPECT_EQ(changed.status, 200);
  EXPECT_NE(changed.Header("ETag"), etag);
  EXPECT_FALSE(changed.body.empty());
}

TEST(ApiReferenceDemoTest, AdminPutsTheDemoGeographyAndLayersServeIt) {
  testing::ApiFixtureOptions options;
  options.body_limit = 64 << 20;
  ApiFixture api(options);
  ASSERT_TRUE(api.ready()) << api.error();
  auto admin = ApiFixture::Auth(api.Login("admin"));
  geo::DemoOptions demo_options;
  demo_options.scale = 0.05;
  Result<geo::DemoDistrict> demo = geo::GenerateDemoDistrict(demo_options);
  ASSERT_TRUE(demo.ok()) << demo.status().ToString();
  std::string doc = service::ReferenceDataService::EncodeGeography(demo->geography);

  HttpResponse put = api.client().Put("/api/v1/geography", doc, admin);
  ASSERT_EQ(put.status, 200) << put.body.substr(0, 300);
  bj::value summary = Parse(put);
  EXPECT_EQ(summary.at("counts").at("grids").to_number<size_t>(), demo->geography.grids.size());

  struct Layer {
    std::string name;
    size_t count;
  };
  for (const Layer& l : std::vector<Layer>{{"subdistricts", demo->geography.subdistricts.size()},
                                           {"communities", demo->geography.communities.size()},
                                           {"grids", demo->geography.grids.size()},
                                           {"roads", demo->geography.roads.size()},
                                           {"zones", demo->geography.zones.size()}}) {
    SCOPED_TRACE(l.name);
    ASSERT_GT(l.count, 0u);
    HttpResponse r = api.client().Get("/api/v1/geography/" + l.name, admin);
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
    bj::value v = Parse(r);
    EXPECT_EQ(v.at("type").as_string(), "FeatureCollection");
    EXPECT_EQ(v.at("features").as_array().size(), l.count);
  }
  // The stored snapshot is the demo (coordinates go through JSON text, so compare structure).
  const geo::Geography& now = *api.reference().Get()->geography;
  EXPECT_EQ(now.district.code, demo->geography.district.code);
  ASSERT_EQ(now.grids.size(), demo->geography.grids.size());
  EXPECT_EQ(now.grids.back().code, demo->geography.grids.back().code);
}

TEST_F(ApiReferenceTest, BadGeographyIs400AndChangesNothing) {
  geo::Geography bad = *api_.reference().Get()->geography;
  bad.subdistricts[1].code = "999999002";  // not under district 410103
  struct Case {
    std::string body;
    std::string mentions;
  };
  for (const Case& c : std::vector<Case>{
           {"{not json", "not JSON"},
           {"{\"district\": 5}", "geography"},
           {service::ReferenceDataService::EncodeGeography(bad), "999999002"}}) {
    SCOPED_TRACE(c.body.substr(0, 40));
    HttpResponse r = api_.client().Put("/api/v1/geography", c.body, admin_);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_argument");
    EXPECT_NE(ErrorMessage(r).find(c.mentions), std::string::npos) << r.body;
  }
  bj::value v = Parse(Get("/api/v1/geography/subdistricts"));
  EXPECT_EQ(v.at("features").at(1).at("id").as_string(), "410103002");
}

TEST_F(ApiReferenceTest, CategoriesListInTheDataFileFormat) {
  HttpResponse r = Get("/api/v1/categories");
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  bj::value v = Parse(r);
  EXPECT_FALSE(v.at("major_classes").as_array().empty());
  const bj::array& cats = v.at("categories").as_array();
  EXPECT_EQ(cats.size(), api_.reference().Get()->categories->size());
  // The answer parses as a catalog: GET → PUT round-trips.
  Result<CategoryCatalog> again = CategoryCatalog::Parse(r.body, "GET /api/v1/categories");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->categories(), api_.reference().Get()->categories->categories());

  HttpResponse events = Get("/api/v1/categories?major=06");
  bj::value e = Parse(events);
  for (const bj::value& c : e.at("categories").as_array()) {
    EXPECT_EQ(c.at("code").as_string().subview().substr(0, 2), "06");
  }
}

TEST_F(ApiReferenceTest, OneCategoryByCode) {
  HttpResponse r = Get("/api/v1/categories/06010");
  ASSERT_EQ(r.status, 200) << r.body;
  bj::value v = Parse(r);
  EXPECT_EQ(v.at("name").as_string(), "暴露垃圾");
  EXPECT_EQ(v.at("kind").as_string(), "event");
  EXPECT_FALSE(v.at("deadlines").as_array().empty());
  EXPECT_TRUE(v.at("deadlines").at(0).at("handle").is_string());
  EXPECT_TRUE(v.at("public").is_bool());

  HttpResponse missing = Get("/api/v1/categories/99999");
  EXPECT_EQ(missing.status, 404) << missing.body;
}

TEST_F(ApiReferenceTest, AdminReplacesTheCatalogAndTheNextGetShowsIt) {
  bj::value catalog = Parse(Get("/api/v1/categories"));
  for (bj::value& c : catalog.at("categories").as_array()) {
    if (c.at("code").as_string() == "06010") c.as_object()["name"] = "暴露垃圾（测试）";
  }
  HttpResponse put = api_.client().Put("/api/v1/categories", bj::serialize(catalog), admin_);
  ASSERT_EQ(put.status, 200) << put.body;
  bj::value v = Parse(Get("/api/v1/categories/06010"));
  EXPECT_EQ(v.at("name").as_string(), "暴露垃圾（测试）");
}

TEST_F(ApiReferenceTest, BadCatalogIs400NamingTheEntryAndChangesNothing) {
  bj::value catalog = Parse(Get("/api/v1/categories"));
  bj::value& third = catalog.at("categories").as_array().at(3);
  std::string code(third.at("code").as_string());
  third.as_object()["deadlines"] = bj::array{};
  HttpResponse put = api_.client().Put("/api/v1/categories", bj::serialize(catalog), admin_);
  EXPECT_EQ(put.status, 400) << put.body;
  EXPECT_EQ(ErrorCode(put), "invalid_argument");
  EXPECT_NE(ErrorMessage(put).find(code), std::string::npos) << put.body;
  HttpResponse after = Get("/api/v1/categories/" + code);
  EXPECT_FALSE(Parse(after).at("deadlines").as_array().empty());

  HttpResponse junk = api_.client().Put("/api/v1/categories", "[1,2", admin_);
  EXPECT_EQ(junk.status, 400) << junk.body;
}

TEST_F(ApiReferenceTest, UnitsCreateReplaceDelete) {
  HttpResponse list = Get("/api/v1/units");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(Parse(list).at("units").as_array().size(), 8u);

  std::string body = R"({"name": "二七区水务局", "kind": "department", "type": "供水"})";
  HttpResponse created = api_.client().Put("/api/v1/units/U-SW", body, admin_);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Parse(created).at("code").as_string(), "U-SW");
  HttpResponse replaced = api_.client().Put(
      "/api/v1/units/U-SW", R"({"name": "二七区水利局", "kind": "department", "type": "供水"})",
      admin_);
  EXPECT_EQ(replaced.status, 200) << replaced.body;
  HttpResponse one = Get("/api/v1/units/U-SW");
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(Parse(one).at("name").as_string(), "二七区水利局");

  HttpResponse deleted = api_.client().Delete("/api/v1/units/U-SW", admin_);
  EXPECT_EQ(deleted.status, 204) << deleted.body;
  EXPECT_EQ(Get("/api/v1/units/U-SW").status, 404);
  EXPECT_EQ(api_.client().Delete("/api/v1/units/U-SW", admin_).status, 404);
}

TEST_F(ApiReferenceTest, BadUnitsAre400AndChangeNothing) {
  struct Case {
    std::string code;
    std::string body;
    std::string mentions;
  };
  for (const Case& c : std::vector<Case>{
           {"U-X", "nope", "not JSON"},
           {"U-X", R"({"kind": "department", "type": "供水"})", "name"},
           {"U-X", R"({"name": "x", "kind": "bureau", "type": "供水"})", "kind"},
           {"U-X", R"({"code": "U-Y", "name": "x", "kind": "department", "type": "a"})", "U-Y"},
           {"U-X", R"({"name": "x", "kind": "department", "type": "a", "colour": 1})", "colour"},
           {"U-X", R"({"name": "x", "kind": "street_office", "subdistrict": "12"})", "12"},
           {"bad%20code%21", R"({"name": "x", "kind": "department", "type": "a"})", "bad code!"}}) {
    SCOPED_TRACE(c.body);
    HttpResponse r = api_.client().Put("/api/v1/units/" + c.code, c.body, admin_);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_argument");
    EXPECT_NE(ErrorMessage(r).find(c.mentions), std::string::npos) << r.body;
  }
  EXPECT_EQ(Parse(Get("/api/v1/units")).at("units").as_array().size(), 8u);
}

TEST_F(ApiReferenceTest, RoutingRulesReplaceAndUnitInUseCannotBeDeleted) {
  HttpResponse empty = Get("/api/v1/routing-rules");
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_TRUE(Parse(empty).at("rules").is_array());

  std::string rules = R"({"rules": [
      {"id": "R-1", "category": "06010", "scope": "grid", "scope_id": "410103001001001",
       "unit": "U-HW"},
      {"id": "R-2", "scope": "subdistrict", "scope_id": "410103002", "unit": "U-JD2"}]})";
  HttpResponse put = api_.client().Put("/api/v1/routing-rules", rules, admin_);
  ASSERT_EQ(put.status, 200) << put.body;
  bj::value v = Parse(Get("/api/v1/routing-rules"));
  ASSERT_EQ(v.at("rules").as_array().size(), 2u);
  EXPECT_EQ(v.at("rules").at(0).at("id").as_string(), "R-1");
  EXPECT_EQ(v.at("rules").at(0).at("scope").as_string(), "grid");
  EXPECT_EQ(v.at("rules").at(1).at("category").as_string(), "");

  HttpResponse in_use = api_.client().Delete("/api/v1/units/U-HW", admin_);
  EXPECT_EQ(in_use.status, 409) << in_use.body;
  EXPECT_EQ(ErrorCode(in_use), "failed_precondition");
  EXPECT_EQ(Get("/api/v1/units/U-HW").status, 200);
}

TEST_F(ApiReferenceTest, BadRoutingRulesAre400NamingTheRuleAndChangeNothing) {
  ASSERT_EQ(api_.client()
                .Put("/api/v1/routing-rules",
                     R"([{"id": "R-1", "scope": "district", "scope_id": "410103",
                          "unit": "U-CG"}])",
                     admin_)
                .status,
            200);
  struct Case {
    std::string body;
    std::string mentions;
  };
  const std::string ok_rule =
      R"({"id": "R-1", "scope": "district", "scope_id": "410103", "unit": "U-CG"})";
  for (const Case& c : std::vector<Case>{
           {"{", "not JSON"},
           {R"({"rules": 3})", "rules"},
           {"[" + ok_rule + R"(, {"id": "R-2", "scope": "street", "scope_id": "x",
                                  "unit": "U-CG"}])",
            "rules[1]"},
           {"[" + ok_rule + R"(, {"id": "R-2", "scope": "grid", "scope_id": "410103001001001",
                                  "unit": "U-NOPE"}])",
            "U-NOPE"},
           {"[" + ok_rule + R"(, {"id": "R-2", "scope": "grid", "scope_id": "410103001001999",
                                  "unit": "U-CG"}])",
            "410103001001999"},
           {"[" + ok_rule + "," + ok_rule + "]", "R-1"},
           {"[" + ok_rule + R"(, {"scope": "grid", "scope_id": "x", "unit": "U-CG"}])",
            "rules[1]"}}) {
    SCOPED_TRACE(c.body);
    HttpResponse r = api_.client().Put("/api/v1/routing-rules", c.body, admin_);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_argument");
    EXPECT_NE(ErrorMessage(r).find(c.mentions), std::string::npos) << r.body;
  }
  bj::value v = Parse(Get("/api/v1/routing-rules"));
  ASSERT_EQ(v.at("rules").as_array().size(), 1u);
  EXPECT_EQ(v.at("rules").at(0).at("unit").as_string(), "U-CG");
}

TEST_F(ApiReferenceTest, CalendarShowsOfficeHoursHolidaysAndAdjustedDays) {
  HttpResponse r = Get("/api/v1/calendar?year=2026");
  ASSERT_EQ(r.status, 200) << r.body;
  bj::value v = Parse(r);
  EXPECT_EQ(v.at("year").to_number<int>(), 2026);
  EXPECT_TRUE(v.at("covered").as_bool());
  EXPECT_EQ(v.at("office_hours").at("timetables").as_array().size(), 2u);
  EXPECT_EQ(v.at("office_hours").at("timetables").at(0).at("periods").at(0).as_string(),
            "08:30-12:00");
  EXPECT_EQ(v.at("holidays").at(0).at("name").as_string(), "元旦");
  EXPECT_EQ(v.at("holidays").at(0).at("from").as_string(), "2026-01-01");
  EXPECT_EQ(v.at("working_days").at(0).at("date").as_string(), "2026-01-04");
  EXPECT_EQ(v.at("working_day_count").to_number<int>() + v.at("rest_day_count").to_number<int>(),
            365);

  // Without ?year the clock's year (the fixture's clock is in 2026).
  EXPECT_EQ(Parse(Get("/api/v1/calendar")).at("year").to_number<int>(), 2026);

  HttpResponse uncovered = Get("/api/v1/calendar?year=2031");
  ASSERT_EQ(uncovered.status, 200);
  EXPECT_FALSE(Parse(uncovered).at("covered").as_bool());

  for (const char* year : {"abc", "20266", "1900", ""}) {
    HttpResponse bad = Get(std::string("/api/v1/calendar?year=") + year);
    EXPECT_EQ(bad.status, 400) << year << " " << bad.body;
    EXPECT_NE(ErrorMessage(bad).find("year"), std::string::npos);
  }
}

TEST_F(ApiReferenceTest, AdminEditsOfficeHoursAndAddsAYear) {
  std::string hours = R"({"source": "test", "timetables": [
      {"name": "all", "from": "01-01", "periods": ["09:00-12:00", "13:30-17:30"]}]})";
  HttpResponse put = api_.client().Put("/api/v1/calendar/office-hours", hours, admin_);
  ASSERT_EQ(put.status, 200) << put.body;
  bj::value v = Parse(Get("/api/v1/calendar?year=2026"));
  ASSERT_EQ(v.at("office_hours").at("timetables").as_array().size(), 1u);
  EXPECT_EQ(v.at("office_hours").at("timetables").at(0).at("periods").at(1).as_string(),
            "13:30-17:30");

  std::string year = R"({"year": 2027, "source": "test",
      "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"}],
      "working_days": []})";
  HttpResponse put_year = api_.client().Put("/api/v1/calendar/2027", year, admin_);
  ASSERT_EQ(put_year.status, 200) << put_year.body;
  bj::value y = Parse(Get("/api/v1/calendar?year=2027"));
  EXPECT_TRUE(y.at("covered").as_bool());
  EXPECT_EQ(y.at("holidays").as_array().size(), 1u);
}

TEST_F(ApiReferenceTest, BadCalendarWritesAre400AndChangeNothing) {
  struct Case {
    std::string target;
    std::string body;
    std::string mentions;
  };
  const std::string y2027 = R"({"year": 2027, "source": "t", "holidays": [], "working_days": []})";
  for (const Case& c : std::vector<Case>{
           {"/api/v1/calendar/office-hours", "{", "office_hours"},
           {"/api/v1/calendar/office-hours",
            R"({"timetables": [{"name": "a", "from": "01-01", "periods": ["12:00-09:00"]}]})",
            "timetable"},
           {"/api/v1/calendar/2028", y2027, "2028"},
           {"/api/v1/calendar/20x7", y2027, "year"},
           {"/api/v1/calendar/2027",
            R"({"year": 2027, "source": "t", "holidays": [],
                "working_days": [{"date": "2027-03-03"}]})",
            "working_days[0]"}}) {
    SCOPED_TRACE(c.target + " " + c.body);
    HttpResponse r = api_.client().Put(c.target, c.body, admin_);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_argument");
    EXPECT_NE(ErrorMessage(r).find(c.mentions), std::string::npos) << r.body;
  }
  bj::value v = Parse(Get("/api/v1/calendar?year=2027"));
  EXPECT_FALSE(v.at("covered").as_bool());
  EXPECT_EQ(v.at("office_hours").at("timetables").as_array().size(), 2u);
}

TEST_F(ApiReferenceTest, AdminManagesUsers) {
  HttpResponse list = api_.client().Get("/api/v1/users", admin_);
  ASSERT_EQ(list.status, 200) << list.body;
  size_t before = Parse(list).at("users").as_array().size();
  EXPECT_GE(before, 7u);
  EXPECT_EQ(list.body.find("password"), std::string::npos);

  std::string body = R"({"username": "wang.handler", "display_name": "王师傅", "role": "handler",
                         "unit": "U-HW", "password": "first-pass-1"})";
  HttpResponse created = api_.client().Post("/api/v1/users", body, admin_);
  ASSERT_EQ(created.status, 201) << created.body;
  bj::value u = Parse(created);
  EXPECT_EQ(u.at("role").as_string(), "handler");
  EXPECT_EQ(u.at("unit").as_string(), "U-HW");
  EXPECT_FALSE(u.at("disabled").as_bool());
  EXPECT_EQ(Parse(api_.client().Get("/api/v1/users", admin_)).at("users").as_array().size(),
            before + 1);
  EXPECT_EQ(api_.client().Post("/api/v1/users", body, admin_).status, 409);

  auto login = [&](const std::string& password) {
    return api_.client()
        .Post("/api/v1/auth/login",
              R"({"username": "wang.handler", "password": ")" + password + "\"}")
        .status;
  };
  EXPECT_EQ(login("first-pass-1"), 200);
  HttpResponse changed =
      api_.client().Put("/api/v1/users/wang.handler", R"({"password": "second-pass-2"})", admin_);
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(login("first-pass-1"), 401);
  EXPECT_EQ(login("second-pass-2"), 200);

  HttpResponse disabled =
      api_.client().Put("/api/v1/users/wang.handler", R"({"disabled": true})", admin_);
  ASSERT_EQ(disabled.status, 200) << disabled.body;
  EXPECT_TRUE(Parse(disabled).at("disabled").as_bool());
  EXPECT_EQ(login("second-pass-2"), 401);

  EXPECT_EQ(api_.client().Put("/api/v1/users/nobody", R"({"disabled": true})", admin_).status,
            404);

  // The only admin disabling itself would leave nobody to enable anyone: refused, and the
  // other change of the same request is not made either.
  HttpResponse last = api_.client().Put(
      "/api/v1/users/admin", R"({"disabled": true, "display_name": "renamed"})", admin_);
  EXPECT_EQ(last.status, 400) << last.body;
  EXPECT_NE(last.body.find("last enabled admin"), std::string::npos) << last.body;
  HttpResponse me = api_.client().Get("/api/v1/users", admin_);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.body.find("renamed"), std::string::npos);
}

TEST_F(ApiReferenceTest, BadUsersAre400AndChangeNothing) {
  size_t before =
      Parse(api_.client().Get("/api/v1/users", admin_)).at("users").as_array().size();
  struct Case {
    std::string body;
    std::string mentions;
  };
  for (const Case& c : std::vector<Case>{
           {"[]", "object"},
           {R"({"username": "li", "role": "operator", "password": "long-enough-1"})", "li"},
           {R"({"username": "li.si", "role": "mayor", "password": "long-enough-1"})", "role"},
           {R"({"username": "li.si", "role": "operator", "password": "short"})", "password"},
           {R"({"username": "li.si", "role": "handler", "password": "long-enough-1"})", "unit"},
           {R"({"username": "li.si", "role": "handler", "unit": "U-NOPE",
                "password": "long-enough-1"})",
            "U-NOPE"},
           {R"({"username": "li.si", "role": "operator", "password": "long-enough-1",
                "admin": true})",
            "admin"}}) {
    SCOPED_TRACE(c.body);
    HttpResponse r = api_.client().Post("/api/v1/users", c.body, admin_);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_argument");
    EXPECT_NE(ErrorMessage(r).find(c.mentions), std::string::npos) << r.body;
  }
  EXPECT_EQ(api_.client().Put("/api/v1/users/operator", "{}", admin_).status, 400);
  EXPECT_EQ(Parse(api_.client().Get("/api/v1/users", admin_)).at("users").as_array().size(),
            before);
}

struct Call {
  std::string method;
  std::string target;
  std::string body;
};

std::vector<Call> AdminCalls() {
  return {
      {"PUT", "/api/v1/geography", "{}"},
      {"PUT", "/api/v1/categories", "{}"},
      {"PUT", "/api/v1/units/U-NEW", R"({"name": "x", "kind": "department", "type": "a"})"},
      {"DELETE", "/api/v1/units/U-CG", ""},
      {"PUT", "/api/v1/calendar/office-hours", "{}"},
      {"PUT", "/api/v1/calendar/2027", "{}"},
      {"PUT", "/api/v1/routing-rules", "[]"},
      {"GET", "/api/v1/users", ""},
      {"POST", "/api/v1/users", "{}"},
      {"PUT", "/api/v1/users/operator", R"({"disabled": true})"},
  };
}

TEST_F(ApiReferenceTest, NonAdminWritesAre403ForEveryRole) {
  for (const char* user : {"operator", "dispatcher", "inspector", "leader", "handler"}) {
    auto auth = ApiFixture::Auth(api_.Login(user));
    for (const Call& c : AdminCalls()) {
      SCOPED_TRACE(std::string(user) + " " + c.method + " " + c.target);
      HttpResponse r = api_.client().Request(c.method, c.target, c.body, auth);
      EXPECT_EQ(r.status, 403) << r.body;
      EXPECT_EQ(ErrorCode(r), "permission_denied");
    }
  }
  // Nothing changed: the unit is still there and the operator still enabled.
  EXPECT_EQ(Get("/api/v1/units/U-CG").status, 200);
  EXPECT_EQ(Get("/api/v1/units/U-NEW").status, 404);
}

TEST_F(ApiReferenceTest, EveryEndpointWithoutATokenIs401) {
  std::vector<Call> calls = AdminCalls();
  for (const char* target :
       {"/api/v1/geography", "/api/v1/geography/grids", "/api/v1/geography/export",
        "/api/v1/categories", "/api/v1/categories/06010", "/api/v1/units", "/api/v1/units/U-CG",
        "/api/v1/calendar", "/api/v1/routing-rules"}) {
    calls.push_back({"GET", target, ""});
  }
  for (const Call& c : calls) {
    SCOPED_TRACE(c.method + " " + c.target);
    HttpResponse r = api_.client().Request(c.method, c.target, c.body);
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(ErrorCode(r), "unauthenticated");
    HttpResponse bad = api_.client().Request(c.method, c.target, c.body,
                                             {{"Authorization", "Bearer 0123456789abcdef"}});
    EXPECT_EQ(bad.status, 401) << bad.body;
  }
}

TEST_F(ApiReferenceTest, EveryRoleReadsReferenceData) {
  for (const char* user : {"operator", "dispatcher", "inspector", "leader", "handler"}) {
    auto auth = ApiFixture::Auth(api_.Login(user));
    for (const char* target :
         {"/api/v1/geography", "/api/v1/geography/roads", "/api/v1/categories",
          "/api/v1/units", "/api/v1/calendar?year=2026", "/api/v1/routing-rules"}) {
      SCOPED_TRACE(std::string(user) + " " + target);
      EXPECT_EQ(api_.client().Get(target, auth).status, 200);
    }
  }
}

// ---------------------------------------------------------------- settings

TEST_F(ApiReferenceTest, EveryRoleReadsSettingsAndAdminChangesThem) {
  HttpResponse r = Get("/api/v1/settings");
  ASSERT_EQ(r.status, 200) << r.body;
  bj::value v = Parse(r);
  EXPECT_EQ(v.at("duplicate_radius_m").to_number<double>(), 50);
  EXPECT_EQ(v.at("duplicate_window_hours").to_number<double>(), 72);
  EXPECT_EQ(v.at("road_distance_m").to_number<double>(), 30);
  EXPECT_EQ(v.at("tile_url").as_string(), "");
  EXPECT_EQ(v.at("district").at("code").as_string(), "410103");

  HttpResponse put = api_.client().Put(
      "/api/v1/settings",
      R"({"duplicate_radius_m": 5, "tile_url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
          "tile_attribution": "© OpenStreetMap contributors"})",
      admin_);
  ASSERT_EQ(put.status, 200) << put.body;
  v = Parse(Get("/api/v1/settings"));
  EXPECT_EQ(v.at("duplicate_radius_m").to_number<double>(), 5);
  EXPECT_EQ(v.at("duplicate_window_hours").to_number<double>(), 72) << "left out: unchanged";
  EXPECT_EQ(v.at("tile_url").as_string(), "https://tile.openstreetmap.org/{z}/{x}/{y}.png");
  EXPECT_EQ(api_.reference().Get()->settings.duplicate_radius_m, 5);

  // Intake uses the new radius at once: two reports 10 m apart are no longer duplicates.
  auto report = [&](double lon) {
    return api_.client().Post("/api/v1/cases",
                              R"({"channel":"public","category":"06010","description":"x","lon":)" +
                                  std::to_string(lon) + R"(,"lat":34.703})",
                              operator_);
  };
  ASSERT_EQ(report(113.6070).status, 201);
  HttpResponse second = report(113.6071);
  ASSERT_EQ(second.status, 201) << second.body;
  EXPECT_EQ(Parse(second).at("duplicates").as_array().size(), 0u);
}

TEST_F(ApiReferenceTest, BadSettingsAre400NamingTheFieldAndChangeNothing) {
  HttpResponse before = Get("/api/v1/settings");
  ASSERT_EQ(before.status, 200);
  struct Case {
    std::string body;
    std::string mentions;
  };
  for (const Case& c : std::vector<Case>{
           {"{not json", "not JSON"},
           {"[1]", "object"},
           {R"({"tile_url": "https://tiles.example/{z}/{x}.png"})", "{y}"},
           {R"({"tile_url": "ftp://tiles.example/{z}/{x}/{y}.png"})", "http"},
           {R"({"tile_url": "https://tiles.example/{z}/{x}/{y}.png?a=1 2"})", "space"},
           {R"({"road_distance_m": -1})", "road_distance_m"},
           {R"({"duplicate_radius_m": "50"})", "duplicate_radius_m"},
           {R"({"duplicate_window_hours": 100000})", "duplicate_window_hours"},
           {R"({"body_limit": 1048576})", "body_limit"},
           {R"({"district": {"code": "410104"}})", "read-only"},
           {R"({"duplicate_radius_m": 20, "tile_url": "nope"})", "tile_url"},
       }) {
    SCOPED_TRACE(c.body);
    HttpResponse r = api_.client().Put("/api/v1/settings", c.body, admin_);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_argument");
    EXPECT_NE(ErrorMessage(r).find(c.mentions), std::string::npos) << r.body;
    EXPECT_EQ(Get("/api/v1/settings").body, before.body);
  }
  HttpResponse denied =
      api_.client().Put("/api/v1/settings", R"({"duplicate_radius_m": 5})", operator_);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(api_.client().Get("/api/v1/settings").status, 401);
  EXPECT_EQ(Get("/api/v1/settings").body, before.body);
}

// ---------------------------------------------------------------- display names

TEST_F(ApiReferenceTest, AdminRenamesAUserAndTheirSessionShowsIt) {
  const std::string token = api_.Login("handler");
  HttpResponse r =
      api_.client().Put("/api/v1/users/handler", R"({"display_name": "市政 王师傅"})", admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Parse(r).at("display_name").as_string(), "市政 王师傅");
  HttpResponse me = api_.client().Get("/api/v1/auth/me", ApiFixture::Auth(token));
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(Parse(me).at("user").at("display_name").as_string(), "市政 王师傅");
  // The rename changed nothing else: the password still works.
  EXPECT_EQ(api_.client()
                .Post("/api/v1/auth/login",
                      std::string(R"({"username":"handler","password":")") +
                          testing::kApiTestPassword + "\"}")
                .status,
            200);
}

TEST_F(ApiReferenceTest, BadDisplayNamesAre400AndChangeNothing) {
  auto name_now = [&] { return api_.auth().GetUser("handler")->display_name; };
  const std::string before = name_now();
  struct Case {
    std::string body;
    std::string mentions;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"display_name": ""})", "display_name"},
           {R"({"display_name": "a\tb"})", "control"},
           {R"({"display_name": ")" + std::string(201, 'x') + "\"}", "display_name"},
           {R"({"display_name": 7})", "display_name"},
           // Valid name, invalid password: neither is written.
           {R"({"display_name": "新名字", "password": "short"})", "password"},
           {R"({"nickname": "x"})", "nickname"},
       }) {
    SCOPED_TRACE(c.body.substr(0, 60));
    HttpResponse r = api_.client().Put("/api/v1/users/handler", c.body, admin_);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(ErrorMessage(r).find(c.mentions), std::string::npos) << r.body;
    EXPECT_EQ(name_now(), before);
  }
  EXPECT_EQ(api_.client()
                .Put("/api/v1/users/handler", R"({"display_name": "x"})", operator_)
                .status,
            403);
  EXPECT_EQ(api_.client().Put("/api/v1/users/nobody", R"({"display_name": "x"})", admin_).status,
            404);
  EXPECT_EQ(name_now(), before);
}

// ---------------------------------------------------------------- GeoJSON geography upload

// The current geography as one GeoJSON FeatureCollection: the district (from the export) and
// every feature of GET /api/v1/geography/{layer}.
bj::object CurrentAsGeoJson(ApiFixture& api, const testing::HttpHeaderList& auth) {
  bj::array features;
  const geo::Geography& g = *api.reference().Get()->geography;
  bj::array polys;
  for (const auto& p : g.district.area) {
    bj::array ring;
    for (const auto& pt : p.outer) {
      bj::array xy;
      xy.push_back(pt.lon);
      xy.push_back(pt.lat);
      ring.push_back(std::move(xy));
    }
    bj::array rings;
    rings.push_back(std::move(ring));
    polys.push_back(std::move(rings));
  }
  bj::object district;
  district["type"] = "Feature";
  bj::object props;
  props["code"] = g.district.code;
  props["name"] = g.district.name;
  district["properties"] = std::move(props);
  bj::object geometry;
  geometry["type"] = "MultiPolygon";
  geometry["coordinates"] = std::move(polys);
  district["geometry"] = std::move(geometry);
  features.push_back(std::move(district));
  for (const char* layer : {"subdistricts", "communities", "grids", "roads", "zones"}) {
    HttpResponse r = api.client().Get(std::string("/api/v1/geography/") + layer, auth);
    EXPECT_EQ(r.status, 200) << layer;
    bj::value v = Parse(r);
    for (const auto& f : v.at("features").as_array()) features.push_back(f);
  }
  bj::object fc;
  fc["type"] = "FeatureCollection";
  fc["features"] = std::move(features);
  return fc;
}

// Index of the first feature whose property `key` is `value`.
size_t FeatureIndex(const bj::object& fc, const std::string& key, const std::string& value) {
  const bj::array& features = fc.at("features").as_array();
  for (size_t i = 0; i < features.size(); ++i) {
    const bj::object& props = features[i].at("properties").as_object();
    if (props.contains(key) && props.at(key).is_string() && props.at(key).as_string() == value) {
      return i;
    }
  }
  ADD_FAILURE() << "no feature with " << key << "=" << value;
  return 0;
}

TEST_F(ApiReferenceTest, AdminUploadsGeoJsonAndIntakeUsesItAtOnce) {
  bj::object fc = CurrentAsGeoJson(api_, admin_);
  const geo::Geography before = *api_.reference().Get()->geography;
  // Rename a sub-district in the upload.
  size_t sub = FeatureIndex(fc, "code", before.subdistricts[0].code);
  fc["features"].as_array()[sub].as_object()["properties"].as_object()["name"] = "新华街道";

  HttpResponse put = api_.client().Put("/api/v1/geography", bj::serialize(fc),
                                       {admin_[0], {"Content-Type", "application/geo+json"}});
  ASSERT_EQ(put.status, 200) << put.body.substr(0, 400);
  bj::value summary = Parse(put);
  EXPECT_EQ(summary.at("counts").at("grids").to_number<size_t>(), before.grids.size());
  EXPECT_EQ(summary.at("counts").at("roads").to_number<size_t>(), before.roads.size());
  EXPECT_EQ(summary.at("counts").at("zones").to_number<size_t>(), before.zones.size());
  EXPECT_TRUE(summary.at("warnings").is_array());

  const geo::Geography& now = *api_.reference().Get()->geography;
  EXPECT_EQ(now.subdistricts[0].name, "新华街道");
  ASSERT_EQ(now.grids.size(), before.grids.size());
  for (size_t i = 0; i < now.grids.size(); ++i) EXPECT_EQ(now.grids[i].code, before.grids[i].code);
  ASSERT_EQ(now.roads.size(), before.roads.size());
  EXPECT_EQ(now.roads[0].chief, before.roads[0].chief);
  EXPECT_EQ(now.zones[0].categories, before.zones[0].categories);

  // The swapped-in index answers intake: a report resolves to the renamed sub-district.
  HttpResponse created = api_.client().Post(
      "/api/v1/cases",
      R"({"channel":"public","category":"06010","description":"x","lon":113.607,"lat":34.703})",
      operator_);
  ASSERT_EQ(created.status, 201) << created.body;
  const bj::value created_body = Parse(created);
  const bj::value& loc = created_body.at("location");
  EXPECT_EQ(loc.at("grid").as_string(), "410103001001002");
  if (before.subdistricts[0].code == "410103001") {
    EXPECT_EQ(loc.at("subdistrict_name").as_string(), "新华街道");
  }

  // ?crs=gcj02 converts: the same numbers read as GCJ-02 land a few hundred metres away.
  HttpResponse shifted = api_.client().Put("/api/v1/geography?crs=gcj02", bj::serialize(fc), admin_);
  ASSERT_EQ(shifted.status, 200) << shifted.body.substr(0, 400);
  double west_before = Parse(put).at("bbox").at(0).to_number<double>();
  double west_after = Parse(shifted).at("bbox").at(0).to_number<double>();
  EXPECT_GT(std::abs(west_before - west_after), 0.001);
}

TEST_F(ApiReferenceTest, BadGeoJsonFeaturesAre400NamingTheFeatureAndReplaceNothing) {
  const bj::object good = CurrentAsGeoJson(api_, admin_);
  const geo::Geography before = *api_.reference().Get()->geography;
  const size_t grid = FeatureIndex(good, "code", before.grids[0].code);
  const size_t road = FeatureIndex(good, "id", before.roads[0].id);
  struct Case {
    std::string what;
    std::function<void(bj::object&)> edit;
    std::string mentions1;
    std::string mentions2;
    std::string query = "";
  };
  auto feature = [](bj::object& fc, size_t i) -> bj::object& {
    return fc["features"].as_array()[i].as_object();
  };
  const std::vector<Case> cases = {
      {"self-intersecting grid",
       [&](bj::object& fc) {
         feature(fc, grid)["geometry"] = bj::object{
             {"type", "Polygon"},
             {"coordinates",
              bj::array{bj::array{bj::array{113.601, 34.701}, bj::array{113.603, 34.703},
                                  bj::array{113.603, 34.701}, bj::array{113.601, 34.703},
                                  bj::array{113.601, 34.701}}}}};
       },
       "feature " + std::to_string(grid), ""},
      {"grid under a missing community",
       [&](bj::object& fc) {
         feature(fc, grid)["properties"].as_object()["code"] = "410103009999001";
       },
       "feature " + std::to_string(grid), "not in the file"},
      {"road without a chief",
       [&](bj::object& fc) {
         feature(fc, road)["properties"].as_object().erase("chief");
       },
       "feature " + std::to_string(road), "road chief"},
      {"road chief with a bad phone",
       [&](bj::object& fc) {
         feature(fc, road)["properties"].as_object()["chief"] =
             bj::object{{"name", "李四"}, {"phone", "12"}};
       },
       "feature " + std::to_string(road), "phone"},
      {"unknown layer",
       [&](bj::object& fc) { feature(fc, grid)["properties"].as_object()["layer"] = "river"; },
       "feature " + std::to_string(grid), "river"},
      {"a point",
       [&](bj::object& fc) {
         feature(fc, grid)["geometry"] =
             bj::object{{"type", "Point"}, {"coordinates", bj::array{113.61, 34.705}}};
       },
       "feature " + std::to_string(grid), "point"},
      {"a second district",
       [&](bj::object& fc) { fc["features"].as_array().push_back(fc["features"].at(0)); },
       "feature " + std::to_string(good.at("features").as_array().size()), "second district"},
      {"no district",
       [&](bj::object& fc) { fc["features"].as_array().erase(fc["features"].as_array().begin()); },
       "no district", ""},
      {"duplicate grid code",
       [&](bj::object& fc) { fc["features"].as_array().push_back(feature(fc, grid)); },
       "feature " + std::to_string(good.at("features").as_array().size()), "twice"},
      {"latitude out of range",
       [&](bj::object& fc) {
         feature(fc, grid)["geometry"].as_object()["coordinates"].as_array()[0].as_array()[0]
             .as_array()[0] = bj::array{113.601, 95.0};
       },
       "feature " + std::to_string(grid), ""},
      {"unknown crs", [](bj::object&) {}, "crs", "", "?crs=mars"},
      {"empty collection",
       [](bj::object& fc) { fc["features"] = bj::array(); },
       "no features", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    bj::object fc = good;
    c.edit(fc);
    HttpResponse r =
        api_.client().Put("/api/v1/geography" + c.query, bj::serialize(fc), admin_);
    EXPECT_EQ(r.status, 400) << r.body.substr(0, 300);
    EXPECT_EQ(ErrorCode(r), "invalid_argument");
    EXPECT_NE(ErrorMessage(r).find(c.mentions1), std::string::npos) << ErrorMessage(r);
    EXPECT_NE(ErrorMessage(r).find(c.mentions2), std::string::npos) << ErrorMessage(r);
    EXPECT_TRUE(*api_.reference().Get()->geography == before) << "the geography changed";
  }
  EXPECT_EQ(api_.client().Put("/api/v1/geography", bj::serialize(good), operator_).status, 403);
  EXPECT_TRUE(*api_.reference().Get()->geography == before);
}

}  // namespace
}  // namespace citygrid::http
