#pragma once

// Unit-grid generation (万米单元网格): cuts each community into grids of about a target area and
// codes them (DESIGN.md §2 Geography, GB/T 30428-style 单元网格).
//
// Method, per community (the output for one community depends only on that community):
//  1. Project the community with a LocalProjection centred on its bounding box (metres).
//  2. Lay a lattice of squares with side √target_area_m2 over the community's bounding box,
//     centred on it (equal margins left/right and top/bottom; an extent within 0.01 % of a
//     whole number of squares gets exactly that many). Row 0 is the northernmost row, column 0
//     the westernmost column.
//  3. Clip every square to the community (Boost.Geometry intersection). Each connected polygon
//     of a clipped square is a "piece"; pieces smaller than 1 cm² are discarded as rounding
//     debris. Cut points on a lattice line are snapped onto it and rounded to 2^-16 m along
//     it, so neighbouring pieces share bit-identical edges (what makes step 4's union robust).
//  4. Slivers are merged, never dropped, so the grids cover the community exactly: while some
//     group of pieces is smaller than min_area_fraction × target_area_m2, the smallest such
//     group (ties: lowest anchor position, see 5) joins the adjacent group it shares the longest
//     common edge with (ties: the lowest position). A group with no adjacent group (an island of
//     a multipolygon community) joins the group whose anchor centroid is nearest. A community
//     smaller than the threshold becomes a single grid. Merged pieces are dissolved (union).
//  5. Numbering: each grid's anchor is its largest piece. Grids are sorted by the anchor's
//     lattice row (north → south), then lattice column (west → east), then the anchor
//     centroid's x (west → east) and y (south → north) for pieces of one square, and numbered
//     001, 002, ... in that order: rows north→south, west→east within a row.
//  6. Unproject to WGS84 degrees.
//
// The result is deterministic: the same input gives the same output, byte for byte, on the
// same build. Every point of the community lies in exactly one of its grids (up to floating
// point rounding on shared edges), and the grid areas sum to the community's area.
//
// Pure and thread-safe.

#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/geo/district.h"

namespace citygrid::geo {

struct GridOptions {
  double target_area_m2 = 10000.0;  // 万米单元网格: one square of 100 m × 100 m
  // Pieces (after clipping) below this fraction of the target are merged into a neighbour.
  double min_area_fraction = 0.25;
};

// Generates the unit grids of one community, numbered as described above.
// kInvalidArgument when: the options are out of range (target_area_m2 not within
// [1, 1e8] m², min_area_fraction not within [0, 1)); the community code is not a 12-digit
// community code; the area is empty, zero, non-finite, or not a valid polygon (the message
// carries Boost.Geometry's reason, e.g. self-intersection); or the community would need more
// than 999 grids (the 3-digit sequence), naming the count.
Result<std::vector<UnitGrid>> GenerateGrids(const Community& community,
                                            const GridOptions& options = {});

// Generates the grids of every community and concatenates them in the communities' order (the
// same result as calling the one-community form for each). The communities are cut on up to
// eight cores at once. The first failing community's error is returned, prefixed with its index.
Result<std::vector<UnitGrid>> GenerateGrids(const std::vector<Community>& communities,
                                            const GridOptions& options = {});

}  // namespace citygrid::geo
