#include "citygrid/geo/spatial_index.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>
#include <thread>

#include "citygrid/geo/coordinates.h"
#include "citygrid/geo/polygon_index.h"

namespace citygrid::geo {
namespace {

Ring Rect(double x0, double y0, double x1, double y1) {
  return {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}};
}

// The documented rule, written out plainly over all edges: the reference the index must match.
bool ReferenceContains(const MultiPolygon& mp, LonLat p) {
  bool inside = false;
  auto ring_edges = [&](const Ring& ring) {
    for (std::size_t i = 0; i + 1 < ring.size(); ++i) {
      LonLat a = ring[i], b = ring[i + 1];
      if (a.lat == b.lat) continue;
      if (a.lat > b.lat) std::swap(a, b);
      if (!(a.lat <= p.lat && p.lat < b.lat)) continue;
      if (p.lon < std::min(a.lon, b.lon) ||
          (p.lon < std::max(a.lon, b.lon) &&
           (p.lon - a.lon) * (b.lat - a.lat) < (p.lat - a.lat) * (b.lon - a.lon))) {
        inside = !inside;
      }
    }
  };
  for (const Polygon& poly : mp) {
    ring_edges(poly.outer);
    for (const Ring& h : poly.holes) ring_edges(h);
  }
  return inside;
}

bool InBox(const MultiPolygon& mp, LonLat p) {
  for (const Polygon& poly : mp) {
    for (const LonLat& v : poly.outer) {
      if (std::fabs(v.lon - p.lon) < 0.002 && std::fabs(v.lat - p.lat) < 0.002) return true;
    }
  }
  return false;
}

// A deterministic jittered quad tessellation: neighbours share identical vertices, edges are
// diagonal, and every interior vertex is shared by four features.
std::vector<MultiPolygon> JitteredTessellation(int nx, int ny, double x0, double y0, double d) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> jitter(-0.3 * d, 0.3 * d);
  std::vector<std::vector<LonLat>> v(nx + 1, std::vector<LonLat>(ny + 1));
  for (int i = 0; i <= nx; ++i) {
    for (int j = 0; j <= ny; ++j) {
      bool edge = i == 0 || j == 0 || i == nx || j == ny;
      v[i][j] = {x0 + i * d + (edge ? 0 : jitter(rng)), y0 + j * d + (edge ? 0 : jitter(rng))};
    }
  }
  std::vector<MultiPolygon> out;
  for (int j = 0; j < ny; ++j) {
    for (int i = 0; i < nx; ++i) {
      LonLat a = v[i][j], b = v[i + 1][j], c = v[i + 1][j + 1], e = v[i][j + 1];
      out.push_back({{{a, b, c, e, a}, {}}});
    }
  }
  return out;
}

TEST(PolygonIndexTest, SharedEdgesGoToExactlyOneFeatureEastOrNorth) {
  // 4 x 4 squares of 0.25 (exact binary fractions, so points on edges are exactly on them).
  std::vector<MultiPolygon> squares;
  for (int j = 0; j < 4; ++j) {
    for (int i = 0; i < 4; ++i) {
      squares.push_back({{Rect(i * 0.25, j * 0.25, (i + 1) * 0.25, (j + 1) * 0.25), {}}});
    }
  }
  PolygonIndex idx = PolygonIndex::Build(squares);
  auto id = [](int i, int j) { return static_cast<std::uint32_t>(j * 4 + i); };
  EXPECT_EQ(idx.Locate({0.125, 0.125}), id(0, 0));
  EXPECT_EQ(idx.Locate({0.25, 0.125}), id(1, 0));   // vertical shared edge → east
  EXPECT_EQ(idx.Locate({0.125, 0.25}), id(0, 1));   // horizontal shared edge → north
  EXPECT_EQ(idx.Locate({0.5, 0.5}), id(2, 2));      // vertex shared by four → north-east
  EXPECT_EQ(idx.Locate({0.0, 0.1}), id(0, 0));      // west boundary of the layer is inside
  EXPECT_EQ(idx.Locate({0.1, 0.0}), id(0, 0));      // south boundary too
  EXPECT_EQ(idx.Locate({1.0, 0.1}), PolygonIndex::kNone);  // east boundary is outside
  EXPECT_EQ(idx.Locate({0.1, 1.0}), PolygonIndex::kNone);  // north boundary is outside
  EXPECT_EQ(idx.Locate({-0.1, 0.5}), PolygonIndex::kNone);
  for (double x = 0; x < 1; x += 0.03125) {
    for (double y = 0; y < 1; y += 0.03125) {
      int owners = 0;
      for (std::uint32_t f = 0; f < squares.size(); ++f) owners += idx.Contains(f, {x, y});
      EXPECT_EQ(owners, 1) << x << "," << y;
    }
  }
}

