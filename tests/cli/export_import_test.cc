// `citygrid export` and `citygrid import` against the real binary, on a demo district
// (`citygrid demo --cases 200`), compared with what the running server's API answers:
//
//   - ExportCasesCsvAndGeoJsonEqualTheApiList: the same filters (--state, --from/--to) give the
//     same cases, numbers and coordinates as GET /api/v1/cases paged to the end; the CSV parses
//     (common/csv.h) and the GeoJSON is a FeatureCollection of points.
//   - ExportEvaluationEqualsTheApiCsv / ExportLedgerEqualsTheApiCsv: byte for byte the API's
//     own export (one encoder).
//   - ImportGeographyBadFeatureReplacesNothingGoodFileReplaces: a grid under a missing
//     community → exit 1 naming "feature N", the stored geography document unchanged; the
//     API's layers plus the district import again and replace it.
//   - ImportCategoriesReplacesTheTaxonomyOrNothing: a malformed file changes nothing; the
//     shipped data/categories.json imports.
//   - ImportLedgerWritesAllOrNothingAndNamesEachBadCell: `import ledger` as the API's import
//     (every bad cell named, --dry-run, --valid-rows-only, CSV and the API's XLSX).
//   - UsageErrors: unknown things to export/import exit 2; import 311 says it is not there.

#include <signal.h>

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "citygrid/common/csv.h"
#include "citygrid/service/reference_data.h"
#include "citygrid/storage/store.h"
#include "tests/testing/http_client.h"
#include "tests/testing/paths.h"
#include "tests/testing/server_process.h"

namespace citygrid::cli {
namespace {

namespace fs = std::filesystem;
namespace bj = boost::json;
using citygrid::testing::HttpClient;
using citygrid::testing::HttpHeaderList;
using citygrid::testing::HttpResponse;
using citygrid::testing::RunProcess;
using citygrid::testing::ServerProcess;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ExportImportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(citygrid::testing::MakeTempDir("citygrid-cli-export"));
    data_ = new std::string(*dir_ + "/data");
    server_ = new ServerProcess(CITYGRID_BINARY, {"demo", "--data", *data_, "--cases", "200",
                                                  "--listen", "127.0.0.1:0", "--access-log",
                                                  "off"});
    if (!server_->WaitForListening()) {
      setup_error_ = new std::string("citygrid demo did not start: " + server_->Output());
      return;
    }
    std::ifstream users(*data_ + "/demo-users.txt");
    std::string line, password;
    while (std::getline(users, line)) {
      std::vector<std::string> f;
      std::stringstream s(line);
      std::string x;
      while (std::getline(s, x, '\t')) f.push_back(x);
      if (f.size() >= 4 && f[0] == "admin") password = f[3];
    }
    HttpClient c("127.0.0.1", server_->port());
    HttpResponse r =
        c.Post("/api/v1/auth/login", R"({"username":"admin","password":")" + password + "\"}");
    if (r.status != 200) {
      setup_error_ = new std::string("admin login: " + std::to_string(r.status) + " " + r.body);
      return;
    }
    token_ = new std::string(bj::parse(r.body).at("token").as_string());
  }

  static void TearDownTestSuite() {
    if (server_ != nullptr) {
      server_->Signal(SIGTERM);
      server_->Wait();
    }
    std::error_code ec;
    if (dir_ != nullptr) fs::remove_all(*dir_, ec);
    delete server_;
    delete dir_;
    delete data_;
    delete token_;
    delete setup_error_;
    server_ = nullptr;
    dir_ = data_ = token_ = setup_error_ = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(setup_error_, nullptr) << *setup_error_;
    ASSERT_NE(token_, nullptr);
  }

  // A 503 while the server's evaluation engine is still reading the event log after start is
  // retried for up to 60 s; any other answer is returned as it is.
  static HttpResponse Get(const std::string& target) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (;;) {
      HttpClient c("127.0.0.1", server_->port(), std::chrono::seconds(60));
      HttpResponse r = c.Get(target, HttpHeaderList{{"Authorization", "Bearer " + *token_}});
      if (r.status != 503 || std::chrono::steady_clock::now() > give_up) return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  // Runs `citygrid export ...` into a file and returns its bytes ("" and a failure on error).
  static std::string Export(std::vector<std::string> args) {
    static int n = 0;
    const std::string out = *dir_ + "/export-" + std::to_string(++n);
    args.insert(args.begin(), "export");
    args.insert(args.end(), {"--data", *data_, "--out", out});
    std::string output;
    int code = RunProcess(CITYGRID_BINARY, args, &output);
    EXPECT_EQ(code, 0) << output;
    return ReadFile(out);
  }

  static std::string* dir_;
  static std::string* data_;
  static std::string* token_;
  static std::string* setup_error_;
  static ServerProcess* server_;
};

