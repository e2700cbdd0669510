#include "citygrid/domain/category.h"

#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/testing/paths.h"

namespace citygrid {
namespace {

std::string ReadRepoFile(const std::string& relative) {
  std::ifstream in(testing::SourceDir() + "/" + relative, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A small valid file; `categories` is spliced into the categories array.
std::string FileWith(const std::string& categories) {
  return R"({
  "version": 1,
  "stage_defaults": {"verify": "1 work_hour", "register": "0.5 work_hour",
                     "dispatch": "0.5 work_hour", "check": "1 work_hour"},
  "major_classes": [
    {"code": "01", "name": "市政公用设施", "name_en": "Municipal utilities", "kind": "component"},
    {"code": "06", "name": "市容环境类", "name_en": "City appearance", "kind": "event"}
  ],
  "categories": [)" +
         categories + "]}";
}

constexpr const char* kGarbage =
    R"({"code": "06010", "name": "暴露垃圾", "unit_type": "环卫",
        "register_standard": "道路、广场等公共场所有暴露垃圾", "close_standard": "垃圾清理干净",
        "deadlines": [{"handle": "2 work_hour"}]})";

TEST(CategoryCatalogTest, ParsesAMinimalFile) {
  auto catalog = CategoryCatalog::Parse(FileWith(kGarbage), "test.json");
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  ASSERT_EQ(catalog->size(), 1u);
  const Category* c = catalog->Find("06010");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->name, "暴露垃圾");
  EXPECT_EQ(c->kind, CategoryKind::kEvent);  // from the major class
  EXPECT_TRUE(c->is_public);                 // the default
  ASSERT_EQ(c->deadlines.size(), 1u);
  EXPECT_EQ(c->deadlines[0].handle, (WorkDuration{2, TimeUnit::kWorkHour}));
  EXPECT_EQ(c->deadlines[0].registration, (WorkDuration{0.5, TimeUnit::kWorkHour}));
  EXPECT_EQ(c->deadlines[0].For(Stage::kCheck), (WorkDuration{1, TimeUnit::kWorkHour}));
  EXPECT_EQ(c->deadlines[0].For(Stage::kNone), std::nullopt);
}

TEST(CategoryCatalogTest, AcceptsObjectDurationsAndRowOverrides) {
  auto catalog = CategoryCatalog::Parse(
      FileWith(R"({"code": "01001", "name": "供水井盖", "unit_type": "供水", "public": false,
          "register_standard": "井盖缺失或破损", "close_standard": "井盖补齐",
          "deadlines": [
            {"condition": "缺失", "handle": {"amount": 2, "unit": "urgent_hour"},
             "verify": "0.5 urgent_hour"},
            {"condition": "破损", "handle": "1 work_day"}]})"),
      "test.json");
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  const Category* c = catalog->Find("01001");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->kind, CategoryKind::kComponent);
  EXPECT_FALSE(c->is_public);
  EXPECT_TRUE(catalog->PublicCategories().empty());
  auto missing = c->SelectDeadline("缺失");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ((*missing)->handle, (WorkDuration{2, TimeUnit::kUrgentHour}));
  EXPECT_EQ((*missing)->verify, (WorkDuration{0.5, TimeUnit::kUrgentHour}));
  EXPECT_EQ((*missing)->dispatch, (WorkDuration{0.5, TimeUnit::kWorkHour}));  // default
  auto damaged = catalog->SelectDeadline("01001", "破损");
  ASSERT_TRUE(damaged.ok());
  EXPECT_EQ((*damaged)->handle, (WorkDuration{1, TimeUnit::kWorkDay}));
  auto first = c->SelectDeadline("");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)->condition, "缺失");
}

