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
  idx.features_ = n;

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
  if (total_edges == 0) return idx;  // empty box: nothing is ever found

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

  std::vector<std::pair<std::uint32_t, Item>> items;  // (cell, item)
  std::vector<std::uint32_t> touched;
  std::vector<std::vector<Edge>> row_edges;
  std::vector<double> xs;
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

    // 2. The feature's non-horizontal edges, canonical (lower end first), bucketed by the rows
    //    their y-range maps to (the same Row() as queries, so no query row can miss an edge),
    //    each row sorted by decreasing max x: the edges that can lie east of a point in a cell
    //    are a prefix.
    const int rows = r1 - r0 + 1;
    row_edges.assign(rows, {});
    for (const RawEdge& e : edges) {
      if (e.a.lat == e.b.lat) continue;
      Edge ce = e.a.lat < e.b.lat ? Edge{e.a.lon, e.a.lat, e.b.lon, e.b.lat}
                                  : Edge{e.b.lon, e.b.lat, e.a.lon, e.a.lat};
      for (int r = idx.Row(ce.ya); r <= idx.Row(ce.yb); ++r) row_edges[r - r0].push_back(ce);
    }

    // 3. Every cell of the feature's box: boundary cell, fully covered, or outside. The centre
    //    of an untouched cell is far from the boundary, so its status holds for the whole cell.
    std::size_t t = 0;
    for (int r = r0; r <= r1; ++r) {
      std::vector<Edge>& re = row_edges[r - r0];
      auto xmax = [](const Edge& e) { return std::max(e.xa, e.xb); };
      std::sort(re.begin(), re.end(),
                [&](const Edge& a, const Edge& b) { return xmax(a) > xmax(b); });
      const std::uint32_t begin = static_cast<std::uint32_t>(idx.edges_.size());
      idx.edges_.insert(idx.edges_.end(), re.begin(), re.end());
      const double yc = idx.y0_ + (r + 0.5) * idx.ch_;
      xs.clear();
      for (const Edge& e : re) {
        if (e.ya <= yc && yc < e.yb) xs.push_back(e.xa + (yc - e.ya) * (e.xb - e.xa) / (e.yb - e.ya));
      }
      std::sort(xs.begin(), xs.end());
      std::size_t k = 0;
      std::size_t reach = re.size();  // edges [0, reach) have max x >= the cell's west side
      for (int c = c0; c <= c1; ++c) {
        const std::uint32_t cell = static_cast<std::uint32_t>(r) * nx + c;
        while (t < touched.size() && touched[t] < cell) ++t;
        if (t < touched.size() && touched[t] == cell) {
          const double west = idx.x0_ + c * idx.cw_ - ex;
          while (reach > 0 && xmax(re[reach - 1]) < west) --reach;
          items.emplace_back(cell, Item{static_cast<std::uint32_t>(f), begin,
                                        begin + static_cast<std::uint32_t>(reach)});
          continue;
        }
        const double xc = idx.x0_ + (c + 0.5) * idx.cw_;
        while (k < xs.size() && xs[k] <= xc) ++k;
        if ((xs.size() - k) % 2 == 1) {
          items.emplace_back(cell, Item{static_cast<std::uint32_t>(f) | kFullCell, 0, 0});
        }
      }
    }
  }

  // Counting sort by cell; items of one cell stay in feature order.
  const std::size_t cells = static_cast<std::size_t>(nx) * ny;
  std::vector<std::uint32_t> start(cells + 1, 0);
  for (const auto& it : items) ++start[it.first + 1];
  for (std::size_t c = 0; c < cells; ++c) start[c + 1] += start[c];
  idx.items_.resize(items.size());
  {
    std::vector<std::uint32_t> fill(start.begin(), start.end() - 1);
    for (const auto& [cell, item] : items) idx.items_[fill[cell]++] = item;
  }
  idx.cells_.resize(cells);
  for (std::size_t c = 0; c < cells; ++c) {
    const std::uint32_t count = start[c + 1] - start[c];
    if (count == 1 && (idx.items_[start[c]].feature & kFullCell)) {
      idx.cells_[c] = {idx.items_[start[c]].feature & ~kFullCell, kDirect};
    } else {
      idx.cells_[c] = {start[c], count};
    }
  }
  idx.edges_.shrink_to_fit();
  return idx;
}

bool PolygonIndex::EdgesContain(const Item& item, double x, double y) const {
  bool inside = false;
  for (const Edge *e = edges_.data() + item.edge_begin, *end = edges_.data() + item.edge_end;
       e != end; ++e) {
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

const PolygonIndex::Cell* PolygonIndex::CellOf(LonLat p) const {
  if (!(p.lon >= x0_ && p.lon < x1_ && p.lat >= y0_ && p.lat < y1_)) return nullptr;
  return &cells_[static_cast<std::size_t>(Row(p.lat)) * nx_ + Col(p.lon)];
}

std::uint32_t PolygonIndex::Locate(LonLat p) const {
  const Cell* cell = CellOf(p);
  if (!cell) return kNone;
  if (cell->count == kDirect) return cell->start;
  for (const Item *it = items_.data() + cell->start, *end = it + cell->count; it != end; ++it) {
    if (it->feature & kFullCell) return it->feature & ~kFullCell;
    if (EdgesContain(*it, p.lon, p.lat)) return it->feature;
  }
  return kNone;
}

void PolygonIndex::LocateAll(LonLat p, std::vector<std::uint32_t>* out) const {
  const Cell* cell = CellOf(p);
  if (!cell) return;
  if (cell->count == kDirect) {
    out->push_back(cell->start);
    return;
  }
  for (const Item *it = items_.data() + cell->start, *end = it + cell->count; it != end; ++it) {
    if ((it->feature & kFullCell) || EdgesContain(*it, p.lon, p.lat)) {
      out->push_back(it->feature & ~kFullCell);
    }
  }
}

bool PolygonIndex::Contains(std::uint32_t feature, LonLat p) const {
  const Cell* cell = CellOf(p);
  if (!cell) return false;
  if (cell->count == kDirect) return cell->start == feature;
  for (const Item *it = items_.data() + cell->start, *end = it + cell->count; it != end; ++it) {
    if ((it->feature & ~kFullCell) != feature) continue;
    return (it->feature & kFullCell) || EdgesContain(*it, p.lon, p.lat);
  }
  return false;
}

std::size_t PolygonIndex::MemoryBytes() const {
  return sizeof(*this) + cells_.capacity() * sizeof(Cell) + items_.capacity() * sizeof(Item) +
         edges_.capacity() * sizeof(Edge);
}

}  // namespace citygrid::geo
