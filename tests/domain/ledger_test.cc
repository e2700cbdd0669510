#include "citygrid/domain/ledger.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/testing/paths.h"

namespace citygrid {
namespace {

using std::chrono::year_month_day;

LedgerColumn Col(LedgerColumnType type) {
  LedgerColumn c;
  c.key = "c";
  c.name = "C";
  c.type = type;
  return c;
}

TEST(LedgerValueTest, NormalizesEveryTypeToCanonicalText) {
  struct Case {
    LedgerColumnType type;
    const char* in;
    const char* out;  // nullptr: rejected
  };
  const Case cases[] = {
      {LedgerColumnType::kNumber, " 264 ", "264"},
      {LedgerColumnType::kNumber, "12.50", "12.5"},
      {LedgerColumnType::kNumber, "1,234", nullptr},
      {LedgerColumnType::kNumber, "abc", nullptr},
      {LedgerColumnType::kPercent, "40%", "40"},
      {LedgerColumnType::kPercent, "101", nullptr},
      {LedgerColumnType::kDate, "2020/12/31", "2020-12-31"},
      {LedgerColumnType::kDate, "2021-6-3", "2021-06-03"},
      {LedgerColumnType::kDate, "2020-12-31 00:00:00", "2020-12-31"},
      {LedgerColumnType::kDate, "2021-02-30", nullptr},
      {LedgerColumnType::kPlace, "113.65, 34.72", "113.65,34.72"},
      {LedgerColumnType::kPlace, "410103001", "410103001"},
      {LedgerColumnType::kPlace, "somewhere", nullptr},
      {LedgerColumnType::kText, "  建中街 ", "建中街"},
      {LedgerColumnType::kText, "", ""},
  };
  for (const Case& c : cases) {
    Result<std::string> r = NormalizeLedgerValue(Col(c.type), c.in);
    if (c.out == nullptr) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.in;
    } else {
      ASSERT_TRUE(r.ok()) << c.in << ": " << r.status().ToString();
      EXPECT_EQ(*r, c.out) << c.in;
    }
  }
  const std::string hash(64, 'a');
  EXPECT_EQ(*NormalizeLedgerValue(Col(LedgerColumnType::kPhotos), hash + "；" + hash), hash + ";" + hash);
  EXPECT_FALSE(NormalizeLedgerValue(Col(LedgerColumnType::kPhotos), "abc").ok());
  LedgerColumn multi = Col(LedgerColumnType::kMultiChoice);
  multi.choices = {"屋面防水", "外墙保温", "管网改造"};
  EXPECT_EQ(*NormalizeLedgerValue(multi, "管网改造、屋面防水"), "屋面防水;管网改造");
  Result<std::string> bad = NormalizeLedgerValue(multi, "加装电梯");
  EXPECT_NE(bad.status().message().find("'加装电梯' is not one of 屋面防水, 外墙保温, 管网改造"),
            std::string::npos);
  LedgerColumn ranged = Col(LedgerColumnType::kNumber);
  ranged.min = 0;
  ranged.max = 100;
  EXPECT_EQ(NormalizeLedgerValue(ranged, "-1").status().message(), "-1 is below the minimum 0");
  EXPECT_EQ(NormalizeLedgerValue(ranged, "150").status().message(), "150 is above the maximum 100");
}

// Every rejection carries its reason as a code and arguments, worded as the status message.
TEST(LedgerValueTest, RejectionsCarryTheirReasonAsACode) {
  LedgerColumn choice = Col(LedgerColumnType::kChoice);
  choice.choices = {"品质型", "改善型"};
  LedgerColumn ranged = Col(LedgerColumnType::kNumber);
  ranged.min = 0;
  ranged.max = 100;
  const std::string hash_bad = "abc";
  struct Case {
    LedgerColumn column;
    std::string in;
    LedgerReason want;
  };
  const Case cases[] = {
      {Col(LedgerColumnType::kNumber), "abc", {"not_a_number", {"abc"}}},
      {Col(LedgerColumnType::kPercent), "x%", {"not_a_number", {"x"}}},
      {ranged, "-1", {"below_minimum", {"-1", "0"}}},
      {ranged, "150", {"above_maximum", {"150", "100"}}},
      {Col(LedgerColumnType::kPercent), "101", {"above_maximum", {"101", "100"}}},
      {Col(LedgerColumnType::kDate), "2021-02-30", {"not_a_date", {"2021-02-30"}}},
      {choice, "大修型", {"not_a_choice", {"大修型", "品质型, 改善型"}}},
      {Col(LedgerColumnType::kPlace), "somewhere", {"not_a_place", {"somewhere"}}},
      {Col(LedgerColumnType::kUnit), "a b", {"not_a_unit_code", {"a b"}}},
      {Col(LedgerColumnType::kPhotos), hash_bad, {"not_a_photo_hash", {hash_bad}}},
      {Col(LedgerColumnType::kText), std::string(4001, 'x'), {"too_long", {"4000"}}},
  };
  for (const Case& c : cases) {
    LedgerReason why;
    Result<std::string> r = NormalizeLedgerValue(c.column, c.in, &why);
    ASSERT_FALSE(r.ok()) << c.in;
    EXPECT_EQ(why, c.want) << c.in << ": " << r.status().message();
    EXPECT_EQ(why.Text(), r.status().message()) << c.in;
  }
  EXPECT_EQ((LedgerReason{"below_minimum", {"-3", "0"}}.Text()), "-3 is below the minimum 0");
  EXPECT_EQ((LedgerReason{"other", {"as it is"}}.Text()), "as it is");
  EXPECT_EQ(ParseLedgerRowState("大修").status().message(),
            (LedgerReason{"not_a_state", {"大修"}}.Text()));

  LedgerDefinition d;
  d.columns = {choice};
  d.columns[0].required = true;
  d.columns[0].name = "类型";
  std::map<std::string, std::string> values = {{"nope", "1"}};
  std::vector<LedgerValueError> errors = ValidateRowValues(d, values, 1);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].reason, (LedgerReason{"unknown_column", {"nope"}}));
  EXPECT_EQ(errors[1].reason, (LedgerReason{"required", {"类型"}}));
}

