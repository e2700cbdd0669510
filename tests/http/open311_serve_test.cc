// Open311 configured through the real command line: `citygrid serve --open311-jurisdiction ...
// --open311-ids token --open311-crs gcj02` on a demo data directory, an API key from `citygrid
// apikey add`, and a restart after SIGKILL (what a POST recorded survives it).

#include <signal.h>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "citygrid/geo/coordinates.h"
#include "tests/testing/http_client.h"
#include "tests/testing/paths.h"
#include "tests/testing/server_process.h"

namespace citygrid::http {
namespace {

using citygrid::testing::HttpClient;
using citygrid::testing::HttpResponse;
using citygrid::testing::RunProcess;
using citygrid::testing::ServerProcess;

const citygrid::testing::HttpHeaderList kForm = {
    {"Content-Type", "application/x-www-form-urlencoded"}};

boost::json::value Json(const HttpResponse& r) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(r.body, ec);
  EXPECT_FALSE(ec) << r.status << " " << r.body;
  return v;
}

std::string Str(const boost::json::value& v) {
  return v.is_string() ? std::string(v.get_string()) : "<" + boost::json::serialize(v) + ">";
}

class Open311ServeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(citygrid::testing::MakeTempDir("citygrid-open311-serve"));
    ServerProcess demo(CITYGRID_BINARY, {"demo", "--data", *dir_ + "/data", "--cases", "0",
                                         "--listen", "127.0.0.1:0", "--access-log", "off"});
    if (!demo.WaitForListening()) {
      error_ = new std::string("citygrid demo did not start: " + demo.Output());
      return;
    }
    demo.Signal(SIGTERM);
    demo.Wait();
    std::string out;
    int code = RunProcess(CITYGRID_BINARY, {"apikey", "add", "--data", *dir_ + "/data", "--name",
                                            "fixmystreet"},
                          &out);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    if (code != 0 || out.empty() || out.find('\n') != std::string::npos) {
      error_ = new std::string("citygrid apikey add failed (" + std::to_string(code) + "): " + out);
      return;
    }
    key_ = new std::string(out);
  }

  static void TearDownTestSuite() {
    std::error_code ec;
    if (dir_ != nullptr) std::filesystem::remove_all(*dir_, ec);
    delete dir_;
    delete key_;
    delete error_;
    dir_ = key_ = error_ = nullptr;
  }

  void SetUp() override { ASSERT_EQ(error_, nullptr) << *error_; }

  static std::vector<std::string> ServeArgs() {
    return {"serve",    "--data",        *dir_ + "/data",         "--listen",
            "127.0.0.1:0", "--access-log", "off",                  "--open311-jurisdiction",
            "zz.example", "--open311-ids", "token",                "--open311-crs",
            "gcj02"};
  }

  static std::string* dir_;
  static std::string* key_;
  static std::string* error_;
};

std::string* Open311ServeTest::dir_ = nullptr;
std::string* Open311ServeTest::key_ = nullptr;
std::string* Open311ServeTest::error_ = nullptr;

