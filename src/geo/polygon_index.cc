#include "citygrid/geo/polygon_index.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace citygrid::geo {
namespace {

// Cells are widened by this fraction of a cell when deciding which cells a boundary touches,
// so that the floating-point cell of any point near a boundary always lists that feature.
constexpr double kCellMargin = 1e-6;

struct RawEdge {
  LonLat a, b;
};

void CollectRing(const Ring& ring, std::vector<RawEdge>* out) {
  if (ring.size() < 2) return;
  for (std::size_t i = 0; i + 1 < ring.size(); ++i) out->push_back({ring[i], ring[i + 1]});
  if (ring.front() != ring.back()) out->push_back({ring.back(), ring.front()});
}

}  // namespace

int PolygonIndex::Col(double x) const {
  double c = std::floor((x - x0_) * inv_cw_);
  if (!(c >= 0)) return 0;
  if (c >= nx_ - 1) return nx_ - 1;
  return static_cast<int>(c);
}

int PolygonIndex::Row(double y) const {
  double r = std::floor((y - y0_) * inv_ch_);
  if (!(r >= 0)) return 0;
  if (r >= ny_ - 1) return ny_ - 1;
  return static_cast<int>(r);
}

PolygonIndex PolygonIndex::Build(const std::vector<MultiPolygon>& features,
                                 const PolygonIndexOptions& options) {
  std::vector<const MultiPolygon*> ptrs;
  ptrs.reserve(features.size());
  for (const MultiPolygon& mp : features) ptrs.push_back(&mp);
  return Build(ptrs, options);
}