TEST(PolygonIndexTest, MatchesReferenceOnJitteredTessellationIncludingEdgesAndVertices) {
  const int n = 30;
  std::vector<MultiPolygon> tiles = JitteredTessellation(n, n, 113.6, 34.7, 0.001);
  for (double cells_per_edge : {0.05, 2.0, 8.0}) {
    PolygonIndexOptions opts;
    opts.cells_per_edge = cells_per_edge;
    PolygonIndex idx = PolygonIndex::Build(tiles, opts);
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> ux(113.6 - 0.002, 113.6 + n * 0.001 + 0.002);
    std::uniform_real_distribution<double> uy(34.7 - 0.002, 34.7 + n * 0.001 + 0.002);
    std::vector<LonLat> points;
    for (int k = 0; k < 10000; ++k) points.push_back({ux(rng), uy(rng)});
    // Vertices and points on edges (interpolated: on the edge up to rounding).
    std::uniform_real_distribution<double> t(0, 1);
    for (const MultiPolygon& mp : tiles) {
      const Ring& r = mp[0].outer;
      for (std::size_t i = 0; i + 1 < r.size(); ++i) {
        points.push_back(r[i]);
        double s = t(rng);
        points.push_back({r[i].lon + s * (r[i + 1].lon - r[i].lon),
                          r[i].lat + s * (r[i + 1].lat - r[i].lat)});
      }
    }
    for (LonLat p : points) {
      std::uint32_t want = PolygonIndex::kNone;
      int owners = 0;
      for (std::uint32_t f = 0; f < tiles.size(); ++f) {
        if (!InBox(tiles[f], p)) continue;
        if (ReferenceContains(tiles[f], p)) {
          if (owners++ == 0) want = f;
        }
      }
      ASSERT_EQ(idx.Locate(p), want) << "cells_per_edge " << cells_per_edge << " at "
                                      << p.lon << "," << p.lat;
      bool inside_layer = p.lon >= 113.6 && p.lon < 113.6 + n * 0.001 && p.lat >= 34.7 &&
                          p.lat < 34.7 + n * 0.001;
      if (inside_layer) {
        ASSERT_EQ(owners, 1) << p.lon << "," << p.lat;
      }
    }
  }
}

TEST(PolygonIndexTest, HolesAndMultipolygons) {
  Ring hole = Rect(0.25, 0.25, 0.75, 0.75);
  std::reverse(hole.begin(), hole.end());
  std::vector<MultiPolygon> features = {
      {{Rect(0, 0, 1, 1), {hole}}},                               // 0: square with a hole
      {{Rect(0.25, 0.25, 0.75, 0.75), {}}},                       // 1: the island in the hole
      {{Rect(2, 0, 3, 1), {}}, {Rect(4, 0, 5, 1), {}}},           // 2: two parts
  };
  PolygonIndex idx = PolygonIndex::Build(features);
  EXPECT_EQ(idx.Locate({0.1, 0.5}), 0u);
  EXPECT_EQ(idx.Locate({0.5, 0.5}), 1u);
  EXPECT_EQ(idx.Locate({0.25, 0.5}), 1u);  // on the hole's west edge: the island (east of it)
  EXPECT_EQ(idx.Locate({0.75, 0.5}), 0u);  // on the hole's east edge: the ring feature
  EXPECT_EQ(idx.Locate({2.5, 0.5}), 2u);
  EXPECT_EQ(idx.Locate({4.5, 0.5}), 2u);
  EXPECT_EQ(idx.Locate({3.5, 0.5}), PolygonIndex::kNone);
  // Without the island the hole is empty.
  PolygonIndex ring_only = PolygonIndex::Build(std::vector<MultiPolygon>{features[0]});
  EXPECT_EQ(ring_only.Locate({0.5, 0.5}), PolygonIndex::kNone);
}

