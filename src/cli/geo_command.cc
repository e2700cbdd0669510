// `citygrid geo`: coordinate conversion and point location against a GeoJSON polygon layer.
//
//   citygrid geo convert --from CRS --to CRS LON LAT
//       Prints "LON LAT" converted, 8 decimals. CRS: wgs84 | gcj02 | bd09.
//   citygrid geo locate --layer FILE.geojson [--id-property NAME] [--crs CRS] [--layer-crs CRS]
//       Reads CSV records "id,lon,lat" from stdin (RFC 4180 quoting; an optional header whose
//       2nd and 3rd fields are "lon" and "lat" is skipped; empty lines are skipped) and prints
//       "id,feature_id" per record in input order; feature_id is empty outside every polygon.
//       --crs is the CRS of the points, --layer-crs that of the layer (default: same as --crs);
//       both are converted to WGS84 before locating.
//       Bad input lines abort the run: every bad line is reported on stderr as
//       "line N: reason" (up to 20), nothing is printed on stdout, and the exit code is 1 —
//       a partial answer is never mistaken for a whole one.
//
// Exit codes: 0 ok, 1 bad input data (layer or points), 2 usage error.

#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "citygrid/common/csv.h"
#include "citygrid/geo/coordinates.h"
#include "citygrid/geo/geojson.h"
#include "citygrid/geo/polygon_index.h"
#include "citygrid/geo/validation.h"
#include "cli/commands.h"

namespace citygrid::cli {
namespace {

constexpr const char* kGeoUsage =
    "usage:\n"
    "  citygrid geo convert --from wgs84|gcj02|bd09 --to wgs84|gcj02|bd09 LON LAT\n"
    "  citygrid geo locate --layer FILE.geojson [--id-property NAME] [--crs CRS] "
    "[--layer-crs CRS] < points.csv\n"
    "      points.csv: id,lon,lat lines; prints id,feature_id lines in input order\n";

// Splits "--name value" options from positional arguments. Arguments starting with "--" are
// options and take the next argument as their value; anything else (including "-73.9") is
// positional.
struct ParsedArgs {
  std::vector<std::pair<std::string, std::string>> options;
  std::vector<std::string> positional;
  std::string error;
};

ParsedArgs Parse(const Args& args, std::size_t first) {
  ParsedArgs out;
  for (std::size_t i = first; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) == 0 && a.size() > 2) {
      if (a == "--help") {
        out.options.emplace_back(a, "");
        continue;
      }
      if (i + 1 >= args.size()) {
        out.error = "option " + a + " needs a value";
        return out;
      }
      out.options.emplace_back(a, args[++i]);
    } else {
      out.positional.push_back(a);
    }
  }
  return out;
}

std::optional<double> ParseNumber(const std::string& text) {
  double v = 0;
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (begin != end && *begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, v);
  if (ec != std::errc() || ptr != end || !std::isfinite(v)) return std::nullopt;
  return v;
}

int Convert(const Args& args) {
  ParsedArgs p = Parse(args, 1);
  if (!p.error.empty()) return UsageError("geo convert", p.error);
  std::optional<geo::Crs> from, to;
  for (const auto& [name, value] : p.options) {
    if (name == "--help") {
      std::fputs(kGeoUsage, stdout);
      return 0;
    } else if (name == "--from" || name == "--to") {
      std::optional<geo::Crs> crs = geo::ParseCrs(value);
      if (!crs) return UsageError("geo convert", "unknown CRS '" + value + "' (wgs84, gcj02, bd09)");
      (name == "--from" ? from : to) = crs;
    } else {
      return UsageError("geo convert", "unknown option " + name);
    }
  }
  if (!from || !to) return UsageError("geo convert", "--from and --to are required");
  if (p.positional.size() != 2) return UsageError("geo convert", "expected LON LAT");
  std::optional<double> lon = ParseNumber(p.positional[0]), lat = ParseNumber(p.positional[1]);
  if (!lon) return UsageError("geo convert", "longitude '" + p.positional[0] + "' is not a number");
  if (!lat) return UsageError("geo convert", "latitude '" + p.positional[1] + "' is not a number");
  Status valid = geo::ValidateLonLat({*lon, *lat});
  if (!valid.ok()) return UsageError("geo convert", valid.message());
  geo::LonLat out = geo::Convert({*lon, *lat}, *from, *to);
  std::printf("%.8f %.8f\n", out.lon, out.lat);
  return 0;
}

struct PointRow {
  std::string id;
  geo::LonLat at;
};