PolygonIndex PolygonIndex::Build(const std::vector<const MultiPolygon*>& features,
                                 const PolygonIndexOptions& options) {
  PolygonIndex idx;
  const std::size_t n = features.size();
  idx.feature_row0_.assign(n, 0);
  idx.feature_rows_.assign(n, 0);
  idx.feature_rowbase_.assign(n, 0);

  // Edges of every feature, and the overall bounding box.
  std::vector<std::vector<RawEdge>> raw(n);
  double min_x = std::numeric_limits<double>::infinity(), min_y = min_x;
  double max_x = -min_x, max_y = -min_x;
  std::size_t total_edges = 0;
  for (std::size_t f = 0; f < n; ++f) {
    for (const Polygon& poly : *features[f]) {
      CollectRing(poly.outer, &raw[f]);
      for (const Ring& h : poly.holes) CollectRing(h, &raw[f]);
    }
    for (const RawEdge& e : raw[f]) {
      min_x = std::min({min_x, e.a.lon, e.b.lon});
      max_x = std::max({max_x, e.a.lon, e.b.lon});
      min_y = std::min({min_y, e.a.lat, e.b.lat});
      max_y = std::max({max_y, e.a.lat, e.b.lat});
    }
    total_edges += raw[f].size();
  }
  if (total_edges == 0) return idx;  // nx_ == 0: nothing is ever found

  double w = std::max(max_x - min_x, 1e-9), h = std::max(max_y - min_y, 1e-9);
  double want = std::clamp(static_cast<double>(total_edges) * options.cells_per_edge, 1.0,
                           static_cast<double>(std::max<std::size_t>(options.max_cells, 1)));
  int nx = std::max(1, static_cast<int>(std::lround(std::sqrt(want * w / h))));
  nx = std::min(nx, static_cast<int>(want));
  int ny = std::max(1, static_cast<int>(want / nx));
  idx.x0_ = min_x;
  idx.y0_ = min_y;
  idx.x1_ = max_x;
  idx.y1_ = max_y;
  idx.nx_ = nx;
  idx.ny_ = ny;
  idx.cw_ = w / nx;
  idx.ch_ = h / ny;
  idx.inv_cw_ = 1 / idx.cw_;
  idx.inv_ch_ = 1 / idx.ch_;
  const double ex = idx.cw_ * kCellMargin, ey = idx.ch_ * kCellMargin;

  std::vector<std::pair<std::uint32_t, std::uint32_t>> items;  // (cell, item)
  std::vector<std::uint32_t> touched;
  std::vector<std::uint32_t> row_count;
  std::vector<double> xs;
  idx.row_start_.reserve(n * 4);
  idx.edges_.reserve(total_edges * 2);

  for (std::size_t f = 0; f < n; ++f) {
    const std::vector<RawEdge>& edges = raw[f];
    if (edges.empty()) continue;
    double fx0 = std::numeric_limits<double>::infinity(), fy0 = fx0, fx1 = -fx0, fy1 = -fx0;
    for (const RawEdge& e : edges) {
      fx0 = std::min({fx0, e.a.lon, e.b.lon});
      fx1 = std::max({fx1, e.a.lon, e.b.lon});
      fy0 = std::min({fy0, e.a.lat, e.b.lat});
      fy1 = std::max({fy1, e.a.lat, e.b.lat});
    }
    const int c0 = idx.Col(fx0 - ex), c1 = idx.Col(fx1 + ex);
    const int r0 = idx.Row(fy0 - ey), r1 = idx.Row(fy1 + ey);

    // 1. Cells the (widened) boundary passes through.
    touched.clear();
    for (const RawEdge& e : edges) {
      double ylo = std::min(e.a.lat, e.b.lat), yhi = std::max(e.a.lat, e.b.lat);
      double xlo = std::min(e.a.lon, e.b.lon), xhi = std::max(e.a.lon, e.b.lon);
      int er0 = idx.Row(ylo - ey), er1 = idx.Row(yhi + ey);
      for (int r = er0; r <= er1; ++r) {
        double rx0 = xlo, rx1 = xhi;
        if (e.a.lat != e.b.lat && er0 != er1) {
          // The edge's x-range inside this (widened) row band.
          double by0 = std::max(ylo, idx.y0_ + r * idx.ch_ - ey);
          double by1 = std::min(yhi, idx.y0_ + (r + 1) * idx.ch_ + ey);
          double k = (e.b.lon - e.a.lon) / (e.b.lat - e.a.lat);
          double xa = e.a.lon + (by0 - e.a.lat) * k, xb = e.a.lon + (by1 - e.a.lat) * k;
          rx0 = std::max(xlo, std::min(xa, xb));
          rx1 = std::min(xhi, std::max(xa, xb));
        }
        int ec0 = idx.Col(rx0 - ex), ec1 = idx.Col(rx1 + ex);
        for (int c = ec0; c <= ec1; ++c) {
          touched.push_back(static_cast<std::uint32_t>(r) * nx + c);
        }
      }
    }
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());

    // 2. The feature's non-horizontal edges, canonical (lower end first), bucketed by row.
    const int rows = r1 - r0 + 1;
    row_count.assign(rows + 1, 0);
    auto canonical = [](const RawEdge& e) {
      return e.a.lat < e.b.lat ? Edge{e.a.lon, e.a.lat, e.b.lon, e.b.lat}
                               : Edge{e.b.lon, e.b.lat, e.a.lon, e.a.lat};
    };
    for (const RawEdge& e : edges) {
      if (e.a.lat == e.b.lat) continue;
      Edge ce = canonical(e);
      for (int r = idx.Row(ce.ya); r <= idx.Row(ce.yb); ++r) ++row_count[r - r0 + 1];
    }
    for (int i = 0; i < rows; ++i) row_count[i + 1] += row_count[i];
    const std::uint32_t edge_base = static_cast<std::uint32_t>(idx.edges_.size());
    idx.edges_.resize(edge_base + row_count[rows]);
    idx.feature_row0_[f] = r0;
    idx.feature_rows_[f] = rows;
    idx.feature_rowbase_[f] = static_cast<std::uint32_t>(idx.row_start_.size());
    for (int i = 0; i <= rows; ++i) idx.row_start_.push_back(edge_base + row_count[i]);
    {
      std::vector<std::uint32_t> fill(row_count.begin(), row_count.end() - 1);
      for (const RawEdge& e : edges) {
        if (e.a.lat == e.b.lat) continue;
        Edge ce = canonical(e);
        for (int r = idx.Row(ce.ya); r <= idx.Row(ce.yb); ++r) {
          idx.edges_[edge_base + fill[r - r0]++] = ce;
        }
      }
    }

    // 3. Every cell of the feature's box: boundary cell, fully covered, or outside. The centre
    //    of an untouched cell is far from the boundary, so its status holds for the whole cell.
    std::size_t t = 0;
    for (int r = r0; r <= r1; ++r) {
      const double yc = idx.y0_ + (r + 0.5) * idx.ch_;
      xs.clear();
      const std::uint32_t* rs = &idx.row_start_[idx.feature_rowbase_[f] + (r - r0)];
      for (std::uint32_t i = rs[0]; i < rs[1]; ++i) {
        const Edge& e = idx.edges_[i];
        if (e.ya <= yc && yc < e.yb) xs.push_back(e.xa + (yc - e.ya) * (e.xb - e.xa) / (e.yb - e.ya));
      }
      std::sort(xs.begin(), xs.end());
      std::size_t k = 0;
      for (int c = c0; c <= c1; ++c) {
        const std::uint32_t cell = static_cast<std::uint32_t>(r) * nx + c;
        while (t < touched.size() && touched[t] < cell) ++t;
        if (t < touched.size() && touched[t] == cell) {
          items.emplace_back(cell, static_cast<std::uint32_t>(f));
          continue;
        }
        const double xc = idx.x0_ + (c + 0.5) * idx.cw_;
        while (k < xs.size() && xs[k] <= xc) ++k;
        if ((xs.size() - k) % 2 == 1) {
          items.emplace_back(cell, static_cast<std::uint32_t>(f) | kFullCell);
        }
      }
    }
  }

  // Counting sort by cell; items of one cell stay in feature order.
  const std::size_t cells = static_cast<std::size_t>(nx) * ny;
  idx.cell_start_.assign(cells + 1, 0);
  for (const auto& [cell, item] : items) ++idx.cell_start_[cell + 1];
  for (std::size_t c = 0; c < cells; ++c) idx.cell_start_[c + 1] += idx.cell_start_[c];
  idx.cell_items_.resize(items.size());
  {
    std::vector<std::uint32_t> fill(idx.cell_start_.begin(), idx.cell_start_.end() - 1);
    for (const auto& [cell, item] : items) idx.cell_items_[fill[cell]++] = item;
  }
  idx.row_start_.shrink_to_fit();
  idx.edges_.shrink_to_fit();
  return idx;
}

