// The HTTP side of auth against a real in-process server.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <string>

#include "tests/testing/api_fixture.h"

namespace citygrid::http {
namespace {

using citygrid::testing::ApiBackend;
using citygrid::testing::ApiFixture;
using citygrid::testing::ApiFixtureOptions;
using citygrid::testing::HttpResponse;

boost::json::object Body(const HttpResponse& r) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(r.body, ec);
  EXPECT_FALSE(ec) << r.body;
  return v.is_object() ? v.as_object() : boost::json::object();
}

std::string ErrorCode(const HttpResponse& r) {
  boost::json::object o = Body(r);
  if (!o.contains("error")) return "";
  return std::string(o["error"].as_object()["code"].as_string());
}

class ApiAuthTest : public ::testing::TestWithParam<ApiBackend> {
 protected:
  void SetUp() override { CITYGRID_API_FIXTURE_READY_OR_SKIP(api_); }
  static ApiFixtureOptions Options() {
    ApiFixtureOptions o;
    o.backend = GetParam();
    return o;
  }

  ApiFixture api_{Options()};
};

TEST_P(ApiAuthTest, LoginReturnsTokenExpiryAndUser) {
  HttpResponse r = api_.client().Post(
      "/api/v1/auth/login", R"({"username":"handler","password":"correct-horse-42"})");
  ASSERT_EQ(r.status, 200) << r.body;
  boost::json::object o = Body(r);
  EXPECT_EQ(o["token"].as_string().size(), 64u);
  EXPECT_EQ(o["expires_at"].as_string(), "2026-03-10T21:30:00+08:00");
  boost::json::object user = o["user"].as_object();
  EXPECT_EQ(user["username"].as_string(), "handler");
  EXPECT_EQ(user["role"].as_string(), "handler");
  EXPECT_EQ(user["unit"].as_string(), "U-SZ");
}

TEST_P(ApiAuthTest, WrongPasswordIs401) {
  HttpResponse r = api_.client().Post("/api/v1/auth/login",
                                      R"({"username":"handler","password":"wrong-password"})");
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(ErrorCode(r), "unauthenticated");
}

TEST_P(ApiAuthTest, MalformedLoginBodyIs400NamingTheField) {
  HttpResponse r = api_.client().Post("/api/v1/auth/login", R"({"username":"handler"})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("password"), std::string::npos) << r.body;
  EXPECT_EQ(api_.client().Post("/api/v1/auth/login", "not json").status, 400);
}

TEST_P(ApiAuthTest, RepeatedFailuresAreThrottledWith429) {
  int last = 0;
  for (int i = 0; i < 7; ++i) {
    last = api_.client()
               .Post("/api/v1/auth/login", R"({"username":"leader","password":"nope-nope"})")
               .status;
  }
  EXPECT_EQ(last, 429);
  HttpResponse good = api_.client().Post(
      "/api/v1/auth/login", R"({"username":"leader","password":"correct-horse-42"})");
  EXPECT_EQ(good.status, 429) << "a locked-out user stays locked out for the window";
}

TEST_P(ApiAuthTest, MeNeedsAValidToken) {
  HttpResponse missing = api_.client().Get("/api/v1/auth/me");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(ErrorCode(missing), "unauthenticated");
  EXPECT_NE(missing.Header("WWW-Authenticate").find("Bearer"), std::string::npos);
  EXPECT_EQ(api_.client().Get("/api/v1/auth/me", ApiFixture::Auth("deadbeef")).status, 401);

  std::string token = api_.Login("dispatcher");
  HttpResponse me = api_.client().Get("/api/v1/auth/me", ApiFixture::Auth(token));
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(Body(me)["user"].as_object()["role"].as_string(), "dispatcher");
}

// A connection remembers the last token's key (http::ConnectionMemo): each request is still
// answered as the user of the token it carries, and a token that changes on the connection, is
// unknown, or was used before on it is checked afresh.
TEST_P(ApiAuthTest, OneConnectionAnswersEachRequestAsTheUserOfItsOwnToken) {
  const std::string dispatcher = api_.Login("dispatcher");
  const std::string handler = api_.Login("handler");
  auto role = [&](const std::string& token) -> std::string {
    HttpResponse me = api_.client().Get("/api/v1/auth/me", ApiFixture::Auth(token));
    if (me.status != 200) return std::to_string(me.status);
    return std::string(Body(me)["user"].as_object()["role"].as_string());
  };
  EXPECT_EQ(role(handler), "handler");
  const int connections = api_.client().connections_opened();
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(role(dispatcher), "dispatcher");
    EXPECT_EQ(role(dispatcher), "dispatcher");
    EXPECT_EQ(role(handler), "handler");
  }
  EXPECT_EQ(role(dispatcher + "0"), "401");
  EXPECT_EQ(role(handler.substr(0, 63)), "401");
  EXPECT_EQ(role(handler), "handler");
  EXPECT_EQ(api_.client().connections_opened(), connections);  // all on one connection
}

TEST_P(ApiAuthTest, LogoutRevokesTheToken) {
  std::string token = api_.Login("operator");
  // Used first, so the node trusts it from memory: logout must still end it at once.
  EXPECT_EQ(api_.client().Get("/api/v1/auth/me", ApiFixture::Auth(token)).status, 200);
  EXPECT_EQ(api_.client().Get("/api/v1/cases", ApiFixture::Auth(token)).status, 200);
  EXPECT_EQ(api_.client().Post("/api/v1/auth/logout", "", ApiFixture::Auth(token)).status, 200);
  EXPECT_EQ(api_.client().Get("/api/v1/auth/me", ApiFixture::Auth(token)).status, 401);
  EXPECT_EQ(api_.client().Get("/api/v1/cases", ApiFixture::Auth(token)).status, 401);
}

TEST_P(ApiAuthTest, ExpiredTokenIs401) {
  std::string token = api_.Login("operator");
  EXPECT_EQ(api_.client().Get("/api/v1/cases", ApiFixture::Auth(token)).status, 200);
  api_.clock().Advance(std::chrono::hours(13));
  HttpResponse r = api_.client().Get("/api/v1/cases", ApiFixture::Auth(token));
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(ErrorCode(r), "unauthenticated");
  // A write with the expired token is refused and leaves nothing behind.
  HttpResponse create = api_.client().Post(
      "/api/v1/cases",
      R"({"channel":"public","category":"06010","description":"x","lon":113.607,"lat":34.703})",
      {{"Authorization", "Bearer " + token}, {"Idempotency-Key", "expired-1"}});
  EXPECT_EQ(create.status, 401) << create.body;
  EXPECT_EQ(ErrorCode(create), "unauthenticated");
  EXPECT_EQ(api_.CountCases(), 0);
}

// The same suite on SQLite and on PostgreSQL ($CITYGRID_TEST_POSTGRES_DSN; skipped without it).
INSTANTIATE_TEST_SUITE_P(Backends, ApiAuthTest,
                         ::testing::Values(ApiBackend::kSqlite, ApiBackend::kPostgres),
                         [](const ::testing::TestParamInfo<ApiBackend>& info) {
                           return std::string(citygrid::testing::Name(info.param));
                         });

}  // namespace
}  // namespace citygrid::http
