// GET /api/v1/stream: server-sent events of case changes, filtered by what the caller may see.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/http/api_test_util.h"
#include "tests/testing/api_fixture.h"

namespace citygrid::http {
namespace {

using api_test::Body;
using api_test::Report;
using api_test::Str;
using citygrid::testing::ApiBackend;
using citygrid::testing::ApiFixture;
using citygrid::testing::ApiFixtureOptions;
using citygrid::testing::HttpClient;
using citygrid::testing::HttpResponse;

// The same suite on SQLite and on PostgreSQL ($CITYGRID_TEST_POSTGRES_DSN; skipped without it).
class ApiStreamTest : public ::testing::TestWithParam<ApiBackend> {
 protected:
  void SetUp() override { CITYGRID_API_FIXTURE_READY_OR_SKIP(api_); }
  static ApiFixtureOptions Options() {
    ApiFixtureOptions o;
    o.backend = GetParam();
    return o;
  }
  ApiFixture api_{Options()};
};

// Opens GET /api/v1/stream`query` on `stream` with `headers` ("Name: value\r\n" lines) and, once
// the answer's head is read, waits (bounded) until the feed has a subscriber, so that a write
// made next is seen. Returns the head ("" status 0 when the connection failed).
HttpResponse OpenStream(ApiFixture& api, HttpClient& stream, const std::string& query,
                        const std::string& headers) {
  if (!stream.Connect() || !stream.SendRaw("GET /api/v1/stream" + query +
                                           " HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n")) {
    return HttpResponse{};
  }
  HttpResponse head = stream.ReadResponseHead();
  for (int i = 0; i < 100 && head.status == 200 && api.feed().subscriber_count() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return head;
}

TEST_P(ApiStreamTest, SubscriberReceivesTheEventOfANewCase) {
  ApiFixture& api = api_;
  std::string token = api.Login("operator");
  HttpClient stream("127.0.0.1", api.port());
  HttpResponse head =
      OpenStream(api, stream, "?access_token=" + token, "Accept: text/event-stream\r\n");
  ASSERT_EQ(head.status, 200) << head.body;
  EXPECT_NE(head.Header("Content-Type").find("text/event-stream"), std::string::npos);
  HttpResponse created = api.client().Post("/api/v1/cases", Report(), ApiFixture::Auth(token));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string number = Str(Body(created)["number"]);
  std::string text = stream.ReadStreamUntil(number, std::chrono::seconds(10));
  EXPECT_NE(text.find("event: created"), std::string::npos) << text;
  EXPECT_NE(text.find("\"number\":\"" + number + "\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"state\":\"reported\""), std::string::npos) << text;
}

TEST_P(ApiStreamTest, HandlerDoesNotReceiveAnotherUnitsCases) {
  ApiFixture& api = api_;
  std::string op = api.Login("operator");
  std::string handler2 = api.Login("handler2");
  HttpClient stream("127.0.0.1", api.port());
  ASSERT_EQ(OpenStream(api, stream, "", "Authorization: Bearer " + handler2 + "\r\n").status, 200);
  HttpResponse created = api.client().Post("/api/v1/cases", Report(), ApiFixture::Auth(op));
  ASSERT_EQ(created.status, 201);
  const std::string number = Str(Body(created)["number"]);
  std::string text = stream.ReadStreamUntil(number, std::chrono::milliseconds(1500));
  EXPECT_EQ(text.find(number), std::string::npos) << text;
}

// The stream outlives its opening request: a logout ends it before it delivers anything more.
TEST_P(ApiStreamTest, ALogoutEndsTheStreamBeforeItsNextEvent) {
  ApiFixture& api = api_;
  std::string op = api.Login("operator");
  std::string watcher = api.Login("dispatcher");
  HttpClient stream("127.0.0.1", api.port());
  ASSERT_EQ(OpenStream(api, stream, "?access_token=" + watcher, "").status, 200);
  HttpResponse first = api.client().Post("/api/v1/cases", Report(), ApiFixture::Auth(op));
  ASSERT_EQ(first.status, 201);
  const std::string seen = Str(Body(first)["number"]);
  EXPECT_NE(stream.ReadStreamUntil(seen, std::chrono::seconds(10)).find(seen), std::string::npos);

  ASSERT_EQ(api.client().Post("/api/v1/auth/logout", "", ApiFixture::Auth(watcher)).status, 200);
  HttpResponse second = api.client().Post("/api/v1/cases", Report(), ApiFixture::Auth(op));
  ASSERT_EQ(second.status, 201);
  const std::string unseen = Str(Body(second)["number"]);
  std::string text = stream.ReadStreamUntil(unseen, std::chrono::seconds(3));
  EXPECT_EQ(text.find(unseen), std::string::npos) << text;
  EXPECT_TRUE(stream.WaitForClose(std::chrono::seconds(5)));
}

// The id: of the first event in `text` ("" when none).
std::string FirstId(const std::string& text) {
  size_t at = text.find("id: ");
  if (at == std::string::npos) return "";
  return text.substr(at + 4, text.find('\n', at) - at - 4);
}

// An EventSource that reconnects sends Last-Event-ID: the stream replays what it missed.
TEST_P(ApiStreamTest, AReconnectionWithLastEventIdReplaysWhatWasMissed) {
  ApiFixture& api = api_;
  std::string op = api.Login("operator");
  std::string watcher = api.Login("dispatcher");
  std::string last_id;
  {
    HttpClient stream("127.0.0.1", api.port());
    ASSERT_EQ(OpenStream(api, stream, "?access_token=" + watcher, "").status, 200);
    HttpResponse first = api.client().Post("/api/v1/cases", Report(), ApiFixture::Auth(op));
    ASSERT_EQ(first.status, 201);
    std::string text = stream.ReadStreamUntil(Str(Body(first)["number"]), std::chrono::seconds(10));
    last_id = FirstId(text);
    ASSERT_FALSE(last_id.empty()) << text;
  }  // the connection drops
  for (int i = 0; i < 100 && api.feed().subscriber_count() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  HttpResponse missed = api.client().Post("/api/v1/cases", Report(), ApiFixture::Auth(op));
  ASSERT_EQ(missed.status, 201);
  const std::string number = Str(Body(missed)["number"]);
  // Wait until the feed has passed the missed event, so that only a replay can bring it.
  const int64_t before = std::stoll(last_id);
  for (int i = 0; i < 250 && api.feed().position() <= before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GT(api.feed().position(), before);

  HttpClient again("127.0.0.1", api.port());
  ASSERT_EQ(OpenStream(api, again, "?access_token=" + watcher, "Last-Event-ID: " + last_id + "\r\n")
                .status,
            200);
  std::string text = again.ReadStreamUntil(number, std::chrono::seconds(10));
  EXPECT_NE(text.find("event: created"), std::string::npos) << text;
  EXPECT_NE(text.find("\"number\":\"" + number + "\""), std::string::npos) << text;
  EXPECT_EQ(text.find("id: " + last_id + "\n"), std::string::npos) << "repeated: " << text;
  EXPECT_EQ(FirstId(text), std::to_string(before + 1)) << text;
  EXPECT_NE(text.find("\"event_version\":1"), std::string::npos) << text;
}

TEST_P(ApiStreamTest, AnUnknownOrBadLastEventIdIsAResetOrA400) {
  ApiFixture& api = api_;
  std::string watcher = api.Login("dispatcher");
  HttpClient stream("127.0.0.1", api.port());
  ASSERT_EQ(
      OpenStream(api, stream, "?access_token=" + watcher, "Last-Event-ID: 999999999\r\n").status,
      200);
  std::string text = stream.ReadStreamUntil("reload", std::chrono::seconds(10));
  EXPECT_NE(text.find("event: reset"), std::string::npos) << text;
  EXPECT_NE(text.find("999999999 is not one this feed has sent"), std::string::npos) << text;

  // A whole number past any id (even past 2^63 - 1) is a reset too, not a 400.
  HttpClient huge("127.0.0.1", api.port());
  ASSERT_EQ(OpenStream(api, huge, "?access_token=" + watcher,
                       "Last-Event-ID: 18446744073709551616\r\n")
                .status,
            200);
  EXPECT_NE(huge.ReadStreamUntil("reload", std::chrono::seconds(10)).find("event: reset"),
            std::string::npos);
  // Two ids: which one the client meant is unknown.
  HttpResponse twice = api.client().Get("/api/v1/stream?access_token=" + watcher,
                                        {{"Last-Event-ID", "1"}, {"Last-Event-ID", "abc"}});
  EXPECT_EQ(twice.status, 400);
  EXPECT_NE(twice.body.find("Last-Event-ID is given 2 times"), std::string::npos) << twice.body;
  for (const char* bad : {"abc", "-3", "12x", "1e3", "-18446744073709551616"}) {
    HttpResponse r =
        api.client().Get("/api/v1/stream?access_token=" + watcher, {{"Last-Event-ID", bad}});
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_NE(r.body.find("Last-Event-ID"), std::string::npos) << r.body;
  }
}

TEST_P(ApiStreamTest, StreamNeedsAToken) {
  ApiFixture& api = api_;
  EXPECT_EQ(api.client().Get("/api/v1/stream").status, 401);
  EXPECT_EQ(api.client().Get("/api/v1/stream?access_token=bogus").status, 401);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiStreamTest,
                         ::testing::Values(ApiBackend::kSqlite, ApiBackend::kPostgres),
                         [](const ::testing::TestParamInfo<ApiBackend>& info) {
                           return std::string(citygrid::testing::Name(info.param));
                         });

}  // namespace
}  // namespace citygrid::http