std::string* ExportImportTest::dir_ = nullptr;
std::string* ExportImportTest::data_ = nullptr;
std::string* ExportImportTest::token_ = nullptr;
std::string* ExportImportTest::setup_error_ = nullptr;
ServerProcess* ExportImportTest::server_ = nullptr;

TEST_F(ExportImportTest, ExportCasesCsvAndGeoJsonEqualTheApiList) {
  struct Filter {
    std::vector<std::string> cli;
    std::string api;
  };
  const std::vector<Filter> filters = {
      {{}, ""},
      {{"--state", "closed,handling"}, "&state=closed,handling"},
      {{"--from", "2000-01-01T00:00:00+08:00", "--to", "2100-01-01T00:00:00+08:00", "--channel",
        "inspector"},
       "&from=2000-01-01T00:00:00%2B08:00&to=2100-01-01T00:00:00%2B08:00&channel=inspector"},
  };
  for (const Filter& f : filters) {
    SCOPED_TRACE(f.api);
    // The API, paged to the end.
    std::map<std::string, std::pair<double, double>> api;
    std::string cursor;
    while (true) {
      HttpResponse r = Get("/api/v1/cases?limit=1000" + f.api +
                           (cursor.empty() ? "" : "&cursor=" + cursor));
      ASSERT_EQ(r.status, 200) << r.body;
      bj::object page = bj::parse(r.body).as_object();
      for (const bj::value& c : page.at("cases").as_array()) {
        const bj::object& o = c.as_object();
        api[std::string(o.at("number").as_string())] = {
            o.at("location").at("lon").to_number<double>(),
            o.at("location").at("lat").to_number<double>()};
      }
      cursor = std::string(page.at("next_cursor").as_string());
      if (cursor.empty()) break;
    }
    ASSERT_FALSE(api.empty());

    std::vector<std::string> args = {"cases", "--format", "csv"};
    args.insert(args.end(), f.cli.begin(), f.cli.end());
    const std::string csv = Export(args);
    ASSERT_TRUE(csv.starts_with("\xEF\xBB\xBF"));
    CsvReader reader(std::string_view(csv).substr(3));
    std::vector<std::string> header, row;
    Result<bool> has_header = reader.Next(&header);
    ASSERT_TRUE(has_header.ok() && *has_header);
    const int number = CsvColumn(header, "number"), lon = CsvColumn(header, "lon"),
              lat = CsvColumn(header, "lat");
    ASSERT_GE(number, 0);
    std::map<std::string, std::pair<double, double>> from_csv;
    while (true) {
      Result<bool> more = reader.Next(&row);
      ASSERT_TRUE(more.ok()) << more.status().ToString();
      if (!*more) break;
      ASSERT_EQ(row.size(), header.size());
      from_csv[row[number]] = {std::stod(row[lon]), std::stod(row[lat])};
    }
    ASSERT_EQ(from_csv.size(), api.size());
    for (const auto& [n, at] : api) {
      ASSERT_TRUE(from_csv.contains(n)) << n;
      EXPECT_NEAR(from_csv[n].first, at.first, 1e-6);
      EXPECT_NEAR(from_csv[n].second, at.second, 1e-6);
    }

    args[2] = "geojson";
    bj::object geojson = bj::parse(Export(args)).as_object();
    EXPECT_EQ(geojson.at("type").as_string(), "FeatureCollection");
    std::set<std::string> from_geojson;
    for (const bj::value& feature : geojson.at("features").as_array()) {
      EXPECT_EQ(feature.at("geometry").at("type").as_string(), "Point");
      from_geojson.insert(std::string(feature.at("properties").at("number").as_string()));
    }
    EXPECT_EQ(from_geojson.size(), api.size());
  }
}

