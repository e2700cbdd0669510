#include "citygrid/geo/projection.h"

#include <gtest/gtest.h>

#include <boost/geometry.hpp>
#include <cmath>

namespace citygrid::geo {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kA = 6378137.0;
constexpr double kF = 1.0 / 298.257223563;
const double kE2 = kF * (2 - kF);
const double kE = std::sqrt(kE2);

// Ellipsoidal area of the quadrangle between two parallels and two meridians (closed form via
// the authalic latitude function q(φ)), the reference the equal-area property is checked against.
double QuadrangleArea(double lon0, double lat0, double lon1, double lat1) {
  auto q = [](double lat_deg) {
    const double s = std::sin(lat_deg * kPi / 180);
    return s / (1 - kE2 * s * s) + std::log((1 + kE * s) / (1 - kE * s)) / (2 * kE);
  };
  const double b2 = kA * kA * (1 - kE2);
  return b2 / 2 * (lon1 - lon0) * kPi / 180 * (q(lat1) - q(lat0));
}

// A lat/lon quadrangle as a closed CCW ring, meridian edges densified (they are curves in the
// projected plane).
MultiPolygon Quadrangle(double lon0, double lat0, double lon1, double lat1) {
  Ring ring;
  const int n = 200;
  for (int i = 0; i <= n; ++i) ring.push_back({lon1, lat0 + (lat1 - lat0) * i / n});
  for (int i = 0; i <= n; ++i) ring.push_back({lon0, lat1 - (lat1 - lat0) * i / n});
  ring.push_back(ring.front());
  return {Polygon{ring, {}}};
}

TEST(LocalProjectionTest, OriginMapsToZero) {
  LocalProjection proj({113.645, 34.731});
  PlanePoint p = proj.Forward({113.645, 34.731});
  EXPECT_DOUBLE_EQ(p.x, 0);
  EXPECT_DOUBLE_EQ(p.y, 0);
}

TEST(LocalProjectionTest, AxesPointEastAndNorth) {
  LocalProjection proj({113.645, 34.731});
  EXPECT_GT(proj.Forward({113.655, 34.731}).x, 900);
  EXPECT_GT(proj.Forward({113.645, 34.741}).y, 1100);
  EXPECT_LT(proj.Forward({113.635, 34.721}).x, -900);
  EXPECT_LT(proj.Forward({113.635, 34.721}).y, -1100);
}

TEST(LocalProjectionTest, InverseRoundTripsWithinANanodegree) {
  LocalProjection proj({113.645, 34.731});
  for (double dlon = -0.5; dlon <= 0.5; dlon += 0.125) {
    for (double dlat = -0.5; dlat <= 0.5; dlat += 0.125) {
      LonLat p{113.645 + dlon, 34.731 + dlat};
      LonLat back = proj.Inverse(proj.Forward(p));
      EXPECT_NEAR(back.lon, p.lon, 1e-9);
      EXPECT_NEAR(back.lat, p.lat, 1e-9);
    }
  }
}

TEST(LocalProjectionTest, AreaMatchesTheEllipsoidOverADistrict) {
  // A 0.2° × 0.2° quadrangle (about 18 km × 22 km) around 二七区, and one far off-centre.
  for (auto [lon0, lat0] : {std::pair{113.545, 34.631}, std::pair{-74.05, 40.6}}) {
    const double lon1 = lon0 + 0.2, lat1 = lat0 + 0.2;
    const double expected = QuadrangleArea(lon0, lat0, lon1, lat1);
    const double got = AreaSquareMetres(Quadrangle(lon0, lat0, lon1, lat1));
    EXPECT_NEAR(got / expected, 1.0, 1e-6) << lon0 << "," << lat0;
  }
}

// Both ends within 12 km of the origin: the district scale the projection promises 0.1 % for.
TEST(LocalProjectionTest, DistancesWithinATenthOfAPercentOfGeodesic) {
  namespace bg = boost::geometry;
  using GeoPoint = bg::model::point<double, 2, bg::cs::geographic<bg::degree>>;
  const LonLat origin{113.645, 34.731};
  LocalProjection proj(origin);
  const bg::strategy::distance::vincenty<> vincenty;
  for (double bearing = 0; bearing < 360; bearing += 30) {
    for (double km : {1.0, 5.0, 12.0}) {
      const double dlat = km * 1000 * std::cos(bearing * kPi / 180) / 111000;
      const double dlon =
          km * 1000 * std::sin(bearing * kPi / 180) / (111000 * std::cos(34.731 * kPi / 180));
      const LonLat a{origin.lon + dlon * 0.3, origin.lat - dlat * 0.5};
      const LonLat b{origin.lon + dlon, origin.lat + dlat};
      const double geodesic = bg::distance(GeoPoint(a.lon, a.lat), GeoPoint(b.lon, b.lat), vincenty);
      const PlanePoint pa = proj.Forward(a), pb = proj.Forward(b);
      const double planar = std::hypot(pb.x - pa.x, pb.y - pa.y);
      EXPECT_NEAR(planar / geodesic, 1.0, 1e-3) << bearing << "° " << km << " km";
      // Along a parallel the projection is exact.
      if (std::abs(b.lon - a.lon) < 1e-6) continue;
      const PlanePoint pc = proj.Forward({b.lon, a.lat});
      const double along_parallel = std::abs(pc.x - pa.x);
      const double geodesic_parallel =
          bg::distance(GeoPoint(a.lon, a.lat), GeoPoint(b.lon, a.lat), vincenty);
      EXPECT_NEAR(along_parallel / geodesic_parallel, 1.0, 1e-5);
    }
  }
}

TEST(LocalProjectionTest, AreaSubtractsHolesWhateverTheWinding) {
  MultiPolygon outer = Quadrangle(113.60, 34.70, 113.62, 34.72);
  MultiPolygon hole = Quadrangle(113.605, 34.705, 113.610, 34.710);
  Polygon with_hole = outer[0];
  with_hole.holes.push_back(hole[0].outer);  // same winding as the outer: still a hole
  const double expected = QuadrangleArea(113.60, 34.70, 113.62, 34.72) -
                          QuadrangleArea(113.605, 34.705, 113.610, 34.710);
  EXPECT_NEAR(AreaSquareMetres({with_hole}) / expected, 1.0, 1e-6);
}

TEST(LocalProjectionTest, LengthOfAMeridianSegment) {
  // One degree of latitude around 34.7°N is about 110.92 km on WGS84.
  LineString line{{113.645, 34.2}, {113.645, 35.2}};
  EXPECT_NEAR(LengthMetres(line), 110'925, 60);
  EXPECT_EQ(LengthMetres({{1, 1}}), 0);
}

TEST(LocalProjectionTest, CenteredOnUsesTheBoxCentre) {
  MultiPolygon area = Quadrangle(113.6, 34.7, 113.7, 34.8);
  LocalProjection proj = LocalProjection::CenteredOn(area);
  EXPECT_NEAR(proj.origin().lon, 113.65, 1e-12);
  EXPECT_NEAR(proj.origin().lat, 34.75, 1e-12);
}

}  // namespace
}  // namespace citygrid::geo
