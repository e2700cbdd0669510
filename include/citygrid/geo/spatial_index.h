#pragma once

// SpatialIndex: the read side of a district's geography (DESIGN.md §2, routing). Built once
// from a snapshot (Geography), immutable afterwards, shared as std::shared_ptr<const
// SpatialIndex>; SpatialIndexHolder swaps in a rebuilt index atomically while lookups go on.
//
// Lookups (all thread-safe, no allocation except ZonesAt's output):
//   Locate(p)      → the unit grid, community, sub-district containing p, and whether the
//                    district contains it. Border rule: PolygonIndex's half-open rule (a point on a
//                    shared edge belongs to the feature east of it, or north of a horizontal edge).
//                    Parents come from the grid's code when a grid contains the point (grid code
//                    = community code + 3 digits = sub-district code + 6), so the answer is
//                    always one consistent chain; only when no grid contains the point are the
//                    community, then sub-district, then district layers searched themselves.
//   NearestRoad(p, max_metres) → the road segment nearest to p within max_metres (default
//                    30 m), distances in metres on a local projection at p's latitude (accurate
//                    to < 0.01 % at these ranges). Ties go to the lower road, then segment index.
//   ZonesAt(p)     → every responsibility zone containing p, in snapshot order.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/geo/district.h"
#include "citygrid/geo/polygon_index.h"

namespace citygrid::geo {

// Indices into the snapshot's vectors; -1 = none.
struct Placement {
  std::int32_t grid = -1;
  std::int32_t community = -1;
  std::int32_t subdistrict = -1;
  bool in_district = false;
  friend bool operator==(const Placement&, const Placement&) = default;
};

struct RoadHit {
  std::int32_t road = -1;     // index into Geography::roads
  std::int32_t segment = -1;  // segment k joins line[k] and line[k + 1]
  double metres = 0;          // distance from the query point
  LonLat nearest;             // closest point on the segment
};

class SpatialIndex {
 public:
  // Builds the index over `geography` (shared, never modified). Errors: kInvalidArgument if
  // the snapshot is null.
  static Result<std::shared_ptr<const SpatialIndex>> Build(
      std::shared_ptr<const Geography> geography, const PolygonIndexOptions& options = {});

  Placement Locate(LonLat p) const;
  std::optional<RoadHit> NearestRoad(LonLat p, double max_metres = 30) const;
  std::vector<std::int32_t> ZonesAt(LonLat p) const;

  // Codes of a placement ("" where absent); views into the snapshot.
  std::string_view GridCode(const Placement& at) const;
  std::string_view CommunityCode(const Placement& at) const;
  std::string_view SubDistrictCode(const Placement& at) const;

  const Geography& geography() const { return *geography_; }
  std::size_t MemoryBytes() const;

 private:
  SpatialIndex() = default;

  struct Segment {
    LonLat a, b;
    std::int32_t road, index;
  };

  std::shared_ptr<const Geography> geography_;
  PolygonIndex grids_, communities_, subdistricts_, district_, zones_;
  std::vector<std::int32_t> grid_community_;        // from the code prefix; -1 if unknown
  std::vector<std::int32_t> community_subdistrict_;  // likewise
  // Road segments in a uniform bucket grid over their bounding box.
  std::vector<Segment> segments_;
  std::vector<std::uint32_t> road_cell_start_, road_cell_items_;
  double rx0_ = 0, ry0_ = 0, rcell_ = 1;
  int rnx_ = 0, rny_ = 0;
};

// Holds the current index; readers take a reference-counted snapshot, a rebuild swaps in a new
// one without blocking them. Thread-safe.
class SpatialIndexHolder {
 public:
  explicit SpatialIndexHolder(std::shared_ptr<const SpatialIndex> initial = nullptr)
      : current_(std::move(initial)) {}

  std::shared_ptr<const SpatialIndex> Get() const { return current_.load(); }
  // Installs `next`; returns the index it replaced.
  std::shared_ptr<const SpatialIndex> Swap(std::shared_ptr<const SpatialIndex> next) {
    return current_.exchange(std::move(next));
  }

 private:
  std::atomic<std::shared_ptr<const SpatialIndex>> current_;
};

}  // namespace citygrid::geo
