// POST /api/v1/cases/batch (a video-AI detector's batch, with confidence and snapshot), on SQLite
// and on PostgreSQL: reports are created in order, each on its own (a later one merged into an
// earlier one, a bad one refused alone and storing nothing), a retried batch creates nothing
// twice, and a malformed batch is one 400 that does nothing.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "citygrid/storage/audit_chain.h"
#include "tests/http/api_test_util.h"
#include "tests/testing/api_fixture.h"

namespace citygrid::http {
namespace {

using api_test::Body;
using api_test::ErrorCode;
using api_test::Str;
using citygrid::testing::ApiBackend;
using citygrid::testing::ApiFixture;
using citygrid::testing::ApiFixtureOptions;
using citygrid::testing::HttpResponse;

// A 1×1 PNG, and its bytes.
constexpr const char* kPngBase64 =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
std::string PngBytes() {
  static const unsigned char png[] = {
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
      0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
      0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x64,
      0xf8, 0xcf, 0x50, 0x0f, 0x00, 0x03, 0x86, 0x01, 0x80, 0x5a, 0x34, 0x7d, 0x6b, 0x00, 0x00,
      0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
  return std::string(reinterpret_cast<const char*>(png), sizeof png);
}

// One report of a batch: `extra` holds more members (",\"snapshot\":...").
std::string Item(const std::string& channel, double lon, double lat, const std::string& key,
                 const std::string& extra = "", const std::string& category = "06010") {
  std::string item = R"({"channel":")" + channel + R"(","category":")" + category +
                     R"(","description":"摄像头识别：暴露垃圾","lon":)" + std::to_string(lon) +
                     R"(,"lat":)" + std::to_string(lat);
  if (!key.empty()) item += R"(,"idempotency_key":")" + key + "\"";
  return item + extra + "}";
}

std::string Batch(const std::vector<std::string>& items) {
  std::string body = R"({"reports":[)";
  for (size_t i = 0; i < items.size(); ++i) body += (i ? "," : "") + items[i];
  return body + "]}";
}

class ApiBatchTest : public ::testing::TestWithParam<ApiBackend> {
 protected:
  void SetUp() override {
    CITYGRID_API_FIXTURE_READY_OR_SKIP(api_);
    token_ = api_.Login("operator");
  }

  static ApiFixtureOptions Options() {
    ApiFixtureOptions o;
    o.backend = GetParam();
    return o;
  }

  HttpResponse Post(const std::string& body) {
    return api_.client().Post("/api/v1/cases/batch", body, ApiFixture::Auth(token_));
  }

  ApiFixture api_{Options()};
  std::string token_;
};

