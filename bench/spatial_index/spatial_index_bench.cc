// spatial_index_bench: point-location lookups per second on one core, citygrid against GEOS
// (STRtree of PreparedGeometry, the usual fast GEOS recipe) on the same polygons and points,
// measured in the same run; prints both figures and the ratio.
//
//   spatial_index_bench [--points N] [--grids N] [--data DIR]
//
// Data sets:
//   1. ~50,000 synthetic unit grids (万米单元网格, ~100 m) at 郑州市二七区: a jittered quad
//      tessellation whose edges carry 0-3 extra shared vertices (5-16 vertices per polygon,
//      ~10 on average), clipped to an elliptical district outline. Points uniform over the box.
//   2. The 71 NYC community districts (~83,000 vertices) from ../shared/data/nyc, queried with
//      the 311 requests' own coordinates (repeated) and with uniform points over the box.
// GEOS gets every advantage: query point geometries are created before timing, and it stops
// at the first prepared-contains hit.

#include <geos_c.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "citygrid/common/csv.h"
#include "citygrid/geo/district.h"
#include "citygrid/geo/geojson.h"
#include "citygrid/geo/polygon_index.h"
#include "citygrid/geo/spatial_index.h"

namespace {

using citygrid::geo::LonLat;
using citygrid::geo::MultiPolygon;
using citygrid::geo::PolygonIndex;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::uint64_t Mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb3fe1a85ec53ULL;
  return x ^ (x >> 33);
}

double Unit(std::uint64_t key) { return (Mix(key) >> 11) * (1.0 / 9007199254740992.0); }

// Jittered tessellation with subdivided shared edges, clipped to an ellipse (cells whose
// centre lies inside are kept).
std::vector<MultiPolygon> SyntheticGrids(int want) {
  const double lon0 = 113.645, lat0 = 34.731;
  const double dlat = 100.0 / 111195.0, dlon = dlat / std::cos(lat0 * M_PI / 180);
  const int n = static_cast<int>(std::ceil(std::sqrt(want / (M_PI / 4))));
  auto corner = [&](int i, int j) {
    bool border = i == 0 || j == 0 || i == n || j == n;
    std::uint64_t k = (static_cast<std::uint64_t>(i) << 32) | static_cast<std::uint32_t>(j);
    double jx = border ? 0 : (Unit(k * 2) - 0.5) * 0.5, jy = border ? 0 : (Unit(k * 2 + 1) - 0.5) * 0.5;
    return LonLat{lon0 + (i - n / 2.0 + jx) * dlon, lat0 + (j - n / 2.0 + jy) * dlat};
  };
  // Interior points of the edge from corner a to corner b, in that direction; `key` identifies
  // the undirected edge so both neighbours get the same points.
  auto edge_points = [&](LonLat a, LonLat b, std::uint64_t key, bool reverse) {
    int extra = static_cast<int>(Unit(key * 7 + 3) * 4);
    std::vector<LonLat> pts;
    for (int e = 1; e <= extra; ++e) {
      double t = static_cast<double>(e) / (extra + 1);
      double off = (Unit(key * 7 + 3 + e) - 0.5) * 0.12;
      double ex = b.lon - a.lon, ey = b.lat - a.lat;
      pts.push_back({a.lon + t * ex - off * ey, a.lat + t * ey + off * ex});
    }
    if (reverse) std::reverse(pts.begin(), pts.end());
    return pts;
  };
  auto hkey = [&](int i, int j) { return static_cast<std::uint64_t>(j) * (n + 1) + i; };
  auto vkey = [&](int i, int j) { return (1ULL << 40) + static_cast<std::uint64_t>(j) * (n + 1) + i; };
  std::vector<MultiPolygon> out;
  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < n; ++i) {
      double cx = (i + 0.5 - n / 2.0) / (n / 2.0), cy = (j + 0.5 - n / 2.0) / (n / 2.0);
      if (cx * cx + cy * cy > 1) continue;
      LonLat a = corner(i, j), b = corner(i + 1, j), c = corner(i + 1, j + 1), d = corner(i, j + 1);
      citygrid::geo::Ring ring;
      auto append = [&](const std::vector<LonLat>& pts) { ring.insert(ring.end(), pts.begin(), pts.end()); };
      ring.push_back(a);
      append(edge_points(a, b, hkey(i, j), false));  // bottom, west→east
      ring.push_back(b);
      append(edge_points(b, c, vkey(i + 1, j), false));  // right, south→north
      ring.push_back(c);
      append(edge_points(d, c, hkey(i, j + 1), true));  // top, east→west
      ring.push_back(d);
      append(edge_points(a, d, vkey(i, j), true));  // left, north→south
      ring.push_back(a);
      out.push_back({{ring, {}}});
    }
  }
  return out;
}