TEST_F(ExportImportTest, ExportEvaluationEqualsTheApiCsv) {
  // A window wholly in the past, so "now" cannot differ between the two answers.
  HttpResponse r = Get("/api/v1/evaluation?from=2000-01-01&to=2000-01-31&group_by=unit&format=csv");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Export({"evaluation", "--from", "2000-01-01", "--to", "2000-01-31", "--group-by",
                    "unit", "--format", "csv"}),
            r.body);
  // The demo's own window: same rows and figures as the API's CSV.
  r = Get("/api/v1/evaluation?from=2024-01-01&to=2030-12-31&group_by=subdistrict&format=csv");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string cli = Export({"evaluation", "--from", "2024-01-01", "--to", "2030-12-31",
                                  "--group-by", "subdistrict", "--format", "csv"});
  EXPECT_EQ(cli, r.body);
  const std::string xlsx = Export({"evaluation", "--from", "2024-01-01", "--to", "2030-12-31",
                                   "--group-by", "unit,category", "--format", "xlsx"});
  EXPECT_TRUE(xlsx.starts_with("PK")) << "not a zip (xlsx) file";
}

TEST_F(ExportImportTest, ExportLedgerEqualsTheApiCsv) {
  HttpResponse list = Get("/api/v1/ledgers");
  ASSERT_EQ(list.status, 200) << list.body;
  bj::value doc = bj::parse(list.body);
  const bj::array& ledgers = doc.at("ledgers").as_array();
  ASSERT_FALSE(ledgers.empty());
  const std::string id(ledgers[0].at("id").as_string());
  HttpResponse r = Get("/api/v1/ledgers/" + id + "/export?format=csv");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Export({"ledger", id, "--format", "csv"}), r.body);
  std::string out;
  EXPECT_EQ(RunProcess(CITYGRID_BINARY,
                       {"export", "ledger", "no-such-ledger", "--format", "csv", "--data", *data_},
                       &out),
            1);
  EXPECT_NE(out.find("no-such-ledger"), std::string::npos) << out;
}

// The geography document's version (every replacement raises it).
int64_t GeographyVersion(const std::string& data_dir) {
  storage::StoreOptions o;
  o.data_dir = data_dir;
  auto store = storage::OpenStore(o);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return -1;
  auto doc = (*store)->documents().Get("geography", "current");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  return doc.ok() ? doc->version : -1;
}

// The current geography as one GeoJSON FeatureCollection: the district (from the store) and
// every feature of GET /api/v1/geography/{layer}, as geography_import.h says they upload again.
bj::object CurrentAsGeoJson(const std::string& data_dir,
                            const std::function<HttpResponse(const std::string&)>& get) {
  storage::StoreOptions o;
  o.data_dir = data_dir;
  auto store = storage::OpenStore(o);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return {};
  auto reference = service::ReferenceDataService::Open((*store)->documents(),
                                                       citygrid::testing::SourceDir() + "/data");
  EXPECT_TRUE(reference.ok()) << reference.status().ToString();
  if (!reference.ok()) return {};
  const geo::Geography& g = *(*reference)->Get()->geography;
  bj::array polys;
  for (const auto& p : g.district.area) {
    bj::array ring;
    for (const auto& pt : p.outer) ring.push_back(bj::array{pt.lon, pt.lat});
    polys.push_back(bj::array{std::move(ring)});
  }
  bj::array features;
  features.push_back(bj::object{
      {"type", "Feature"},
      {"properties", bj::object{{"code", g.district.code}, {"name", g.district.name}}},
      {"geometry", bj::object{{"type", "MultiPolygon"}, {"coordinates", std::move(polys)}}}});
  for (const char* layer : {"subdistricts", "communities", "grids", "roads", "zones"}) {
    HttpResponse r = get(std::string("/api/v1/geography/") + layer);
    EXPECT_EQ(r.status, 200) << layer << " " << r.body;
    const bj::value layer_json = bj::parse(r.body);
    for (const bj::value& f : layer_json.at("features").as_array()) features.push_back(f);
  }
  return bj::object{{"type", "FeatureCollection"}, {"features", std::move(features)}};
}

