#include "citygrid/geo/validation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace citygrid::geo {
namespace {

Ring Square(double x0, double y0, double s) {
  return {{x0, y0}, {x0 + s, y0}, {x0 + s, y0 + s}, {x0, y0 + s}, {x0, y0}};
}

TEST(ValidationTest, AcceptsValidPolygonWithHoleUnchanged) {
  Ring hole = Square(0.25, 0.25, 0.5);
  std::reverse(hole.begin(), hole.end());  // clockwise
  MultiPolygon mp{{Square(0, 0, 1), {hole}}};
  MultiPolygon before = mp;
  std::vector<std::string> repairs;
  ASSERT_TRUE(NormalizeMultiPolygon(&mp, &repairs).ok());
  EXPECT_EQ(mp, before);
  EXPECT_TRUE(repairs.empty());
}

TEST(ValidationTest, ReversesWrongWindingOfShellAndHole) {
  Ring shell = Square(0, 0, 1);
  std::reverse(shell.begin(), shell.end());
  MultiPolygon mp{{shell, {Square(0.25, 0.25, 0.5)}}};
  std::vector<std::string> repairs;
  ASSERT_TRUE(NormalizeMultiPolygon(&mp, &repairs).ok());
  EXPECT_GT(SignedAreaDegrees(mp[0].outer), 0);
  EXPECT_LT(SignedAreaDegrees(mp[0].holes[0]), 0);
  ASSERT_EQ(repairs.size(), 2u);
  EXPECT_EQ(repairs[0].rfind("polygon 0 ring 0:", 0), 0u) << repairs[0];
  EXPECT_EQ(repairs[1].rfind("polygon 0 ring 1:", 0), 0u) << repairs[1];
}

TEST(ValidationTest, DropsRepeatedPointsAndClosesRing) {
  MultiPolygon mp{{{{0, 0}, {1, 0}, {1, 0}, {1, 1}, {0, 1}}, {}}};
  std::vector<std::string> repairs;
  ASSERT_TRUE(NormalizeMultiPolygon(&mp, &repairs).ok());
  EXPECT_EQ(mp[0].outer, Square(0, 0, 1));
  EXPECT_EQ(repairs.size(), 2u);
}

struct Bad {
  const char* name;
  MultiPolygon mp;
  const char* message_part;
};

TEST(ValidationTest, RejectsInvalidGeometryWithReason) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Bad cases[] = {
      {"empty", {}, "no polygons"},
      {"nan", {{{{0, 0}, {nan, 0}, {1, 1}, {0, 0}}, {}}}, "polygon 0 ring 0 point 1: coordinate is not a finite"},
      {"two points", {{{{0, 0}, {1, 0}, {0, 0}}, {}}}, "at least 3"},
      {"bow tie", {{{{0, 0}, {2, 2}, {2, 0}, {0, 3}, {0, 0}}, {}}}, "self-intersection"},
      {"hole outside", {{Square(0, 0, 1), {{{5, 5}, {5, 6}, {6, 6}, {6, 5}, {5, 5}}}}}, "interior"},
      {"overlapping parts", {{Square(0, 0, 2), {}}, {Square(1, 1, 2), {}}}, "invalid geometry"},
  };
  for (const Bad& c : cases) {
    MultiPolygon mp = c.mp;
    Status s = NormalizeMultiPolygon(&mp, nullptr);
    ASSERT_FALSE(s.ok()) << c.name;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(s.message().find(c.message_part), std::string::npos) << c.name << ": " << s.message();
  }
}

TEST(ValidationTest, ValidatesLines) {
  MultiLineString ok{{{0, 0}, {0, 0}, {1, 1}}};
  std::vector<std::string> repairs;
  ASSERT_TRUE(NormalizeMultiLineString(&ok, &repairs).ok());
  EXPECT_EQ(ok[0].size(), 2u);
  EXPECT_EQ(repairs.size(), 1u);
  MultiLineString bad{{{0, 0}, {0, 0}}};
  EXPECT_EQ(NormalizeMultiLineString(&bad, nullptr).code(), StatusCode::kInvalidArgument);
}

TEST(ValidationTest, LonLatRanges) {
  EXPECT_TRUE(ValidateLonLat({180, -90}).ok());
  EXPECT_EQ(ValidateLonLat({180.5, 0}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateLonLat({0, std::numeric_limits<double>::infinity()}).code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace citygrid::geo
