#include "citygrid/geo/demo_district.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <exception>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "boost_geometry.h"
#include "citygrid/geo/grid_code.h"
#include "citygrid/geo/grid_generator.h"
#include "citygrid/geo/projection.h"

namespace citygrid::geo {
namespace {

namespace bg = boost::geometry;
using bgx::BgLineString;
using bgx::BgMultiPolygon;
using bgx::BgPolygon;
using bgx::BgRing;
using bgx::Point;
using BgMultiLineString = bg::model::multi_linestring<BgLineString>;

constexpr double kPi = 3.14159265358979323846;
constexpr LonLat kCentre{113.645, 34.731};
constexpr char kDistrictCode[] = "410103";

// SplitMix64: a tiny generator whose output is fixed by its definition (unlike the standard
// distributions), so the demo is the same on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double Range(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }

 private:
  uint64_t state_;
};

// ---------------------------------------------------------------------------------------------
// Names.

struct SubDistrictName {
  const char* name;
  bool township;  // 乡/镇: its communities are villages (村)
};
// In code order: 410103001 .. 410103014.
constexpr std::array<SubDistrictName, 14> kSubDistricts = {{
    {"淮河路街道", false}, {"解放路街道", false}, {"铭功路街道", false}, {"一马路街道", false},
    {"蜜蜂张街道", false}, {"五里堡街道", false}, {"大学路街道", false}, {"建中街街道", false},
    {"福华街街道", false}, {"德化街街道", false}, {"嵩山路街道", false}, {"京广路街道", false},
    {"长江路街道", false}, {"侯寨乡", true},
}};
// Indices into kSubDistricts from north to south, roughly as in the real district: the old
// town around 二七塔 in the north, 侯寨 in the south.
constexpr std::array<int, 14> kNorthToSouth = {9, 2, 3, 1, 7, 8, 11, 4, 5, 0, 6, 10, 12, 13};

constexpr const char* kCommunityStems[] = {
    "兴华", "政通", "福寿", "苗圃", "汝河", "淮南", "祥云", "嵩南", "齐礼阎", "陇海", "钢铁",
    "连云", "民主", "敦睦", "钱塘", "台庄", "建新", "京广", "长江", "航海", "佛岗", "荆胡",
    "勤劳", "工人", "人和", "友爱", "和平", "团结", "光明", "幸福", "康乐", "育英", "文化",
    "嵩岳", "华山", "五一", "二七", "铁英", "铁道", "同乐", "园田", "兴隆", "永安", "庆丰",
    "平安", "大同", "保全", "操场", "碧云", "翠竹", "桃源", "金桥", "南岗", "郑密", "航中",
    "医学", "棉纺", "电缆", "机车", "车站", "长新", "淮北", "淮西", "京东", "嵩北", "春晖",
    "秀水", "杏园", "桐柏", "汇丰", "向阳", "红旗", "新华", "菜王", "瓦屋", "马寨", "贾庄",
    "芦庄", "齐礼", "大学"};
constexpr const char* kCommunitySuffixes[] = {"街", "路", "里", "新村", "东路", "西路",
                                              "南街", "北街", "花园", "小区", "东区", "西区"};
constexpr const char* kVillageStems[] = {"王", "李", "郭", "刘", "冯", "侯", "张", "杨",
                                         "陈", "赵", "孙", "马", "贾", "秦", "罗", "潘"};
constexpr const char* kVillageSuffixes[] = {"庄", "寨", "沟", "岗", "洼", "营", "河", "湾"};
constexpr const char* kDirections[] = {"东", "西", "南", "北", "中", "新"};

// Roads: east-west from north to south, north-south from west to east.
constexpr const char* kEastWestRoads[] = {"解放路", "陇海路", "淮河路", "航海路", "长江路",
                                          "汝河路", "南三环", "侯寨路", "南四环"};
constexpr const char* kNorthSouthRoads[] = {"桐柏路", "工人路", "嵩山路", "兴华街", "京广路",
                                            "大学路", "政通路", "连云路", "二七路"};

constexpr const char* kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴",
                                     "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "郑"};
constexpr const char* kGivenChars[] = {"建国", "伟", "芳", "秀英", "敏", "静", "磊", "强",
                                       "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超",
                                       "华", "红", "平", "刚", "桂英", "丽", "志强", "海燕"};

std::string ChineseNumber(int n) {  // 1..99
  static const char* kDigits[] = {"", "一", "二", "三", "四", "五", "六", "七", "八", "九"};
  if (n < 10) return kDigits[n];
  std::string out = n / 10 == 1 ? "" : kDigits[n / 10];
  out += "十";
  out += kDigits[n % 10];
  return out;
}

// Unique names drawn from stem × suffix combinations in a seeded order; when those run out,
// directional variants (东/西/...) and then numbers keep them unique.
class NamePool {
 public:
  NamePool(std::vector<std::string> bases, Rng& rng) : bases_(std::move(bases)) {
    for (size_t i = bases_.size(); i > 1; --i) std::swap(bases_[i - 1], bases_[rng.Below(i)]);
  }
  std::string Take(const std::string& tail) {
    for (;;) {
      const size_t round = next_ / bases_.size();
      const std::string& base = bases_[next_ % bases_.size()];
      ++next_;
      std::string name = base;
      if (round > 0 && round <= std::size(kDirections)) {
        name += kDirections[round - 1];
      } else if (round > std::size(kDirections)) {
        name += std::to_string(round);
      }
      name += tail;
      if (used_.insert(name).second) return name;
    }
  }

