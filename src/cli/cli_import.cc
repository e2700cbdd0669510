// `citygrid import` (docs/operations.md, "Export and import"):
//
//   citygrid import geography FILE.geojson [--crs wgs84|gcj02|bd09]
//   citygrid import categories FILE.json
//   citygrid import ledger ID FILE.csv|FILE.xlsx [--format csv|xlsx] [--dry-run]
//                                                [--valid-rows-only]
//
// All take --data DIR | --db URL and do what the admin API does (PUT /api/v1/geography with a
// GeoJSON body, PUT /api/v1/categories, POST /api/v1/ledgers/{id}/import), through the same
// code: service/geography_import.h, ReferenceDataService::SetGeography / SetCategories and
// LedgerService::Import. A bad file is an error naming the feature (index and reason), the field
// or each bad cell (row, column, value, reason), and nothing is replaced or written (a ledger
// import with --valid-rows-only writes the valid rows).
//
// Not here yet: `import 311 FILE.csv` (NYC 311 rows as cases) — the command says so.
// Exit codes: 0 ok, 1 failure (bad file, rows refused with nothing written, unreadable store),
// 2 usage error.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

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
    "       citygrid import ledger ID FILE.csv|FILE.xlsx [--format csv|xlsx] [--dry-run]\n"
    "                                                    [--valid-rows-only]\n"
    "  every form takes --data DIR | --db postgresql://... (and --data-files DIR)\n\n"
    "geography: a GeoJSON FeatureCollection of the district, its sub-districts, communities,\n"
    "  unit grids, roads and responsibility zones (service/geography_import.h; Aliyun DataV\n"
    "  files too, with --crs gcj02). Replaces the whole geography, like PUT /api/v1/geography.\n"
    "categories: the taxonomy in categories.json format (data/categories.json), like\n"
    "  PUT /api/v1/categories.\n"
    "ledger: rows of ledger ID from CSV or XLSX (the format from the file's extension unless\n"
    "  --format), like POST /api/v1/ledgers/{id}/import: a row whose 编号 exists is updated,\n"
    "  others are created; every bad cell is listed (row, column, value, reason) and then\n"
    "  nothing is written, unless --valid-rows-only (the valid rows are written). --dry-run\n"
    "  only checks. Exit 1 when rows were refused and nothing was written.\n"
    "A bad geography or categories file names the feature or field at fault and replaces\n"
    "nothing. Stop the server first, or use the API on a running one (a running server keeps\n"
    "the geography and categories it loaded; it reads ledgers from the database each time).\n"
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

// `import ledger`: LedgerService::Import, as POST /api/v1/ledgers/{id}/import, with its report
// printed: the totals on stdout, each refused cell on stderr.
int ImportLedger(const AppOptions& app_options, const std::string& id, const std::string& file,
                 const std::string& bytes, const service::LedgerImportOptions& options) {
  Result<std::unique_ptr<App>> app = App::Open(app_options);
  if (!app.ok()) return Fail(app.status().ToString());
  Result<service::LedgerImportReport> report =
      (*app)->ledgers().Import(kCliActor, id, bytes, options);
  if (!report.ok()) return Fail(file + ": " + report.status().message());
  for (const service::LedgerImportError& e : report->errors) {
    std::string where = "row " + std::to_string(e.row);
    if (!e.column.empty()) where += ", column " + e.column;
    if (!e.cell.empty()) where += " (" + e.cell + ")";
    if (!e.value.empty()) where += ", value '" + e.value + "'";
    std::fprintf(stderr, "citygrid import: %s: %s: %s\n", file.c_str(), where.c_str(),
                 e.reason.Text().c_str());
  }
  const char* outcome = options.dry_run        ? "dry run, nothing written"
                        : report->applied      ? "written"
                        : report->errors.empty() ? "nothing to write"
                                                 : "nothing written";
  std::printf(
      "citygrid import: ledger %s from %s: %lld rows read, %lld valid, %lld created, %lld "
      "updated, %lld unchanged, %zu errors; %s\n",
      id.c_str(), file.c_str(), static_cast<long long>(report->rows_read),
      static_cast<long long>(report->rows_valid), static_cast<long long>(report->rows_created),
      static_cast<long long>(report->rows_updated), static_cast<long long>(report->rows_unchanged),
      report->errors.size(), outcome);
  const bool refused = !report->errors.empty() && (options.dry_run || !report->applied);
  return refused ? 1 : 0;
}

}  // namespace

int RunImport(const Args& args) {
  AppOptions app_options;
  app_options.data_dir.clear();
  std::string what, file, crs_text, ledger_id, format_text;
  bool dry_run = false, valid_rows_only = false;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "--help" || a == "-h") {
      std::printf("%s", kImportUsage);
      return 0;
    }
    if (!a.starts_with("--")) {
      positional.push_back(a);
      continue;
    }
    if (a == "--dry-run") {
      dry_run = true;
      continue;
    }
    if (a == "--valid-rows-only") {
      valid_rows_only = true;
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
    } else if (a == "--format") {
      format_text = value;
    } else {
      return UsageError("import", "unknown option '" + a + "' (see citygrid import --help)");
    }
  }
  if (!positional.empty()) what = positional[0];
  const size_t wanted = what == "ledger" ? 3 : 2;  // ledger ID FILE | geography FILE | ...
  if (positional.size() > wanted) {
    return UsageError("import", "unexpected argument '" + positional[wanted] + "'");
  }
  if (what == "ledger" && positional.size() >= 2) ledger_id = positional[1];
  if (positional.size() == wanted) file = positional[wanted - 1];
  if (what == "311") {
    std::fprintf(stderr,
                 "citygrid import 311: not implemented yet: importing NYC 311 CSV rows as cases "
                 "(channel open311) is still to be written; Open311 clients can POST "
                 "/open311/v2/requests meanwhile\n");
    return 2;
  }
  if (what != "geography" && what != "categories" && what != "ledger") {
    return UsageError("import",
                      what.empty() ? "say what to import: geography, categories or ledger"
                                   : "cannot import '" + what +
                                         "': geography, categories and ledger can be imported");
  }
  if (file.empty()) {
    return UsageError("import", what == "ledger" ? "import ledger needs the ledger's ID and a FILE"
                                                 : "import " + what + " needs a FILE");
  }
  if (!crs_text.empty() && what != "geography") {
    return UsageError("import", "--crs applies to import geography only");
  }
  if ((!format_text.empty() || dry_run || valid_rows_only) && what != "ledger") {
    return UsageError("import", "--format, --dry-run and --valid-rows-only apply to import ledger");
  }
  service::LedgerImportOptions ledger_options;
  ledger_options.dry_run = dry_run;
  ledger_options.valid_rows_only = valid_rows_only;
  if (what == "ledger") {
    if (format_text.empty()) format_text = file.ends_with(".xlsx") ? "xlsx" : "csv";
    Result<service::LedgerFileFormat> format = service::ParseLedgerFileFormat(format_text);
    if (!format.ok()) {
      return UsageError("import", "--format must be csv or xlsx, not '" + format_text + "'");
    }
    ledger_options.format = *format;
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

  if (what == "ledger") return ImportLedger(app_options, ledger_id, file, *text, ledger_options);

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
