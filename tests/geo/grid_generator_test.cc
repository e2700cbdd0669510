#include "citygrid/geo/grid_generator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "citygrid/geo/grid_code.h"
#include "citygrid/geo/projection.h"
#include "src/geo/boost_geometry.h"

namespace citygrid::geo {
namespace {

const LonLat kOrigin{113.645, 34.731};
constexpr double kPi = 3.14159265358979323846;

// A ring from metre offsets around kOrigin (closed, CCW when given CCW).
Ring MetricRing(const std::vector<PlanePoint>& pts) {
  LocalProjection proj(kOrigin);
  Ring ring;
  for (const PlanePoint& p : pts) ring.push_back(proj.Inverse(p));
  ring.push_back(ring.front());
  return ring;
}

Ring Rect(double x0, double y0, double x1, double y1) {
  return MetricRing({{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}});
}

// An irregular star-ish CCW ring of radius about `r` metres around (cx, cy).
Ring Blob(double cx, double cy, double r, int n = 37) {
  std::vector<PlanePoint> pts;
  for (int i = 0; i < n; ++i) {
    const double t = 2 * kPi * i / n;
    const double rr = r * (1 + 0.18 * std::sin(3 * t) + 0.07 * std::cos(7 * t));
    pts.push_back({cx + rr * std::cos(t), cy + 0.8 * rr * std::sin(t)});
  }
  return MetricRing(pts);
}

Community MakeCommunity(MultiPolygon area, std::string code = "410103001002") {
  return Community{std::move(code), "测试社区", std::move(area)};
}

double TotalArea(const std::vector<UnitGrid>& grids) {
  double total = 0;
  for (const UnitGrid& g : grids) total += AreaSquareMetres(g.area);
  return total;
}

PlanePoint Centroid(const UnitGrid& grid) {
  bgx::BgMultiPolygon mp = bgx::ToBg(grid.area);
  bgx::Point c(0, 0);
  boost::geometry::centroid(mp, c);
  PlanePoint p = LocalProjection(kOrigin).Forward(LonLat{c.x(), c.y()});
  return p;
}

void ExpectSequentialCodes(const std::vector<UnitGrid>& grids, const std::string& community) {
  for (size_t i = 0; i < grids.size(); ++i) {
    Result<GridCode> code = GridCode::ParseAt(grids[i].code, AreaLevel::kGrid);
    ASSERT_TRUE(code.ok()) << grids[i].code;
    EXPECT_EQ(code->Parent()->str(), community);
    EXPECT_EQ(code->sequence(), static_cast<int>(i) + 1);
  }
}

// Every grid is an OGC-valid (multi)polygon: no self-intersections, no overlapping parts.
void ExpectValidGeometry(const std::vector<UnitGrid>& grids) {
  for (const UnitGrid& g : grids) {
    std::string reason;
    EXPECT_TRUE(boost::geometry::is_valid(bgx::ToBg(g.area), reason)) << g.code << ": " << reason;
  }
}

// Counts, for deterministic pseudo-random points in the box, how many grids contain each point,
// and checks it is exactly 1 inside the community and 0 outside.
void ExpectExactCover(const Community& community, const std::vector<UnitGrid>& grids,
                      double x0, double y0, double x1, double y1, int samples = 3000) {
  namespace bg = boost::geometry;
  LocalProjection proj(kOrigin);
  const bgx::BgMultiPolygon area = bgx::ToBg(community.area);
  std::vector<bgx::BgMultiPolygon> shapes;
  for (const UnitGrid& g : grids) shapes.push_back(bgx::ToBg(g.area));
  uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / 9007199254740992.0;
  };
  int inside = 0;
  for (int i = 0; i < samples; ++i) {
    const LonLat p = proj.Inverse({x0 + (x1 - x0) * next(), y0 + (y1 - y0) * next()});
    const bgx::Point q(p.lon, p.lat);
    int hits = 0;
    for (const auto& s : shapes) hits += bg::within(q, s) ? 1 : 0;
    const bool in = bg::within(q, area);
    inside += in;
    EXPECT_EQ(hits, in ? 1 : 0) << "point " << p.lon << "," << p.lat;
  }
  EXPECT_GT(inside, samples / 10);
}

TEST(GridGeneratorTest, AlignedRectangleGivesFullSquaresNumberedRowByRow) {
  // 1000 m × 700 m: exactly 10 × 7 lattice squares of 100 m.
  Community c = MakeCommunity({Polygon{Rect(-500, -350, 500, 350), {}}});
  Result<std::vector<UnitGrid>> grids = GenerateGrids(c);
  ASSERT_TRUE(grids.ok()) << grids.status().ToString();
  ASSERT_EQ(grids->size(), 70u);
  ExpectSequentialCodes(*grids, c.code);
  EXPECT_EQ(grids->front().code, "410103001002001");
  EXPECT_EQ(grids->back().code, "410103001002070");
  for (size_t i = 0; i < grids->size(); ++i) {
    const int row = static_cast<int>(i) / 10, col = static_cast<int>(i) % 10;
    const PlanePoint centre = Centroid((*grids)[i]);
    EXPECT_NEAR(centre.x, -450 + 100 * col, 1e-3) << (*grids)[i].code;
    EXPECT_NEAR(centre.y, 300 - 100 * row, 1e-3) << (*grids)[i].code;
    EXPECT_NEAR(AreaSquareMetres((*grids)[i].area), 10000, 0.1);
  }
}

TEST(GridGeneratorTest, CodesRunNorthToSouthThenWestToEast) {
  Community c = MakeCommunity({Polygon{Blob(0, 0, 900), {}}});
  Result<std::vector<UnitGrid>> grids = GenerateGrids(c);
  ASSERT_TRUE(grids.ok()) << grids.status().ToString();
  ExpectSequentialCodes(*grids, c.code);
  // Consecutive grids either stay in the row (moving east) or start a lower row. A merged
  // sliver can shift a centroid by at most a cell, so compare rows with a 100 m lattice.
  for (size_t i = 1; i < grids->size(); ++i) {
    const PlanePoint a = Centroid((*grids)[i - 1]);
    const PlanePoint b = Centroid((*grids)[i]);
    const bool same_row = std::abs(a.y - b.y) < 60;
    if (same_row) {
      EXPECT_GT(b.x, a.x) << (*grids)[i - 1].code << " → " << (*grids)[i].code;
    } else {
      EXPECT_LT(b.y, a.y) << (*grids)[i - 1].code << " → " << (*grids)[i].code;
    }
  }
}

TEST(GridGeneratorTest, GridAreasSumToTheCommunityArea) {
  Community c = MakeCommunity({Polygon{Blob(0, 0, 1000), {}}});
  Result<std::vector<UnitGrid>> grids = GenerateGrids(c);
  ASSERT_TRUE(grids.ok()) << grids.status().ToString();
  ExpectValidGeometry(*grids);
  const double expected = AreaSquareMetres(c.area);
  EXPECT_NEAR(TotalArea(*grids) / expected, 1.0, 1e-3);
  // About one grid per 10,000 m², never more than the lattice squares touched.
  EXPECT_GT(grids->size(), expected / 10000 * 0.8);
  EXPECT_LT(grids->size(), expected / 10000 * 1.4);
}

TEST(GridGeneratorTest, NoGridIsSmallerThanTheSliverThreshold) {
  Community c = MakeCommunity({Polygon{Blob(0, 0, 800, 53), {}}});
  GridOptions options;
  options.min_area_fraction = 0.3;
  Result<std::vector<UnitGrid>> grids = GenerateGrids(c, options);
  ASSERT_TRUE(grids.ok()) << grids.status().ToString();
  ExpectValidGeometry(*grids);
  for (const UnitGrid& g : *grids) {
    EXPECT_GE(AreaSquareMetres(g.area), 0.3 * 10000 * 0.999) << g.code;
  }
  EXPECT_NEAR(TotalArea(*grids) / AreaSquareMetres(c.area), 1.0, 1e-3);
}

TEST(GridGeneratorTest, EveryPointIsCoveredByExactlyOneGrid) {
  Community c = MakeCommunity({Polygon{Blob(0, 0, 600), {}}});
  Result<std::vector<UnitGrid>> grids = GenerateGrids(c);
  ASSERT_TRUE(grids.ok()) << grids.status().ToString();
  ExpectExactCover(c, *grids, -800, -700, 800, 700);
}

TEST(GridGeneratorTest, HoleIsLeftUncovered) {
  // A 900 m square with a 300 m × 250 m hole off-lattice.
  Ring hole = Rect(-130, -90, 170, 160);
  std::reverse(hole.begin(), hole.end());  // holes wind clockwise
  Community c = MakeCommunity({Polygon{Rect(-450, -450, 450, 450), {hole}}});
  Result<std::vector<UnitGrid>> grids = GenerateGrids(c);
  ASSERT_TRUE(grids.ok()) << grids.status().ToString();
  ExpectValidGeometry(*grids);
  ExpectSequentialCodes(*grids, c.code);
  const double expected = 900.0 * 900.0 - 300.0 * 250.0;
  EXPECT_NEAR(TotalArea(*grids) / expected, 1.0, 1e-3);
  ExpectExactCover(c, *grids, -500, -500, 500, 500);
}

TEST(GridGeneratorTest, MultiPolygonCommunityWithATinyIsland) {
  // Two parts 400 m apart, and a 40 m × 40 m island (below the sliver threshold) that must be
  // merged into a grid rather than dropped or left as a tiny grid.
  Community c = MakeCommunity({Polygon{Blob(-600, 0, 300), {}}, Polygon{Blob(500, 100, 250), {}},
                               Polygon{Rect(0, -600, 40, -560), {}}});
  Result<std::vector<UnitGrid>> grids = GenerateGrids(c);
  ASSERT_TRUE(grids.ok()) << grids.status().ToString();
  ExpectValidGeometry(*grids);
  ExpectSequentialCodes(*grids, c.code);
  EXPECT_NEAR(TotalArea(*grids) / AreaSquareMetres(c.area), 1.0, 1e-3);
  for (const UnitGrid& g : *grids) EXPECT_GE(AreaSquareMetres(g.area), 2500 * 0.999) << g.code;
  ExpectExactCover(c, *grids, -1000, -700, 800, 450);
}

TEST(GridGeneratorTest, CommunitySmallerThanTheThresholdIsOneGrid) {
  Community c = MakeCommunity({Polygon{Rect(10, 10, 50, 40), {}}});
  Result<std::vector<UnitGrid>> grids = GenerateGrids(c);
  ASSERT_TRUE(grids.ok()) << grids.status().ToString();
  ASSERT_EQ(grids->size(), 1u);
  EXPECT_EQ((*grids)[0].code, "410103001002001");
  EXPECT_NEAR(AreaSquareMetres((*grids)[0].area), 1200, 0.01);
}

TEST(GridGeneratorTest, SameInputGivesTheSameOutputByteForByte) {
  Ring hole = Blob(100, 50, 150, 11);
  std::reverse(hole.begin(), hole.end());
  Community c = MakeCommunity({Polygon{Blob(0, 0, 700), {hole}}, Polygon{Blob(1300, 0, 200), {}}});
  Result<std::vector<UnitGrid>> a = GenerateGrids(c);
  Result<std::vector<UnitGrid>> b = GenerateGrids(c);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->size(), b->size());
  for (size_t i = 0; i < a->size(); ++i) {
    EXPECT_EQ((*a)[i], (*b)[i]) << (*a)[i].code;
  }
}