 private:
  std::vector<std::string> bases_;
  size_t next_ = 0;
  std::set<std::string> used_;
};

std::string PersonName(Rng& rng) {
  std::string name = kSurnames[rng.Below(std::size(kSurnames))];
  name += kGivenChars[rng.Below(std::size(kGivenChars))];
  return name;
}

// ---------------------------------------------------------------------------------------------
// Geometry helpers, in metres of a LocalProjection centred on the district.

struct Extent {
  double min_x, min_y, max_x, max_y;
};

Extent ExtentOf(const BgMultiPolygon& mp) {
  Extent e{std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity(),
           -std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
  for (const BgPolygon& poly : mp) {
    for (const Point& p : poly.outer()) {
      e.min_x = std::min(e.min_x, p.x());
      e.min_y = std::min(e.min_y, p.y());
      e.max_x = std::max(e.max_x, p.x());
      e.max_y = std::max(e.max_y, p.y());
    }
  }
  return e;
}

double Coord(const Point& p, int axis) { return axis == 0 ? p.x() : p.y(); }

// Signed area of `ring` clipped to the half-plane where coordinate `axis` is below `value`
// (Sutherland–Hodgman). For a non-convex ring the clipped ring may run along the cut line, but
// its signed area is still exactly the area of the intersection.
double ClippedRingArea(const BgRing& ring, int axis, double value) {
  std::vector<Point> out;
  out.reserve(ring.size() + 4);
  for (size_t i = 0; i + 1 < ring.size(); ++i) {
    const Point& a = ring[i];
    const Point& b = ring[i + 1];
    const bool a_in = Coord(a, axis) < value;
    const bool b_in = Coord(b, axis) < value;
    if (a_in) out.push_back(a);
    if (a_in != b_in) {
      const double t = (value - Coord(a, axis)) / (Coord(b, axis) - Coord(a, axis));
      out.emplace_back(a.x() + t * (b.x() - a.x()), a.y() + t * (b.y() - a.y()));
    }
  }
  double twice = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    const Point& a = out[i];
    const Point& b = out[(i + 1) % out.size()];
    twice += a.x() * b.y() - b.x() * a.y();
  }
  return twice / 2;
}

double AreaBelow(const BgMultiPolygon& mp, int axis, double value) {
  double total = 0;
  for (const BgPolygon& poly : mp) {
    total += ClippedRingArea(poly.outer(), axis, value);
    for (const BgRing& hole : poly.inners()) total += ClippedRingArea(hole, axis, value);
  }
  return total;
}

// A jittered cut line across the plane: for axis 0 a line of roughly constant x running from
// `from` to `to` in y; for axis 1 a line of roughly constant y running in x. The offset from
// the straight line wanders smoothly (cosine-interpolated random control values spaced a few
// amplitudes apart) instead of zig-zagging; it is 0 at both ends.
std::vector<Point> CutLine(int axis, double at, double from, double to, double amplitude,
                           Rng& rng) {
  const double length = to - from;
  const int controls = std::max(2, static_cast<int>(length / std::max(400.0, 3.5 * amplitude)));
  std::vector<double> value(controls + 1);
  for (double& v : value) v = rng.Range(-1, 1);
  value.front() = value.back() = 0;
  const int n = std::max(8, static_cast<int>(length / 200.0));
  std::vector<Point> line;
  line.reserve(n + 1);
  for (int i = 0; i <= n; ++i) {
    const double u = static_cast<double>(i) / n * controls;
    const int k = std::min(static_cast<int>(u), controls - 1);
    const double t = (1 - std::cos((u - k) * kPi)) / 2;
    const double offset = amplitude * (value[k] * (1 - t) + value[k + 1] * t);
    const double along = from + length * i / n;
    const double across = at + offset;
    line.push_back(axis == 0 ? Point(across, along) : Point(along, across));
  }
  return line;
}

// Cuts `region` into strips across `axis` with areas in proportion to `weights`: for axis 0
// columns ordered west→east, for axis 1 rows ordered north→south. Cut lines are jittered by up
// to `jitter` × the distance to the neighbouring cut, so they never cross.
std::vector<BgMultiPolygon> Cut(const BgMultiPolygon& region, const std::vector<int>& weights,
                                int axis, Rng& rng, double jitter) {
  const int parts = static_cast<int>(weights.size());
  if (parts <= 1) return {region};
  const Extent e = ExtentOf(region);
  const double lo = axis == 0 ? e.min_x : e.min_y;
  const double hi = axis == 0 ? e.max_x : e.max_y;
  const double across_lo = (axis == 0 ? e.min_y : e.min_x) - 500;
  const double across_hi = (axis == 0 ? e.max_y : e.max_x) + 500;
  const double total = bg::area(region);
  int weight_sum = 0;
  for (int w : weights) weight_sum += w;

  // Straight cut positions at area quantiles (bisection on the clipped area), in ascending
  // coordinate order. Columns accumulate from the west, rows from the north.
  std::vector<double> at = {lo - 500};
  int before = 0;
  std::vector<double> cuts;
  for (int k = 0; k + 1 < parts; ++k) {
    before += weights[k];
    const double share = static_cast<double>(before) / weight_sum;
    const double want = (axis == 0 ? share : 1.0 - share) * total;
    double a = lo, b = hi;
    for (int it = 0; it < 60 && b - a > 1e-3; ++it) {
      const double mid = (a + b) / 2;
      (AreaBelow(region, axis, mid) < want ? a : b) = mid;
    }
    cuts.push_back((a + b) / 2);
  }
  if (axis == 1) std::reverse(cuts.begin(), cuts.end());
  at.insert(at.end(), cuts.begin(), cuts.end());
  at.push_back(hi + 500);

  std::vector<std::vector<Point>> lines;
  for (size_t k = 0; k < at.size(); ++k) {
    double amplitude = 0;
    if (k > 0 && k + 1 < at.size()) {
      amplitude = jitter * std::min(at[k] - at[k - 1], at[k + 1] - at[k]);
    }
    lines.push_back(CutLine(axis, at[k], across_lo, across_hi, amplitude, rng));
  }

  std::vector<BgMultiPolygon> strips;
  for (size_t k = 0; k + 1 < lines.size(); ++k) {
    BgPolygon strip;
    // Lower line forward, upper line backward: a closed ring around the strip.
    for (const Point& p : lines[k]) strip.outer().push_back(p);
    for (auto it = lines[k + 1].rbegin(); it != lines[k + 1].rend(); ++it) {
      strip.outer().push_back(*it);
    }
    strip.outer().push_back(lines[k].front());
    bg::correct(strip);
    BgMultiPolygon piece;
    bg::intersection(region, strip, piece);
    strips.push_back(std::move(piece));
  }
  if (axis == 1) std::reverse(strips.begin(), strips.end());  // north first
  return strips;
}

// Partitions `region` into `parts` cells of about equal area: columns west→east, each cut into
// rows north→south. Falls back to straight cuts if the jitter left a cell too small.
std::vector<BgMultiPolygon> Partition(const BgMultiPolygon& region, int parts, Rng& rng) {
  const Extent e = ExtentOf(region);
  const double w = e.max_x - e.min_x, h = e.max_y - e.min_y;
  const int cols = std::clamp(static_cast<int>(std::lround(std::sqrt(parts * w / h))), 1, parts);
  std::vector<int> rows(cols);
  for (int c = 0; c < cols; ++c) rows[c] = parts / cols + (c < parts % cols ? 1 : 0);
  const double average = bg::area(region) / parts;
  std::vector<BgMultiPolygon> cells;
  for (double jitter : {0.22, 0.0}) {
    cells.clear();
    std::vector<BgMultiPolygon> columns = Cut(region, rows, 0, rng, jitter);
    for (int c = 0; c < cols; ++c) {
      for (BgMultiPolygon& cell : Cut(columns[c], std::vector<int>(rows[c], 1), 1, rng, jitter)) {
        cells.push_back(std::move(cell));
      }
    }
    bool ok = true;
    for (const BgMultiPolygon& cell : cells) ok = ok && bg::area(cell) > 0.3 * average;
    if (ok) break;
  }
  return cells;
}

MultiPolygon ToLonLat(const BgMultiPolygon& mp, const LocalProjection& proj) {
  auto ring = [&](const BgRing& r) {
    Ring out;
    out.reserve(r.size());
    for (const Point& p : r) out.push_back(proj.Inverse(PlanePoint{p.x(), p.y()}));
    return out;
  };
  MultiPolygon out;
  out.reserve(mp.size());
  for (const BgPolygon& poly : mp) {
    Polygon p;
    p.outer = ring(poly.outer());
    for (const BgRing& hole : poly.inners()) p.holes.push_back(ring(hole));
    out.push_back(std::move(p));
  }
  return out;
}

Point CentroidOf(const BgMultiPolygon& mp) {
  // Area-weighted centroid of the outer rings minus holes, written out (as ExtentOf) to keep
  // GCC's -Wmaybe-uninitialized quiet about Boost's internal state.
  double sx = 0, sy = 0, sa = 0;
  auto add = [&](const BgRing& r) {
    for (size_t i = 0; i + 1 < r.size(); ++i) {
      const double cross = r[i].x() * r[i + 1].y() - r[i + 1].x() * r[i].y();
      sa += cross;
      sx += (r[i].x() + r[i + 1].x()) * cross;
      sy += (r[i].y() + r[i + 1].y()) * cross;
    }
  };
  for (const BgPolygon& poly : mp) {
    add(poly.outer());
    for (const BgRing& hole : poly.inners()) add(hole);
  }
  if (sa == 0) return Point(0, 0);
  return Point(sx / (3 * sa), sy / (3 * sa));
}

std::string Code3(const std::string& parent, int sequence) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%03d", sequence);
  return parent + buf;
}