bool PolygonIndex::ContainsInRow(std::uint32_t feature, int row, double x, double y) const {
  const std::uint32_t i = static_cast<std::uint32_t>(row - feature_row0_[feature]);
  if (i >= static_cast<std::uint32_t>(feature_rows_[feature])) return false;
  const std::uint32_t* rs = &row_start_[feature_rowbase_[feature] + i];
  bool inside = false;
  for (const Edge* e = &edges_[rs[0]], *end = &edges_[0] + rs[1]; e != end; ++e) {
    if (!(e->ya <= y && y < e->yb)) continue;
    if (x < std::min(e->xa, e->xb)) {
      inside = !inside;
    } else if (x < std::max(e->xa, e->xb) &&
               (x - e->xa) * (e->yb - e->ya) < (y - e->ya) * (e->xb - e->xa)) {
      inside = !inside;
    }
  }
  return inside;
}

std::uint32_t PolygonIndex::Locate(LonLat p) const {
  const double x = p.lon, y = p.lat;
  if (!(x >= x0_ && x < x1_ && y >= y0_ && y < y1_)) {
    return kNone;
  }
  const int r = Row(y);
  const std::size_t cell = static_cast<std::size_t>(r) * nx_ + Col(x);
  for (std::uint32_t i = cell_start_[cell], end = cell_start_[cell + 1]; i < end; ++i) {
    const std::uint32_t item = cell_items_[i];
    if (item & kFullCell) return item & ~kFullCell;
    if (ContainsInRow(item, r, x, y)) return item;
  }
  return kNone;
}

void PolygonIndex::LocateAll(LonLat p, std::vector<std::uint32_t>* out) const {
  const double x = p.lon, y = p.lat;
  if (!(x >= x0_ && x < x1_ && y >= y0_ && y < y1_)) {
    return;
  }
  const int r = Row(y);
  const std::size_t cell = static_cast<std::size_t>(r) * nx_ + Col(x);
  for (std::uint32_t i = cell_start_[cell], end = cell_start_[cell + 1]; i < end; ++i) {
    const std::uint32_t item = cell_items_[i];
    if ((item & kFullCell) || ContainsInRow(item, r, x, y)) out->push_back(item & ~kFullCell);
  }
}

bool PolygonIndex::Contains(std::uint32_t feature, LonLat p) const {
  const double x = p.lon, y = p.lat;
  if (!(x >= x0_ && x < x1_ && y >= y0_ && y < y1_)) {
    return false;
  }
  const int r = Row(y);
  const std::size_t cell = static_cast<std::size_t>(r) * nx_ + Col(x);
  for (std::uint32_t i = cell_start_[cell], end = cell_start_[cell + 1]; i < end; ++i) {
    const std::uint32_t item = cell_items_[i];
    if ((item & ~kFullCell) != feature) continue;
    return (item & kFullCell) || ContainsInRow(feature, r, x, y);
  }
  return false;
}

std::size_t PolygonIndex::MemoryBytes() const {
  return sizeof(*this) + cell_start_.capacity() * sizeof(std::uint32_t) +
         cell_items_.capacity() * sizeof(std::uint32_t) +
         feature_row0_.capacity() * sizeof(std::int32_t) * 2 +
         feature_rowbase_.capacity() * sizeof(std::uint32_t) +
         row_start_.capacity() * sizeof(std::uint32_t) + edges_.capacity() * sizeof(Edge);
}

}  // namespace citygrid::geo