TEST_P(ApiBatchTest, ReportsAreCreatedInOrderEachOnItsOwn) {
  // A PNG that only a refused report carries: it must not be stored.
  const std::string refused_png = PngBytes() + "refused";
  const std::string refused_hash = storage::Sha256Hex(refused_png);
  std::string refused_b64;
  {
    // base64 of refused_png, by hand (the test's own encoder, not the server's decoder).
    static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const std::string& in = refused_png;
    for (size_t i = 0; i < in.size(); i += 3) {
      uint32_t n = static_cast<unsigned char>(in[i]) << 16;
      if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
      if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
      refused_b64 += abc[(n >> 18) & 63];
      refused_b64 += abc[(n >> 12) & 63];
      refused_b64 += i + 1 < in.size() ? abc[(n >> 6) & 63] : '=';
      refused_b64 += i + 2 < in.size() ? abc[n & 63] : '=';
    }
  }
  const std::string snapshot = std::string(R"(,"snapshot":")") + kPngBase64 + "\"";
  const std::vector<std::string> items = {
      Item("video_ai", 113.607, 34.703, "cam7-0001", R"(,"confidence":0.91)" + snapshot),
      // 9 m away, same category: merged into the first.
      Item("video_ai", 113.6071, 34.7030, "cam7-0002",
           R"(,"confidence":0.88,"snapshot":"data:image/png;base64,)" + std::string(kPngBase64) +
               "\""),
      Item("video_ai", 113.607, 34.703, "cam7-0003", R"(,"snapshot":")" + refused_b64 + "\"",
           "99999"),
      R"({"channel":"video_ai","category":"06010","description":"x","lon":"113.6","lat":34.703,)"
      R"("idempotency_key":"cam7-0004"})",
      Item("public", 113.612, 34.706, "cam7-0005", R"(,"confidence":0.5)"),
      Item("video_ai", 113.612, 34.706, "cam7-0006", R"(,"snapshot":"not base64!")"),
      Item("video_ai", 113.612, 34.706, "cam7-0007", R"(,"snapshot":"aGVsbG8gd29ybGQ=")"),
      Item("video_ai", 113.612, 34.706, ""),
      Item("video_ai", 113.612, 34.706, "cam7-0009", R"(,"confidence":1.5)"),
      Item("public", 113.612, 34.706, "cam7-0010"),
  };
  HttpResponse r = Post(Batch(items));
  ASSERT_EQ(r.status, 200) << r.body;
  boost::json::array results = Body(r)["results"].as_array();
  ASSERT_EQ(results.size(), items.size());
  auto result = [&](size_t i) { return results[i].as_object(); };
  auto message = [&](size_t i) {
    boost::json::object o = result(i);
    return o.contains("error") ? Str(o["error"].as_object()["message"]) : std::string();
  };
  for (size_t i = 0; i < results.size(); ++i) EXPECT_EQ(result(i)["index"].as_int64(), int64_t(i));

  EXPECT_EQ(result(0)["status"].as_int64(), 201) << r.body;
  const std::string first = Str(result(0)["number"]);
  EXPECT_EQ(Str(result(0)["state"]), "reported");
  EXPECT_EQ(result(1)["status"].as_int64(), 201) << r.body;
  EXPECT_EQ(Str(result(1)["state"]), "merged");
  EXPECT_EQ(Str(result(1)["merged_into"]), first);
  EXPECT_EQ(result(1)["duplicates"].as_int64(), 1);
  const std::vector<std::string> expected_errors = {
      "unknown category '99999'",
      "field 'lon' must be a number",
      "confidence is for channel video_ai only, not 'public'",
      "snapshot is not base64 (RFC 4648)",
      "snapshot is not a JPEG, PNG or WebP image",
      "field 'idempotency_key' is required",
      "field 'confidence' must be between 0 and 1",
  };
  for (size_t i = 2; i <= 8; ++i) {
    EXPECT_EQ(result(i)["status"].as_int64(), 400) << i << ": " << r.body;
    EXPECT_EQ(Str(result(i)["error"].as_object()["code"]), "invalid_argument") << i;
    EXPECT_NE(message(i).find(expected_errors[i - 2]), std::string::npos)
        << i << ": " << message(i);
    EXPECT_FALSE(result(i).contains("number")) << i;
  }
  EXPECT_EQ(result(9)["status"].as_int64(), 201) << r.body;
  EXPECT_EQ(api_.CountCases(), 3);

  // The first case carries its snapshot and its confidence.
  HttpResponse got = api_.client().Get("/api/v1/cases/" + first, ApiFixture::Auth(token_));
  ASSERT_EQ(got.status, 200) << got.body;
  boost::json::object c = Body(got);
  ASSERT_EQ(c["photos"].as_array().size(), 1u) << got.body;
  const std::string hash = Str(c["photos"].as_array()[0]);
  EXPECT_EQ(hash, storage::Sha256Hex(PngBytes()));
  HttpResponse media = api_.client().Get("/api/v1/media/" + hash, ApiFixture::Auth(token_));
  EXPECT_EQ(media.status, 200);
  EXPECT_EQ(media.body, PngBytes());
  boost::json::object created = c["history"].as_array()[0].as_object();
  EXPECT_EQ(created["payload"].as_object()["intake"].as_object()["confidence"].to_number<double>(),
            0.91);
  // The refused report's image was never stored.
  EXPECT_EQ(api_.client().Get("/api/v1/media/" + refused_hash, ApiFixture::Auth(token_)).status,
            404);

  // The detector retries the whole batch: nothing is created twice.
  HttpResponse again = Post(Batch(items));
  ASSERT_EQ(again.status, 200) << again.body;
  boost::json::array retried = Body(again)["results"].as_array();
  EXPECT_EQ(retried[0].as_object()["status"].as_int64(), 200);
  EXPECT_EQ(Str(retried[0].as_object()["number"]), first);
  EXPECT_EQ(retried[1].as_object()["status"].as_int64(), 200);
  EXPECT_EQ(Str(retried[1].as_object()["merged_into"]), first);
  EXPECT_EQ(retried[9].as_object()["status"].as_int64(), 200);
  EXPECT_EQ(Str(retried[9].as_object()["number"]), Str(result(9)["number"]));
  EXPECT_EQ(retried[2].as_object()["status"].as_int64(), 400);
  EXPECT_EQ(api_.CountCases(), 3);
}