// The district outline: an irregular oval, taller (north-south) than wide like the real one.
BgMultiPolygon DistrictOutline(double scale, Rng& rng) {
  const double a = 3300 * std::sqrt(scale);  // east-west semi-axis, m
  const double b = 4100 * std::sqrt(scale);  // north-south semi-axis, m
  const double p1 = rng.Range(0, 2 * kPi), p2 = rng.Range(0, 2 * kPi), p3 = rng.Range(0, 2 * kPi);
  const int n = 64;
  BgPolygon poly;
  for (int i = 0; i < n; ++i) {
    const double t = 2 * kPi * i / n;
    const double r = 1 + 0.09 * std::sin(2 * t + p1) + 0.05 * std::sin(3 * t + p2) +
                     0.025 * std::sin(5 * t + p3) + rng.Range(-0.012, 0.012);
    poly.outer().emplace_back(a * r * std::cos(t), b * r * std::sin(t));
  }
  poly.outer().push_back(poly.outer().front());
  bg::correct(poly);
  return BgMultiPolygon{poly};
}

// Distributes `total` items over areas in proportion (largest remainder), at least 1 each.
std::vector<int> Apportion(const std::vector<double>& areas, int total) {
  double sum = 0;
  for (double a : areas) sum += a;
  const int n = static_cast<int>(areas.size());
  std::vector<int> out(n, 1);
  int left = total - n;
  if (left <= 0) return out;
  std::vector<std::pair<double, int>> remainders;
  for (int i = 0; i < n; ++i) {
    const double exact = areas[i] / sum * left;
    out[i] += static_cast<int>(exact);
    remainders.emplace_back(exact - std::floor(exact), i);
  }
  int given = 0;
  for (int v : out) given += v;
  std::sort(remainders.begin(), remainders.end(),
            [](const auto& x, const auto& y) { return x.first != y.first ? x.first > y.first
                                                                          : x.second < y.second; });
  for (int k = 0; given < total; ++k, ++given) ++out[remainders[k % n].second];
  return out;
}

