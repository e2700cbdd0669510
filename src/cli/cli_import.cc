// `citygrid import` (docs/operations.md, "Export and import"):
//
//   citygrid import geography FILE.geojson [--crs wgs84|gcj02|bd09]
//   citygrid import categories FILE.json
//
// Both take --data DIR | --db URL and do what the admin API does (PUT /api/v1/geography with a
// GeoJSON body, PUT /api/v1/categories), through the same code: service/geography_import.h and
// ReferenceDataService::SetGeography / SetCategories. A bad file is an error naming the feature
// (index and reason) or the field, and nothing is replaced.
//
// Not here yet: `import 311 FILE.csv` (NYC 311 rows as cases) — the command says so.
// Exit codes: 0 ok, 1 failure (bad file, unreadable store), 2 usage error.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

#include "citygrid/geo/coordinates.h"
#include "citygrid/service/geography_import.h"
#include "citygrid/storage/sqlite_store.h"
#include "cli/app.h"
#include "cli/commands.h"

namespace citygrid::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kImportUsage =
    "usage: citygrid import geography FILE.geojson [--crs wgs84|gcj02|bd09]\n"
    "       citygrid import categories FILE.json\n"
    "  both take --data DIR | --db postgresql://... (and --data-files DIR)\n\n"
    "geography: a GeoJSON FeatureCollection of the district, its sub-districts, communities,\n"
    "  unit grids, roads and responsibility zones (service/geography_import.h; Aliyun DataV\n"
    "  files too, with --crs gcj02). Replaces the whole geography, like PUT /api/v1/geography.\n"
    "categories: the taxonomy in categories.json format (data/categories.json), like\n"
    "  PUT /api/v1/categories.\n"
    "A bad file names the feature or field at fault and replaces nothing. Stop the server\n"
    "first, or use the API on a running one (a running server keeps what it loaded).\n"
    "import 311 (NYC 311 CSV rows as cases) is not implemented yet.\n";

int Fail(const std::string& message) {
  std::fprintf(stderr, "citygrid import: %s\n", message.c_str());
  return 1;
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgumentError("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int RunImport(const Args& args) {
  AppOptions app_options;
  app_options.data_dir.clear();
  std::string what, file, crs_text;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "--help" || a == "-h") {
      std::printf("%s", kImportUsage);
      return 0;
    }
    if (!a.starts_with("--")) {
      if (what.empty()) {
        what = a;
      } else if (file.empty()) {
        file = a;
      } else {
        return UsageError("import", "unexpected argument '" + a + "'");
      }
      continue;
    }
    std::string value;
    if (!TakeOptionValue(args, &i, &a, &value)) return UsageError("import", a + " needs a value");
    if (a == "--data") {
      app_options.data_dir = value;
    } else if (a == "--db") {
      app_options.db_url = value;
    } else if (a == "--data-files") {
      app_options.data_files = value;
    } else if (a == "--crs") {
      crs_text = value;
    } else {
      return UsageError("import", "unknown option '" + a + "' (see citygrid import --help)");
    }
  }
  if (what == "311") {
    std::fprintf(stderr,
                 "citygrid import 311: not implemented yet: importing NYC 311 CSV rows as cases "
                 "(channel open311) is still to be written; Open311 clients can POST "
                 "/open311/v2/requests meanwhile\n");
    return 2;
  }
  if (what != "geography" && what != "categories") {
    return UsageError("import", what.empty() ? "say what to import: geography or categories"
                                             : "cannot import '" + what +
                                                   "': geography and categories can be imported");
  }
  if (file.empty()) return UsageError("import", "import " + what + " needs a FILE");
  if (!crs_text.empty() && what != "geography") {
    return UsageError("import", "--crs applies to import geography only");
  }
  if (app_options.data_dir.empty() && app_options.db_url.empty()) {
    return UsageError("import", "give --data DIR or --db URL");
  }
  geo::Crs crs = geo::Crs::kWgs84;
  if (!crs_text.empty()) {
    std::optional<geo::Crs> parsed = geo::ParseCrs(crs_text);
    if (!parsed) return UsageError("import", "--crs must be wgs84, gcj02 or bd09, not '" + crs_text + "'");
    crs = *parsed;
  }
  if (app_options.data_dir.empty()) app_options.data_dir = "citygrid-data";
  if (app_options.db_url.empty()) {
    std::error_code ec;
    const std::string db = storage::SqliteDatabasePath(app_options.data_dir);
    if (!fs::exists(db, ec)) {
      return Fail("no citygrid database at " + db + " (run citygrid serve or demo once first)");
    }
  }
  Result<std::string> text = ReadWholeFile(file);
  if (!text.ok()) return Fail(text.status().message());

  // Parse and validate the file completely before opening the store for writing.
  if (what == "geography") {
    Result<service::ImportedGeography> imported = service::GeographyFromGeoJson(*text, crs);
    if (!imported.ok()) return Fail(file + ": " + imported.status().message() + "; nothing replaced");
    Result<std::unique_ptr<App>> app = App::Open(app_options);
    if (!app.ok()) return Fail(app.status().ToString());
    const geo::Geography& g = imported->geography;
    const size_t subdistricts = g.subdistricts.size(), communities = g.communities.size(),
                 grids = g.grids.size(), roads = g.roads.size(), zones = g.zones.size();
    Status set = (*app)->reference().SetGeography(std::move(imported->geography));
    if (!set.ok()) return Fail(file + ": " + set.message() + "; nothing replaced");
    for (const std::string& w : imported->warnings) {
      std::fprintf(stderr, "citygrid import: warning: %s\n", w.c_str());
    }
    std::printf(
        "citygrid import: geography from %s (%s): %zu sub-districts, %zu communities, %zu unit "
        "grids, %zu roads, %zu responsibility zones; %zu warnings\n",
        file.c_str(), std::string(geo::CrsName(crs)).c_str(), subdistricts, communities, grids,
        roads, zones, imported->warnings.size());
    return 0;
  }
  Result<std::unique_ptr<App>> app = App::Open(app_options);
  if (!app.ok()) return Fail(app.status().ToString());
  Status set = (*app)->reference().SetCategories(*text);
  if (!set.ok()) return Fail(file + ": " + set.message() + "; nothing replaced");
  std::shared_ptr<const service::ReferenceData> data = (*app)->reference().Get();
  std::printf("citygrid import: categories from %s: %zu major classes, %zu categories\n",
              file.c_str(), data->categories->major_classes().size(), data->categories->size());
  return 0;
}

}  // namespace citygrid::cli