TEST_F(Open311ServeTest, FlagsSetJurisdictionTokensAndCrsAndWhatWasPostedSurvivesAKill) {
  // A point of the demo district, as a GCJ-02 client (Amap) sends it.
  const geo::LonLat wgs84{113.66977, 34.72417};
  const geo::LonLat gcj02 = geo::Convert(wgs84, geo::Crs::kWgs84, geo::Crs::kGcj02);
  char lat[32], lon[32];
  std::snprintf(lat, sizeof lat, "%.7f", gcj02.lat);
  std::snprintf(lon, sizeof lon, "%.7f", gcj02.lon);
  const std::string form =
      "api_key=" + *key_ + "&service_code=09009&lat=" + lat + "&long=" + lon +
      "&description=%E5%8D%A0%E7%94%A8%E6%B6%88%E9%98%B2%E9%80%9A%E9%81%93"
      "&attribute[plate]=%E8%B1%ABA12345&attribute[blocking][]=fire_lane"
      "&attribute[blocking][]=sidewalk&media_url=https%3A%2F%2Fexample.com%2F1.jpg"
      "&media_url=https%3A%2F%2Fexample.com%2F2.jpg&address_id=A-17";

  std::string token, id;
  {
    auto server = std::make_unique<ServerProcess>(CITYGRID_BINARY, ServeArgs());
    ASSERT_TRUE(server->WaitForListening()) << server->Output();
    HttpClient c("127.0.0.1", server->port());

    // jurisdiction_id: the configured one is served, the district code no longer is.
    EXPECT_EQ(c.Get("/open311/v2/services.json?jurisdiction_id=zz.example").status, 200);
    HttpResponse other = c.Get("/open311/v2/services.json?jurisdiction_id=410103");
    EXPECT_EQ(other.status, 404) << other.body;
    EXPECT_NE(other.body.find("zz.example"), std::string::npos) << other.body;
    HttpResponse refused =
        c.Post("/open311/v2/requests.xml", form + "&jurisdiction_id=410103", kForm);
    EXPECT_EQ(refused.status, 404) << refused.body;

    // Deferred ids: a token, which GET tokens/{token} resolves.
    HttpResponse posted = c.Post("/open311/v2/requests.json", form + "&jurisdiction_id=zz.example",
                                 kForm);
    ASSERT_EQ(posted.status, 200) << posted.body;
    boost::json::value answer = Json(posted);
    token = Str(answer.at(0).at("token"));
    EXPECT_EQ(token.size(), 32u) << posted.body;
    EXPECT_FALSE(answer.at(0).as_object().contains("service_request_id")) << posted.body;
    HttpResponse resolved = c.Get("/open311/v2/tokens/" + token + ".json");
    ASSERT_EQ(resolved.status, 200) << resolved.body;
    id = Str(Json(resolved).at(0).at("service_request_id"));
    ASSERT_FALSE(id.empty());

    // Only the one case exists: the refused POST created nothing.
    boost::json::value all = Json(c.Get("/open311/v2/requests.json"));
    ASSERT_TRUE(all.is_array());
    EXPECT_EQ(all.get_array().size(), 1u) << boost::json::serialize(all);

    // lat/long came in as GCJ-02 and are stored and answered as WGS84.
    boost::json::value got = Json(c.Get("/open311/v2/requests/" + id + ".json"));
    EXPECT_NEAR(got.at(0).at("lat").to_number<double>(), wgs84.lat, 2e-6);
    EXPECT_NEAR(got.at(0).at("long").to_number<double>(), wgs84.lon, 2e-6);
    server->Signal(SIGKILL);
    server->Wait();
  }

  // After a kill and a restart: the token, the attributes and the media URLs are all there.
  ServerProcess again(CITYGRID_BINARY, ServeArgs());
  ASSERT_TRUE(again.WaitForListening()) << again.Output();
  HttpClient c("127.0.0.1", again.port());
  HttpResponse resolved = c.Get("/open311/v2/tokens/" + token + ".json");
  ASSERT_EQ(resolved.status, 200) << resolved.body;
  EXPECT_EQ(Str(Json(resolved).at(0).at("service_request_id")), id);
  boost::json::value got = Json(c.Get("/open311/v2/requests/" + id + ".json?extensions=true"));
  const boost::json::value& r = got.at(0);
  std::vector<std::string> attributes;
  for (const boost::json::value& a : r.at("attributes").as_array()) {
    attributes.push_back(Str(a.at("code")) + "=" + Str(a.at("value")));
  }
  EXPECT_EQ(attributes, (std::vector<std::string>{"plate=豫A12345", "blocking=fire_lane",
                                                  "blocking=sidewalk"}));
  EXPECT_EQ(Str(r.at("media_url")), "https://example.com/1.jpg");
  EXPECT_EQ(r.at("extended_attributes").at("media_urls").as_array().size(), 2u);
  EXPECT_EQ(Str(r.at("address_id")), "A-17");
  again.Signal(SIGTERM);
  EXPECT_EQ(again.Wait(), 0);
}

TEST_F(Open311ServeTest, BadOpen311FlagsAreUsageErrorsNamingTheValue) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"--open311-crs", "mars"}, "--open311-crs 'mars' is not wgs84, gcj02 or bd09"},
      {{"--open311-ids", "later"}, "--open311-ids 'later' is not number or token"},
      {{"--open311-jurisdiction", "a b"}, "--open311-jurisdiction 'a b'"},
  };
  for (const auto& [flags, expect] : bad) {
    std::vector<std::string> args = {"serve", "--data", *dir_ + "/data", "--listen",
                                     "127.0.0.1:0"};
    args.insert(args.end(), flags.begin(), flags.end());
    std::string out;
    EXPECT_EQ(RunProcess(CITYGRID_BINARY, args, &out), 2) << out;
    EXPECT_NE(out.find(expect), std::string::npos) << out;
  }
}

}  // namespace
}  // namespace citygrid::http
