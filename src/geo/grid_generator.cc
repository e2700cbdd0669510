#include "citygrid/geo/grid_generator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <limits>
#include <numeric>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "citygrid/common/parallel.h"
#include "citygrid/geo/grid_code.h"
#include "citygrid/geo/projection.h"
#include "boost_geometry.h"

namespace citygrid::geo {
namespace {

using bgx::BgMultiPolygon;
using bgx::BgPolygon;
using bgx::BgRing;
using bgx::Point;
namespace bg = boost::geometry;

constexpr double kDebrisArea = 1e-4;   // m²: clipping debris below 1 cm² is discarded
constexpr double kEdgeTolerance = 1e-6;  // m: a vertex this close to a lattice line lies on it
constexpr unsigned kGridThreads = 8;     // communities cut at once, at most (and at most cores)

// Bounding box of the outer rings (holes lie inside them). Written out rather than using
// bg::envelope, whose inlined state trips GCC 12's -Wmaybe-uninitialized.
struct Extent {
  double min_x = 0, min_y = 0, max_x = 0, max_y = 0;
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

struct Interval {
  double lo, hi;
};

// One connected polygon of a clipped lattice square.
struct Piece {
  int row = 0, col = 0;
  BgPolygon shape;
  double area = 0;
  Point centroid;
  // Boundary intervals lying on the square's west, east, north and south edges.
  std::vector<Interval> west, east, north, south;
};

BgPolygon Square(double x0, double y0, double x1, double y1) {
  BgPolygon sq;
  // Counter-clockwise, closed.
  sq.outer() = {Point(x0, y0), Point(x1, y0), Point(x1, y1), Point(x0, y1), Point(x0, y0)};
  return sq;
}

void CollectEdgeIntervals(const BgRing& ring, double x0, double y0, double x1, double y1,
                          Piece& piece) {
  for (size_t i = 0; i + 1 < ring.size(); ++i) {
    const Point& a = ring[i];
    const Point& b = ring[i + 1];
    auto on = [](double v, double line) { return std::abs(v - line) < kEdgeTolerance; };
    if (on(a.x(), x0) && on(b.x(), x0)) {
      piece.west.push_back({std::min(a.y(), b.y()), std::max(a.y(), b.y())});
    } else if (on(a.x(), x1) && on(b.x(), x1)) {
      piece.east.push_back({std::min(a.y(), b.y()), std::max(a.y(), b.y())});
    } else if (on(a.y(), y1) && on(b.y(), y1)) {
      piece.north.push_back({std::min(a.x(), b.x()), std::max(a.x(), b.x())});
    } else if (on(a.y(), y0) && on(b.y(), y0)) {
      piece.south.push_back({std::min(a.x(), b.x()), std::max(a.x(), b.x())});
    }
  }
}

// Puts vertices that lie on the square's edges (within kEdgeTolerance) exactly on them, and
// rounds their position along the edge to 2^-16 m (15 µm). A cut point is computed once from
// each side of a lattice line (in neighbouring clips), and the two results can differ in the
// last bits; Boost.Geometry's union of two pieces that meet at such nearly-equal points can
// lose a piece. After snapping both sides hold bit-identical points.
void SnapToLattice(BgPolygon& shape, double x0, double x1, double y0, double y1) {
  constexpr double kQuantum = 1.0 / 65536;
  auto quantize = [](double v) { return std::round(v / kQuantum) * kQuantum; };
  auto snap = [&](BgRing& ring) {
    for (Point& p : ring) {
      const bool on_x = std::abs(p.x() - x0) < kEdgeTolerance || std::abs(p.x() - x1) < kEdgeTolerance;
      const bool on_y = std::abs(p.y() - y0) < kEdgeTolerance || std::abs(p.y() - y1) < kEdgeTolerance;
      if (on_x) p.x(std::abs(p.x() - x0) < kEdgeTolerance ? x0 : x1);
      if (on_y) p.y(std::abs(p.y() - y0) < kEdgeTolerance ? y0 : y1);
      if (on_x && !on_y) p.y(quantize(p.y()));
      if (on_y && !on_x) p.x(quantize(p.x()));
    }
  };
  snap(shape.outer());
  for (BgRing& hole : shape.inners()) snap(hole);
}

double Overlap(const std::vector<Interval>& a, const std::vector<Interval>& b) {
  double total = 0;
  for (const Interval& p : a) {
    for (const Interval& q : b) {
      total += std::max(0.0, std::min(p.hi, q.hi) - std::max(p.lo, q.lo));
    }
  }
  return total;
}

struct Adjacency {
  int other;
  double length;
};

// Disjoint sets of piece indices; the root carries the group's area.
class Groups {
 public:
  explicit Groups(const std::vector<Piece>& pieces) : parent_(pieces.size()), area_(pieces.size()) {
    std::iota(parent_.begin(), parent_.end(), 0);
    for (size_t i = 0; i < pieces.size(); ++i) area_[i] = pieces[i].area;
  }
  int Find(int i) {
    while (parent_[i] != i) i = parent_[i] = parent_[parent_[i]];
    return i;
  }
  // Merges the group of `from` into the group of `into`; `into`'s root stays the root.
  void Merge(int from, int into) {
    from = Find(from);
    into = Find(into);
    if (from == into) return;
    parent_[from] = into;
    area_[into] += area_[from];
  }
  double Area(int root) const { return area_[root]; }

