#include "citygrid/service/open311_address.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "citygrid/common/utf8.h"

namespace citygrid::service {
namespace {

std::string_view Trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}


// The name without its administrative suffix, or "" when too little would remain.
std::string_view Stem(std::string_view name) {
  static constexpr std::string_view kSuffixes[] = {"街道", "社区", "居委会", "办事处", "镇", "乡"};
  for (std::string_view suffix : kSuffixes) {
    if (name.size() > suffix.size() && name.ends_with(suffix)) {
      std::string_view stem = name.substr(0, name.size() - suffix.size());
      return Utf8Length(stem) >= 2 ? stem : std::string_view();
    }
  }
  return {};
}

// How well `address` names `name`: the length in bytes of the matched text, 0 for no match.
// A whole-name match outranks any containment.
size_t MatchLength(std::string_view address, std::string_view name) {
  if (name.empty()) return 0;
  if (address == name) return std::string_view::npos / 2;
  if (address.find(name) != std::string_view::npos) return name.size();
  std::string_view stem = Stem(name);
  if (!stem.empty() && address.find(stem) != std::string_view::npos) return stem.size();
  return 0;
}

double Area(const geo::Ring& ring) {
  double a = 0;
  for (size_t i = 1; i < ring.size(); ++i) {
    a += ring[i - 1].lon * ring[i].lat - ring[i].lon * ring[i - 1].lat;
  }
  return std::abs(a) / 2;
}

}  // namespace

geo::LonLat Midpoint(const geo::LineString& line) {
  if (line.empty()) return {};
  double total = 0;
  for (size_t i = 1; i < line.size(); ++i) {
    total += std::hypot(line[i].lon - line[i - 1].lon, line[i].lat - line[i - 1].lat);
  }
  double left = total / 2;
  for (size_t i = 1; i < line.size(); ++i) {
    double d = std::hypot(line[i].lon - line[i - 1].lon, line[i].lat - line[i - 1].lat);
    if (d > 0 && left <= d) {
      double f = left / d;
      return {line[i - 1].lon + f * (line[i].lon - line[i - 1].lon),
              line[i - 1].lat + f * (line[i].lat - line[i - 1].lat)};
    }
    left -= d;
  }
  return line.back();
}

geo::LonLat RepresentativePoint(const geo::MultiPolygon& area) {
  const geo::Polygon* largest = nullptr;
  for (const geo::Polygon& p : area) {
    if (p.outer.empty()) continue;
    if (largest == nullptr || Area(p.outer) > Area(largest->outer)) largest = &p;
  }
  if (largest == nullptr) return {};
  double min_lat = largest->outer.front().lat, max_lat = min_lat;
  for (const geo::LonLat& v : largest->outer) {
    min_lat = std::min(min_lat, v.lat);
    max_lat = std::max(max_lat, v.lat);
  }
  const double y = (min_lat + max_lat) / 2;
  // Crossings of the line with every ring (half-open edges, so a vertex on the line counts
  // once); between the 1st and 2nd, 3rd and 4th, ... crossing the line is inside.
  std::vector<double> xs;
  auto cross = [&](const geo::Ring& ring) {
    for (size_t i = 1; i < ring.size(); ++i) {
      const geo::LonLat& a = ring[i - 1];
      const geo::LonLat& b = ring[i];
      if ((a.lat <= y && y < b.lat) || (b.lat <= y && y < a.lat)) {
        xs.push_back(a.lon + (y - a.lat) / (b.lat - a.lat) * (b.lon - a.lon));
      }
    }
  };
  cross(largest->outer);
  for (const geo::Ring& hole : largest->holes) cross(hole);
  std::sort(xs.begin(), xs.end());
  double best_width = -1;
  geo::LonLat best = largest->outer.front();
  for (size_t i = 0; i + 1 < xs.size(); i += 2) {
    if (xs[i + 1] - xs[i] > best_width) {
      best_width = xs[i + 1] - xs[i];
      best = {(xs[i] + xs[i + 1]) / 2, y};
    }
  }
  return best;
}

Result<ResolvedAddress> ResolveAddress(const geo::Geography& g, std::string_view raw) {
  const std::string_view address = Trim(raw);
  if (address.empty()) return InvalidArgumentError("address_string is empty");
  struct Candidate {
    size_t length = 0;
    int rank = 0;  // lower = more specific
    std::string id;
    ResolvedAddress resolved;
  };
  std::optional<Candidate> best;
  auto consider = [&](size_t length, int rank, const std::string& id, const char* kind,
                      const std::string& name, auto point) {
    if (length == 0) return;
    if (best && (length < best->length ||
                 (length == best->length &&
                  (rank > best->rank || (rank == best->rank && id >= best->id))))) {
      return;
    }
    best = Candidate{length, rank, id, ResolvedAddress{point(), kind, id, name}};
  };
  for (const geo::ResponsibilityZone& z : g.zones) {
    consider(MatchLength(address, z.name), 0, z.id, "zone", z.name,
             [&] { return RepresentativePoint(z.area); });
  }
  for (const geo::RoadSegment& r : g.roads) {
    consider(MatchLength(address, r.name), 1, r.id, "road", r.name, [&] {
      // The segment in the middle of those of this name, by id.
      std::vector<const geo::RoadSegment*> same;
      for (const geo::RoadSegment& s : g.roads) {
        if (s.name == r.name) same.push_back(&s);
      }
      std::sort(same.begin(), same.end(),
                [](const geo::RoadSegment* a, const geo::RoadSegment* b) { return a->id < b->id; });
      return Midpoint(same[same.size() / 2]->line);
    });
  }
  for (const geo::Community& c : g.communities) {
    consider(MatchLength(address, c.name), 2, c.code, "community", c.name,
             [&] { return RepresentativePoint(c.area); });
  }
  for (const geo::SubDistrict& s : g.subdistricts) {
    consider(MatchLength(address, s.name), 3, s.code, "subdistrict", s.name,
             [&] { return RepresentativePoint(s.area); });
  }
  if (!best) {
    return InvalidArgumentError("address_string '" + std::string(address.substr(0, 100)) +
                                "' names no road, community, sub-district or place of district " +
                                g.district.code + " (" + g.district.name +
                                "); send lat and long");
  }
  // Roads of one name: every segment matches equally; the id tie-break picked the lowest, and
  // the point is the middle segment's (computed above from any of them).
  return best->resolved;
}

}  // namespace citygrid::service