TEST(GridGeneratorTest, TargetAreaControlsTheGridSize) {
  Community c = MakeCommunity({Polygon{Rect(-500, -500, 500, 500), {}}});
  GridOptions options;
  options.target_area_m2 = 40000;  // 200 m squares
  Result<std::vector<UnitGrid>> grids = GenerateGrids(c, options);
  ASSERT_TRUE(grids.ok());
  EXPECT_EQ(grids->size(), 25u);
}

TEST(GridGeneratorTest, ManyCommunitiesAreConcatenatedInOrder) {
  std::vector<Community> cs = {MakeCommunity({Polygon{Rect(0, 0, 200, 200), {}}}, "410103001001"),
                               MakeCommunity({Polygon{Rect(200, 0, 500, 100), {}}},
                                             "410103001002")};
  Result<std::vector<UnitGrid>> grids = GenerateGrids(cs);
  ASSERT_TRUE(grids.ok()) << grids.status().ToString();
  ASSERT_EQ(grids->size(), 7u);
  EXPECT_EQ((*grids)[3].code, "410103001001004");
  EXPECT_EQ((*grids)[4].code, "410103001002001");
}

// The communities are cut on several threads; the result is still each community's grids in
// the communities' order, and the error is the first bad community's in that order.
TEST(GridGeneratorTest, ManyCommunitiesGiveWhatEachGivesAloneAndTheFirstErrorInOrder) {
  std::vector<Community> cs;
  for (int i = 0; i < 24; ++i) {
    char code[16];
    std::snprintf(code, sizeof code, "410103001%03d", i + 1);
    cs.push_back(MakeCommunity({Polygon{Blob(i * 900.0, (i % 3) * 700.0, 250 + 10 * i), {}}},
                               code));
  }
  Result<std::vector<UnitGrid>> all = GenerateGrids(cs);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::vector<UnitGrid> one_by_one;
  for (const Community& c : cs) {
    Result<std::vector<UnitGrid>> grids = GenerateGrids(c);
    ASSERT_TRUE(grids.ok());
    one_by_one.insert(one_by_one.end(), grids->begin(), grids->end());
  }
  EXPECT_EQ(*all, one_by_one);

  cs[17].code = "41010300101";   // 11 digits
  cs[5].area = MultiPolygon{};   // no area
  Result<std::vector<UnitGrid>> bad = GenerateGrids(cs);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("community #5"), std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("has no area polygon"), std::string::npos)
      << bad.status().message();
}