// The console words every reason code in Chinese (web/src/pages/ledger_i18n.ts; in English it
// shows the server's own sentence): a code added here without its words there fails.
TEST(LedgerValueTest, TheConsoleWordsEveryReasonCode) {
  std::ifstream in(testing::SourceDir() + "/web/src/pages/ledger_i18n.ts");
  ASSERT_TRUE(in) << "web/src/pages/ledger_i18n.ts not found under " << testing::SourceDir();
  std::stringstream text;
  text << in.rdbuf();
  const std::string ts = text.str();
  for (std::string_view code : LedgerReasonCodes()) {
    const std::string key = "lr_" + std::string(code) + ":";
    size_t count = 0;
    for (size_t at = ts.find(key); at != std::string::npos; at = ts.find(key, at + 1)) ++count;
    EXPECT_EQ(count, 1u) << key << " should be worded once, in Chinese";
  }
}

TEST(LedgerRowTest, BehindAndOverdueFollowTheEffectiveDeadlineDay) {
  LedgerDefinition d;
  d.batches = {{"第一批", year_month_day(std::chrono::year(2020), std::chrono::month(12), std::chrono::day(31))}};
  LedgerRow row;
  row.batch = "第一批";
  row.state = LedgerRowState::kInProgress;
  const Timestamp last_minute = *ParseIso8601("2020-12-31T23:59:00+08:00");
  const Timestamp next_day = *ParseIso8601("2021-01-01T00:00:00+08:00");
  EXPECT_FALSE(IsBehind(d, row, last_minute));
  EXPECT_TRUE(IsBehind(d, row, next_day));
  EXPECT_TRUE(IsOverdue(d, row, next_day));
  row.state = LedgerRowState::kDone;
  row.completed_at = *ParseIso8601("2021-01-05T10:00:00+08:00");
  EXPECT_FALSE(IsOverdue(d, row, next_day + std::chrono::days(10)));
  EXPECT_TRUE(IsBehind(d, row, next_day + std::chrono::days(10)));  // completed late
  row.deadline = year_month_day(std::chrono::year(2021), std::chrono::month(1), std::chrono::day(31));
  EXPECT_FALSE(IsBehind(d, row, next_day + std::chrono::days(10)));  // its own deadline wins
}

TEST(LedgerCodecTest, DefinitionsAndRowsRoundTripThroughJson) {
  LedgerDefinition d;
  d.id = "old-compounds";
  d.name = "老旧小区改造";
  d.owner_unit = "ZJ";
  LedgerColumn c = Col(LedgerColumnType::kChoice);
  c.choices = {"品质型", "改善型"};
  c.required = true;
  d.columns = {c};
  d.batches = {{"第一批", year_month_day(std::chrono::year(2020), std::chrono::month(12), std::chrono::day(31))}};
  d.type_column = "c";
  d.version = 3;
  ASSERT_TRUE(ValidateDefinition(d).ok());
  auto back = DecodeLedgerDefinition(EncodeLedgerDefinition(d));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, d);
  LedgerRow row;
  row.ledger_id = d.id;
  row.key = "R0001";
  row.version = 2;
  row.values = {{"c", "品质型"}};
  row.completed_at = *ParseIso8601("2020-11-01T16:00:00+08:00");
  auto row_back = DecodeLedgerRow(EncodeLedgerRow(row));
  ASSERT_TRUE(row_back.ok());
  EXPECT_EQ(*row_back, row);
  LedgerRow after = row;
  after.progress = 50;
  after.values["c"] = "改善型";
  EXPECT_EQ(LedgerChangePayload(&row, after), R"({"progress":50,"values":{"c":"改善型"}})");
}

}  // namespace
}  // namespace citygrid
