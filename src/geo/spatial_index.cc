#include "citygrid/geo/spatial_index.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <unordered_map>

#include "citygrid/geo/coordinates.h"

namespace citygrid::geo {
namespace {

constexpr double kPi = 3.14159265358979323846;

template <typename T>
PolygonIndex IndexAreas(const std::vector<T>& items, const PolygonIndexOptions& options) {
  std::vector<const MultiPolygon*> areas;
  areas.reserve(items.size());
  for (const T& item : items) areas.push_back(&item.area);
  return PolygonIndex::Build(areas, options);
}

std::int32_t AsIndex(std::uint32_t found) {
  return found == PolygonIndex::kNone ? -1 : static_cast<std::int32_t>(found);
}

}  // namespace

Result<std::shared_ptr<const SpatialIndex>> SpatialIndex::Build(
    std::shared_ptr<const Geography> geography, const PolygonIndexOptions& options) {
  if (!geography) return InvalidArgumentError("spatial index: no geography snapshot");
  std::shared_ptr<SpatialIndex> idx(new SpatialIndex());
  const Geography& g = *geography;
  idx->geography_ = geography;
  idx->grids_ = IndexAreas(g.grids, options);
  idx->communities_ = IndexAreas(g.communities, options);
  idx->subdistricts_ = IndexAreas(g.subdistricts, options);
  idx->district_ = PolygonIndex::Build(std::vector<const MultiPolygon*>{&g.district.area}, options);
  idx->zones_ = IndexAreas(g.zones, options);

  std::unordered_map<std::string, std::int32_t> community_by_code, subdistrict_by_code;
  for (std::size_t i = 0; i < g.communities.size(); ++i) {
    community_by_code.emplace(g.communities[i].code, static_cast<std::int32_t>(i));
  }
  for (std::size_t i = 0; i < g.subdistricts.size(); ++i) {
    subdistrict_by_code.emplace(g.subdistricts[i].code, static_cast<std::int32_t>(i));
  }
  idx->grid_community_.reserve(g.grids.size());
  for (const UnitGrid& grid : g.grids) {
    auto it = grid.code.size() == 15 ? community_by_code.find(grid.code.substr(0, 12))
                                     : community_by_code.end();
    idx->grid_community_.push_back(it == community_by_code.end() ? -1 : it->second);
  }
  idx->community_subdistrict_.reserve(g.communities.size());
  for (const Community& c : g.communities) {
    auto it = c.code.size() == 12 ? subdistrict_by_code.find(c.code.substr(0, 9))
                                  : subdistrict_by_code.end();
    idx->community_subdistrict_.push_back(it == subdistrict_by_code.end() ? -1 : it->second);
  }

  // Road segments bucketed by their bounding boxes.
  double x0 = std::numeric_limits<double>::infinity(), y0 = x0, x1 = -x0, y1 = -x0;
  for (std::size_t r = 0; r < g.roads.size(); ++r) {
    const LineString& line = g.roads[r].line;
    for (std::size_t k = 0; k + 1 < line.size(); ++k) {
      idx->segments_.push_back({line[k], line[k + 1], static_cast<std::int32_t>(r),
                                static_cast<std::int32_t>(k)});
      x0 = std::min({x0, line[k].lon, line[k + 1].lon});
      x1 = std::max({x1, line[k].lon, line[k + 1].lon});
      y0 = std::min({y0, line[k].lat, line[k + 1].lat});
      y1 = std::max({y1, line[k].lat, line[k + 1].lat});
    }
  }
  if (!idx->segments_.empty()) {
    double w = std::max(x1 - x0, 1e-9), h = std::max(y1 - y0, 1e-9);
    double cells = std::clamp(2.0 * idx->segments_.size(), 1.0, double{1 << 20});
    idx->rcell_ = std::sqrt(w * h / cells);
    idx->rnx_ = std::max(1, static_cast<int>(std::ceil(w / idx->rcell_)));
    idx->rny_ = std::max(1, static_cast<int>(std::ceil(h / idx->rcell_)));
    idx->rx0_ = x0;
    idx->ry0_ = y0;
    auto col = [&](double x) {
      return std::clamp(static_cast<int>(std::floor((x - x0) / idx->rcell_)), 0, idx->rnx_ - 1);
    };
    auto row = [&](double y) {
      return std::clamp(static_cast<int>(std::floor((y - y0) / idx->rcell_)), 0, idx->rny_ - 1);
    };
    std::vector<std::pair<std::uint32_t, std::uint32_t>> items;
    for (std::size_t s = 0; s < idx->segments_.size(); ++s) {
      const Segment& seg = idx->segments_[s];
      for (int r = row(std::min(seg.a.lat, seg.b.lat)); r <= row(std::max(seg.a.lat, seg.b.lat)); ++r) {
        for (int c = col(std::min(seg.a.lon, seg.b.lon)); c <= col(std::max(seg.a.lon, seg.b.lon));
             ++c) {
          items.emplace_back(static_cast<std::uint32_t>(r) * idx->rnx_ + c,
                             static_cast<std::uint32_t>(s));
        }
      }
    }
    std::size_t ncells = static_cast<std::size_t>(idx->rnx_) * idx->rny_;
    idx->road_cell_start_.assign(ncells + 1, 0);
    for (const auto& it : items) ++idx->road_cell_start_[it.first + 1];
    for (std::size_t c = 0; c < ncells; ++c) idx->road_cell_start_[c + 1] += idx->road_cell_start_[c];
    idx->road_cell_items_.resize(items.size());
    std::vector<std::uint32_t> fill(idx->road_cell_start_.begin(), idx->road_cell_start_.end() - 1);
    for (const auto& it : items) idx->road_cell_items_[fill[it.first]++] = it.second;
  }
  return std::shared_ptr<const SpatialIndex>(std::move(idx));
}

Placement SpatialIndex::Locate(LonLat p) const {
  Placement at;
  at.grid = AsIndex(grids_.Locate(p));
  if (at.grid >= 0) at.community = grid_community_[at.grid];
  if (at.community < 0) at.community = AsIndex(communities_.Locate(p));
  if (at.community >= 0) at.subdistrict = community_subdistrict_[at.community];
  if (at.subdistrict < 0) at.subdistrict = AsIndex(subdistricts_.Locate(p));
  at.in_district = at.grid >= 0 || at.community >= 0 || at.subdistrict >= 0 ||
                   district_.Locate(p) != PolygonIndex::kNone;
  return at;
}

std::optional<RoadHit> SpatialIndex::NearestRoad(LonLat p, double max_metres) const {
  if (segments_.empty() || !(max_metres >= 0) || !std::isfinite(p.lon) || !std::isfinite(p.lat)) {
    return std::nullopt;
  }
  // Local equirectangular projection centred on p: metres east (x) and north (y).
  const double my = kMetresPerDegree;
  const double mx = kMetresPerDegree * std::cos(p.lat * kPi / 180);
  const double dlat = max_metres / my;
  const double dlon = mx > 1e-9 ? max_metres / mx : 360;
  auto cell_of = [&](double v, double origin, int n) {
    double c = std::floor((v - origin) / rcell_);
    return static_cast<int>(std::clamp(c, 0.0, static_cast<double>(n - 1)));
  };
  if (p.lon + dlon < rx0_ || p.lon - dlon > rx0_ + rnx_ * rcell_ || p.lat + dlat < ry0_ ||
      p.lat - dlat > ry0_ + rny_ * rcell_) {
    return std::nullopt;
  }
  const int c0 = cell_of(p.lon - dlon, rx0_, rnx_), c1 = cell_of(p.lon + dlon, rx0_, rnx_);
  const int r0 = cell_of(p.lat - dlat, ry0_, rny_), r1 = cell_of(p.lat + dlat, ry0_, rny_);
  std::optional<RoadHit> best;
  double best_d2 = max_metres * max_metres;
  for (int r = r0; r <= r1; ++r) {
    for (int c = c0; c <= c1; ++c) {
      const std::size_t cell = static_cast<std::size_t>(r) * rnx_ + c;
      for (std::uint32_t i = road_cell_start_[cell]; i < road_cell_start_[cell + 1]; ++i) {
        const Segment& s = segments_[road_cell_items_[i]];
        const double ax = (s.a.lon - p.lon) * mx, ay = (s.a.lat - p.lat) * my;
        const double bx = (s.b.lon - p.lon) * mx, by = (s.b.lat - p.lat) * my;
        const double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
        double t = len2 > 0 ? -(ax * dx + ay * dy) / len2 : 0;
        t = std::clamp(t, 0.0, 1.0);
        const double qx = ax + t * dx, qy = ay + t * dy, d2 = qx * qx + qy * qy;
        const bool better =
            d2 < best_d2 ||
            (d2 == best_d2 && (!best || s.road < best->road ||
                               (s.road == best->road && s.index < best->segment)));
        if (!better) continue;
        best_d2 = d2;
        best = RoadHit{s.road, s.index, 0,
                       LonLat{s.a.lon + t * (s.b.lon - s.a.lon), s.a.lat + t * (s.b.lat - s.a.lat)}};
      }
    }
  }
  if (best) best->metres = std::sqrt(best_d2);
  return best;
}

std::vector<std::int32_t> SpatialIndex::ZonesAt(LonLat p) const {
  std::vector<std::uint32_t> hits;
  zones_.LocateAll(p, &hits);
  return std::vector<std::int32_t>(hits.begin(), hits.end());
}

std::string_view SpatialIndex::GridCode(const Placement& at) const {
  return at.grid >= 0 ? std::string_view(geography_->grids[at.grid].code) : std::string_view();
}
std::string_view SpatialIndex::CommunityCode(const Placement& at) const {
  return at.community >= 0 ? std::string_view(geography_->communities[at.community].code)
                           : std::string_view();
}
std::string_view SpatialIndex::SubDistrictCode(const Placement& at) const {
  return at.subdistrict >= 0 ? std::string_view(geography_->subdistricts[at.subdistrict].code)
                             : std::string_view();
}

std::size_t SpatialIndex::MemoryBytes() const {
  return sizeof(*this) + grids_.MemoryBytes() + communities_.MemoryBytes() +
         subdistricts_.MemoryBytes() + district_.MemoryBytes() + zones_.MemoryBytes() +
         (grid_community_.capacity() + community_subdistrict_.capacity()) * sizeof(std::int32_t) +
         segments_.capacity() * sizeof(Segment) +
         (road_cell_start_.capacity() + road_cell_items_.capacity()) * sizeof(std::uint32_t);
}

}  // namespace citygrid::geo
