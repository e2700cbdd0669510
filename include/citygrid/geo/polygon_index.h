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
// `cells_per_edge` cells per edge, at most 2^22 cells). Each cell lists, sorted by feature,
// the features whose boundary passes through it (slightly widened, so floating-point cell
// assignment can never miss a boundary) and the features that cover the whole cell (no edge
// test needed). Each feature keeps its edges bucketed by the same grid rows, so testing a
// boundary cell only looks at the feature's edges in that row.

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

  std::size_t size() const { return feature_row0_.size(); }
  std::size_t MemoryBytes() const;
  std::size_t cell_count() const { return static_cast<std::size_t>(nx_) * ny_; }

 private:
  // A non-horizontal edge with ya < yb.
  struct Edge {
    double xa, ya, xb, yb;
  };
  static constexpr std::uint32_t kFullCell = 0x80000000u;

  int Col(double x) const;
  int Row(double y) const;
  bool ContainsInRow(std::uint32_t feature, int row, double x, double y) const;

  // Points outside [x0_, x1_) x [y0_, y1_) are in no feature: by the half-open rule even a
  // point on the east or north edge of the box is outside. x1_ == x0_ while empty.
  double x0_ = 0, y0_ = 0, x1_ = 0, y1_ = 0, cw_ = 1, ch_ = 1, inv_cw_ = 1, inv_ch_ = 1;
  int nx_ = 0, ny_ = 0;
  // Cell c lists cell_items_[cell_start_[c] .. cell_start_[c+1]): feature | kFullCell flag.
  std::vector<std::uint32_t> cell_start_;
  std::vector<std::uint32_t> cell_items_;
  // Feature f covers rows feature_row0_[f] .. + feature_rows_[f]; its row r edges are
  // edges_[row_start_[feature_rowbase_[f] + r - row0] .. row_start_[... + 1]).
  std::vector<std::int32_t> feature_row0_;
  std::vector<std::int32_t> feature_rows_;
  std::vector<std::uint32_t> feature_rowbase_;
  std::vector<std::uint32_t> row_start_;
  std::vector<Edge> edges_;
};

}  // namespace citygrid::geo