TEST(CategoryCatalogTest, UnknownConditionOrCodeIsNotFound) {
  auto catalog = CategoryCatalog::Parse(FileWith(kGarbage), "test.json");
  ASSERT_TRUE(catalog.ok());
  auto row = catalog->SelectDeadline("06010", "倒塌");
  EXPECT_EQ(row.status().code(), StatusCode::kNotFound);
  EXPECT_NE(row.status().message().find("倒塌"), std::string::npos);
  EXPECT_EQ(catalog->SelectDeadline("06999", "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog->Get("06999").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog->Find("06999"), nullptr);
}

struct BadFile {
  const char* what;
  std::string text;
  std::vector<std::string> message_has;
};

std::string Entry(const std::string& code, const std::string& extra = "",
                  const std::string& deadlines = R"([{"handle": "2 work_hour"}])") {
  return R"({"code": ")" + code + R"(", "name": "名称", "unit_type": "环卫",
      "register_standard": "立案", "close_standard": "结案", "deadlines": )" +
         deadlines + extra + "}";
}

class CategoryCatalogBadFileTest : public ::testing::TestWithParam<BadFile> {};

TEST_P(CategoryCatalogBadFileTest, FailsWithInvalidArgumentNamingTheEntry) {
  const BadFile& c = GetParam();
  auto catalog = CategoryCatalog::Parse(c.text, "cats.json");
  ASSERT_FALSE(catalog.ok()) << c.what;
  EXPECT_EQ(catalog.status().code(), StatusCode::kInvalidArgument) << c.what;
  EXPECT_NE(catalog.status().message().find("cats.json"), std::string::npos)
      << catalog.status().message();
  for (const std::string& part : c.message_has) {
    EXPECT_NE(catalog.status().message().find(part), std::string::npos)
        << c.what << ": '" << catalog.status().message() << "' lacks '" << part << "'";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, CategoryCatalogBadFileTest,
    ::testing::Values(
        BadFile{"duplicate code",
                FileWith(std::string(kGarbage) + "," + Entry("06010")),
                {"categories[1]", "06010", "'code'", "already used by categories[0]"}},
        BadFile{"four-digit code",
                FileWith(Entry("0601")),
                {"categories[0]", "0601", "'code'", "5-digit"}},
        BadFile{"six-digit code", FileWith(Entry("060100")), {"categories[0]", "'code'"}},
        BadFile{"letters in code", FileWith(Entry("06A10")), {"06A10", "'code'", "5-digit"}},
        BadFile{"unknown major class",
                FileWith(Entry("11001")),
                {"categories[0]", "11001", "'code'", "major class '11'"}},
        BadFile{"minor class 000", FileWith(Entry("06000")), {"06000", "000"}},
        BadFile{"code missing",
                FileWith(R"({"name": "x", "unit_type": "u", "register_standard": "r",
                    "close_standard": "c", "deadlines": [{"handle": "1 work_day"}]})"),
                {"categories[0]", "'code'", "missing"}},
        BadFile{"name missing",
                FileWith(R"({"code": "06010", "unit_type": "u", "register_standard": "r",
                    "close_standard": "c", "deadlines": [{"handle": "1 work_day"}]})"),
                {"categories[0] (06010)", "'name'", "missing"}},
        BadFile{"blank name",
                FileWith(R"({"code": "06010", "name": "  ", "unit_type": "u",
                    "register_standard": "r", "close_standard": "c",
                    "deadlines": [{"handle": "1 work_day"}]})"),
                {"06010", "'name'", "empty"}},
        BadFile{"name not a string",
                FileWith(R"({"code": "06010", "name": 7, "unit_type": "u",
                    "register_standard": "r", "close_standard": "c",
                    "deadlines": [{"handle": "1 work_day"}]})"),
                {"06010", "'name'", "a number"}},
        BadFile{"registration standard missing",
                FileWith(R"({"code": "06010", "name": "n", "unit_type": "u",
                    "close_standard": "c", "deadlines": [{"handle": "1 work_day"}]})"),
                {"06010", "'register_standard'"}},
        BadFile{"unknown duration unit",
                FileWith(Entry("06010", "", R"([{"handle": "2 hour"}])")),
                {"06010", "deadlines[0]", "'handle'", "unknown time unit 'hour'"}},
        BadFile{"zero amount",
                FileWith(Entry("06010", "", R"([{"handle": "0 work_hour"}])")),
                {"06010", "'handle'", "positive"}},
        BadFile{"negative amount",
                FileWith(Entry("06010", "", R"([{"handle": {"amount": -1, "unit": "work_day"}}])")),
                {"06010", "'handle'", "positive"}},
        BadFile{"fractional work_day",
                FileWith(Entry("06010", "", R"([{"handle": "1.5 work_day"}])")),
                {"06010", "'handle'", "whole number"}},
        BadFile{"unknown unit in an object",
                FileWith(Entry("06010", "", R"([{"handle": {"amount": 2, "unit": "minutes"}}])")),
                {"06010", "'handle'", "minutes"}},
        BadFile{"bad stage override",
                FileWith(Entry("06010", "", R"([{"handle": "2 work_hour", "verify": "x"}])")),
                {"06010", "deadlines[0]", "'verify'"}},
        BadFile{"handle missing",
                FileWith(Entry("06010", "", R"([{"verify": "1 work_hour"}])")),
                {"06010", "deadlines[0]", "'handle'", "missing"}},
        BadFile{"no deadline rows",
                FileWith(Entry("06010", "", "[]")),
                {"06010", "'deadlines'", "at least one"}},
        BadFile{"rows without conditions",
                FileWith(Entry("06010", "",
                               R"([{"handle": "2 work_hour"}, {"handle": "1 work_day"}])")),
                {"06010", "deadlines[0]", "'condition'"}},
        BadFile{"condition twice",
                FileWith(Entry("06010", "",
                               R"([{"condition": "a", "handle": "2 work_hour"},
                                      {"condition": "a", "handle": "1 work_day"}])")),
                {"06010", "deadlines[1]", "given twice"}},
        BadFile{"kind differs from major",
                FileWith(Entry("06010", R"(, "kind": "component")")),
                {"06010", "'kind'", "differs"}},
        BadFile{"unknown kind",
                FileWith(Entry("06010", R"(, "kind": "thing")")),
                {"06010", "'kind'", "thing"}},
        BadFile{"unknown field (typo)",
                FileWith(Entry("06010", R"(, "unit_typ": "环卫")")),
                {"06010", "'unit_typ'", "unknown field"}},
        BadFile{"public not a boolean",
                FileWith(Entry("06010", R"(, "public": "yes")")),
                {"06010", "'public'"}},
        BadFile{"syntax error",
                "{\n  \"version\": 1,\n  \"categories\": [,]\n}",
                {"line 3", "not valid JSON"}},
        BadFile{"top level not an object", "[]", {"top level"}},
        BadFile{"major classes missing", R"({"categories": []})", {"'major_classes'", "missing"}},
        BadFile{"bad major class code",
                R"({"major_classes": [{"code": "6", "name": "x", "kind": "event"}],
                    "categories": []})",
                {"major_classes[0]", "'code'", "2-digit"}},
        BadFile{"major class twice",
                R"({"major_classes": [{"code": "06", "name": "x", "kind": "event"},
                                      {"code": "06", "name": "y", "kind": "event"}],
                    "categories": []})",
                {"major_classes[1]", "given twice"}},
        BadFile{"bad stage default",
                R"({"stage_defaults": {"verify": "-2 work_hour"},
                    "major_classes": [{"code": "06", "name": "x", "kind": "event"}],
                    "categories": []})",
                {"stage_defaults", "'verify'", "positive"}},
        BadFile{"no stage default and no override",
                R"({"major_classes": [{"code": "06", "name": "x", "kind": "event"}],
                    "categories": [{"code": "06010", "name": "n", "unit_type": "u",
                      "register_standard": "r", "close_standard": "c",
                      "deadlines": [{"handle": "1 work_day"}]}]})",
                {"06010", "'verify'", "stage_defaults"}},
        BadFile{"unsupported version",
                R"({"version": 2, "major_classes": [], "categories": []})",
                {"'version'", "2"}}),
    [](const ::testing::TestParamInfo<BadFile>& info) {
      std::string name;
      for (char ch : std::string(info.param.what)) {
        name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
      }
      return name;
    });