// A road centre line across the whole district box, gently tilted and wobbling.
std::vector<Point> RoadLine(int axis, double at, double from, double to, Rng& rng) {
  const double tilt = rng.Range(-0.04, 0.04);
  const double mid = (from + to) / 2;
  const int n = std::max(4, static_cast<int>((to - from) / 300));
  std::vector<Point> line;
  double wobble = 0;
  for (int i = 0; i <= n; ++i) {
    const double along = from + (to - from) * i / n;
    wobble = 0.6 * wobble + rng.Range(-12, 12);
    const double across = at + tilt * (along - mid) + wobble;
    line.push_back(axis == 0 ? Point(across, along) : Point(along, across));
  }
  return line;
}

// Splits `line` into `n` pieces of equal length; returns the pieces and each piece's midpoint.
std::vector<std::vector<Point>> SplitEvenly(const BgLineString& line, int n,
                                            std::vector<Point>& midpoints) {
  std::vector<double> cumulative = {0};
  for (size_t i = 1; i < line.size(); ++i) {
    cumulative.push_back(cumulative.back() + bg::distance(line[i - 1], line[i]));
  }
  const double total = cumulative.back();
  auto at = [&](double d) {
    size_t i = std::upper_bound(cumulative.begin(), cumulative.end(), d) - cumulative.begin();
    i = std::clamp<size_t>(i, 1, line.size() - 1);
    const double seg = cumulative[i] - cumulative[i - 1];
    const double t = seg > 0 ? (d - cumulative[i - 1]) / seg : 0;
    return Point(line[i - 1].x() + t * (line[i].x() - line[i - 1].x()),
                 line[i - 1].y() + t * (line[i].y() - line[i - 1].y()));
  };
  std::vector<std::vector<Point>> pieces;
  for (int j = 0; j < n; ++j) {
    const double d0 = total * j / n, d1 = total * (j + 1) / n;
    std::vector<Point> piece = {at(d0)};
    for (size_t i = 1; i + 1 < line.size(); ++i) {
      if (cumulative[i] > d0 && cumulative[i] < d1) piece.push_back(line[i]);
    }
    piece.push_back(at(d1));
    pieces.push_back(std::move(piece));
    midpoints.push_back(at((d0 + d1) / 2));
  }
  return pieces;
}

