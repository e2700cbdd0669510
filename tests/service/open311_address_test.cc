#include "citygrid/service/open311_address.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/service/service_test_env.h"

namespace citygrid::service {
namespace {

using testing::Box;
using testing::TestGeography;

bool Inside(const geo::Ring& ring, geo::LonLat p) {
  bool in = false;
  for (size_t i = 1; i < ring.size(); ++i) {
    const geo::LonLat& a = ring[i - 1];
    const geo::LonLat& b = ring[i];
    if ((a.lat > p.lat) != (b.lat > p.lat) &&
        p.lon < a.lon + (p.lat - a.lat) / (b.lat - a.lat) * (b.lon - a.lon)) {
      in = !in;
    }
  }
  return in;
}

TEST(Open311AddressTest, NamesResolveToTheMostSpecificLongestMatch) {
  geo::Geography g = TestGeography();
  struct Want {
    std::string address;
    std::string kind;
    std::string id;
    double lon, lat;
  };
  const std::vector<Want> wants = {
      {"航海路", "road", "R1", 113.610, 34.709},
      {"  航海路与大学路交叉口 ", "road", "R1", 113.610, 34.709},
      {"建中街12号", "subdistrict", "410103001", 113.605, 34.705},  // stem of 建中街街道
      {"建中街街道", "subdistrict", "410103001", 113.605, 34.705},
      {"淮河社区3号楼", "community", "410103002001", 113.615, 34.705},
      {"碧沙岗公园东门", "zone", "Z1", 113.6175, 34.7025},
  };
  for (const Want& w : wants) {
    Result<ResolvedAddress> r = ResolveAddress(g, w.address);
    ASSERT_TRUE(r.ok()) << w.address << ": " << r.status().ToString();
    EXPECT_EQ(r->kind, w.kind) << w.address;
    EXPECT_EQ(r->id, w.id) << w.address;
    EXPECT_NEAR(r->point.lon, w.lon, 1e-9) << w.address;
    EXPECT_NEAR(r->point.lat, w.lat, 1e-9) << w.address;
  }
}

TEST(Open311AddressTest, UnknownOrEmptyAddressIsInvalidArgumentNamingIt) {
  geo::Geography g = TestGeography();
  for (std::string address : {"长安街1号", "", "   ", "街道", "中"}) {
    Result<ResolvedAddress> r = ResolveAddress(g, address);
    ASSERT_FALSE(r.ok()) << address << " resolved to " << (r.ok() ? r->name : "");
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_NE(ResolveAddress(g, "长安街1号").status().message().find("'长安街1号'"),
            std::string::npos);
  EXPECT_NE(ResolveAddress(g, "长安街1号").status().message().find("410103"), std::string::npos);
}

TEST(Open311AddressTest, RepresentativePointLiesInsideConcaveShapesAndOutsideHoles) {
  // A U: the centroid (x=2, y≈1.9) falls in the gap between the arms.
  geo::Polygon u;
  u.outer = {{0, 0}, {4, 0}, {4, 4}, {3, 4}, {3, 1}, {1, 1}, {1, 4}, {0, 4}, {0, 0}};
  geo::LonLat p = RepresentativePoint({u});
  EXPECT_TRUE(Inside(u.outer, p)) << p.lon << "," << p.lat;
  // A square with a hole in the middle.
  geo::Polygon ring;
  ring.outer = Box(0, 0, 10, 10)[0].outer;
  ring.holes = {{{3, 3}, {3, 7}, {7, 7}, {7, 3}, {3, 3}}};
  p = RepresentativePoint({ring});
  EXPECT_TRUE(Inside(ring.outer, p));
  EXPECT_FALSE(Inside(ring.holes[0], p)) << p.lon << "," << p.lat;
  // The largest part of a multipolygon.
  geo::MultiPolygon two = Box(0, 0, 1, 1);
  two.push_back(Box(5, 5, 9, 9)[0]);
  p = RepresentativePoint(two);
  EXPECT_NEAR(p.lon, 7, 1e-12);
  EXPECT_NEAR(p.lat, 7, 1e-12);
}

TEST(Open311AddressTest, MidpointIsHalfwayAlongTheLine) {
  geo::LonLat m = Midpoint({{0, 0}, {2, 0}, {2, 2}});
  EXPECT_NEAR(m.lon, 2, 1e-12);
  EXPECT_NEAR(m.lat, 0, 1e-12);
  m = Midpoint({{0, 0}, {1, 0}, {1, 3}});
  EXPECT_NEAR(m.lon, 1, 1e-12);
  EXPECT_NEAR(m.lat, 1, 1e-12);
  EXPECT_EQ(Midpoint({{5, 6}}), (geo::LonLat{5, 6}));
}

}  // namespace
}  // namespace citygrid::service