TEST(GridGeneratorTest, RejectsBadInputWithSpecificErrors) {
  struct Row {
    std::string name;
    Community community;
    GridOptions options;
    std::string message_part;
  };
  Ring bowtie = MetricRing({{0, 0}, {300, 300}, {300, 0}, {0, 300}});
  const MultiPolygon square = {Polygon{Rect(0, 0, 300, 300), {}}};
  std::vector<Row> rows = {
      {"bad code", MakeCommunity(square, "41010300100"), {}, "11 characters"},
      {"grid code", MakeCommunity(square, "410103001002003"), {}, "is a grid code"},
      {"empty area", MakeCommunity({}), {}, "has no area polygon"},
      {"self-intersection", MakeCommunity({Polygon{bowtie, {}}}), {}, "not a valid polygon"},
      {"nan", MakeCommunity({Polygon{{{NAN, 1}, {2, 2}, {2, 1}, {NAN, 1}}, {}}}), {},
       "is not usable"},
      {"target zero", MakeCommunity(square), GridOptions{0, 0.25}, "target grid area"},
      {"fraction one", MakeCommunity(square), GridOptions{10000, 1.0}, "fraction"},
      {"too many grids", MakeCommunity({Polygon{Rect(0, 0, 4000, 4000), {}}}), {},
       "grids; at most 999 fit the 3-digit sequence"},
  };
  for (const Row& row : rows) {
    Result<std::vector<UnitGrid>> grids = GenerateGrids(row.community, row.options);
    ASSERT_FALSE(grids.ok()) << row.name;
    EXPECT_EQ(grids.status().code(), StatusCode::kInvalidArgument) << row.name;
    EXPECT_NE(grids.status().message().find(row.message_part), std::string::npos)
        << row.name << ": " << grids.status().message();
  }
}

}  // namespace
}  // namespace citygrid::geo