struct ZonePlan {
  const char* name;
  double fx, fy;           // centre as a fraction of the district's semi-axes
  double width, height;    // metres
  const char* unit;
  std::vector<std::string> categories;
};

Result<DemoDistrict> Build(const DemoOptions& options) {
  Rng rng(options.seed);
  const LocalProjection proj(kCentre);
  DemoDistrict demo;
  Geography& geo = demo.geography;

  // District.
  const BgMultiPolygon district = DistrictOutline(options.scale, rng);
  geo.district = District{kDistrictCode, "二七区", ToLonLat(district, proj)};
  const Extent box = ExtentOf(district);

  // Sub-districts: 14 cells named north to south.
  std::vector<BgMultiPolygon> cells = Partition(district, kSubDistricts.size(), rng);
  if (cells.size() != kSubDistricts.size()) {
    return InternalError("demo district: partition gave " + std::to_string(cells.size()) +
                         " sub-districts");
  }
  std::vector<int> by_north(cells.size());
  for (size_t i = 0; i < cells.size(); ++i) by_north[i] = static_cast<int>(i);
  std::vector<Point> centroids;
  for (const BgMultiPolygon& cell : cells) centroids.push_back(CentroidOf(cell));
  std::stable_sort(by_north.begin(), by_north.end(), [&](int x, int y) {
    return centroids[x].y() > centroids[y].y();
  });
  std::vector<BgMultiPolygon> sub_shapes(kSubDistricts.size());  // in code order
  for (size_t rank = 0; rank < by_north.size(); ++rank) {
    sub_shapes[kNorthToSouth[rank]] = std::move(cells[by_north[rank]]);
  }
  for (size_t i = 0; i < kSubDistricts.size(); ++i) {
    geo.subdistricts.push_back(SubDistrict{Code3(kDistrictCode, static_cast<int>(i) + 1),
                                           kSubDistricts[i].name, ToLonLat(sub_shapes[i], proj)});
  }

  // Communities, in proportion to sub-district area.
  std::vector<double> sub_areas;
  for (const BgMultiPolygon& s : sub_shapes) sub_areas.push_back(bg::area(s));
  const int community_total =
      std::max<int>(kSubDistricts.size(), static_cast<int>(std::lround(100 * options.scale)));
  const std::vector<int> per_sub = Apportion(sub_areas, community_total);
  std::vector<std::string> urban, rural;
  for (const char* stem : kCommunityStems) {
    for (const char* suffix : kCommunitySuffixes) urban.push_back(std::string(stem) + suffix);
  }
  for (const char* stem : kVillageStems) {
    for (const char* suffix : kVillageSuffixes) rural.push_back(std::string(stem) + suffix);
  }
  NamePool urban_names(std::move(urban), rng);
  NamePool rural_names(std::move(rural), rng);
  for (size_t i = 0; i < kSubDistricts.size(); ++i) {
    if (per_sub[i] > 999) return InternalError("demo district: too many communities");
    std::vector<BgMultiPolygon> parts = Partition(sub_shapes[i], per_sub[i], rng);
    for (size_t k = 0; k < parts.size(); ++k) {
      const bool village = kSubDistricts[i].township;
      std::string name = village ? rural_names.Take("村") : urban_names.Take("社区");
      geo.communities.push_back(Community{Code3(geo.subdistricts[i].code, static_cast<int>(k) + 1),
                                          std::move(name), ToLonLat(parts[k], proj)});
    }
  }

  // Unit grids.
  Result<std::vector<UnitGrid>> grids = GenerateGrids(geo.communities);
  if (!grids.ok()) return InternalError("demo district grids: " + grids.status().message());
  geo.grids = std::move(grids).value();

  // Roads: north-south roads west→east, east-west roads north→south, and 郑密路 running
  // south-west out of the centre.
  const double width = box.max_x - box.min_x, height = box.max_y - box.min_y;
  struct RoadPlan {
    std::string name;
    std::vector<Point> line;
  };
  std::vector<RoadPlan> plans;
  const int north_south = std::max(2, static_cast<int>(std::lround(width / 850)));
  for (int i = 1; i <= north_south; ++i) {
    const double spacing = width / (north_south + 1);
    const double x = box.min_x + spacing * i + rng.Range(-0.12, 0.12) * spacing;
    std::string name = i <= static_cast<int>(std::size(kNorthSouthRoads))
                           ? kNorthSouthRoads[i - 1]
                           : "经" + ChineseNumber((i - 1) % 99 + 1) + "路";
    plans.push_back({std::move(name), RoadLine(0, x, box.min_y - 200, box.max_y + 200, rng)});
  }
  const int east_west = std::max(2, static_cast<int>(std::lround(height / 1000)));
  for (int i = 1; i <= east_west; ++i) {
    const double spacing = height / (east_west + 1);
    const double y = box.max_y - spacing * i + rng.Range(-0.12, 0.12) * spacing;
    std::string name = i <= static_cast<int>(std::size(kEastWestRoads))
                           ? kEastWestRoads[i - 1]
                           : "纬" + ChineseNumber((i - 1) % 99 + 1) + "路";
    plans.push_back({std::move(name), RoadLine(1, y, box.min_x - 200, box.max_x + 200, rng)});
  }
  {
    const Point start(box.min_x + 0.62 * width, box.min_y + 0.55 * height);
    const double reach = 2 * std::max(width, height);
    plans.push_back({"郑密路", {start, Point(start.x() - 0.55 * reach, start.y() - 0.83 * reach)}});
  }
  int chief_number = 0;
  for (size_t r = 0; r < plans.size(); ++r) {
    BgLineString line(plans[r].line.begin(), plans[r].line.end());
    BgMultiLineString clipped;
    bg::intersection(line, district, clipped);
    int segment_number = 0;
    for (const BgLineString& piece : clipped) {
      const double length = bg::length(piece);
      if (length < 60) continue;
      std::vector<Point> midpoints;
      const int n = std::max(1, static_cast<int>(std::lround(length / 700)));
      std::vector<std::vector<Point>> segments = SplitEvenly(piece, n, midpoints);
      for (size_t j = 0; j < segments.size(); ++j) {
        // The street office of the sub-district holding the midpoint (nearest one if the
        // midpoint fell on a boundary and rounding put it outside all).
        std::string unit;
        for (size_t s = 0; s < sub_shapes.size() && unit.empty(); ++s) {
          if (bg::covered_by(midpoints[j], sub_shapes[s])) unit = geo.subdistricts[s].code;
        }
        if (unit.empty()) {
          double nearest = std::numeric_limits<double>::infinity();
          for (size_t s = 0; s < sub_shapes.size(); ++s) {
            const double d = bg::distance(midpoints[j], sub_shapes[s]);
            if (d < nearest) {
              nearest = d;
              unit = geo.subdistricts[s].code;
            }
          }
        }
        RoadSegment road;
        char id[32];
        std::snprintf(id, sizeof id, "R%04d-%02d", static_cast<int>(r) + 1, ++segment_number);
        road.id = id;
        road.name = plans[r].name;
        for (const Point& p : segments[j]) road.line.push_back(proj.Inverse({p.x(), p.y()}));
        road.chief.name = PersonName(rng);
        ++chief_number;
        char phone[32];
        std::snprintf(phone, sizeof phone, "1%02d0000%04d", 39 - chief_number / 10000,
                      chief_number % 10000);
        road.chief.phone = phone;
        road.unit = std::move(unit);
        geo.roads.push_back(std::move(road));
      }
    }
  }

  // Responsibility zones.
  const std::vector<ZonePlan> zones = {
      {"人民公园", 0.10, 0.62, 520, 380, "YL", {"06010", "07001"}},
      {"敦睦路服装批发市场", -0.22, 0.70, 300, 220, "SCJG", {"06010", "03006", "07001"}},
      {"大学路棚户区改造项目工地", 0.30, -0.25, 420, 300, "ZJ", {"08004", "08007"}},
      {"航海路综合管廊施工工地", -0.35, 0.05, 600, 120, "ZJ", {"08004", "08007"}},
  };
  const double semi_x = width / 2, semi_y = height / 2;
  const double cx = (box.min_x + box.max_x) / 2, cy = (box.min_y + box.max_y) / 2;
  for (size_t z = 0; z < zones.size(); ++z) {
    const ZonePlan& plan = zones[z];
    const double zx = cx + plan.fx * semi_x + rng.Range(-150, 150);
    const double zy = cy + plan.fy * semi_y + rng.Range(-150, 150);
    const double hw = plan.width / 2, hh = plan.height / 2;
    BgPolygon shape;
    for (auto [dx, dy] : {std::pair{-hw, -hh}, {hw, -hh}, {hw, hh}, {-hw, hh}}) {
      shape.outer().emplace_back(zx + dx + rng.Range(-25, 25), zy + dy + rng.Range(-25, 25));
    }
    shape.outer().push_back(shape.outer().front());
    bg::correct(shape);
    BgMultiPolygon inside;
    bg::intersection(district, shape, inside);
    if (inside.empty()) return InternalError(std::string("demo zone outside: ") + plan.name);
    char id[16];
    std::snprintf(id, sizeof id, "Z%02d", static_cast<int>(z) + 1);
    geo.zones.push_back(
        ResponsibilityZone{id, plan.name, ToLonLat(inside, proj), plan.unit, plan.categories});
  }

  // Units: one street office per sub-district, then the departments.
  for (size_t i = 0; i < kSubDistricts.size(); ++i) {
    std::string name = kSubDistricts[i].name;
    name += kSubDistricts[i].township ? "人民政府" : "办事处";
    demo.units.push_back(DemoUnit{geo.subdistricts[i].code, std::move(name), "street_office"});
  }
  for (auto [code, name] : {std::pair{"CGJ", "城市管理局"}, {"SZ", "市政工程管理中心"},
                            {"YL", "园林绿化中心"}, {"HW", "环境卫生管理中心"},
                            {"ZJ", "住房和城乡建设局"}, {"JT", "交通运输局"},
                            {"JJ", "公安交通警察大队"}, {"SCJG", "市场监督管理局"}}) {
    demo.units.push_back(DemoUnit{code, name, "department"});
  }

  if (Status valid = ValidateGeography(geo); !valid.ok()) {
    return InternalError("demo district is inconsistent: " + valid.message());
  }
  return demo;
}

}  // namespace
}  // namespace citygrid::geo

namespace citygrid::geo {

Result<DemoDistrict> GenerateDemoDistrict(const DemoOptions& options) {
  if (!(options.scale >= 0.05 && options.scale <= 100)) {
    return InvalidArgumentError("demo scale " + std::to_string(options.scale) +
                                " is outside [0.05, 100]");
  }
  try {
    return Build(options);
  } catch (const std::exception& e) {
    // Boost.Geometry throws only on input it cannot handle; here that would be a bug.
    return InternalError(std::string("demo district construction failed: ") + e.what());
  }
}

}  // namespace citygrid::geo
