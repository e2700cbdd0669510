#include "citygrid/geo/district.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace citygrid::geo {
namespace {

MultiPolygon Square(double lon, double lat, double d = 0.001) {
  return {Polygon{{{lon, lat}, {lon + d, lat}, {lon + d, lat + d}, {lon, lat + d}, {lon, lat}}, {}}};
}

Geography ValidGeography() {
  Geography g;
  g.district = {"410103", "二七区", Square(113.6, 34.7, 0.1)};
  g.subdistricts = {{"410103001", "淮河路街道", Square(113.6, 34.7, 0.05)},
                    {"410103002", "解放路街道", Square(113.65, 34.7, 0.05)}};
  g.communities = {{"410103001001", "淮河东路社区", Square(113.6, 34.7, 0.01)},
                   {"410103002001", "解放路社区", Square(113.65, 34.7, 0.01)}};
  g.grids = {{"410103001001001", Square(113.6, 34.7)}, {"410103001001002", Square(113.601, 34.7)},
             {"410103002001001", Square(113.65, 34.7)}};
  g.roads = {{"R0001-01", "大学路", {{113.61, 34.70}, {113.61, 34.71}}, {"王建国", "139-0000-0001"},
              "410103001"}};
  g.zones = {{"Z01", "人民公园", Square(113.62, 34.72, 0.003), "YL", {"06010", "07001"}}};
  return g;
}

TEST(ValidateGeographyTest, AcceptsAConsistentSnapshot) {
  EXPECT_TRUE(ValidateGeography(ValidGeography()).ok())
      << ValidateGeography(ValidGeography()).ToString();
}

TEST(ValidateGeographyTest, AcceptsEmptyLayersBelowTheDistrict) {
  Geography g;
  g.district = {"410103", "二七区", Square(113.6, 34.7, 0.1)};
  EXPECT_TRUE(ValidateGeography(g).ok());
}

TEST(ValidateGeographyTest, RejectsEachBrokenRuleNamingTheItem) {
  struct Row {
    std::string name;
    std::function<void(Geography&)> mutate;
    std::string message_part;
  };
  const std::vector<Row> rows = {
      {"district code", [](Geography& g) { g.district.code = "41010"; }, "has 5 characters"},
      {"district name", [](Geography& g) { g.district.name.clear(); }, "district 410103 has no name"},
      {"district area", [](Geography& g) { g.district.area.clear(); }, "has no area polygon"},
      {"sub-district level",
       [](Geography& g) { g.subdistricts[1].code = "410103002001"; },
       "sub-district #1 410103002001 (解放路街道): code '410103002001' is a community code"},
      {"sub-district outside district",
       [](Geography& g) { g.subdistricts[0].code = "410102001"; },
       "does not start with the district code 410103"},
      {"duplicate sub-district",
       [](Geography& g) { g.subdistricts[1].code = "410103001"; },
       "sub-district #1 410103001 (解放路街道): duplicate sub-district code"},
      {"orphan community",
       [](Geography& g) { g.communities[1].code = "410103003001"; },
       "community #1 410103003001 (解放路社区): sub-district 410103003 does not exist"},
      {"duplicate community",
       [](Geography& g) { g.communities[1].code = "410103001001"; },
       "duplicate community code"},
      {"community name", [](Geography& g) { g.communities[0].name.clear(); }, "has no name"},
      {"orphan grid",
       [](Geography& g) { g.grids[2].code = "410103002009001"; },
       "grid #2 410103002009001: community 410103002009 does not exist"},
      {"duplicate grid",
       [](Geography& g) { g.grids[1].code = "410103001001001"; },
       "grid #1 410103001001001: duplicate grid code"},
      {"grid sequence 000",
       [](Geography& g) { g.grids[0].code = "410103001001000"; },
       "is 000"},
      {"unclosed ring",
       [](Geography& g) { g.grids[0].area[0].outer.back().lon += 0.0001; },
       "grid #0 410103001001001: polygon 0 outer ring is not closed"},
      {"short ring",
       [](Geography& g) { g.communities[0].area[0].outer.resize(3); },
       "outer ring has 3 points"},
      {"bad hole",
       [](Geography& g) {
         g.communities[0].area[0].holes.push_back({{113.601, 34.701}, {113.602, 34.701}});
       },
       "polygon 0 hole 0 has 2 points"},
      {"out-of-range coordinate",
       [](Geography& g) {
         g.subdistricts[0].area[0].outer[1].lat = 95;
         g.subdistricts[0].area[0].outer.back() = g.subdistricts[0].area[0].outer.front();
       },
       "point 1 (113.650000, 95.000000) is not a finite WGS84 lon/lat"},
      {"road id", [](Geography& g) { g.roads[0].id.clear(); }, "road segment #0 (大学路) has no id"},
      {"duplicate road id",
       [](Geography& g) { g.roads.push_back(g.roads[0]); },
       "road segment #1 R0001-01 (大学路): duplicate id"},
      {"road name", [](Geography& g) { g.roads[0].name.clear(); }, "has no name"},
      {"road line", [](Geography& g) { g.roads[0].line.resize(1); }, "a line needs at least 2"},
      {"road chief name",
       [](Geography& g) { g.roads[0].chief.name.clear(); },
       "road chief has no name"},
      {"road chief phone",
       [](Geography& g) { g.roads[0].chief.phone = "12345"; },
       "road chief phone '12345' is not a mobile or landline number"},
      {"road unit", [](Geography& g) { g.roads[0].unit.clear(); }, "responsible unit ''"},
      {"zone id", [](Geography& g) { g.zones[0].id.clear(); }, "has no id"},
      {"zone area", [](Geography& g) { g.zones[0].area.clear(); }, "Z01 (人民公园) has no area"},
      {"zone unit", [](Geography& g) { g.zones[0].unit = "园林"; }, "is not a unit code"},
      {"zone category",
       [](Geography& g) { g.zones[0].categories.push_back("0601"); },
       "category '0601' is not a 5-digit category code"},
  };
  for (const Row& row : rows) {
    Geography g = ValidGeography();
    row.mutate(g);
    Status status = ValidateGeography(g);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << row.name;
    EXPECT_NE(status.message().find(row.message_part), std::string::npos)
        << row.name << ": " << status.message();
  }
}

TEST(PhoneTest, AcceptsMobilesAndLandlines) {
  for (const char* phone : {"13900001234", "139-0000-1234", "139 0000 1234", "+8613900001234",
                            "0371-67891234", "037167891234", "010-12345678"}) {
    EXPECT_TRUE(IsPlausiblePhone(phone)) << phone;
  }
}

TEST(PhoneTest, RejectsOtherStrings) {
  for (const char* phone : {"", "1390000123", "139000012345", "23900001234", "139O0001234",
                            "+86037167891234", "12345", "(0371)67891234"}) {
    EXPECT_FALSE(IsPlausiblePhone(phone)) << phone;
  }
}

TEST(UnitCodeTest, AcceptsAsciiCodes) {
  EXPECT_TRUE(IsValidUnitCode("410103001"));
  EXPECT_TRUE(IsValidUnitCode("CGJ"));
  EXPECT_TRUE(IsValidUnitCode("dept_sz-2"));
  EXPECT_FALSE(IsValidUnitCode(""));
  EXPECT_FALSE(IsValidUnitCode("城管局"));
  EXPECT_FALSE(IsValidUnitCode("A B"));
  EXPECT_FALSE(IsValidUnitCode(std::string(33, 'A')));
}

TEST(GeographyTest, EqualityComparesEveryLayer) {
  Geography a = ValidGeography();
  Geography b = ValidGeography();
  EXPECT_EQ(a, b);
  b.roads[0].chief.phone = "139-0000-0002";
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace citygrid::geo