TEST_F(ExportImportTest, ImportGeographyBadFeatureReplacesNothingGoodFileReplaces) {
  const bj::object good = CurrentAsGeoJson(*data_, Get);
  ASSERT_TRUE(good.contains("features"));
  const int64_t before = GeographyVersion(*data_);
  ASSERT_GT(before, 0);

  // A grid under a community that is not in the file.
  bj::object bad = good;
  size_t grid = 0;
  bj::array& features = bad["features"].as_array();
  for (size_t i = 0; i < features.size(); ++i) {
    const bj::object& props = features[i].at("properties").as_object();
    const bj::value* code = props.if_contains("code");
    if (code && code->is_string() && code->as_string().size() == 15) {
      grid = i;
      break;
    }
  }
  ASSERT_GT(grid, 0u);
  features[grid].as_object()["properties"].as_object()["code"] = "410103009999001";
  const std::string bad_file = *dir_ + "/bad.geojson";
  std::ofstream(bad_file) << bj::serialize(bad);
  std::string out;
  EXPECT_EQ(RunProcess(CITYGRID_BINARY, {"import", "geography", bad_file, "--data", *data_}, &out),
            1);
  EXPECT_NE(out.find("feature " + std::to_string(grid)), std::string::npos) << out;
  EXPECT_NE(out.find("nothing replaced"), std::string::npos) << out;
  // Not JSON at all.
  const std::string junk = *dir_ + "/junk.geojson";
  std::ofstream(junk) << "{\"type\": \"FeatureCollection\", \"features\": [";
  EXPECT_EQ(RunProcess(CITYGRID_BINARY, {"import", "geography", junk, "--data", *data_}, &out), 1);
  EXPECT_EQ(GeographyVersion(*data_), before);
  // A bad --crs is a usage error.
  EXPECT_EQ(RunProcess(CITYGRID_BINARY,
                       {"import", "geography", bad_file, "--crs", "mars", "--data", *data_}, &out),
            2);
  EXPECT_EQ(GeographyVersion(*data_), before);

  // The good file imports and replaces the geography once.
  const std::string good_file = *dir_ + "/good.geojson";
  std::ofstream(good_file) << bj::serialize(good);
  ASSERT_EQ(RunProcess(CITYGRID_BINARY, {"import", "geography", good_file, "--data", *data_},
                       &out),
            0)
      << out;
  EXPECT_NE(out.find("unit grids"), std::string::npos) << out;
  EXPECT_EQ(GeographyVersion(*data_), before + 1);
}

TEST_F(ExportImportTest, ImportCategoriesReplacesTheTaxonomyOrNothing) {
  auto version = [&]() -> int64_t {
    storage::StoreOptions o;
    o.data_dir = *data_;
    auto store = storage::OpenStore(o);
    EXPECT_TRUE(store.ok());
    if (!store.ok()) return -1;
    auto doc = (*store)->documents().Get("category", "catalog");
    return doc.ok() ? doc->version : 0;
  };
  const int64_t before = version();
  const std::string bad = *dir_ + "/bad-categories.json";
  std::ofstream(bad) << R"({"major_classes": "not a list"})";
  std::string out;
  EXPECT_EQ(RunProcess(CITYGRID_BINARY, {"import", "categories", bad, "--data", *data_}, &out), 1);
  EXPECT_NE(out.find("nothing replaced"), std::string::npos) << out;
  EXPECT_EQ(version(), before);
  const std::string good = citygrid::testing::SourceDir() + "/data/categories.json";
  ASSERT_EQ(RunProcess(CITYGRID_BINARY, {"import", "categories", good, "--data", *data_}, &out), 0)
      << out;
  EXPECT_NE(out.find("categories from"), std::string::npos) << out;
  EXPECT_EQ(version(), before + 1);
}

// The rows of the API's CSV export of a ledger (header first), as the reader reads them.
std::vector<std::vector<std::string>> CsvRows(const std::string& csv) {
  std::vector<std::vector<std::string>> rows;
  std::string_view text(csv);
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  CsvReader reader(text);
  std::vector<std::string> row;
  while (true) {
    Result<bool> more = reader.Next(&row);
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (!more.ok() || !*more) break;
    rows.push_back(row);
  }
  return rows;
}

std::string CsvText(const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) out += ',';
      AppendCsvField(out, row[i]);
    }
    out += "\n";
  }
  return out;
}