 private:
  std::vector<int> parent_;
  std::vector<double> area_;
};

// Position key of a piece for ordering: row (north first), column (west first), centroid x, y.
auto PositionKey(const Piece& p) {
  return std::make_tuple(p.row, p.col, p.centroid.x(), p.centroid.y());
}

Result<std::vector<UnitGrid>> GenerateForCommunity(const Community& community,
                                                   const GridOptions& options) {
  CITYGRID_ASSIGN_OR_RETURN(GridCode code,
                            GridCode::ParseAt(community.code, AreaLevel::kCommunity));
  const std::string what = "community " + community.code;
  if (community.area.empty()) return InvalidArgumentError(what + " has no area polygon");

  const LocalProjection proj = LocalProjection::CenteredOn(community.area);
  BgMultiPolygon area;
  area.reserve(community.area.size());
  for (const Polygon& poly : community.area) {
    BgPolygon out;
    auto project_ring = [&](const Ring& ring, BgRing& dst) -> Status {
      dst.reserve(ring.size());
      for (const LonLat& p : ring) {
        if (!std::isfinite(p.lon) || !std::isfinite(p.lat) || std::abs(p.lat) > 89) {
          return InvalidArgumentError(what + ": coordinate (" + std::to_string(p.lon) + ", " +
                                      std::to_string(p.lat) + ") is not usable");
        }
        const PlanePoint q = proj.Forward(p);
        dst.emplace_back(q.x, q.y);
      }
      return OkStatus();
    };
    CITYGRID_RETURN_IF_ERROR(project_ring(poly.outer, out.outer()));
    for (const Ring& hole : poly.holes) {
      out.inners().emplace_back();
      CITYGRID_RETURN_IF_ERROR(project_ring(hole, out.inners().back()));
    }
    area.push_back(std::move(out));
  }
  bg::unique(area);
  bg::correct(area);
  std::string reason;
  if (!bg::is_valid(area, reason)) {
    return InvalidArgumentError(what + " is not a valid polygon: " + reason);
  }
  const double total_area = bg::area(area);
  if (!(total_area > 0)) return InvalidArgumentError(what + " has zero area");

  const double side = std::sqrt(options.target_area_m2);
  const Extent box = ExtentOf(area);
  const double width = box.max_x - box.min_x;
  const double height = box.max_y - box.min_y;
  // A community whose extent is a whole number of squares (up to rounding in the projection
  // round trip) gets exactly that many; the outermost squares reach beyond the lattice (see
  // `far` below), so nothing is lost when the extent overshoots by a hair.
  const double cols_d = std::max(1.0, std::ceil(width / side - 1e-4));
  const double rows_d = std::max(1.0, std::ceil(height / side - 1e-4));
  if (cols_d * rows_d > 4e6) {
    return InvalidArgumentError(what + " spans " + std::to_string(cols_d * rows_d) +
                                " lattice squares; far more than 999 grids");
  }
  const int cols = static_cast<int>(cols_d);
  const int rows = static_cast<int>(rows_d);
  const double west = box.min_x - (cols * side - width) / 2;
  const double top = box.max_y + (rows * side - height) / 2;
  // Outer edges of the edge rows and columns: pushed well outside the community.
  const double far = side + 1.0;
  auto col_x0 = [&](int c) { return c == 0 ? west - far : west + c * side; };
  auto col_x1 = [&](int c) { return c == cols - 1 ? west + cols * side + far : west + (c + 1) * side; };
  auto row_y1 = [&](int r) { return r == 0 ? top + far : top - r * side; };
  auto row_y0 = [&](int r) { return r == rows - 1 ? top - rows * side - far : top - (r + 1) * side; };

  std::vector<Piece> pieces;
  // cell_pieces[row * cols + col] = indices of that square's pieces.
  std::vector<std::vector<int>> cell_pieces(static_cast<size_t>(rows) * cols);
  for (int r = 0; r < rows; ++r) {
    const double y1 = row_y1(r);
    const double y0 = row_y0(r);
    // Clip the row band first: the per-square clips then work on a much smaller polygon.
    BgMultiPolygon band;
    bg::intersection(area, Square(col_x0(0), y0, col_x1(cols - 1), y1), band);
    if (band.empty()) continue;
    const Extent band_box = ExtentOf(band);
    for (int c = 0; c < cols; ++c) {
      const double x0 = col_x0(c);
      const double x1 = col_x1(c);
      if (x1 < band_box.min_x || x0 > band_box.max_x) continue;
      BgMultiPolygon clipped;
      bg::intersection(band, Square(x0, y0, x1, y1), clipped);
      for (BgPolygon& shape : clipped) {
        SnapToLattice(shape, x0, x1, y0, y1);
        const double a = bg::area(shape);
        if (!(a >= kDebrisArea)) continue;
        Piece piece;
        piece.row = r;
        piece.col = c;
        piece.area = a;
        bg::centroid(shape, piece.centroid);
        CollectEdgeIntervals(shape.outer(), x0, y0, x1, y1, piece);
        for (const BgRing& hole : shape.inners()) {
          CollectEdgeIntervals(hole, x0, y0, x1, y1, piece);
        }
        piece.shape = std::move(shape);
        cell_pieces[static_cast<size_t>(r) * cols + c].push_back(static_cast<int>(pieces.size()));
        pieces.push_back(std::move(piece));
      }
    }
  }
  if (pieces.empty()) return InvalidArgumentError(what + " has no area after clipping");

  // Shared edge lengths between pieces of 4-neighbouring squares.
  std::vector<std::vector<Adjacency>> adjacent(pieces.size());
  auto link = [&](int a, int b, double length) {
    if (length <= kEdgeTolerance) return;
    adjacent[a].push_back({b, length});
    adjacent[b].push_back({a, length});
  };
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      for (int a : cell_pieces[static_cast<size_t>(r) * cols + c]) {
        if (c + 1 < cols) {
          for (int b : cell_pieces[static_cast<size_t>(r) * cols + c + 1]) {
            link(a, b, Overlap(pieces[a].east, pieces[b].west));
          }
        }
        if (r + 1 < rows) {
          for (int b : cell_pieces[static_cast<size_t>(r + 1) * cols + c]) {
            link(a, b, Overlap(pieces[a].south, pieces[b].north));
          }
        }
      }
    }
  }