struct GeosLayer {
  GEOSContextHandle_t ctx = nullptr;
  std::vector<GEOSGeometry*> geoms;
  std::vector<const GEOSPreparedGeometry*> prepared;
  std::vector<std::uint32_t> ids;
  GEOSSTRtree* tree = nullptr;

  explicit GeosLayer(const std::vector<const MultiPolygon*>& features) {
    ctx = GEOS_init_r();
    tree = GEOSSTRtree_create_r(ctx, 10);
    ids.resize(features.size());
    for (std::size_t f = 0; f < features.size(); ++f) {
      std::vector<GEOSGeometry*> polys;
      for (const auto& poly : *features[f]) {
        auto ring = [&](const citygrid::geo::Ring& r) {
          GEOSCoordSequence* seq = GEOSCoordSeq_create_r(ctx, r.size(), 2);
          for (std::size_t k = 0; k < r.size(); ++k) GEOSCoordSeq_setXY_r(ctx, seq, k, r[k].lon, r[k].lat);
          return GEOSGeom_createLinearRing_r(ctx, seq);
        };
        GEOSGeometry* shell = ring(poly.outer);
        std::vector<GEOSGeometry*> holes;
        for (const auto& h : poly.holes) holes.push_back(ring(h));
        polys.push_back(GEOSGeom_createPolygon_r(ctx, shell, holes.data(), holes.size()));
      }
      GEOSGeometry* g = GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOLYGON, polys.data(), polys.size());
      geoms.push_back(g);
      prepared.push_back(GEOSPrepare_r(ctx, g));
      ids[f] = static_cast<std::uint32_t>(f);
      GEOSSTRtree_insert_r(ctx, tree, g, &ids[f]);
    }
    // Force the tree to build now, not on the first timed query.
    GEOSGeometry* p = GEOSGeom_createPointFromXY_r(ctx, 0, 0);
    GEOSSTRtree_query_r(ctx, tree, p, [](void*, void*) {}, nullptr);
    GEOSGeom_destroy_r(ctx, p);
  }
  ~GeosLayer() {
    GEOSSTRtree_destroy_r(ctx, tree);
    for (auto* p : prepared) GEOSPreparedGeom_destroy_r(ctx, p);
    for (auto* g : geoms) GEOSGeom_destroy_r(ctx, g);
    GEOS_finish_r(ctx);
  }

  struct Query {
    GeosLayer* layer;
    const GEOSGeometry* point;
    std::uint32_t found;
  };

  std::uint32_t Locate(const GEOSGeometry* point) {
    Query q{this, point, PolygonIndex::kNone};
    GEOSSTRtree_query_r(
        ctx, tree, point,
        [](void* item, void* data) {
          auto* q = static_cast<Query*>(data);
          std::uint32_t id = *static_cast<std::uint32_t*>(item);
          if (q->found != PolygonIndex::kNone && q->found < id) return;
          if (GEOSPreparedContains_r(q->layer->ctx, q->layer->prepared[id], q->point) == 1) q->found = id;
        },
        &q);
    return q.found;
  }
};

// Lookups per second of this thread's CPU time (the one-core figure, robust to other load on
// a shared machine) and per second of wall time.
struct Figure {
  double per_second;
  double per_wall_second;
  std::uint64_t checksum;
};

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

template <typename F>
Figure Measure(std::size_t n, F&& locate, double min_seconds = 0.5) {
  std::uint64_t checksum = 0;
  std::size_t done = 0;
  auto start = Clock::now();
  double cpu0 = ThreadCpuSeconds(), cpu = 0;
  do {
    for (std::size_t i = 0; i < n; ++i) checksum += locate(i) + 1;
    done += n;
    cpu = ThreadCpuSeconds() - cpu0;
  } while (cpu < min_seconds);
  return {done / cpu, done / Seconds(start, Clock::now()), checksum};
}