// `citygrid import ledger` is the API's import: all or nothing with every bad cell named (row,
// column, value, reason), --dry-run writing nothing, --valid-rows-only writing the good rows,
// CSV and XLSX; the running server's API sees what it wrote.
TEST_F(ExportImportTest, ImportLedgerWritesAllOrNothingAndNamesEachBadCell) {
  const std::string id = "old-compounds";
  auto count = [&] {
    HttpResponse r = Get("/api/v1/ledgers/" + id + "/rows?limit=1");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? bj::parse(r.body).at("count").as_int64() : -1;
  };
  auto import = [&](const std::string& file, std::vector<std::string> flags, std::string* out) {
    std::vector<std::string> args = {"import", "ledger", id, file, "--data", *data_};
    args.insert(args.end(), flags.begin(), flags.end());
    return RunProcess(CITYGRID_BINARY, args, out);
  };
  HttpResponse exported = Get("/api/v1/ledgers/" + id + "/export?format=csv");
  ASSERT_EQ(exported.status, 200) << exported.body;
  std::vector<std::vector<std::string>> rows = CsvRows(exported.body);
  ASSERT_GE(rows.size(), 4u);
  const std::vector<std::string>& header = rows[0];
  const int progress = CsvColumn(header, "进度"), households = CsvColumn(header, "户数");
  ASSERT_GE(progress, 0);
  ASSERT_GE(households, 0);
  const int64_t before = count();

  std::vector<std::string> changed = rows[1], added = rows[2], bad = rows[3];
  changed[progress] = changed[progress] == "95" ? "96" : "95";
  added[0] = "R9001";
  bad[0] = "R9002";
  bad[progress] = "150";
  bad[households] = "-5";
  const std::string mixed = *dir_ + "/mixed.csv", good = *dir_ + "/good.csv";
  std::ofstream(mixed) << CsvText({header, changed, added, bad});
  std::ofstream(good) << CsvText({header, changed, added});

  std::string out;
  EXPECT_EQ(import(mixed, {}, &out), 1) << out;
  EXPECT_NE(out.find("row 4, column 进度, value '150': 150 is above the maximum 100"),
            std::string::npos) << out;
  EXPECT_NE(out.find("row 4, column 户数, value '-5': -5 is below the minimum 0"),
            std::string::npos) << out;
  EXPECT_NE(out.find("nothing written"), std::string::npos) << out;
  EXPECT_EQ(count(), before);

  EXPECT_EQ(import(good, {"--dry-run"}, &out), 0) << out;
  EXPECT_NE(out.find("1 created, 1 updated"), std::string::npos) << out;
  EXPECT_NE(out.find("dry run, nothing written"), std::string::npos) << out;
  EXPECT_EQ(count(), before);

  EXPECT_EQ(import(mixed, {"--valid-rows-only"}, &out), 0) << out;
  EXPECT_NE(out.find("3 rows read, 2 valid, 1 created, 1 updated, 0 unchanged, 2 errors; written"),
            std::string::npos) << out;
  EXPECT_EQ(count(), before + 1);
  HttpResponse r9001 = Get("/api/v1/ledgers/" + id + "/rows?q=R9001");
  ASSERT_EQ(r9001.status, 200);
  EXPECT_EQ(bj::parse(r9001.body).at("count").as_int64(), 1) << r9001.body;

  // The API's XLSX export imports back unchanged.
  HttpResponse xlsx = Get("/api/v1/ledgers/" + id + "/export?format=xlsx");
  ASSERT_EQ(xlsx.status, 200);
  const std::string xlsx_file = *dir_ + "/rows.xlsx";
  std::ofstream(xlsx_file, std::ios::binary) << xlsx.body;
  EXPECT_EQ(import(xlsx_file, {}, &out), 0) << out;
  EXPECT_NE(out.find("0 created, 0 updated, " + std::to_string(before + 1) + " unchanged"),
            std::string::npos) << out;

  EXPECT_EQ(import(good, {"--format", "pdf"}, &out), 2) << out;
  EXPECT_EQ(RunProcess(CITYGRID_BINARY, {"import", "ledger", "no-such", good, "--data", *data_},
                       &out),
            1);
  EXPECT_NE(out.find("no-such"), std::string::npos) << out;
}

TEST_F(ExportImportTest, UsageErrors) {
  std::string out;
  EXPECT_EQ(RunProcess(CITYGRID_BINARY, {"export", "users", "--data", *data_, "--format", "csv"},
                       &out),
            2);
  EXPECT_EQ(RunProcess(CITYGRID_BINARY, {"export", "cases", "--data", *data_, "--format", "xlsx"},
                       &out),
            2);
  EXPECT_EQ(RunProcess(CITYGRID_BINARY,
                       {"export", "cases", "--data", *data_, "--format", "csv", "--state",
                        "sleeping"},
                       &out),
            1);
  EXPECT_NE(out.find("unknown state 'sleeping'"), std::string::npos) << out;
  EXPECT_EQ(RunProcess(CITYGRID_BINARY, {"import", "311", "x.csv", "--data", *data_}, &out), 2);
  EXPECT_NE(out.find("not implemented yet"), std::string::npos) << out;
}

}  // namespace
}  // namespace citygrid::cli
