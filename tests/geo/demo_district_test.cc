#include "citygrid/geo/demo_district.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <string>

#include "citygrid/geo/grid_code.h"
#include "citygrid/geo/projection.h"
#include "src/geo/boost_geometry.h"

namespace citygrid::geo {
namespace {

// Generating the default district takes a fraction of a second; share one across tests.
const DemoDistrict& Demo() {
  static const DemoDistrict* demo = [] {
    Result<DemoDistrict> d = GenerateDemoDistrict();
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return new DemoDistrict(d.ok() ? *d : DemoDistrict{});
  }();
  return *demo;
}

TEST(DemoDistrictTest, PassesValidation) {
  Status s = ValidateGeography(Demo().geography);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(DemoDistrictTest, CountsAreInRange) {
  const Geography& g = Demo().geography;
  EXPECT_EQ(g.district.code, "410103");
  EXPECT_EQ(g.district.name, "二七区");
  EXPECT_EQ(g.subdistricts.size(), 14u);
  EXPECT_GE(g.communities.size(), 90u);
  EXPECT_LE(g.communities.size(), 110u);
  EXPECT_GE(g.grids.size(), 4000u);
  EXPECT_LE(g.grids.size(), 6500u);
  EXPECT_GE(g.roads.size(), 80u);
  EXPECT_GE(g.zones.size(), 3u);
}

TEST(DemoDistrictTest, SubDistrictsCarryTheRealNames) {
  std::set<std::string> names;
  for (const SubDistrict& s : Demo().geography.subdistricts) names.insert(s.name);
  for (const char* name : {"淮河路街道", "解放路街道", "铭功路街道", "一马路街道", "蜜蜂张街道",
                           "五里堡街道", "大学路街道", "建中街街道", "福华街街道", "德化街街道",
                           "嵩山路街道", "京广路街道", "长江路街道", "侯寨乡"}) {
    EXPECT_TRUE(names.contains(name)) << name;
  }
  EXPECT_EQ(Demo().geography.subdistricts[0].code, "410103001");
  EXPECT_EQ(Demo().geography.subdistricts[0].name, "淮河路街道");
}

TEST(DemoDistrictTest, CodesAreValidNestedAndUnique) {
  const Geography& g = Demo().geography;
  std::set<std::string> communities;
  std::set<std::string> names;
  for (const Community& c : g.communities) {
    Result<GridCode> code = GridCode::ParseAt(c.code, AreaLevel::kCommunity);
    ASSERT_TRUE(code.ok()) << c.code;
    communities.insert(c.code);
    EXPECT_TRUE(names.insert(c.name).second) << "duplicate community name " << c.name;
    const bool village = code->Parent()->str() == "410103014";
    EXPECT_TRUE(c.name.ends_with(village ? "村" : "社区")) << c.name;
  }
  std::map<std::string, int> last_sequence;
  for (const UnitGrid& grid : g.grids) {
    Result<GridCode> code = GridCode::ParseAt(grid.code, AreaLevel::kGrid);
    ASSERT_TRUE(code.ok()) << grid.code;
    const std::string parent = code->Parent()->str();
    EXPECT_TRUE(communities.contains(parent)) << grid.code;
    // Grids of a community are sequential from 001.
    EXPECT_EQ(code->sequence(), ++last_sequence[parent]) << grid.code;
  }
  EXPECT_EQ(last_sequence.size(), communities.size()) << "a community without grids";
}

TEST(DemoDistrictTest, AreasAddUpAtEveryLevel) {
  const Geography& g = Demo().geography;
  std::map<std::string, double> sub_area, community_area, community_sum, sub_sum;
  double district_sum = 0;
  for (const SubDistrict& s : g.subdistricts) {
    sub_area[s.code] = AreaSquareMetres(s.area);
    district_sum += sub_area[s.code];
  }
  for (const Community& c : g.communities) {
    community_area[c.code] = AreaSquareMetres(c.area);
    sub_sum[c.code.substr(0, 9)] += community_area[c.code];
  }
  for (const UnitGrid& grid : g.grids) {
    community_sum[grid.code.substr(0, 12)] += AreaSquareMetres(grid.area);
  }
  const double district = AreaSquareMetres(g.district.area);
  EXPECT_GT(district, 35e6);
  EXPECT_LT(district, 100e6);
  EXPECT_NEAR(district_sum / district, 1.0, 1e-3);
  for (const auto& [code, area] : sub_area) EXPECT_NEAR(sub_sum[code] / area, 1.0, 1e-3) << code;
  for (const auto& [code, area] : community_area) {
    EXPECT_NEAR(community_sum[code] / area, 1.0, 1e-3) << code;
  }
}

// Regression: Boost.Geometry's union once dropped merged sliver pieces whose shared cut points
// differed in the last bits, leaving grids of overlapping parts.
TEST(DemoDistrictTest, EveryAreaIsAValidPolygon) {
  const Geography& g = Demo().geography;
  auto valid = [](const MultiPolygon& area, const std::string& what) {
    std::string reason;
    EXPECT_TRUE(boost::geometry::is_valid(bgx::ToBg(area), reason)) << what << ": " << reason;
  };
  valid(g.district.area, g.district.code);
  for (const SubDistrict& s : g.subdistricts) valid(s.area, s.code);
  for (const Community& c : g.communities) valid(c.area, c.code);
  for (const UnitGrid& grid : g.grids) valid(grid.area, grid.code);
  for (const ResponsibilityZone& z : g.zones) valid(z.area, z.id);
}

TEST(DemoDistrictTest, SitsAtTheRealLocation) {
  const Geography& g = Demo().geography;
  double min_lon = 180, max_lon = -180, min_lat = 90, max_lat = -90;
  for (const Polygon& p : g.district.area) {
    for (const LonLat& q : p.outer) {
      min_lon = std::min(min_lon, q.lon);
      max_lon = std::max(max_lon, q.lon);
      min_lat = std::min(min_lat, q.lat);
      max_lat = std::max(max_lat, q.lat);
    }
  }
  EXPECT_NEAR((min_lon + max_lon) / 2, 113.645, 0.01);
  EXPECT_NEAR((min_lat + max_lat) / 2, 34.731, 0.01);
  EXPECT_LT(max_lon - min_lon, 0.15);
  EXPECT_LT(max_lat - min_lat, 0.15);
}

TEST(DemoDistrictTest, RoadsHaveChiefsAndStreetOfficeUnits) {
  const DemoDistrict& demo = Demo();
  std::set<std::string> units;
  for (const DemoUnit& u : demo.units) units.insert(u.code);
  std::set<std::string> names;
  for (const RoadSegment& r : demo.geography.roads) {
    names.insert(r.name);
    EXPECT_TRUE(r.chief.phone.starts_with("1390000")) << r.id << " " << r.chief.phone;
    EXPECT_EQ(r.chief.phone.size(), 11u);
    EXPECT_TRUE(units.contains(r.unit)) << r.id << " " << r.unit;
    EXPECT_GT(LengthMetres(r.line), 30) << r.id;
    EXPECT_LT(LengthMetres(r.line), 1500) << r.id;
  }
  for (const char* name : {"大学路", "嵩山路", "京广路", "陇海路", "航海路", "郑密路"}) {
    EXPECT_TRUE(names.contains(name)) << name;
  }
  for (const ResponsibilityZone& z : demo.geography.zones) {
    EXPECT_TRUE(units.contains(z.unit)) << z.id;
    EXPECT_FALSE(z.categories.empty()) << z.id;
  }
}

TEST(DemoDistrictTest, UnitsListStreetOfficesThenDepartments) {
  const DemoDistrict& demo = Demo();
  ASSERT_EQ(demo.units.size(), 22u);
  EXPECT_EQ(demo.units[0], (DemoUnit{"410103001", "淮河路街道办事处", "street_office"}));
  EXPECT_EQ(demo.units[13], (DemoUnit{"410103014", "侯寨乡人民政府", "street_office"}));
  std::set<std::string> codes;
  for (const DemoUnit& u : demo.units) codes.insert(u.code);
  for (const char* code : {"CGJ", "SZ", "YL", "HW", "ZJ", "JT", "JJ", "SCJG"}) {
    EXPECT_TRUE(codes.contains(code)) << code;
  }
}

TEST(DemoDistrictTest, SameSeedSameDistrictOtherSeedOtherDistrict) {
  Result<DemoDistrict> again = GenerateDemoDistrict();
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again == Demo());
  DemoOptions other;
  other.seed = 7;
  Result<DemoDistrict> different = GenerateDemoDistrict(other);
  ASSERT_TRUE(different.ok()) << different.status().ToString();
  EXPECT_FALSE(*different == Demo());
  EXPECT_TRUE(ValidateGeography(different->geography).ok());
}

TEST(DemoDistrictTest, ScaleGrowsTheDistrict) {
  DemoOptions small;
  small.scale = 0.2;
  Result<DemoDistrict> d = GenerateDemoDistrict(small);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->geography.subdistricts.size(), 14u);
  EXPECT_EQ(d->geography.communities.size(), 20u);
  EXPECT_GT(d->geography.grids.size(), 700u);
  EXPECT_LT(d->geography.grids.size(), 1400u);
  EXPECT_TRUE(ValidateGeography(d->geography).ok());
}

TEST(DemoDistrictTest, RejectsScaleOutOfRange) {
  for (double scale : {0.0, -1.0, 0.01, 101.0, std::nan("")}) {
    DemoOptions options;
    options.scale = scale;
    EXPECT_EQ(GenerateDemoDistrict(options).status().code(), StatusCode::kInvalidArgument)
        << scale;
  }
}

}  // namespace
}  // namespace citygrid::geo