// The shipped default: data/categories.json.
class ShippedCategoriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto parsed = CategoryCatalog::Parse(ReadRepoFile("data/categories.json"), "categories.json");
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    catalog_ = std::move(*parsed);
  }
  CategoryCatalog catalog_;
};

TEST_F(ShippedCategoriesTest, HasTheTenMajorClasses) {
  const std::pair<const char*, const char*> kMajors[] = {
      {"01", "市政公用设施"}, {"02", "交通设施"},   {"03", "市容环卫设施"}, {"04", "园林绿化设施"},
      {"05", "其他管理部件"}, {"06", "市容环境类"}, {"07", "宣传广告类"},   {"08", "施工管理类"},
      {"09", "街面秩序类"},   {"10", "其他事项类"}};
  ASSERT_EQ(catalog_.major_classes().size(), 10u);
  for (const auto& [code, name] : kMajors) {
    const MajorClass* m = catalog_.FindMajor(code);
    ASSERT_NE(m, nullptr) << code;
    EXPECT_EQ(m->name, name);
    EXPECT_FALSE(m->name_en.empty()) << code;
    EXPECT_EQ(m->kind, std::string(code) <= "05" ? CategoryKind::kComponent : CategoryKind::kEvent)
        << code;
    EXPECT_FALSE(catalog_.ListByMajor(code).empty()) << "no categories in major class " << code;
  }
}

