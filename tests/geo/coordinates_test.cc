#include "citygrid/geo/coordinates.h"

#include <gtest/gtest.h>

#include <cmath>

namespace citygrid::geo {
namespace {

constexpr double kTight = 1e-9;  // degrees; the published vectors print ~14 digits

struct Vector {
  const char* what;
  LonLat in;
  LonLat (*fn)(LonLat);
  LonLat want;
};

// Published vectors: wandergis/coordtransform test/app.js (the reference JavaScript
// implementation most Chinese projects copy), input (116.404, 39.915) — Tiananmen.
TEST(CoordinatesTest, MatchesPublishedForwardVectors) {
  const Vector vectors[] = {
      {"wgs84->gcj02", {116.404, 39.915}, Wgs84ToGcj02, {116.41024449916938, 39.91640428150164}},
      {"gcj02->bd09", {116.404, 39.915}, Gcj02ToBd09, {116.41036949371029, 39.92133699351021}},
  };
  for (const Vector& v : vectors) {
    LonLat got = v.fn(v.in);
    EXPECT_NEAR(got.lon, v.want.lon, kTight) << v.what;
    EXPECT_NEAR(got.lat, v.want.lat, kTight) << v.what;
  }
}

// The same source publishes one-step approximate inverses (bd09->gcj02 (116.39762729119315,
// 39.90865673957631), gcj02->wgs84 (116.39775550083061, 39.91359571849836)). Our inverses are
// iterated, so they agree with those to the approximation error (well under 1e-4 degree) and,
// unlike them, map back onto the input exactly.
TEST(CoordinatesTest, IteratedInversesRefinePublishedApproximations) {
  LonLat gcj = Bd09ToGcj02({116.404, 39.915});
  EXPECT_NEAR(gcj.lon, 116.39762729119315, 1e-4);
  EXPECT_NEAR(gcj.lat, 39.90865673957631, 1e-4);
  LonLat back = Gcj02ToBd09(gcj);
  EXPECT_NEAR(back.lon, 116.404, 1e-10);
  EXPECT_NEAR(back.lat, 39.915, 1e-10);

  LonLat wgs = Gcj02ToWgs84({116.404, 39.915});
  EXPECT_NEAR(wgs.lon, 116.39775550083061, 1e-4);
  EXPECT_NEAR(wgs.lat, 39.91359571849836, 1e-4);
  LonLat again = Wgs84ToGcj02(wgs);
  EXPECT_NEAR(again.lon, 116.404, 1e-10);
  EXPECT_NEAR(again.lat, 39.915, 1e-10);
}

// The offsets are a few hundred metres: GCJ-02 in Zhengzhou is ~300-600 m from WGS84.
TEST(CoordinatesTest, OffsetsHaveTheKnownMagnitude) {
  LonLat wgs{113.645, 34.731};  // 郑州市二七区
  double gcj_m = HaversineMetres(wgs, Wgs84ToGcj02(wgs));
  double bd_m = HaversineMetres(wgs, Wgs84ToBd09(wgs));
  EXPECT_GT(gcj_m, 200);
  EXPECT_LT(gcj_m, 700);
  EXPECT_GT(bd_m, 700);
  EXPECT_LT(bd_m, 1500);
}

TEST(CoordinatesTest, RoundTripsOverChinaBelowOneCentimetre) {
  double worst = 0;
  for (double lon = 73.0; lon <= 135.0; lon += 0.73) {
    for (double lat = 3.0; lat <= 53.5; lat += 0.61) {
      LonLat p{lon, lat};
      const std::pair<LonLat, LonLat> trips[] = {
          {p, Gcj02ToWgs84(Wgs84ToGcj02(p))},
          {p, Wgs84ToGcj02(Gcj02ToWgs84(p))},
          {p, Bd09ToGcj02(Gcj02ToBd09(p))},
          {p, Gcj02ToBd09(Bd09ToGcj02(p))},
          {p, Bd09ToWgs84(Wgs84ToBd09(p))},
          {p, Wgs84ToBd09(Bd09ToWgs84(p))},
      };
      for (const auto& [want, got] : trips) worst = std::max(worst, HaversineMetres(want, got));
    }
  }
  EXPECT_LT(worst, 0.01) << "worst round trip error " << worst << " m";
}

TEST(CoordinatesTest, ConvertComposesEveryPair) {
  const LonLat wgs{113.645, 34.731};
  const Crs all[] = {Crs::kWgs84, Crs::kGcj02, Crs::kBd09};
  const LonLat in[] = {wgs, Wgs84ToGcj02(wgs), Wgs84ToBd09(wgs)};
  for (int from = 0; from < 3; ++from) {
    for (int to = 0; to < 3; ++to) {
      LonLat got = Convert(in[from], all[from], all[to]);
      EXPECT_LT(HaversineMetres(got, in[to]), 0.01)
          << CrsName(all[from]) << " -> " << CrsName(all[to]);
    }
  }
}

TEST(CoordinatesTest, LeavesPointsOutsideChinaUnchanged) {
  const LonLat outside[] = {{-73.98, 40.75}, {2.35, 48.85}, {139.69, 35.69}, {72.0, 30.0},
                            {100.0, 56.0}, {100.0, 0.5}};
  for (LonLat p : outside) {
    EXPECT_EQ(Wgs84ToGcj02(p), p);
    EXPECT_EQ(Gcj02ToWgs84(p), p);
    EXPECT_EQ(Gcj02ToBd09(p), p);
    EXPECT_EQ(Bd09ToGcj02(p), p);
    EXPECT_EQ(Convert(p, Crs::kBd09, Crs::kWgs84), p);
  }
  EXPECT_TRUE(InChina({113.645, 34.731}));
  EXPECT_FALSE(InChina({72.003, 34.0}));
}

TEST(CoordinatesTest, NonFiniteInputPassesThrough) {
  LonLat nan{std::nan(""), 30};
  EXPECT_TRUE(std::isnan(Wgs84ToGcj02(nan).lon));
  EXPECT_TRUE(std::isnan(Bd09ToWgs84(nan).lon));
}

TEST(CoordinatesTest, ParsesCrsNames) {
  EXPECT_EQ(ParseCrs("wgs84"), Crs::kWgs84);
  EXPECT_EQ(ParseCrs("GCJ-02"), Crs::kGcj02);
  EXPECT_EQ(ParseCrs("bd09"), Crs::kBd09);
  EXPECT_EQ(ParseCrs("bd_09"), Crs::kBd09);
  EXPECT_EQ(ParseCrs("epsg:4326"), std::nullopt);
  EXPECT_EQ(CrsName(Crs::kGcj02), "gcj02");
}

TEST(CoordinatesTest, HaversineKnownDistance) {
  // One degree of latitude on the mean sphere.
  EXPECT_NEAR(HaversineMetres({0, 0}, {0, 1}), kMetresPerDegree, 1e-6);
  EXPECT_NEAR(kMetresPerDegree, 111195.08, 0.01);
}

}  // namespace
}  // namespace citygrid::geo
