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
using citygrid::testing::ApiFixture;
using citygrid::testing::HttpClient;
using citygrid::testing::HttpResponse;

TEST(ApiStreamTest, SubscriberReceivesTheEventOfANewCase) {
  ApiFixture api;
  ASSERT_TRUE(api.ready()) << api.error();
  std::string token = api.Login("operator");
  HttpClient stream("127.0.0.1", api.port());
  ASSERT_TRUE(stream.Connect());
  ASSERT_TRUE(stream.SendRaw("GET /api/v1/stream?access_token=" + token +
                             " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"));
  HttpResponse head = stream.ReadResponseHead();
  ASSERT_EQ(head.status, 200) << head.body;
  EXPECT_NE(head.Header("Content-Type").find("text/event-stream"), std::string::npos);
  // Let the subscription register before the write.
  for (int i = 0; i < 100 && api.feed().subscriber_count() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  HttpResponse created = api.client().Post("/api/v1/cases", Report(), ApiFixture::Auth(token));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string number = Str(Body(created)["number"]);
  std::string text = stream.ReadStreamUntil(number, std::chrono::seconds(10));
  EXPECT_NE(text.find("event: created"), std::string::npos) << text;
  EXPECT_NE(text.find("\"number\":\"" + number + "\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"state\":\"reported\""), std::string::npos) << text;
}

TEST(ApiStreamTest, HandlerDoesNotReceiveAnotherUnitsCases) {
  ApiFixture api;
  ASSERT_TRUE(api.ready()) << api.error();
  std::string op = api.Login("operator");
  std::string handler2 = api.Login("handler2");
  HttpClient stream("127.0.0.1", api.port());
  ASSERT_TRUE(stream.Connect());
  ASSERT_TRUE(stream.SendRaw("GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                             handler2 + "\r\n\r\n"));
  ASSERT_EQ(stream.ReadResponseHead().status, 200);
  for (int i = 0; i < 100 && api.feed().subscriber_count() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  HttpResponse created = api.client().Post("/api/v1/cases", Report(), ApiFixture::Auth(op));
  ASSERT_EQ(created.status, 201);
  const std::string number = Str(Body(created)["number"]);
  std::string text = stream.ReadStreamUntil(number, std::chrono::milliseconds(1500));
  EXPECT_EQ(text.find(number), std::string::npos) << text;
}

// The stream outlives its opening request: a logout ends it before it delivers anything more.
TEST(ApiStreamTest, ALogoutEndsTheStreamBeforeItsNextEvent) {
  ApiFixture api;
  ASSERT_TRUE(api.ready()) << api.error();
  std::string op = api.Login("operator");
  std::string watcher = api.Login("dispatcher");
  HttpClient stream("127.0.0.1", api.port());
  ASSERT_TRUE(stream.Connect());
  ASSERT_TRUE(stream.SendRaw("GET /api/v1/stream?access_token=" + watcher +
                             " HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(stream.ReadResponseHead().status, 200);
  for (int i = 0; i < 100 && api.feed().subscriber_count() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
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

TEST(ApiStreamTest, StreamNeedsAToken) {
  ApiFixture api;
  ASSERT_TRUE(api.ready()) << api.error();
  EXPECT_EQ(api.client().Get("/api/v1/stream").status, 401);
  EXPECT_EQ(api.client().Get("/api/v1/stream?access_token=bogus").status, 401);
}

}  // namespace
}  // namespace citygrid::http
