// `citygrid export` (docs/operations.md, "Export and import"):
//
//   citygrid export cases --format csv|geojson [filters] [--out FILE]
//   citygrid export evaluation --from DATE --to DATE [--group-by G[,G...]] --format csv|xlsx
//   citygrid export ledger ID --format csv|xlsx [--out FILE]
//
// Each reads the store of --data DIR / --db URL through the same services the API uses (case
// queries, EvaluationService::ToCsv/ToXlsx, LedgerService::ExportCsv/ExportXlsx), as an admin,
// and writes nothing to the store. Without --out the bytes go to standard output.
// Exit codes: 0 ok, 1 failure, 2 usage error.

#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <system_error>
#include <vector>

#include "citygrid/common/csv.h"
#include "citygrid/common/time.h"
#include "citygrid/storage/sqlite_store.h"
#include "cli/app.h"
#include "cli/commands.h"

namespace citygrid::cli {
namespace {

namespace bj = boost::json;
namespace fs = std::filesystem;

constexpr const char* kExportUsage =
    "usage: citygrid export cases --format csv|geojson [--out FILE] [filters]\n"
    "       citygrid export evaluation --from DATE --to DATE [--group-by G[,G...]]\n"
    "                                  --format csv|xlsx [--out FILE]\n"
    "       citygrid export ledger ID --format csv|xlsx [--out FILE]\n"
    "  every form takes --data DIR | --db postgresql://... (and --data-files DIR)\n\n"
    "cases filters (as GET /api/v1/cases): --from/--to (ISO-8601 time, or a date: from its\n"
    "  start / through its end, Asia/Shanghai; created_at in [from, to)), --state S[,S...],\n"
    "  --category C, --unit U, --subdistrict S, --community C, --grid G, --channel CH,\n"
    "  --overdue true|false, --q TEXT\n"
    "evaluation: --group-by unit|subdistrict|grid|inspector|category|... (default unit); csv\n"
    "  takes one grouping, xlsx one sheet per grouping\n"
    "Reporter names and phone numbers are not exported.\n";


struct ExportArgs {
  AppOptions app;
  std::string what;    // cases | evaluation | ledger
  std::string id;      // ledger id
  std::string format;
  std::string out;     // "" = stdout
  std::map<std::string, std::string> filters;  // flag name without "--" → value
  std::vector<std::string> group_by;
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "citygrid export: %s\n", message.c_str());
  return 1;
}

// Parses the arguments; returns -1 to go on, else the exit code.
int Parse(const Args& args, ExportArgs* out) {
  static const char* const kFilters[] = {"from",        "to",        "state", "category",
                                         "unit",        "subdistrict", "community", "grid",
                                         "channel",     "overdue",   "q"};
  bool data_given = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "--help" || a == "-h") {
      std::printf("%s", kExportUsage);
      return 0;
    }
    if (!a.starts_with("--")) {
      if (out->what.empty()) {
        out->what = a;
      } else if (out->what == "ledger" && out->id.empty()) {
        out->id = a;
      } else {
        return UsageError("export", "unexpected argument '" + a + "'");
      }
      continue;
    }
    std::string value;
    if (!TakeOptionValue(args, &i, &a, &value)) return UsageError("export", a + " needs a value");
    const std::string name = a.substr(2);
    if (name == "data") {
      out->app.data_dir = value;
      data_given = true;
    } else if (name == "db") {
      out->app.db_url = value;
    } else if (name == "data-files") {
      out->app.data_files = value;
    } else if (name == "format") {
      out->format = value;
    } else if (name == "out") {
      out->out = value;
    } else if (name == "group-by") {
      size_t start = 0;
      while (start <= value.size()) {
        size_t comma = value.find(',', start);
        out->group_by.push_back(value.substr(start, comma == std::string::npos ? comma : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (std::find(std::begin(kFilters), std::end(kFilters), name) != std::end(kFilters)) {
      out->filters[name] = value;
    } else {
      return UsageError("export", "unknown option '" + a + "' (see citygrid export --help)");
    }
  }
  if (out->what.empty()) return UsageError("export", "say what to export: cases, evaluation or ledger");
  if (out->what != "cases" && out->what != "evaluation" && out->what != "ledger") {
    return UsageError("export", "cannot export '" + out->what +
                                    "': cases, evaluation and ledger can be exported");
  }
  if (out->what == "ledger" && out->id.empty()) {
    return UsageError("export", "export ledger needs the ledger's ID");
  }
  if (!data_given && out->app.db_url.empty()) {
    return UsageError("export", "give --data DIR or --db URL");
  }
  if (out->format.empty()) return UsageError("export", "give --format");
  const bool cases = out->what == "cases";
  if (cases && out->format != "csv" && out->format != "geojson") {
    return UsageError("export", "--format for cases is csv or geojson, not '" + out->format + "'");
  }
  if (!cases && out->format != "csv" && out->format != "xlsx") {
    return UsageError("export", "--format for " + out->what + " is csv or xlsx, not '" +
                                    out->format + "'");
  }
  if (out->what != "cases") {
    for (const auto& [name, value] : out->filters) {
      if (out->what == "evaluation" && (name == "from" || name == "to")) continue;
      return UsageError("export", "--" + name + " applies to export cases only");
    }
  }
  if (out->what != "evaluation" && !out->group_by.empty()) {
    return UsageError("export", "--group-by applies to export evaluation only");
  }
  return -1;
}

// A --from/--to value: an ISO-8601 time, or a date (from: its midnight; to: the next midnight,
// so the date is included).
Result<Timestamp> ParseBound(const std::string& name, const std::string& text) {
  if (text.size() == 10) {
    Result<std::chrono::year_month_day> date = ParseDate(text);
    if (!date.ok()) return InvalidArgumentError("--" + name + ": " + date.status().message());
    std::chrono::sys_days day(*date);
    if (name == "to") day += std::chrono::days(1);
    return StartOfDay(std::chrono::year_month_day(day));
  }
  Result<Timestamp> t = ParseIso8601(text);
  if (!t.ok()) {
    return InvalidArgumentError("--" + name + " must be a date (2026-03-10) or an ISO-8601 time "
                                "(2026-03-10T09:30:00+08:00), got '" + text + "'");
  }
  return t;
}

Result<storage::CaseQuery> CaseFilters(const std::map<std::string, std::string>& filters) {
  storage::CaseQuery q;
  q.sort = storage::CaseSort::kCreatedAsc;
  q.limit = 1000;
  for (const auto& [name, value] : filters) {
    if (name == "from" || name == "to") {
      CITYGRID_ASSIGN_OR_RETURN(Timestamp t, ParseBound(name, value));
      (name == "from" ? q.created_from : q.created_to) = t;
    } else if (name == "state") {
      size_t start = 0;
      while (start <= value.size()) {
        size_t comma = value.find(',', start);
        std::string one = value.substr(start, comma == std::string::npos ? comma : comma - start);
        Result<CaseState> s = ParseCaseState(one);
        if (!s.ok()) return InvalidArgumentError("--state: unknown state '" + one + "'");
        q.states.push_back(*s);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (name == "channel") {
      Result<Channel> c = ParseChannel(value);
      if (!c.ok()) return InvalidArgumentError("--channel: unknown channel '" + value + "'");
      q.channel = *c;
    } else if (name == "overdue") {
      if (value != "true" && value != "false") {
        return InvalidArgumentError("--overdue must be true or false, got '" + value + "'");
      }
      q.overdue = value == "true";
    } else if (name == "category") {
      q.category = value;
    } else if (name == "unit") {
      q.unit = value;
    } else if (name == "subdistrict") {
      q.subdistrict = value;
    } else if (name == "community") {
      q.community = value;
    } else if (name == "grid") {
      q.grid = value;
    } else if (name == "q") {
      q.text = value;
    }
  }
  return q;
}

std::string OptionalTime(const std::optional<Timestamp>& t) {
  return t ? FormatIso8601(*t) : std::string();
}

std::string Coordinate(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7f", v);
  return buf;
}

// The exported fields of a case, in column order (names as the API's case JSON).
std::vector<std::pair<std::string, std::string>> CaseFields(const Case& c,
                                                            const service::LocationNames& n) {
  return {
      {"number", c.number},
      {"state", std::string(Name(c.state))},
      {"channel", std::string(Name(c.channel))},
      {"category", c.category},
      {"description", c.description},
      {"address", c.location.address},
      {"lon", Coordinate(c.location.lon)},
      {"lat", Coordinate(c.location.lat)},
      {"district", c.location.district_code},
      {"subdistrict", c.location.subdistrict_code},
      {"subdistrict_name", n.subdistrict},
      {"community", c.location.community_code},
      {"community_name", n.community},
      {"grid", c.location.grid_code},
      {"road", n.road},
      {"unit", c.unit},
      {"stage", std::string(Name(c.stage))},
      {"stage_deadline", OptionalTime(c.stage_deadline)},
      {"overdue", c.overdue ? "true" : "false"},
      {"rework_count", std::to_string(c.rework_count)},
      {"created_at", FormatIso8601(c.created_at)},
      {"updated_at", FormatIso8601(c.updated_at)},
      {"registered_at", OptionalTime(c.registered_at)},
      {"dispatched_at", OptionalTime(c.dispatched_at)},
      {"closed_at", OptionalTime(c.closed_at)},
      {"version", std::to_string(c.version)},
  };
}

Result<std::string> ExportCases(App& app, const ExportArgs& args, int64_t* count) {
  CITYGRID_ASSIGN_OR_RETURN(storage::CaseQuery query, CaseFilters(args.filters));
  const bool csv = args.format == "csv";
  std::string out;
  bj::array features;
  if (csv) out = "\xEF\xBB\xBF";  // UTF-8 BOM, for Excel, like the other CSV exports
  bool header = false;
  *count = 0;
  while (true) {
    CITYGRID_ASSIGN_OR_RETURN(storage::CasePage page, app.cases().Query(kCliActor, query));
    for (const Case& c : page.cases) {
      auto fields = CaseFields(c, app.cases().NamesFor(c));
      ++*count;
      if (csv) {
        if (!header) {
          for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + fields[i].first;
          out += "\r\n";
          header = true;
        }
        for (size_t i = 0; i < fields.size(); ++i) {
          out += (i ? "," : "") + CsvField(fields[i].second);
        }
        out += "\r\n";
      } else {
        bj::object props;
        for (auto& [name, value] : fields) {
          if (name == "lon" || name == "lat") continue;
          props[name] = value;
        }
        props["overdue"] = c.overdue;
        props["rework_count"] = c.rework_count;
        props["version"] = c.version;
        features.push_back(bj::object{
            {"type", "Feature"},
            {"geometry", bj::object{{"type", "Point"},
                                    {"coordinates", bj::array{c.location.lon, c.location.lat}}}},
            {"properties", std::move(props)}});
      }
    }
    if (page.next_cursor.empty()) break;
    query.cursor = page.next_cursor;
  }
  if (csv) {
    if (!header) {
      Case none;
      auto fields = CaseFields(none, {});
      for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + fields[i].first;
      out += "\r\n";
    }
    return out;
  }
  return bj::serialize(bj::object{{"type", "FeatureCollection"}, {"features", std::move(features)}}) +
         "\n";
}

Result<std::string> ExportEvaluation(App& app, const ExportArgs& args) {
  auto from_it = args.filters.find("from");
  auto to_it = args.filters.find("to");
  if (from_it == args.filters.end() || to_it == args.filters.end()) {
    return InvalidArgumentError("export evaluation needs --from DATE and --to DATE");
  }
  service::EvaluationRequest req;
  Result<std::chrono::year_month_day> from = ParseDate(from_it->second);
  if (!from.ok()) return InvalidArgumentError("--from: " + from.status().message());
  Result<std::chrono::year_month_day> to = ParseDate(to_it->second);
  if (!to.ok()) return InvalidArgumentError("--to: " + to.status().message());
  req.from = *from;
  req.to = *to;
  for (const std::string& g : args.group_by) {
    Result<service::Dimension> d = service::ParseDimension(g);
    if (!d.ok()) return InvalidArgumentError("--group-by: " + d.status().message());
    req.group_by.push_back(*d);
  }
  if (req.group_by.empty()) req.group_by.push_back(service::Dimension::kUnit);
  if (args.format == "csv" && req.group_by.size() > 1) {
    return InvalidArgumentError("--group-by: format csv takes one grouping; use xlsx (one sheet "
                                "each) for several");
  }
  // The engine folds the whole event log once (no follower thread: nothing else runs here).
  CITYGRID_RETURN_IF_ERROR(app.evaluation_engine().Rebuild());
  CITYGRID_ASSIGN_OR_RETURN(service::EvaluationReport report,
                            app.evaluation().Evaluate(kCliActor, req));
  if (args.format == "csv") return service::EvaluationService::ToCsv(report);
  return service::EvaluationService::ToXlsx(report);
}

Status WriteOutput(const std::string& path, const std::string& bytes) {
  if (path.empty() || path == "-") {
    if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size()) {
      return UnavailableError("writing to standard output failed");
    }
    std::fflush(stdout);
    return OkStatus();
  }
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      return UnavailableError("cannot write " + path);
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return UnavailableError("renaming " + tmp + " to " + path + ": " + ec.message());
  }
  return OkStatus();
}

}  // namespace

int RunExport(const Args& args) {
  ExportArgs e;
  e.app.data_dir.clear();
  if (int code = Parse(args, &e); code >= 0) return code;
  if (e.app.data_dir.empty()) e.app.data_dir = "citygrid-data";
  if (e.app.db_url.empty()) {
    std::error_code ec;
    const std::string db = storage::SqliteDatabasePath(e.app.data_dir);
    if (!fs::exists(db, ec)) return Fail("no citygrid database at " + db);
  }
  Result<std::unique_ptr<App>> app = App::Open(e.app);
  if (!app.ok()) return Fail(app.status().ToString());
  Result<std::string> bytes = InternalError("unreachable");
  int64_t count = -1;
  if (e.what == "cases") {
    bytes = ExportCases(**app, e, &count);
  } else if (e.what == "evaluation") {
    bytes = ExportEvaluation(**app, e);
  } else {
    bytes = e.format == "csv" ? (*app)->ledgers().ExportCsv(kCliActor, e.id)
                              : (*app)->ledgers().ExportXlsx(kCliActor, e.id);
  }
  if (!bytes.ok()) return Fail(bytes.status().ToString());
  Status written = WriteOutput(e.out, *bytes);
  if (!written.ok()) return Fail(written.ToString());
  if (!e.out.empty() && e.out != "-") {
    std::fprintf(stderr, "citygrid export: wrote %s (%s, %zu bytes%s)\n", e.out.c_str(),
                 e.format.c_str(), bytes->size(),
                 count >= 0 ? (", " + std::to_string(count) + " cases").c_str() : "");
  }
  return 0;
}

}  // namespace citygrid::cli