TEST(PolygonIndexTest, OverlapsGoToLowestFeatureAndLocateAllListsEvery) {
  std::vector<MultiPolygon> features = {{{Rect(1, 1, 2, 2), {}}}, {{Rect(0, 0, 3, 3), {}}},
                                        {{Rect(0.5, 0.5, 1.5, 1.5), {}}}};
  PolygonIndex idx = PolygonIndex::Build(features);
  EXPECT_EQ(idx.Locate({1.2, 1.2}), 0u);
  EXPECT_EQ(idx.Locate({0.7, 0.7}), 1u);
  std::vector<std::uint32_t> all;
  idx.LocateAll({1.2, 1.2}, &all);
  EXPECT_EQ(all, (std::vector<std::uint32_t>{0, 1, 2}));
}

TEST(PolygonIndexTest, EmptyAndNonFiniteFindNothing) {
  PolygonIndex empty = PolygonIndex::Build(std::vector<MultiPolygon>{{}});
  EXPECT_EQ(empty.size(), 1u);
  EXPECT_EQ(empty.Locate({0, 0}), PolygonIndex::kNone);
  PolygonIndex idx = PolygonIndex::Build(std::vector<MultiPolygon>{{{Rect(0, 0, 1, 1), {}}}});
  EXPECT_EQ(idx.Locate({std::nan(""), 0.5}), PolygonIndex::kNone);
  EXPECT_EQ(idx.Locate({0.5, INFINITY}), PolygonIndex::kNone);
  EXPECT_FALSE(idx.Contains(0, {std::nan(""), 0.5}));
}

// A two-community, four-grid geography at 二七区 with one road and two zones.
std::shared_ptr<const Geography> SmallGeography() {
  auto g = std::make_shared<Geography>();
  const double x0 = 113.64, y0 = 34.72, d = 0.002;
  g->district = {"410103", "二七区", {{Rect(x0, y0, x0 + 4 * d, y0 + 2 * d), {}}}};
  g->subdistricts.push_back({"410103001", "淮河路街道", {{Rect(x0, y0, x0 + 4 * d, y0 + 2 * d), {}}}});
  g->communities.push_back({"410103001001", "A", {{Rect(x0, y0, x0 + 2 * d, y0 + 2 * d), {}}}});
  g->communities.push_back({"410103001002", "B", {{Rect(x0 + 2 * d, y0, x0 + 4 * d, y0 + 2 * d), {}}}});
  g->grids.push_back({"410103001001001", {{Rect(x0, y0 + d, x0 + 2 * d, y0 + 2 * d), {}}}});
  g->grids.push_back({"410103001001002", {{Rect(x0, y0, x0 + 2 * d, y0 + d), {}}}});
  g->grids.push_back({"410103001002001", {{Rect(x0 + 2 * d, y0 + d, x0 + 4 * d, y0 + 2 * d), {}}}});
  // Community B's southern half has no grid on purpose.
  RoadSegment road;
  road.id = "R1";
  road.name = "大学路";
  road.line = {{x0, y0 + d}, {x0 + 4 * d, y0 + d}};  // east-west along the grid row border
  road.chief = {"张三", "13900001234"};
  road.unit = "U1";
  g->roads.push_back(road);
  RoadSegment north = road;
  north.id = "R2";
  north.line = {{x0, y0 + 2 * d}, {x0 + 4 * d, y0 + 2 * d}};
  g->roads.push_back(north);
  g->zones.push_back({"Z1", "德化街市场", {{Rect(x0, y0, x0 + d, y0 + d), {}}}, "U9", {}});
  g->zones.push_back({"Z2", "工地", {{Rect(x0 + 0.5 * d, y0, x0 + 3 * d, y0 + d), {}}}, "U8", {"08004"}});
  return g;
}

TEST(SpatialIndexTest, LocatesGridCommunitySubdistrictDistrict) {
  Result<std::shared_ptr<const SpatialIndex>> built = SpatialIndex::Build(SmallGeography());
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  const SpatialIndex& idx = **built;
  Placement a = idx.Locate({113.641, 34.723});
  EXPECT_EQ(idx.GridCode(a), "410103001001001");
  EXPECT_EQ(idx.CommunityCode(a), "410103001001");
  EXPECT_EQ(idx.SubDistrictCode(a), "410103001");
  EXPECT_TRUE(a.in_district);
  // No grid: the community layer answers.
  Placement b = idx.Locate({113.645, 34.721});
  EXPECT_EQ(b.grid, -1);
  EXPECT_EQ(idx.CommunityCode(b), "410103001002");
  EXPECT_EQ(idx.SubDistrictCode(b), "410103001");
  // On the border between grids 001 (north) and 002 (south): the northern one.
  Placement c = idx.Locate({113.641, 34.722});
  EXPECT_EQ(idx.GridCode(c), "410103001001001");
  Placement out = idx.Locate({113.0, 34.0});
  EXPECT_EQ(out, Placement{});
}

