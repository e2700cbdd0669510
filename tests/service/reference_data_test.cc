#include "citygrid/service/reference_data.h"

#include <gtest/gtest.h>

#include "tests/service/service_test_env.h"

namespace citygrid::service {
namespace {

using testing::ServiceEnv;

ReferenceSettings Settings(double road_m, double duplicate_m, Duration window) {
  ReferenceSettings s;
  s.road_distance_m = road_m;
  s.duplicate_radius_m = duplicate_m;
  s.duplicate_window = window;
  return s;
}

size_t DocCount(storage::Store& store, const std::string& kind) {
  auto docs = store.documents().List(kind);
  EXPECT_TRUE(docs.ok()) << docs.status().ToString();
  return docs.ok() ? docs->size() : 0;
}

TEST(ReferenceDataTest, SeedsCategoriesAndCalendarOnAnEmptyStore) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  auto data = env.reference().Get();
  EXPECT_NE(data->categories->Find("06010"), nullptr);
  EXPECT_TRUE(data->calendar->CoversYear(2026));
  EXPECT_EQ(DocCount(env.store(), "category"), 1u);
  EXPECT_GE(DocCount(env.store(), "calendar"), 2u);  // office hours + at least one year
  auto catalog = env.store().documents().Get("category", "catalog");
  ASSERT_TRUE(catalog.ok());
  EXPECT_EQ(catalog->version, 1);
  env.Restart();  // a second Open does not seed again
  catalog = env.store().documents().Get("category", "catalog");
  ASSERT_TRUE(catalog.ok());
  EXPECT_EQ(catalog->version, 1);
}

TEST(ReferenceDataTest, EverythingSurvivesARestart) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  ASSERT_TRUE(env.reference()
                  .ReplaceRoutingRules({{"r1", "06010", RoutingScope::kGrid, "410103001001002", "U-CG"}})
                  .ok());
  ASSERT_TRUE(env.reference().SetSettings(Settings(25, 80, std::chrono::hours(48))).ok());
  env.Restart();
  auto data = env.reference().Get();
  ASSERT_NE(data->geography, nullptr);
  EXPECT_EQ(*data->geography, testing::TestGeography());
  ASSERT_NE(data->index, nullptr);
  EXPECT_EQ(data->units.size(), testing::TestUnits().size());
  ASSERT_NE(data->FindUnit("U-JD1"), nullptr);
  EXPECT_EQ(data->FindUnit("U-JD1")->subdistrict, "410103001");
  ASSERT_EQ(data->rules.size(), 1u);
  EXPECT_EQ(data->rules[0].unit, "U-CG");
  EXPECT_EQ(data->settings, Settings(25, 80, std::chrono::hours(48)));
}

TEST(ReferenceDataTest, GeographyEncodingRoundTrips) {
  geo::Geography g = testing::TestGeography();
  auto back = ReferenceDataService::DecodeGeography(ReferenceDataService::EncodeGeography(g));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, g);
  EXPECT_EQ(ReferenceDataService::DecodeGeography("{\"district\":1}").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(ReferenceDataTest, ReadersKeepTheirSnapshotAcrossAWrite) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  auto before = env.reference().Get();
  ASSERT_TRUE(env.reference().PutUnit({"U-NEW", "新单位", UnitKind::kDepartment, "水务", ""}).ok());
  EXPECT_EQ(before->FindUnit("U-NEW"), nullptr);
  EXPECT_NE(env.reference().Get()->FindUnit("U-NEW"), nullptr);
}

struct BadUnit {
  std::string name;
  Unit unit;
  std::string message_part;
};

class BadUnitTest : public ::testing::TestWithParam<BadUnit> {};

TEST_P(BadUnitTest, IsRefusedAndNothingIsWritten) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  size_t before = DocCount(env.store(), "unit");
  Status s = env.reference().PutUnit(GetParam().unit);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find(GetParam().message_part), std::string::npos) << s.message();
  EXPECT_EQ(DocCount(env.store(), "unit"), before);
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadUnitTest,
    ::testing::Values(
        BadUnit{"BadCode", {"U 1", "x", UnitKind::kDepartment, "环卫", ""}, "unit code 'U 1'"},
        BadUnit{"NoName", {"U-X", "", UnitKind::kDepartment, "环卫", ""}, "name is empty"},
        BadUnit{"DepartmentWithoutType", {"U-X", "x", UnitKind::kDepartment, "", ""},
                "type is empty"},
        BadUnit{"StreetOfficeWithoutSubdistrict", {"U-X", "x", UnitKind::kStreetOffice, "街道", ""},
                "is not a 9-digit sub-district code"},
        BadUnit{"StreetOfficeOfUnknownSubdistrict",
                {"U-X", "x", UnitKind::kStreetOffice, "街道", "410103009"},
                "410103009 is not in the geography"},
        BadUnit{"StreetOfficeWithOtherType", {"U-X", "x", UnitKind::kStreetOffice, "环卫", "410103001"},
                "a street office has type '街道'"}),
    [](const ::testing::TestParamInfo<BadUnit>& info) { return info.param.name; });

