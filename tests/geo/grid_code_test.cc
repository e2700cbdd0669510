#include "citygrid/geo/grid_code.h"

#include <gtest/gtest.h>

#include <string>

namespace citygrid::geo {
namespace {

TEST(GridCodeTest, ParsesEveryLevel) {
  struct Row {
    std::string text;
    AreaLevel level;
    int sequence;
  };
  for (const Row& row : {Row{"410103", AreaLevel::kDistrict, 410103},
                         Row{"410103001", AreaLevel::kSubDistrict, 1},
                         Row{"410103001012", AreaLevel::kCommunity, 12},
                         Row{"410103001012999", AreaLevel::kGrid, 999}}) {
    Result<GridCode> code = GridCode::Parse(row.text);
    ASSERT_TRUE(code.ok()) << row.text << ": " << code.status().ToString();
    EXPECT_EQ(code->level(), row.level) << row.text;
    EXPECT_EQ(code->str(), row.text);
    EXPECT_EQ(code->ToString(), row.text);
    EXPECT_EQ(code->sequence(), row.sequence) << row.text;
    EXPECT_TRUE(GridCode::IsValid(row.text));
  }
}

TEST(GridCodeTest, RejectsMalformedCodesNamingTheProblem) {
  struct Row {
    std::string text;
    std::string message_part;
  };
  for (const Row& row : {Row{"", "has 0 characters"},
                         Row{"41010", "has 5 characters"},
                         Row{"4101030010020", "has 13 characters"},
                         Row{"4101030010020031", "has 16 characters"},
                         Row{"41010300A", "non-digit at position 9"},
                         Row{"410103 01", "non-digit at position 7"},
                         Row{"010103", "cannot start with 0"},
                         Row{"410103000", "digits 7-9 is 000"},
                         Row{"410103001000", "digits 10-12 is 000"},
                         Row{"410103001002000", "digits 13-15 is 000"}}) {
    Result<GridCode> code = GridCode::Parse(row.text);
    ASSERT_FALSE(code.ok()) << row.text;
    EXPECT_EQ(code.status().code(), StatusCode::kInvalidArgument) << row.text;
    EXPECT_NE(code.status().message().find(row.message_part), std::string::npos)
        << row.text << " -> " << code.status().message();
    EXPECT_FALSE(GridCode::IsValid(row.text));
  }
}

TEST(GridCodeTest, ParseAtRequiresTheLevel) {
  EXPECT_TRUE(GridCode::ParseAt("410103001002", AreaLevel::kCommunity).ok());
  Result<GridCode> wrong = GridCode::ParseAt("410103001", AreaLevel::kCommunity);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find("is a sub-district code; expected a community code"),
            std::string::npos)
      << wrong.status().message();
}

TEST(GridCodeTest, ParentsWalkUpToTheDistrict) {
  GridCode grid = *GridCode::Parse("410103001002003");
  std::optional<GridCode> community = grid.Parent();
  ASSERT_TRUE(community.has_value());
  EXPECT_EQ(community->str(), "410103001002");
  EXPECT_EQ(community->level(), AreaLevel::kCommunity);
  EXPECT_EQ(community->Parent()->str(), "410103001");
  EXPECT_EQ(community->Parent()->Parent()->str(), "410103");
  EXPECT_FALSE(community->Parent()->Parent()->Parent().has_value());
  EXPECT_EQ(grid.AncestorAt(AreaLevel::kSubDistrict).str(), "410103001");
  EXPECT_EQ(grid.AncestorAt(AreaLevel::kGrid), grid);
}

TEST(GridCodeTest, ChildAppendsAZeroPaddedSequence) {
  GridCode community = *GridCode::Parse("410103001002");
  Result<GridCode> first = community.Child(1);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->str(), "410103001002001");
  EXPECT_EQ(first->level(), AreaLevel::kGrid);
  EXPECT_EQ(community.Child(999)->str(), "410103001002999");
  EXPECT_EQ(GridCode::Parse("410103")->Child(14)->str(), "410103014");
}

TEST(GridCodeTest, ChildRejectsOutOfRangeSequenceAndGridLevel) {
  GridCode community = *GridCode::Parse("410103001002");
  EXPECT_EQ(community.Child(0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(community.Child(1000).status().code(), StatusCode::kInvalidArgument);
  GridCode grid = *GridCode::Parse("410103001002003");
  EXPECT_EQ(grid.Child(1).status().code(), StatusCode::kFailedPrecondition);
}

TEST(GridCodeTest, AncestryAndOrdering) {
  GridCode district = *GridCode::Parse("410103");
  GridCode sub = *GridCode::Parse("410103002");
  GridCode grid = *GridCode::Parse("410103002001001");
  GridCode other = *GridCode::Parse("410103003001001");
  EXPECT_TRUE(district.IsAncestorOf(sub));
  EXPECT_TRUE(sub.IsAncestorOf(grid));
  EXPECT_FALSE(sub.IsAncestorOf(other));
  EXPECT_FALSE(sub.IsAncestorOf(sub));
  EXPECT_FALSE(grid.IsAncestorOf(sub));
  EXPECT_LT(district, sub);
  EXPECT_LT(sub, grid);
  EXPECT_LT(grid, other);
}

TEST(GridCodeTest, LevelNamesAndLengths) {
  EXPECT_EQ(AreaLevelName(AreaLevel::kSubDistrict), "sub-district");
  EXPECT_EQ(CodeLength(AreaLevel::kDistrict), 6);
  EXPECT_EQ(CodeLength(AreaLevel::kGrid), 15);
}

}  // namespace
}  // namespace citygrid::geo