  // Merge slivers: always the smallest under-threshold group first.
  const double threshold = options.min_area_fraction * options.target_area_m2;
  Groups groups(pieces);
  // Each root's anchor: its largest piece (ties: lowest position), used for ordering.
  std::vector<int> anchor(pieces.size());
  std::iota(anchor.begin(), anchor.end(), 0);
  auto better_anchor = [&](int a, int b) {  // true if a should anchor instead of b
    if (pieces[a].area != pieces[b].area) return pieces[a].area > pieces[b].area;
    return PositionKey(pieces[a]) < PositionKey(pieces[b]);
  };
  for (;;) {
    int smallest = -1;
    int group_count = 0;
    for (int i = 0; i < static_cast<int>(pieces.size()); ++i) {
      if (groups.Find(i) != i) continue;
      ++group_count;
      if (groups.Area(i) >= threshold) continue;
      if (smallest < 0 || groups.Area(i) < groups.Area(smallest) ||
          (groups.Area(i) == groups.Area(smallest) &&
           PositionKey(pieces[anchor[i]]) < PositionKey(pieces[anchor[smallest]]))) {
        smallest = i;
      }
    }
    if (smallest < 0 || group_count < 2) break;
    // Longest shared edge with another group.
    std::vector<std::pair<int, double>> shared;  // (root, length)
    for (int i = 0; i < static_cast<int>(pieces.size()); ++i) {
      if (groups.Find(i) != smallest) continue;
      for (const Adjacency& adj : adjacent[i]) {
        const int root = groups.Find(adj.other);
        if (root == smallest) continue;
        auto it = std::find_if(shared.begin(), shared.end(),
                               [&](const auto& s) { return s.first == root; });
        if (it == shared.end()) {
          shared.emplace_back(root, adj.length);
        } else {
          it->second += adj.length;
        }
      }
    }
    int target = -1;
    if (!shared.empty()) {
      double best = -1;
      for (const auto& [root, length] : shared) {
        if (length > best ||
            (length == best && PositionKey(pieces[anchor[root]]) < PositionKey(pieces[anchor[target]]))) {
          best = length;
          target = root;
        }
      }
    } else {
      // An island: join the group whose anchor centroid is nearest.
      const Point& from = pieces[anchor[smallest]].centroid;
      double best = 0;
      for (int i = 0; i < static_cast<int>(pieces.size()); ++i) {
        if (groups.Find(i) != i || i == smallest) continue;
        const Point& to = pieces[anchor[i]].centroid;
        const double d = std::hypot(to.x() - from.x(), to.y() - from.y());
        if (target < 0 || d < best ||
            (d == best && PositionKey(pieces[anchor[i]]) < PositionKey(pieces[anchor[target]]))) {
          best = d;
          target = i;
        }
      }
    }
    const int winner = better_anchor(anchor[smallest], anchor[target]) ? anchor[smallest]
                                                                        : anchor[target];
    groups.Merge(smallest, target);
    anchor[target] = winner;
  }