TEST_P(ApiBatchTest, AMalformedBatchIsOne400AndDoesNothing) {
  const std::string one = Item("video_ai", 113.607, 34.703, "k1");
  std::vector<std::string> too_many(101, one);
  for (size_t i = 0; i < too_many.size(); ++i) {
    too_many[i] = Item("video_ai", 113.607, 34.703, "k" + std::to_string(i));
  }
  const std::pair<std::string, std::string> bad[] = {
      {"{\"reports\":[", "body is not JSON"},
      {"[]", "body must be a JSON object"},
      {R"({"reports":{}})", "field 'reports' must be a list of reports"},
      {R"({"items":[]})", "unknown field 'items'"},
      {R"({"reports":[]})", "reports is empty"},
      {Batch(too_many), "reports has 101 reports, at most 100"},
  };
  for (const auto& [body, expected] : bad) {
    HttpResponse r = Post(body);
    EXPECT_EQ(r.status, 400) << body.substr(0, 60) << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_argument");
    EXPECT_NE(r.body.find(expected), std::string::npos) << r.body;
  }
  // A snapshot over the server's photo limit (64 KiB in the fixture) is that report's 400.
  HttpResponse big = Post(Batch({Item("video_ai", 113.607, 34.703, "big",
                                      R"(,"snapshot":")" + std::string(93'400, 'A') + "\"")}));
  ASSERT_EQ(big.status, 200) << big.body.substr(0, 200);
  boost::json::object big_result = Body(big)["results"].as_array()[0].as_object();
  EXPECT_EQ(big_result["status"].as_int64(), 400);
  EXPECT_EQ(Str(big_result["error"].as_object()["message"]),
            "snapshot is over the limit of 65536 bytes");
  HttpResponse anonymous = api_.client().Post("/api/v1/cases/batch", Batch({one}), {});
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(api_.CountCases(), 0);
  // A single create takes a confidence too, for video_ai only and within 0..1.
  HttpResponse single = api_.client().Post(
      "/api/v1/cases", R"({"channel":"public","category":"06010","description":"x","lon":113.607,)"
                       R"("lat":34.703,"confidence":0.7})",
      ApiFixture::Auth(token_));
  EXPECT_EQ(single.status, 400);
  EXPECT_NE(single.body.find("confidence is for channel video_ai only"), std::string::npos);
  EXPECT_EQ(api_.CountCases(), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiBatchTest,
                         ::testing::Values(ApiBackend::kSqlite, ApiBackend::kPostgres),
                         [](const ::testing::TestParamInfo<ApiBackend>& info) {
                           return std::string(citygrid::testing::Name(info.param));
                         });

}  // namespace
}  // namespace citygrid::http
