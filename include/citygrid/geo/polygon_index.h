#pragma once

// PolygonIndex: an immutable point-in-polygon index over any set of polygonal features
// (unit grids, communities, police precincts, responsibility zones...). Build once, then query
// from any number of threads.
//
// Semantics. A feature contains a point by the crossing-number rule applied to all its rings
// (so holes and multipolygon parts need no special casing), with the half-open convention:
// an edge from (xa, ya) to (xb, yb), taken with ya < yb, is crossed by the ray going east from
// (x, y) iff ya <= y < yb and x < the edge's x at y. Horizontal edges are never crossed.
// Consequences, for features that tile the plane along shared edges (identical vertices):
//   * a point strictly inside a feature belongs to it;
//   * a point exactly on a shared edge belongs to exactly one feature: the one to its east for
//     a non-horizontal edge, the one to its north for a horizontal edge (the south-west
//     boundary of a feature is in it, the north-east boundary is not);
//   * the answer is deterministic: every feature evaluates a shared edge with the same
//     canonical (lower endpoint first) arithmetic, so neighbours never both claim a point.
//     (Floating-point predicates are not exact: within ~1e-15 degrees of a vertex where
//     several edges meet, a point could in theory be misplaced; not for coordinates on edges.)
// Locate() returns the lowest-numbered feature containing the point when features overlap.
//
// Structure. A uniform grid of cells over the bounding box of all features (about
// `cells_per_edge` cells per edge, at most `max_cells`). A cell covered by exactly one feature
// and crossed by no boundary answers from its 8-byte entry alone. Otherwise the cell lists,
// sorted by feature, the features covering it whole and the features whose boundary passes
// through it (slightly widened, so floating-point cell assignment can never miss a boundary);
// each such entry points at that feature's edges in the cell's row, sorted so that only the
// edges reaching east of the cell's west side are scanned. Typical cost: one cell entry, one
// item, two to four edge tests.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "citygrid/geo/geometry.h"

namespace citygrid::geo {

struct PolygonIndexOptions {
  double cells_per_edge = 2.0;
  std::size_t max_cells = std::size_t{1} << 22;
};

class PolygonIndex {
 public:
  static constexpr std::uint32_t kNone = UINT32_MAX;

  PolygonIndex() = default;

  // Builds over `features`; feature i is features[i]. Geometry should be valid (see
  // validation.h); empty multipolygons are allowed and contain nothing. The pointers are only
  // read during the call.
  static PolygonIndex Build(const std::vector<const MultiPolygon*>& features,
                            const PolygonIndexOptions& options = {});
  static PolygonIndex Build(const std::vector<MultiPolygon>& features,
                            const PolygonIndexOptions& options = {});

  // The lowest-numbered feature containing `p`, or kNone (also for non-finite input).
  std::uint32_t Locate(LonLat p) const;

  // Appends every feature containing `p` to `out` in ascending order.
  void LocateAll(LonLat p, std::vector<std::uint32_t>* out) const;

  // True if feature `feature` contains `p` (same rule as Locate).
  bool Contains(std::uint32_t feature, LonLat p) const;

  std::size_t size() const { return features_; }
  std::size_t MemoryBytes() const;
  std::size_t cell_count() const { return static_cast<std::size_t>(nx_) * ny_; }

 private:
  // A non-horizontal edge with ya < yb.
  struct Edge {
    double xa, ya, xb, yb;
  };
  // A feature listed in a cell: covering the cell whole (kFullCell set), or to be tested
  // against edges_[edge_begin, edge_end).
  struct Item {
    std::uint32_t feature;
    std::uint32_t edge_begin, edge_end;
  };
  // Items of a cell: items_[start, start + count); when count == kDirect the cell is covered by
  // feature `start` alone.
  struct Cell {
    std::uint32_t start = 0, count = 0;
  };
  static constexpr std::uint32_t kFullCell = 0x80000000u;
  static constexpr std::uint32_t kDirect = 0xFFFFFFFFu;

  int Col(double x) const;
  int Row(double y) const;
  bool EdgesContain(const Item& item, double x, double y) const;
  const Cell* CellOf(LonLat p) const;

  // Points outside [x0_, x1_) x [y0_, y1_) are in no feature: by the half-open rule even a
  // point on the east or north edge of the box is outside. x1_ == x0_ while empty.
  double x0_ = 0, y0_ = 0, x1_ = 0, y1_ = 0, cw_ = 1, ch_ = 1, inv_cw_ = 1, inv_ch_ = 1;
  int nx_ = 0, ny_ = 0;
  std::size_t features_ = 0;
  std::vector<Cell> cells_;
  std::vector<Item> items_;
  std::vector<Edge> edges_;
};

}  // namespace citygrid::geo