TEST(SpatialIndexTest, NearestRoadWithinMetresAtLatitude) {
  std::shared_ptr<const SpatialIndex> idx = *SpatialIndex::Build(SmallGeography());
  const double road_lat = 34.722;
  // 25 m north of road R1 (metres per degree of latitude ~111,195).
  std::optional<RoadHit> hit = idx->NearestRoad({113.643, road_lat + 25 / kMetresPerDegree});
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->road, 0);
  EXPECT_EQ(hit->segment, 0);
  EXPECT_NEAR(hit->metres, 25, 0.01);
  EXPECT_NEAR(hit->nearest.lat, road_lat, 1e-12);
  EXPECT_FALSE(idx->NearestRoad({113.643, road_lat + 35 / kMetresPerDegree}).has_value());
  EXPECT_TRUE(idx->NearestRoad({113.643, road_lat + 35 / kMetresPerDegree}, 40).has_value());
  // East of the road's end: longitude degrees are shorter at 34.7°N (cos ≈ 0.822).
  const double lon_end = 113.648;
  const double metres_per_lon = kMetresPerDegree * std::cos(road_lat * 3.14159265358979 / 180);
  std::optional<RoadHit> east = idx->NearestRoad({lon_end + 28 / metres_per_lon, road_lat});
  ASSERT_TRUE(east.has_value());
  EXPECT_NEAR(east->metres, 28, 0.01);
  EXPECT_FALSE(idx->NearestRoad({lon_end + 32 / metres_per_lon, road_lat}).has_value());
  // Between two roads the nearer wins.
  std::optional<RoadHit> near_north = idx->NearestRoad({113.643, 34.724 - 10 / kMetresPerDegree});
  ASSERT_TRUE(near_north.has_value());
  EXPECT_EQ(near_north->road, 1);
}

TEST(SpatialIndexTest, ZonesAtListsEveryContainingZone) {
  std::shared_ptr<const SpatialIndex> idx = *SpatialIndex::Build(SmallGeography());
  EXPECT_EQ(idx->ZonesAt({113.6415, 34.7205}), (std::vector<std::int32_t>{0, 1}));
  EXPECT_EQ(idx->ZonesAt({113.6405, 34.7205}), (std::vector<std::int32_t>{0}));
  EXPECT_EQ(idx->ZonesAt({113.645, 34.7205}), (std::vector<std::int32_t>{1}));
  EXPECT_TRUE(idx->ZonesAt({113.647, 34.723}).empty());
}

TEST(SpatialIndexTest, NullSnapshotIsInvalidArgument) {
  EXPECT_EQ(SpatialIndex::Build(nullptr).status().code(), StatusCode::kInvalidArgument);
}

TEST(SpatialIndexHolderTest, SwapsWhileReadersLookUp) {
  auto g1 = SmallGeography();
  auto g2 = std::make_shared<Geography>(*g1);
  g2->grids.clear();  // version 2: no grids
  std::shared_ptr<const SpatialIndex> v1 = *SpatialIndex::Build(g1);
  std::shared_ptr<const SpatialIndex> v2 = *SpatialIndex::Build(g2);
  SpatialIndexHolder holder(v1);
  std::atomic<bool> stop{false};
  std::atomic<long> bad{0}, reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        std::shared_ptr<const SpatialIndex> idx = holder.Get();
        Placement p = idx->Locate({113.641, 34.723});
        bool v1_answer = p.grid == 0, v2_answer = p.grid == -1 && p.community == 0;
        if (!(v1_answer || v2_answer)) ++bad;
        ++reads;
      }
    });
  }
  for (int i = 0; i < 200; ++i) holder.Swap(i % 2 ? v1 : v2);
  while (reads.load() < 1000) std::this_thread::yield();
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(holder.Swap(v1), v1);  // the last swap (i = 199) installed v1
}

}  // namespace
}  // namespace citygrid::geo