  // Collect groups, order by anchor position, dissolve, unproject.
  std::vector<int> roots;
  std::vector<std::vector<int>> members(pieces.size());
  for (int i = 0; i < static_cast<int>(pieces.size()); ++i) {
    const int root = groups.Find(i);
    if (root == i) roots.push_back(i);
    members[root].push_back(i);
  }
  if (roots.size() > 999) {
    return InvalidArgumentError(what + " needs " + std::to_string(roots.size()) +
                                " grids; at most 999 fit the 3-digit sequence (raise the target "
                                "area)");
  }
  std::sort(roots.begin(), roots.end(), [&](int a, int b) {
    return PositionKey(pieces[anchor[a]]) < PositionKey(pieces[anchor[b]]);
  });

  auto unproject = [&](const BgRing& ring) {
    Ring out;
    out.reserve(ring.size());
    for (const Point& p : ring) out.push_back(proj.Inverse(PlanePoint{p.x(), p.y()}));
    return out;
  };

  std::vector<UnitGrid> grids;
  grids.reserve(roots.size());
  for (size_t n = 0; n < roots.size(); ++n) {
    const std::vector<int>& group = members[roots[n]];
    BgMultiPolygon shape{pieces[group[0]].shape};
    double piece_sum = pieces[group[0]].area;
    for (size_t k = 1; k < group.size(); ++k) {
      BgMultiPolygon merged;
      bg::union_(shape, pieces[group[k]].shape, merged);
      shape = std::move(merged);
      piece_sum += pieces[group[k]].area;
    }
    if (group.size() > 1 && std::abs(bg::area(shape) - piece_sum) > 1e-6 * piece_sum + 1e-3) {
      // The dissolve lost or gained area (a Boost.Geometry robustness failure; not seen since
      // the lattice snapping above): keep the pieces as they are, which covers the same area.
      shape.clear();
      for (int k : group) shape.push_back(pieces[k].shape);
    }
    UnitGrid grid;
    CITYGRID_ASSIGN_OR_RETURN(GridCode grid_code, code.Child(static_cast<int>(n) + 1));
    grid.code = grid_code.str();
    grid.area.reserve(shape.size());
    for (const BgPolygon& poly : shape) {
      Polygon out;
      out.outer = unproject(poly.outer());
      for (const BgRing& hole : poly.inners()) out.holes.push_back(unproject(hole));
      grid.area.push_back(std::move(out));
    }
    grids.push_back(std::move(grid));
  }
  return grids;
}

Status CheckOptions(const GridOptions& options) {
  if (!(options.target_area_m2 >= 1.0 && options.target_area_m2 <= 1e8)) {
    return InvalidArgumentError("target grid area " + std::to_string(options.target_area_m2) +
                                " m² is outside [1, 1e8]");
  }
  if (!(options.min_area_fraction >= 0.0 && options.min_area_fraction < 1.0)) {
    return InvalidArgumentError("minimum grid area fraction " +
                                std::to_string(options.min_area_fraction) +
                                " is outside [0, 1)");
  }
  return OkStatus();
}

}  // namespace

Result<std::vector<UnitGrid>> GenerateGrids(const Community& community,
                                            const GridOptions& options) {
  CITYGRID_RETURN_IF_ERROR(CheckOptions(options));
  try {
    return GenerateForCommunity(community, options);
  } catch (const std::exception& e) {
    // Boost.Geometry's overlay throws on input it cannot process (e.g. self-touching rings).
    return InvalidArgumentError("community " + community.code +
                                ": geometry cannot be clipped: " + e.what());
  }
}

Result<std::vector<UnitGrid>> GenerateGrids(const std::vector<Community>& communities,
                                            const GridOptions& options) {
  CITYGRID_RETURN_IF_ERROR(CheckOptions(options));
  // Communities are cut independently: one slot each, filled on every core, joined in order.
  std::vector<Result<std::vector<UnitGrid>>> each(communities.size(),
                                                 Result<std::vector<UnitGrid>>(
                                                     std::vector<UnitGrid>{}));
  ParallelFor(communities.size(), kGridThreads,
              [&](size_t i) { each[i] = GenerateGrids(communities[i], options); });
  std::vector<UnitGrid> all;
  for (size_t i = 0; i < each.size(); ++i) {
    if (!each[i].ok()) return each[i].status().WithContext("community #" + std::to_string(i));
    for (UnitGrid& g : *each[i]) all.push_back(std::move(g));
  }
  return all;
}

}  // namespace citygrid::geo