struct BadRule {
  std::string name;
  RoutingRule rule;
  std::string message_part;
};

class BadRuleTest : public ::testing::TestWithParam<BadRule> {};

TEST_P(BadRuleTest, IsRefusedAndTheOldRulesStay) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  RoutingRule good{"good", "", RoutingScope::kDistrict, "410103", "U-CG"};
  ASSERT_TRUE(env.reference().ReplaceRoutingRules({good}).ok());
  Status s = env.reference().ReplaceRoutingRules({good, GetParam().rule});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find(GetParam().message_part), std::string::npos) << s.message();
  EXPECT_EQ(env.reference().Get()->rules, std::vector<RoutingRule>{good});
  EXPECT_EQ(DocCount(env.store(), "routing_rule"), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadRuleTest,
    ::testing::Values(
        BadRule{"UnknownUnit", {"r2", "", RoutingScope::kGrid, "410103001001001", "U-NOPE"},
                "routing rule 1 (id 'r2'): unknown unit 'U-NOPE'"},
        BadRule{"UnknownCategory", {"r2", "99999", RoutingScope::kGrid, "410103001001001", "U-CG"},
                "unknown category '99999'"},
        BadRule{"UnknownGrid", {"r2", "", RoutingScope::kGrid, "410103001001009", "U-CG"},
                "no grid '410103001001009'"},
        BadRule{"UnknownRoad", {"r2", "", RoutingScope::kRoad, "R9", "U-CG"}, "no road 'R9'"},
        BadRule{"DuplicateId", {"good", "", RoutingScope::kZone, "Z1", "U-CG"}, "id is given twice"},
        BadRule{"EmptyScopeId", {"r2", "", RoutingScope::kCommunity, "", "U-CG"},
                "scope_id is empty"}),
    [](const ::testing::TestParamInfo<BadRule>& info) { return info.param.name; });

TEST(ReferenceDataTest, RefusesToDeleteAUnitARuleUses) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  ASSERT_TRUE(env.reference()
                  .ReplaceRoutingRules({{"r1", "", RoutingScope::kDistrict, "410103", "U-CG"}})
                  .ok());
  EXPECT_EQ(env.reference().DeleteUnit("U-CG").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(env.reference().DeleteUnit("U-NOPE").code(), StatusCode::kNotFound);
  EXPECT_TRUE(env.reference().DeleteUnit("U-JT").ok());
  EXPECT_EQ(env.reference().Get()->FindUnit("U-JT"), nullptr);
}

TEST(ReferenceDataTest, RefusesBadCategoriesCalendarAndSettings) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  EXPECT_EQ(env.reference().SetCategories("{not json").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(env.reference().SetOfficeHours("{\"timetables\": []}").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(env.reference().PutHolidayYear("{\"year\": 1800}").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(env.reference().SetSettings(Settings(0, 50, std::chrono::hours(72))).code(),
            StatusCode::kInvalidArgument);
  EXPECT_NE(env.reference().Get()->categories->Find("06010"), nullptr);
}

TEST(ReferenceDataTest, RefusesAnInvalidGeography) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  geo::Geography g = testing::TestGeography();
  g.subdistricts[0].code = "41010300";  // 8 digits
  EXPECT_EQ(env.reference().SetGeography(g).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*env.reference().Get()->geography, testing::TestGeography());
}

TEST(ReferenceDataTest, UnitOfTypeFindsDepartmentsAndStreetOffices) {
  ServiceEnv env;
  ASSERT_TRUE(env.ready());
  auto data = env.reference().Get();
  ASSERT_NE(data->UnitOfType("环卫", ""), nullptr);
  EXPECT_EQ(data->UnitOfType("环卫", "")->code, "U-HW");
  ASSERT_NE(data->UnitOfType("街道", "410103002"), nullptr);
  EXPECT_EQ(data->UnitOfType("街道", "410103002")->code, "U-JD2");
  EXPECT_EQ(data->UnitOfType("街道", ""), nullptr);
  EXPECT_EQ(data->UnitOfType("交警", ""), nullptr);
}

}  // namespace
}  // namespace citygrid::service