TEST_F(ShippedCategoriesTest, HoldsTheRequiredCodes) {
  const std::pair<const char*, const char*> kRequired[] = {
      {"06001", "私搭乱建"},         {"06004", "建筑物外立面污损"},
      {"06010", "暴露垃圾"},         {"06011", "积存垃圾渣土"},
      {"06012", "道路不洁"},         {"06042", "垃圾站(箱)满溢"},
      {"07001", "非法小广告"},       {"07003", "违规户外广告"},
      {"08002", "施工占道"},         {"08004", "工地扬尘"},
      {"08007", "施工工地围挡问题"}, {"08011", "渣土运输车辆未安装密闭装置"},
      {"08016", "无证建设"},         {"09005", "店外经营"},
      {"09006", "占道经营"},         {"09009", "机动车乱停放"},
      {"03001", "公共厕所"},         {"03006", "户外广告"},
      {"01001", "供水井盖"}};
  for (const auto& [code, name] : kRequired) {
    const Category* c = catalog_.Find(code);
    ASSERT_NE(c, nullptr) << code;
    EXPECT_EQ(c->name, name) << code;
  }
  EXPECT_GE(catalog_.size(), 40u);
}

TEST_F(ShippedCategoriesTest, EveryEntryIsComplete) {
  for (const Category& c : catalog_.categories()) {
    EXPECT_FALSE(c.name_en.empty()) << c.code;
    EXPECT_FALSE(c.register_standard.empty()) << c.code;
    EXPECT_FALSE(c.close_standard.empty()) << c.code;
    EXPECT_FALSE(c.unit_type.empty()) << c.code;
    EXPECT_FALSE(c.deadlines.empty()) << c.code;
    EXPECT_EQ(c.kind, catalog_.FindMajor(c.major_code())->kind) << c.code;
  }
}

TEST_F(ShippedCategoriesTest, ExposedGarbageFollowsTheNationalStandard) {
  const Category* c = catalog_.Find("06010");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->register_standard, "道路、广场等公共场所有暴露垃圾");
  EXPECT_EQ(c->close_standard, "垃圾清理干净");
  EXPECT_EQ(c->unit_type, "环卫");
  EXPECT_EQ(c->deadlines.at(0).handle, (WorkDuration{2, TimeUnit::kWorkHour}));
}

TEST_F(ShippedCategoriesTest, ManholeCoverHasUrgentAndOrdinaryRows) {
  auto missing = catalog_.SelectDeadline("01001", "缺失");
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_EQ((*missing)->handle, (WorkDuration{2, TimeUnit::kUrgentHour}));
  const Category* c = catalog_.Find("01001");
  ASSERT_EQ(c->deadlines.size(), 2u);
  EXPECT_EQ(c->deadlines[1].handle, (WorkDuration{1, TimeUnit::kWorkDay}));
}

TEST_F(ShippedCategoriesTest, SelectsARowByAWordOfItsCondition) {
  auto damaged = catalog_.SelectDeadline("01001", "破损");
  ASSERT_TRUE(damaged.ok()) << damaged.status().ToString();
  EXPECT_EQ((*damaged)->condition, "破损、移位、松动或有异响");
  EXPECT_EQ((*damaged)->handle, (WorkDuration{1, TimeUnit::kWorkDay}));
}

TEST(CategoryTest, AWordOfSeveralConditionsIsAmbiguous) {
  Category c;
  c.code = "01012";
  c.name = "路灯";
  c.deadlines.resize(2);
  c.deadlines[0].condition = "连续3盏以上不亮";
  c.deadlines[1].condition = "单灯不亮";
  EXPECT_EQ(c.SelectDeadline("不亮").status().code(), StatusCode::kInvalidArgument);
  auto single = c.SelectDeadline("单灯");
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(*single, &c.deadlines[1]);
  EXPECT_EQ(c.SelectDeadline("倒伏").status().code(), StatusCode::kNotFound);
}

TEST_F(ShippedCategoriesTest, ListsByMajorClassInCodeOrder) {
  auto list = catalog_.ListByMajor("06");
  ASSERT_GE(list.size(), 6u);
  for (size_t i = 1; i < list.size(); ++i) EXPECT_LT(list[i - 1]->code, list[i]->code);
  for (const Category* c : list) EXPECT_EQ(c->major_code(), "06");
  EXPECT_TRUE(catalog_.ListByMajor("99").empty());
}

TEST(CategoryKindTest, NamesRoundTrip) {
  for (CategoryKind k : {CategoryKind::kComponent, CategoryKind::kEvent}) {
    auto parsed = ParseCategoryKind(Name(k));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, k);
  }
  EXPECT_EQ(ChineseName(CategoryKind::kComponent), "部件");
  EXPECT_EQ(ParseCategoryKind("部件").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace citygrid
