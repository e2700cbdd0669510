// The NYC oracle: 311 service requests carry their own community board, an independent ground
// truth for point location. Locating each request's coordinates in the community district
// polygons (BoroCD = borough digit * 100 + board number) must agree for >= 98.5 % of the rows
// that have coordinates and a specified board. The same answers must come out of the
// `citygrid geo locate` command.

#include <gtest/gtest.h>

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>
#include <unistd.h>

#include "citygrid/common/csv.h"
#include "citygrid/geo/geojson.h"
#include "citygrid/geo/polygon_index.h"
#include "tests/testing/paths.h"

namespace citygrid::geo {
namespace {

struct Request {
  std::string key;
  LonLat at;
  int board_code;  // e.g. 312 for "12 BROOKLYN"
};

// "12 BROOKLYN" → 312; nullopt for "Unspecified ..." or "0 Unspecified".
std::optional<int> BoardCode(const std::string& board) {
  static const std::map<std::string, int> kBorough = {
      {"MANHATTAN", 1}, {"BRONX", 2}, {"BROOKLYN", 3}, {"QUEENS", 4}, {"STATEN ISLAND", 5}};
  std::size_t space = board.find(' ');
  if (space == std::string::npos) return std::nullopt;
  int number = 0;
  auto [ptr, ec] = std::from_chars(board.data(), board.data() + space, number);
  if (ec != std::errc() || ptr != board.data() + space || number <= 0) return std::nullopt;
  auto it = kBorough.find(board.substr(space + 1));
  if (it == kBorough.end()) return std::nullopt;
  return it->second * 100 + number;
}

std::optional<double> Number(const std::string& s) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

class NycOracleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::SharedDataDir();
    if (dir_.empty()) GTEST_SKIP() << "../shared/data is absent; skipping the NYC oracle";
    layer_path_ = dir_ + "/nyc/nyc_community_districts.geojson";
    GeoJsonOptions opts;
    opts.id_property = "BoroCD";
    Result<GeoJsonDocument> doc = ReadGeoJsonFile(layer_path_, opts);
    ASSERT_TRUE(doc.ok()) << doc.status().ToString();
    layer_ = std::move(doc).value();
    std::vector<const MultiPolygon*> areas;
    for (const GeoJsonFeature& f : layer_.features) areas.push_back(&f.polygons);
    index_ = PolygonIndex::Build(areas);

    csv_ = ReadFile(dir_ + "/nyc/nyc311_2023-02-28_sample_4999.csv");
    CsvReader reader(csv_);
    std::vector<std::string> header, row;
    ASSERT_TRUE(*reader.Next(&header));
    const int key = CsvColumn(header, "Unique Key"), board = CsvColumn(header, "Community Board"),
              lat = CsvColumn(header, "Latitude"), lon = CsvColumn(header, "Longitude");
    ASSERT_GE(key, 0);
    ASSERT_GE(board, 0);
    ASSERT_GE(lat, 0);
    ASSERT_GE(lon, 0);
    while (true) {
      Result<bool> more = reader.Next(&row);
      ASSERT_TRUE(more.ok()) << more.status().ToString();
      if (!*more) break;
      ++rows_;
      ASSERT_EQ(row.size(), header.size()) << "line " << reader.record_line();
      std::optional<double> y = Number(row[lat]), x = Number(row[lon]);
      std::optional<int> code = BoardCode(row[board]);
      if (!x || !y || !code) continue;
      requests_.push_back({row[key], {*x, *y}, *code});
    }
  }

  std::string Locate(LonLat p) const {
    std::uint32_t hit = index_.Locate(p);
    return hit == PolygonIndex::kNone ? "" : layer_.features[hit].id;
  }

  std::string dir_, layer_path_, csv_;
  GeoJsonDocument layer_;
  PolygonIndex index_;
  std::size_t rows_ = 0;
  std::vector<Request> requests_;
};

TEST_F(NycOracleTest, LocatedDistrictAgreesWithCommunityBoard) {
  EXPECT_EQ(rows_, 4999u);
  EXPECT_EQ(requests_.size(), 4894u);  // as documented in ../shared/data/README.md
  std::size_t agree = 0, outside = 0;
  for (const Request& r : requests_) {
    std::string got = Locate(r.at);
    outside += got.empty();
    agree += got == std::to_string(r.board_code);
  }
  double rate = static_cast<double>(agree) / requests_.size();
  std::printf("NYC oracle: %zu of %zu agree (%.2f %%), %zu outside every district\n", agree,
              requests_.size(), 100 * rate, outside);
  EXPECT_GE(rate, 0.985);
}

// Runs the built `citygrid` binary (found beside this test binary's build tree) on the same
// points and compares every answer with the in-process index.
TEST_F(NycOracleTest, CliLocateGivesTheSameAnswers) {
  namespace fs = std::filesystem;
  fs::path self = fs::read_symlink("/proc/self/exe");
  fs::path cli = self.parent_path().parent_path() / "src" / "citygrid";
  if (!fs::exists(cli)) GTEST_SKIP() << "citygrid binary not built at " << cli;
  std::string tmp = testing::MakeTempDir("nyc_locate");
  ASSERT_FALSE(tmp.empty());
  std::string points = tmp + "/points.csv", out = tmp + "/out.csv";
  {
    std::ofstream f(points);
    f << "id,lon,lat\n";
    char buf[128];
    for (const Request& r : requests_) {
      std::snprintf(buf, sizeof buf, "%s,%.17g,%.17g\n", r.key.c_str(), r.at.lon, r.at.lat);
      f << buf;
    }
  }
  std::string cmd = cli.string() + " geo locate --layer '" + layer_path_ +
                    "' --id-property BoroCD < '" + points + "' > '" + out + "' 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::istringstream lines(ReadFile(out));
  std::string line;
  std::size_t n = 0;
  while (std::getline(lines, line)) {
    ASSERT_LT(n, requests_.size());
    const Request& r = requests_[n++];
    EXPECT_EQ(line, r.key + "," + Locate(r.at)) << "request " << n;
  }
  EXPECT_EQ(n, requests_.size());
  fs::remove_all(tmp);
}

}  // namespace
}  // namespace citygrid::geo