int Locate(const Args& args) {
  ParsedArgs p = Parse(args, 1);
  if (!p.error.empty()) return UsageError("geo locate", p.error);
  std::string layer;
  geo::GeoJsonOptions options;
  geo::Crs points_crs = geo::Crs::kWgs84;
  std::optional<geo::Crs> layer_crs;
  for (const auto& [name, value] : p.options) {
    if (name == "--help") {
      std::fputs(kGeoUsage, stdout);
      return 0;
    } else if (name == "--layer") {
      layer = value;
    } else if (name == "--id-property") {
      options.id_property = value;
    } else if (name == "--crs" || name == "--layer-crs") {
      std::optional<geo::Crs> crs = geo::ParseCrs(value);
      if (!crs) return UsageError("geo locate", "unknown CRS '" + value + "' (wgs84, gcj02, bd09)");
      if (name == "--crs") {
        points_crs = *crs;
      } else {
        layer_crs = *crs;
      }
    } else {
      return UsageError("geo locate", "unknown option " + name);
    }
  }
  if (layer.empty()) return UsageError("geo locate", "--layer FILE.geojson is required");
  if (!p.positional.empty()) {
    return UsageError("geo locate", "unexpected argument '" + p.positional[0] +
                                        "' (points are read from stdin)");
  }
  options.crs = layer_crs.value_or(points_crs);

  Result<geo::GeoJsonDocument> doc = geo::ReadGeoJsonFile(layer, options);
  if (!doc.ok()) {
    std::fprintf(stderr, "citygrid geo locate: %s\n", doc.status().ToString().c_str());
    return 1;
  }
  for (std::size_t i = 0; i < doc->warnings.size() && i < 5; ++i) {
    std::fprintf(stderr, "citygrid geo locate: repaired %s\n", doc->warnings[i].c_str());
  }
  if (doc->warnings.size() > 5) {
    std::fprintf(stderr, "citygrid geo locate: ... and %zu more repairs\n", doc->warnings.size() - 5);
  }
  std::vector<const geo::MultiPolygon*> areas;
  std::vector<const std::string*> ids;
  for (const geo::GeoJsonFeature& f : doc->features) {
    if (f.kind != geo::GeometryKind::kPolygonal) continue;
    areas.push_back(&f.polygons);
    ids.push_back(&f.id);
  }
  if (areas.empty()) {
    std::fprintf(stderr, "citygrid geo locate: %s has no Polygon or MultiPolygon features\n",
                 layer.c_str());
    return 1;
  }
  geo::PolygonIndex index = geo::PolygonIndex::Build(areas);

  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  CsvReader reader(input);
  std::vector<std::string> fields;
  std::vector<PointRow> rows;
  std::vector<std::string> errors;
  bool first = true;
  while (true) {
    Result<bool> more = reader.Next(&fields);
    if (!more.ok()) {
      errors.push_back(more.status().message());
      break;
    }
    if (!*more) break;
    const std::string line = "line " + std::to_string(reader.record_line());
    const bool was_first = first;
    first = false;
    if (fields.size() == 1 && fields[0].empty()) continue;
    if (fields.size() != 3) {
      errors.push_back(line + ": expected 3 fields id,lon,lat, got " + std::to_string(fields.size()));
      continue;
    }
    if (was_first && fields[1] == "lon" && fields[2] == "lat") continue;
    std::optional<double> lon = ParseNumber(fields[1]), lat = ParseNumber(fields[2]);
    if (!lon || !lat) {
      errors.push_back(line + ": " + (!lon ? "longitude '" + fields[1] : "latitude '" + fields[2]) +
                       "' is not a number");
      continue;
    }
    Status valid = geo::ValidateLonLat({*lon, *lat});
    if (!valid.ok()) {
      errors.push_back(line + ": " + valid.message());
      continue;
    }
    rows.push_back({fields[0], geo::Convert({*lon, *lat}, points_crs, geo::Crs::kWgs84)});
  }
  if (!errors.empty()) {
    for (std::size_t i = 0; i < errors.size() && i < 20; ++i) {
      std::fprintf(stderr, "citygrid geo locate: %s\n", errors[i].c_str());
    }
    std::fprintf(stderr, "citygrid geo locate: %zu bad input line(s); nothing located\n",
                 errors.size());
    return 1;
  }
  std::string out;
  out.reserve(rows.size() * 24);
  for (const PointRow& row : rows) {
    std::uint32_t hit = index.Locate(row.at);
    out += CsvField(row.id);
    out += ',';
    if (hit != geo::PolygonIndex::kNone) out += CsvField(*ids[hit]);
    out += '\n';
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

int RunGeo(const Args& args) {
  if (args.empty()) {
    std::fputs(kGeoUsage, stderr);
    return 2;
  }
  if (args[0] == "--help" || args[0] == "help") {
    std::fputs(kGeoUsage, stdout);
    return 0;
  }
  if (args[0] == "convert") return Convert(args);
  if (args[0] == "locate") return Locate(args);
  return UsageError("geo", "unknown subcommand '" + args[0] + "'\n" + kGeoUsage);
}

}  // namespace citygrid::cli
