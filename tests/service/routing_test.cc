#include "citygrid/service/routing.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/service/service_test_env.h"

namespace citygrid::service {
namespace {

using testing::TestGeography;
using testing::TestUnits;

// A snapshot built by hand: routing is a pure function over it.
ReferenceData MakeData(std::vector<RoutingRule> rules) {
  ReferenceData data;
  std::ifstream in(testing::RepoDataDir() + "/categories.json");
  std::stringstream text;
  text << in.rdbuf();
  auto catalog = CategoryCatalog::Parse(text.str(), "categories.json");
  EXPECT_TRUE(catalog.ok()) << catalog.status().ToString();
  data.categories = std::make_shared<const CategoryCatalog>(std::move(*catalog));
  data.geography = std::make_shared<const geo::Geography>(TestGeography());
  auto index = geo::SpatialIndex::Build(data.geography);
  EXPECT_TRUE(index.ok());
  data.index = *index;
  data.units = TestUnits();
  std::sort(data.units.begin(), data.units.end(),
            [](const Unit& a, const Unit& b) { return a.code < b.code; });
  std::sort(rules.begin(), rules.end(),
            [](const RoutingRule& a, const RoutingRule& b) { return a.id < b.id; });
  data.rules = std::move(rules);
  return data;
}

struct RoutingCase {
  std::string name;
  std::vector<RoutingRule> rules;
  std::string category;
  geo::LonLat point;
  std::string unit;
  RoutingReason reason;
  std::string matched;
};

class RoutingTableTest : public ::testing::TestWithParam<RoutingCase> {};

TEST_P(RoutingTableTest, PicksTheMostSpecificUnit) {
  const RoutingCase& c = GetParam();
  ReferenceData data = MakeData(c.rules);
  LocatedPoint at = LocatePoint(data, c.point);
  RoutingDecision d = Route(data, c.category, at);
  EXPECT_EQ(d.unit, c.unit) << d.Explain();
  EXPECT_EQ(Name(d.reason), Name(c.reason)) << d.Explain();
  EXPECT_EQ(d.matched, c.matched) << d.Explain();
}

const geo::LonLat kInZone{113.617, 34.702};      // zone Z1, grid 410103002001002
const geo::LonLat kOnRoad{113.603, 34.7089};     // ~11 m south of road R1, grid ...001001001
const geo::LonLat kWestGrid2{113.607, 34.703};   // grid 410103001001002, no road, no zone
const geo::LonLat kEastGrid1{113.612, 34.703};   // grid 410103002001001

RoutingRule Rule(std::string id, std::string category, RoutingScope scope, std::string scope_id,
                 std::string unit) {
  return {std::move(id), std::move(category), scope, std::move(scope_id), std::move(unit)};
}

INSTANTIATE_TEST_SUITE_P(
    Table, RoutingTableTest,
    ::testing::Values(
        RoutingCase{"ZoneOwnUnit", {}, "06010", kInZone, "U-YL", RoutingReason::kZone, "Z1"},
        RoutingCase{"ZoneRuleBeatsZoneUnit",
                    {Rule("r1", "06010", RoutingScope::kZone, "Z1", "U-HW")},
                    "06010", kInZone, "U-HW", RoutingReason::kZoneRule, "r1"},
        RoutingCase{"ZoneBeatsGridRule",
                    {Rule("r1", "", RoutingScope::kGrid, "410103002001002", "U-CG")},
                    "06010", kInZone, "U-YL", RoutingReason::kZone, "Z1"},
        RoutingCase{"RoadOwnUnit", {}, "06010", kOnRoad, "U-SZ", RoutingReason::kRoad, "R1"},
        RoutingCase{"RoadRuleForCategory",
                    {Rule("r1", "09006", RoutingScope::kRoad, "R1", "U-CG")},
                    "09006", kOnRoad, "U-CG", RoutingReason::kRoadRule, "r1"},
        RoutingCase{"RoadRuleOfOtherCategoryIgnored",
                    {Rule("r1", "09006", RoutingScope::kRoad, "R1", "U-CG")},
                    "06010", kOnRoad, "U-SZ", RoutingReason::kRoad, "R1"},
        RoutingCase{"RoadBeatsGridRule",
                    {Rule("r1", "", RoutingScope::kGrid, "410103001001001", "U-CG")},
                    "06010", kOnRoad, "U-SZ", RoutingReason::kRoad, "R1"},
        RoutingCase{"GridRule",
                    {Rule("r1", "", RoutingScope::kGrid, "410103001001002", "U-CG"),
                     Rule("r2", "", RoutingScope::kCommunity, "410103001001", "U-JT")},
                    "06010", kWestGrid2, "U-CG", RoutingReason::kGridRule, "r1"},
        RoutingCase{"CategoryRuleBeatsGeneralRuleInOneScope",
                    {Rule("a", "", RoutingScope::kGrid, "410103001001002", "U-CG"),
                     Rule("b", "06010", RoutingScope::kGrid, "410103001001002", "U-HW")},
                    "06010", kWestGrid2, "U-HW", RoutingReason::kGridRule, "b"},
        RoutingCase{"CommunityRule",
                    {Rule("r2", "06010", RoutingScope::kCommunity, "410103002001", "U-JT"),
                     Rule("r3", "06010", RoutingScope::kSubdistrict, "410103002", "U-CG")},
                    "06010", kEastGrid1, "U-JT", RoutingReason::kCommunityRule, "r2"},
        RoutingCase{"SubdistrictRule",
                    {Rule("r3", "06010", RoutingScope::kSubdistrict, "410103002", "U-CG"),
                     Rule("r4", "06010", RoutingScope::kDistrict, "410103", "U-ZJ")},
                    "06010", kEastGrid1, "U-CG", RoutingReason::kSubdistrictRule, "r3"},
        RoutingCase{"DistrictRule",
                    {Rule("r4", "08004", RoutingScope::kDistrict, "410103", "U-JT")},
                    "08004", kWestGrid2, "U-JT", RoutingReason::kDistrictRule, "r4"},
        RoutingCase{"CategoryDefaultDepartment", {}, "06010", kWestGrid2, "U-HW",
                    RoutingReason::kCategoryDefault, "环卫"},
        RoutingCase{"CategoryDefaultStreetOfficeWest", {}, "07001", kWestGrid2, "U-JD1",
                    RoutingReason::kCategoryDefault, "街道"},
        RoutingCase{"CategoryDefaultStreetOfficeEast", {}, "07001", kEastGrid1, "U-JD2",
                    RoutingReason::kCategoryDefault, "街道"},
        RoutingCase{"NoUnitOfTheDefaultType", {}, "09009", kWestGrid2, "",
                    RoutingReason::kNone, ""}),
    [](const ::testing::TestParamInfo<RoutingCase>& info) { return info.param.name; });

TEST(RoutingTest, LocatePointResolvesCodesAndRoad) {
  ReferenceData data = MakeData({});
  LocatedPoint at = LocatePoint(data, kOnRoad);
  EXPECT_EQ(at.grid_code, "410103001001001");
  EXPECT_EQ(at.community_code, "410103001001");
  EXPECT_EQ(at.subdistrict_code, "410103001");
  ASSERT_NE(at.road_segment, nullptr);
  EXPECT_EQ(at.road_segment->chief.name, "张路长");
  EXPECT_TRUE(at.placement.in_district);
  EXPECT_EQ(LocatePoint(data, kWestGrid2).road_segment, nullptr);
}

TEST(RoutingTest, ExplainNamesReasonRuleAndUnit) {
  RoutingDecision d{"U-CG", RoutingReason::kGridRule, "r1"};
  EXPECT_EQ(d.Explain(), "grid_rule r1 \u2192 U-CG");
}

}  // namespace
}  // namespace citygrid::service