void Compare(const char* title, const std::vector<const MultiPolygon*>& features,
             const std::vector<LonLat>& points, const char* points_label) {
  std::size_t vertices = 0;
  for (const auto* mp : features) {
    for (const auto& poly : *mp) {
      vertices += poly.outer.size();
      for (const auto& h : poly.holes) vertices += h.size();
    }
  }
  std::printf("\n== %s: %zu polygons, %zu vertices (%.1f per polygon); %zu %s ==\n", title,
              features.size(), vertices, static_cast<double>(vertices) / features.size(),
              points.size(), points_label);

  auto t0 = Clock::now();
  PolygonIndex index = PolygonIndex::Build(features);
  auto t1 = Clock::now();
  GeosLayer geos(features);
  auto t2 = Clock::now();
  std::printf("  build: citygrid %.3f s (%.1f MB, %zu cells); GEOS %.3f s\n", Seconds(t0, t1),
              index.MemoryBytes() / 1e6, index.cell_count(), Seconds(t1, t2));

  std::vector<GEOSGeometry*> gpoints;
  gpoints.reserve(points.size());
  for (LonLat p : points) gpoints.push_back(GEOSGeom_createPointFromXY_r(geos.ctx, p.lon, p.lat));

  std::size_t disagree = 0, found = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    std::uint32_t a = index.Locate(points[i]), b = geos.Locate(gpoints[i]);
    disagree += a != b;
    found += a != PolygonIndex::kNone;
  }
  Figure ours = Measure(points.size(), [&](std::size_t i) { return index.Locate(points[i]); });
  Figure theirs = Measure(points.size(), [&](std::size_t i) { return geos.Locate(gpoints[i]); });
  std::printf("  citygrid PolygonIndex            : %8.2f M lookups/s per core (wall %.2f M/s)\n",
              ours.per_second / 1e6, ours.per_wall_second / 1e6);
  std::printf("  GEOS STRtree + PreparedGeometry  : %8.2f M lookups/s per core (wall %.2f M/s)\n",
              theirs.per_second / 1e6, theirs.per_wall_second / 1e6);
  std::printf("  ratio citygrid / GEOS            : %8.1fx\n", ours.per_second / theirs.per_second);
  std::printf("  answers: %zu of %zu points inside a polygon; %zu differ from GEOS (boundary "
              "convention)\n", found, points.size(), disagree);
  for (auto* g : gpoints) GEOSGeom_destroy_r(geos.ctx, g);
}

std::string SharedData(const std::string& arg) {
  namespace fs = std::filesystem;
  if (!arg.empty()) return arg;
  if (const char* env = std::getenv("CITYGRID_SHARED_DATA"); env && *env) return env;
  fs::path p = fs::path(CITYGRID_SOURCE_DIR) / ".." / "shared" / "data";
  return fs::is_directory(p) ? p.string() : "";
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n_points = 1'000'000;
  int n_grids = 50'000;
  std::string data_arg;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--points") n_points = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--grids") n_grids = std::atoi(argv[i + 1]);
    else if (a == "--data") data_arg = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: spatial_index_bench [--points N] [--grids N] [--data DIR]\n");
      return 2;
    }
  }
  std::printf("spatial_index_bench: point location on one core, citygrid vs GEOS %s\n",
              GEOSversion());

  // 1. Synthetic unit grids.
  std::vector<MultiPolygon> grids = SyntheticGrids(n_grids);
  std::vector<const MultiPolygon*> grid_ptrs;
  double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
  for (const auto& mp : grids) {
    grid_ptrs.push_back(&mp);
    for (LonLat p : mp[0].outer) {
      x0 = std::min(x0, p.lon), y0 = std::min(y0, p.lat), x1 = std::max(x1, p.lon), y1 = std::max(y1, p.lat);
    }
  }
  std::mt19937_64 rng(2024);
  std::vector<LonLat> points(n_points);
  {
    std::uniform_real_distribution<double> ux(x0, x1), uy(y0, y1);
    for (LonLat& p : points) p = {ux(rng), uy(rng)};
  }
  Compare("synthetic unit grids at 二七区", grid_ptrs, points, "uniform points over the box");

  // The full chain through SpatialIndex: grid, then community and sub-district from its code.
  {
    auto geography = std::make_shared<citygrid::geo::Geography>();
    geography->district.code = "410103";
    for (int s = 0; s < 14; ++s) {
      char code[32];
      std::snprintf(code, sizeof code, "410103%03d", s + 1);
      geography->subdistricts.push_back({code, "", {}});
    }
    const std::size_t per_community = 100;
    for (std::size_t g = 0; g < grids.size(); ++g) {
      std::size_t community = g / per_community;
      char ccode[32], gcode[48];
      std::snprintf(ccode, sizeof ccode, "410103%03d%03d", static_cast<int>(community % 14 + 1),
                    static_cast<int>(community / 14 + 1) % 1000);
      std::snprintf(gcode, sizeof gcode, "%s%03d", ccode, static_cast<int>(g % per_community + 1));
      if (g % per_community == 0) geography->communities.push_back({ccode, "", {}});
      geography->grids.push_back({gcode, grids[g]});
    }
    auto t0 = Clock::now();
    auto index = *citygrid::geo::SpatialIndex::Build(geography);
    auto t1 = Clock::now();
    Figure chain = Measure(points.size(), [&](std::size_t i) {
      citygrid::geo::Placement at = index->Locate(points[i]);
      return static_cast<std::uint32_t>(at.grid + at.community + at.subdistrict);
    });
    std::printf("  SpatialIndex::Locate (grid → community → sub-district codes): %.2f M lookups/s "
                "per core (build %.3f s, %.1f MB)\n", chain.per_second / 1e6, Seconds(t0, t1),
                index->MemoryBytes() / 1e6);
  }

  // 2. NYC community districts.
  std::string data = SharedData(data_arg);
  if (data.empty()) {
    std::printf("\n(NYC: ../shared/data not found; pass --data DIR)\n");
    return 0;
  }
  citygrid::geo::GeoJsonOptions opts;
  opts.id_property = "BoroCD";
  auto doc = citygrid::geo::ReadGeoJsonFile(data + "/nyc/nyc_community_districts.geojson", opts);
  if (!doc.ok()) {
    std::fprintf(stderr, "%s\n", doc.status().ToString().c_str());
    return 1;
  }
  std::vector<const MultiPolygon*> districts;
  x0 = y0 = 1e9;
  x1 = y1 = -1e9;
  for (const auto& f : doc->features) {
    districts.push_back(&f.polygons);
    for (const auto& poly : f.polygons) {
      for (LonLat p : poly.outer) {
        x0 = std::min(x0, p.lon), y0 = std::min(y0, p.lat), x1 = std::max(x1, p.lon), y1 = std::max(y1, p.lat);
      }
    }
  }
  std::vector<LonLat> requests;
  {
    std::ifstream in(data + "/nyc/nyc311_2023-02-28_sample_4999.csv", std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    std::string text = buf.str();
    citygrid::CsvReader reader(text);
    std::vector<std::string> header, row;
    if (reader.Next(&header).value_or(false)) {
      int lat = citygrid::CsvColumn(header, "Latitude"), lon = citygrid::CsvColumn(header, "Longitude");
      while (reader.Next(&row).value_or(false)) {
        if (lat < 0 || lon < 0 || row.size() != header.size() || row[lat].empty()) continue;
        requests.push_back({std::atof(row[lon].c_str()), std::atof(row[lat].c_str())});
      }
    }
  }
  if (!requests.empty()) {
    std::vector<LonLat> repeated(n_points);
    for (std::size_t i = 0; i < n_points; ++i) repeated[i] = requests[Mix(i) % requests.size()];
    Compare("NYC community districts", districts, repeated, "311 request locations (repeated)");
  }
  std::uniform_real_distribution<double> ux(x0, x1), uy(y0, y1);
  for (LonLat& p : points) p = {ux(rng), uy(rng)};
  Compare("NYC community districts", districts, points, "uniform points over the box");
  return 0;
}
