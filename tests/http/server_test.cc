#include "citygrid/http/server.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <filesystem>
#include <pthread.h>
#include <string>
#include <vector>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "citygrid/common/utf8.h"
#include "citygrid/http/error_mapping.h"
#include "citygrid/http/sse.h"
#include "citygrid/http/static_files.h"
#include "citygrid/http/system_routes.h"
#include "src/http/server_state.h"
#include "tests/testing/http_client.h"
#include "tests/testing/paths.h"

namespace citygrid::http {
namespace {

using namespace std::chrono_literals;
using testing::HttpClient;
using testing::HttpResponse;

ServerOptions TestOptions() {
  ServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.threads = 2;
  o.access_log = "";
  return o;
}

// Waits (bounded) until `condition` holds.
template <typename F>
bool Eventually(F condition, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

Router EchoRouter() {
  Router router;
  (void)router.Add(Method::kGet, "/hello/{name}", [](const Request& req, const RouteParams& p) {
    return Response::Text(200, "hello " + std::string(p.Get("name")) + " from " +
                                   (req.remote_address.empty() ? "?" : "client"));
  });
  (void)router.Add(Method::kPost, "/echo", [](const Request& req, const RouteParams&) {
    Response r = Response::Json(200, req.body);
    r.headers.Set("X-Content-Type-Seen", req.headers.GetOr("content-type", ""));
    return r;
  });
  (void)router.Add(Method::kGet, "/boom", [](const Request&, const RouteParams&) -> Response {
    throw std::runtime_error("kaput");
  });
  (void)router.AddAsync(Method::kGet, "/async",
                        [](const Request&, const RouteParams&, Responder respond) {
                          std::thread([respond] {
                            std::this_thread::sleep_for(20ms);
                            respond(ErrorResponse(AbortedError("version 3 is stale")));
                          }).detach();
                        });
  return router;
}

std::unique_ptr<Server> StartServer(Router router, ServerOptions options = TestOptions(),
                                    std::shared_ptr<Metrics> metrics = nullptr) {
  auto server = std::make_unique<Server>(std::move(router), options, std::move(metrics));
  Status started = server->Start();
  EXPECT_TRUE(started.ok()) << started.ToString();
  return server;
}

TEST(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto server = StartServer(EchoRouter());
  HttpClient client("127.0.0.1", server->port());
  for (int i = 0; i < 5; ++i) {
    HttpResponse r = client.Get("/hello/n" + std::to_string(i));
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.body, "hello n" + std::to_string(i) + " from client");
    EXPECT_EQ(r.Header("Server"), "citygrid");
  }
  HttpResponse post = client.Post("/echo", R"({"a":1})");
  EXPECT_EQ(post.status, 200);
  EXPECT_EQ(post.body, R"({"a":1})");
  EXPECT_EQ(post.Header("X-Content-Type-Seen"), "application/json");
  EXPECT_EQ(client.connections_opened(), 1);
}

// Server::Post from several threads at once (as the store's committer hands over a batch of
// completions): every job runs once, on a server thread (in no promised order: two bursts may
// run on the two threads at once), and a job that throws does not keep the rest of its burst
// from running.
TEST(ServerTest, PostRunsEveryJobOnceOnAServerThread) {
  auto server = StartServer(EchoRouter());
  constexpr int kPosters = 4;
  constexpr int kJobs = 2000;
  std::mutex mu;
  std::vector<std::vector<int>> seen(kPosters);  // GUARDED_BY(mu)
  std::atomic<int> off_server_thread{0};
  std::atomic<int> ran{0};
  std::vector<std::thread> posters;
  for (int p = 0; p < kPosters; ++p) {
    posters.emplace_back([&, p] {
      for (int i = 0; i < kJobs; ++i) {
        server->Post([&, p, i] {
          char name[16] = {};
          pthread_getname_np(pthread_self(), name, sizeof name);
          if (std::string(name) != "cg-http") off_server_thread.fetch_add(1);
          {
            std::lock_guard<std::mutex> lock(mu);
            seen[p].push_back(i);
          }
          ran.fetch_add(1);
          if (i % 500 == 7) throw std::runtime_error("a job's own failure");
        });
      }
    });
  }
  for (std::thread& t : posters) t.join();
  ASSERT_TRUE(Eventually([&] { return ran.load() == kPosters * kJobs; }))
      << ran.load() << " of " << kPosters * kJobs << " jobs ran";
  EXPECT_EQ(off_server_thread.load(), 0);
  std::lock_guard<std::mutex> lock(mu);
  for (int p = 0; p < kPosters; ++p) {
    ASSERT_EQ(seen[p].size(), static_cast<size_t>(kJobs)) << "poster " << p;
    std::sort(seen[p].begin(), seen[p].end());
    for (int i = 0; i < kJobs; ++i) ASSERT_EQ(seen[p][i], i) << "poster " << p;
  }
  // The server still serves.
  HttpClient client("127.0.0.1", server->port());
  EXPECT_EQ(client.Get("/hello/after").status, 200);
}

TEST(ServerTest, AnswersErrorsAsJson) {
  auto server = StartServer(EchoRouter());
  HttpClient client("127.0.0.1", server->port());
  HttpResponse missing = client.Get("/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.Header("Content-Type"), "application/json");
  EXPECT_EQ(missing.body, R"({"error":{"code":"not_found","message":"no such endpoint: /nope"}})");

  HttpResponse wrong_method = client.Post("/hello/x", "{}");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.Header("Allow"), "GET, HEAD");

  // A method the server does not know at all: 501, naming the method as it was sent.
  HttpResponse unknown_method = client.Request("BREW", "/hello/x", "");
  EXPECT_EQ(unknown_method.status, 501);
  EXPECT_EQ(unknown_method.body,
            R"({"error":{"code":"not_implemented","message":"method BREW is not implemented by )"
            R"(this server; it knows GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS"}})");

  HttpResponse boom = client.Get("/boom");
  EXPECT_EQ(boom.status, 500);
  EXPECT_EQ(boom.body, R"({"error":{"code":"internal","message":"the handler failed: kaput"}})");

  HttpResponse stale = client.Get("/async");
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(stale.body, R"({"error":{"code":"aborted","message":"version 3 is stale"}})");

  // The connection survived all of them.
  EXPECT_EQ(client.Get("/hello/again").status, 200);
  EXPECT_EQ(client.connections_opened(), 1);
}

// An asynchronous handler's thread may keep its copy of the responder after answering (the
// CI run that found this: a detached thread's lambda was destroyed after the test had destroyed
// the server). Calling the responder hands the connection to the event loop, so the server shuts
// down without waiting for that thread, and the thread's late release touches nothing of it.
TEST(ServerTest, AResponderKeptAfterItsAnswerHoldsNoConnection) {
  struct Lingering {
    std::mutex mu;
    std::condition_variable cv;
    bool server_gone = false;  // GUARDED_BY(mu)
    bool released = false;     // GUARDED_BY(mu)
  };
  auto lingering = std::make_shared<Lingering>();
  Router router;
  (void)router.AddAsync(Method::kGet, "/linger",
                        [lingering](const Request&, const RouteParams&, Responder respond) {
                          std::thread([lingering, respond]() mutable {
                            respond(Response::Text(200, "answered"));
                            std::unique_lock<std::mutex> lock(lingering->mu);
                            lingering->cv.wait(lock, [&] { return lingering->server_gone; });
                            respond = nullptr;  // the late release
                            lingering->released = true;
                            lingering->cv.notify_all();
                          }).detach();
                        });
  ServerOptions options = TestOptions();
  options.shutdown_grace = 3s;
  auto server = StartServer(std::move(router), options);
  {
    HttpClient client("127.0.0.1", server->port());
    HttpResponse r = client.Get("/linger");
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.body, "answered");
  }
  auto before = std::chrono::steady_clock::now();
  server.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 2s)
      << "the server waited out its shutdown grace for a connection the responder held";
  std::unique_lock<std::mutex> lock(lingering->mu);
  lingering->server_gone = true;
  lingering->cv.notify_all();
  EXPECT_TRUE(lingering->cv.wait_for(lock, 5s, [&] { return lingering->released; }));
}

TEST(ServerTest, HeadAnswersGetHeadersWithoutBody) {
  auto server = StartServer(EchoRouter());
  HttpClient client("127.0.0.1", server->port());
  HttpResponse head = client.Head("/hello/abc");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(head.Header("Content-Length"), std::to_string(std::string("hello abc from client").size()));
  // The next request on the same connection still parses: no stray body was sent.
  EXPECT_EQ(client.Get("/hello/abc").body, "hello abc from client");
  EXPECT_EQ(client.connections_opened(), 1);
}

TEST(ServerTest, BadTargetIs400) {
  auto server = StartServer(EchoRouter());
  HttpClient client("127.0.0.1", server->port());
  HttpResponse r = client.Get("/hello/%zz");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("\"code\":\"invalid_argument\""), std::string::npos) << r.body;
}

TEST(ServerTest, TargetsThatAreNotUtf8Are400WithAUtf8Answer) {
  auto server = StartServer(EchoRouter());
  HttpClient client("127.0.0.1", server->port());
  HttpResponse r = client.Get("/hello/%ff");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"error":{"code":"invalid_argument","message":"request path segment 2 )"
                    R"(is not UTF-8 once percent-decoded"}})");
  // Raw bytes in the target, which the URL parser refuses: the answer quotes them as U+FFFD.
  ASSERT_TRUE(client.SendRaw("GET /hello/\xff HTTP/1.1\r\nHost: t\r\n\r\n"));
  HttpResponse raw = client.ReadResponse();
  EXPECT_EQ(raw.status, 400) << raw.error;
  EXPECT_TRUE(IsValidUtf8(raw.body)) << raw.body;
}

TEST(ServerTest, NoHostOrAnUnknownTransferCodingIsRefused) {
  auto server = StartServer(EchoRouter());
  HttpClient no_host("127.0.0.1", server->port());
  ASSERT_TRUE(no_host.SendRaw("GET /hello/x HTTP/1.1\r\n\r\n"));
  HttpResponse r = no_host.ReadResponse();
  EXPECT_EQ(r.status, 400) << r.error;
  EXPECT_EQ(r.body, R"({"error":{"code":"invalid_argument","message":"HTTP/1.1 request without )"
                    R"(a Host header"}})");

  HttpClient old("127.0.0.1", server->port());  // HTTP/1.0 has no Host requirement
  ASSERT_TRUE(old.SendRaw("GET /hello/x HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(old.ReadResponse().status, 200);

  HttpClient gzip("127.0.0.1", server->port());
  ASSERT_TRUE(gzip.SendRaw("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n"
                           "\r\n5\r\nhello\r\n0\r\n\r\n"));
  HttpResponse coded = gzip.ReadResponse();
  EXPECT_EQ(coded.status, 501) << coded.error;
  EXPECT_NE(coded.body.find("transfer coding 'gzip, chunked' is not supported"), std::string::npos)
      << coded.body;

  HttpClient fine("127.0.0.1", server->port());
  EXPECT_EQ(fine.Get("/hello/y").status, 200);
}

TEST(ServerTest, BodyOverTheLimitGets413AndTheConnectionCloses) {
  ServerOptions options = TestOptions();
  options.body_limit = 1024;
  auto server = StartServer(EchoRouter(), options);
  HttpClient client("127.0.0.1", server->port());
  EXPECT_EQ(client.Post("/echo", std::string(1024, 'x')).status, 200);  // at the limit: fine

  HttpResponse r = client.Post("/echo", std::string(64 * 1024, 'x'));
  EXPECT_EQ(r.status, 413) << r.error;
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  EXPECT_EQ(r.body, R"({"error":{"code":"resource_exhausted","message":"request body exceeds the limit of 1024 bytes"}})");
  EXPECT_EQ(r.Header("Connection"), "close");
  EXPECT_FALSE(client.connected());

  // A chunked body, whose size is not announced, is cut off at the limit too.
  HttpClient chunked("127.0.0.1", server->port());
  std::string chunk(800, 'y');
  std::ostringstream raw;
  raw << "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) raw << std::hex << chunk.size() << "\r\n" << chunk << "\r\n";
  raw << "0\r\n\r\n";
  ASSERT_TRUE(chunked.SendRaw(raw.str()));
  HttpResponse cut = chunked.ReadResponse();
  EXPECT_EQ(cut.status, 413) << cut.error;
  EXPECT_TRUE(chunked.WaitForClose(5s));

  // The server is still fine for everyone else.
  HttpClient other("127.0.0.1", server->port());
  EXPECT_EQ(other.Get("/hello/ok").status, 200);
  // Counted once the server has finished writing, which may be just after the client read it.
  EXPECT_TRUE(Eventually(
      [&] { return server->metrics().RequestCount("/echo", Method::kPost, 413) == 2; }));
}

TEST(ServerTest, ExpectContinueIsHonoured) {
  auto server = StartServer(EchoRouter());
  HttpClient client("127.0.0.1", server->port());
  ASSERT_TRUE(client.SendRaw(
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 7\r\nExpect: 100-continue\r\n\r\n"));
  HttpResponse interim = client.ReadResponseHead();
  EXPECT_EQ(interim.status, 100);
  ASSERT_TRUE(client.SendRaw(R"({"a":1})"));
  HttpResponse r = client.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"a":1})");
}

TEST(ServerTest, SlowHeaderIsDisconnected) {
  ServerOptions options = TestOptions();
  options.header_timeout = 200ms;
  options.read_timeout = 300ms;
  auto server = StartServer(EchoRouter(), options);
  HttpClient slow("127.0.0.1", server->port());
  ASSERT_TRUE(slow.SendRaw("GET /hello/x HTTP/1.1\r\nHost: t\r\n"));  // never finished
  HttpResponse late = slow.ReadResponse();
  EXPECT_EQ(late.status, 408) << late.error;
  EXPECT_EQ(late.body, R"({"error":{"code":"deadline_exceeded","message":"request header not )"
                       R"(received within the timeout of 200 ms"}})");
  EXPECT_TRUE(slow.WaitForClose(5s));

  // A body announced and never sent: 408 after the read timeout, then the connection closes.
  HttpClient bodiless("127.0.0.1", server->port());
  ASSERT_TRUE(bodiless.SendRaw("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc"));
  HttpResponse cut = bodiless.ReadResponse();
  EXPECT_EQ(cut.status, 408) << cut.error;
  EXPECT_NE(cut.body.find("request body not received within the timeout of 300 ms"),
            std::string::npos) << cut.body;
  EXPECT_TRUE(bodiless.WaitForClose(5s));

  HttpClient silent("127.0.0.1", server->port());
  ASSERT_TRUE(silent.Connect());
  EXPECT_TRUE(silent.WaitForClose(5s));

  HttpClient fine("127.0.0.1", server->port());
  EXPECT_EQ(fine.Get("/hello/y").status, 200);
}

TEST(ServerTest, OversizedHeaderGets431) {
  ServerOptions options = TestOptions();
  options.header_limit = 1024;
  auto server = StartServer(EchoRouter(), options);
  HttpClient client("127.0.0.1", server->port());
  HttpResponse r = client.Get("/hello/x", {{"X-Big", std::string(4096, 'a')}});
  EXPECT_EQ(r.status, 431) << r.error;
}

TEST(ServerTest, GracefulShutdownLetsAnInFlightRequestFinish) {
  std::atomic<bool> handler_started{false};
  std::atomic<bool> drained{false};
  Router router = EchoRouter();
  (void)router.Add(Method::kPost, "/slow", [&](const Request& req, const RouteParams&) {
    handler_started = true;
    std::this_thread::sleep_for(400ms);
    return Response::Json(201, req.body);
  });
  auto server = StartServer(std::move(router));
  server->AddDrainHook([&] { drained = true; });
  uint16_t port = server->port();

  HttpClient idle("127.0.0.1", port);
  ASSERT_EQ(idle.Get("/hello/idle").status, 200);  // an idle keep-alive connection

  auto in_flight = std::async(std::launch::async, [port] {
    HttpClient client("127.0.0.1", port);
    return client.Post("/slow", R"({"acknowledged":true})");
  });
  ASSERT_TRUE(Eventually([&] { return handler_started.load(); }));
  server->Shutdown();

  HttpResponse r = in_flight.get();
  EXPECT_EQ(r.status, 201) << r.error;
  EXPECT_EQ(r.body, R"({"acknowledged":true})");
  EXPECT_EQ(r.Header("Connection"), "close");
  EXPECT_TRUE(idle.WaitForClose(5s));

  server->Wait();
  EXPECT_TRUE(drained.load());
  HttpClient late("127.0.0.1", port);
  EXPECT_FALSE(late.Connect());  // no longer accepting
}

TEST(ServerTest, ServerSentEventsAreDeliveredWithHeartbeats) {
  EventHub hub;
  Router router;
  (void)router.Add(Method::kGet, "/events", [&hub](const Request& req, const RouteParams&) {
    std::string only = std::string(req.query.Get("only").value_or(""));
    EventHub::Filter filter = nullptr;
    if (!only.empty()) {
      filter = [only](const SseEvent& e) { return e.event == only; };
    }
    return hub.Subscribe(filter, 100ms);
  });
  auto server = StartServer(std::move(router));

  HttpClient client("127.0.0.1", server->port());
  ASSERT_TRUE(client.SendRaw("GET /events?only=case HTTP/1.1\r\nHost: t\r\n\r\n"));
  HttpResponse head = client.ReadResponseHead();
  ASSERT_EQ(head.status, 200) << head.error;
  EXPECT_EQ(head.Header("Content-Type"), "text/event-stream; charset=utf-8");
  EXPECT_EQ(head.Header("Cache-Control"), "no-cache");
  EXPECT_NE(client.ReadStreamUntil("retry: 3000\n\n", 5s).find("retry: 3000"), std::string::npos);
  ASSERT_TRUE(Eventually([&] { return hub.subscriber_count() == 1; }));

  hub.Publish({"1", "other", "filtered out"});
  hub.Publish({"2", "case", "{\"number\":\"20200412-000123\"}\nsecond line"});
  std::string got = client.ReadStreamUntil("second line\n\n", 5s);
  EXPECT_NE(got.find("id: 2\nevent: case\ndata: {\"number\":\"20200412-000123\"}\n"
                     "data: second line\n\n"),
            std::string::npos)
      << got;
  EXPECT_EQ(got.find("filtered out"), std::string::npos);
  EXPECT_NE(client.ReadStreamUntil(": keep-alive\n\n", 5s).find(": keep-alive"), std::string::npos);

  // The client goes away: the subscription is torn down.
  client.Disconnect();
  EXPECT_TRUE(Eventually([&] { return hub.subscriber_count() == 0; }));
  hub.Publish({"3", "case", "nobody listens"});
}

// A stream is dropped once more than its backlog waits to be sent (here the client reads
// nothing more), and /metrics counts it: the server does not buffer for a client without bound.
TEST(ServerTest, AStreamFallingMoreThanItsBacklogBehindIsDroppedAndCounted) {
  EventHub hub;
  Router router;
  (void)router.Add(Method::kGet, "/events", [&hub](const Request&, const RouteParams&) {
    return hub.Subscribe(nullptr, 10s);
  });
  ServerOptions options = TestOptions();
  options.max_stream_backlog = 64 * 1024;
  auto metrics = std::make_shared<Metrics>();
  auto server = StartServer(std::move(router), options, metrics);
  HttpClient client("127.0.0.1", server->port());
  ASSERT_TRUE(client.SendRaw("GET /events HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_EQ(client.ReadResponseHead().status, 200);
  ASSERT_TRUE(Eventually([&] { return hub.subscriber_count() == 1; }));
  // The client reads nothing more: the sockets' buffers fill, then the server's backlog.
  const std::string data(1000, 'x');
  for (int i = 0; i < 20000 && hub.subscriber_count() == 1; ++i) {
    hub.Publish({std::to_string(i), "case", data});
  }
  EXPECT_TRUE(Eventually([&] { return hub.subscriber_count() == 0; }));
  EXPECT_NE(metrics->RenderPrometheus().find("citygrid_http_streams_dropped_total 1\n"),
            std::string::npos)
      << metrics->RenderPrometheus();
}

TEST(ServerTest, AnIdleStreamOutlivesTheWriteTimeout) {
  // The write timeout covers a chunk in flight, not the quiet time between chunks: with
  // heartbeats 250 ms apart a stream may stay quiet for up to 500 ms, longer than 300 ms.
  EventHub hub;
  Router router;
  (void)router.Add(Method::kGet, "/events", [&hub](const Request&, const RouteParams&) {
    return hub.Subscribe(nullptr, 250ms);
  });
  ServerOptions options = TestOptions();
  options.write_timeout = 300ms;
  auto server = StartServer(std::move(router), options);
  HttpClient client("127.0.0.1", server->port());
  ASSERT_TRUE(client.SendRaw("GET /events HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_EQ(client.ReadResponseHead().status, 200);
  ASSERT_TRUE(Eventually([&] { return hub.subscriber_count() == 1; }));
  for (int i = 0; i < 6; ++i) {
    const std::string data = "event " + std::to_string(i);
    hub.Publish({std::to_string(i), "case", data});
    std::string got = client.ReadStreamUntil("data: " + data + "\n\n", 5s);
    ASSERT_NE(got.find("data: " + data + "\n\n"), std::string::npos) << "round " << i << ": " << got;
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + 70 * i));
  }
  EXPECT_EQ(hub.subscriber_count(), 1u);
}

TEST(ServerTest, ShutdownEndsOpenStreams) {
  EventHub hub;
  Router router;
  (void)router.Add(Method::kGet, "/events", [&hub](const Request&, const RouteParams&) {
    return hub.Subscribe();
  });
  auto server = StartServer(std::move(router));
  HttpClient client("127.0.0.1", server->port());
  ASSERT_TRUE(client.SendRaw("GET /events HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_EQ(client.ReadResponseHead().status, 200);
  ASSERT_TRUE(Eventually([&] { return hub.subscriber_count() == 1; }));
  hub.Publish({"", "", "last words"});
  server->Shutdown();
  server->Wait();
  std::string got = client.ReadStreamUntil("never appears", 5s);
  EXPECT_NE(got.find("data: last words\n\n"), std::string::npos) << got;
  EXPECT_TRUE(client.WaitForClose(5s));
  EXPECT_EQ(hub.subscriber_count(), 0u);
}

// A toy pull-based event source, standing in for service::FeedSubscription.
class ToyQueue {
 public:
  Result<std::string> Next(std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, wait, [&] { return closed_ || !items_.empty(); });
    if (closed_) return UnavailableError("closed");
    if (items_.empty()) return std::string();
    std::string item = std::move(items_.front());
    items_.erase(items_.begin());
    if (item == "fail") return ResourceExhaustedError("subscriber fell behind");
    return FormatSseEvent({"", "", item});
  }
  void Push(std::string item) {
    std::lock_guard<std::mutex> lock(mu_);
    items_.push_back(std::move(item));
    cv_.notify_all();
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    close_calls_++;
    cv_.notify_all();
  }
  int close_calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return close_calls_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> items_;
  bool closed_ = false;
  int close_calls_ = 0;
};

TEST(ServerTest, PulledEventStreamPumpsUntilTheClientLeaves) {
  auto queue = std::make_shared<ToyQueue>();
  Router router;
  (void)router.Add(Method::kGet, "/feed", [queue](const Request&, const RouteParams&) {
    return PulledEventStream([queue](std::chrono::milliseconds wait) { return queue->Next(wait); },
                             [queue] { queue->Close(); });
  });
  auto server = StartServer(std::move(router));
  HttpClient client("127.0.0.1", server->port());
  ASSERT_TRUE(client.SendRaw("GET /feed HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_EQ(client.ReadResponseHead().status, 200);
  queue->Push("first");
  queue->Push("second");
  std::string got = client.ReadStreamUntil("data: second\n\n", 5s);
  EXPECT_NE(got.find("retry: 3000\n\ndata: first\n\ndata: second\n\n"), std::string::npos) << got;
  client.Disconnect();
  EXPECT_TRUE(Eventually([&] { return queue->close_calls() == 1; }));
}

TEST(ServerTest, PulledEventStreamEndsWhenTheSourceFails) {
  auto queue = std::make_shared<ToyQueue>();
  Router router;
  (void)router.Add(Method::kGet, "/feed", [queue](const Request&, const RouteParams&) {
    return PulledEventStream([queue](std::chrono::milliseconds wait) { return queue->Next(wait); },
                             [queue] { queue->Close(); });
  });
  auto server = StartServer(std::move(router));
  HttpClient client("127.0.0.1", server->port());
  ASSERT_TRUE(client.SendRaw("GET /feed HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_EQ(client.ReadResponseHead().status, 200);
  queue->Push("only");
  queue->Push("fail");
  std::string got = client.ReadStreamUntil("never appears", 5s);
  EXPECT_NE(got.find("data: only\n\n"), std::string::npos) << got;
  EXPECT_TRUE(client.WaitForClose(5s));  // the last chunk came, then the connection closed
  EXPECT_TRUE(Eventually([&] { return queue->close_calls() == 1; }));
}

TEST(ServerTest, HealthzAndMetricsExposeRouteCounters) {
  auto metrics = std::make_shared<Metrics>();
  Router router = EchoRouter();
  RegisterSystemRoutes(router, *metrics, [] { return OkStatus(); });
  metrics->AddCollector([](GaugeWriter& w) {
    w.Gauge("citygrid_cases", "Cases by state.", {{"state", "handling"}}, 3);
  });
  auto server = StartServer(std::move(router), TestOptions(), metrics);
  HttpClient client("127.0.0.1", server->port());
  HttpResponse health = client.Get("/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, R"({"status":"ok"})");
  client.Get("/hello/a");
  client.Get("/hello/b");
  client.Get("/missing");
  HttpResponse m = client.Get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("citygrid_http_requests_total{route=\"/hello/{name}\",method=\"GET\","
                        "status=\"200\"} 2\n"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("citygrid_http_requests_total{route=\"(unmatched)\",method=\"GET\","
                        "status=\"404\"} 1\n"),
            std::string::npos);
  EXPECT_NE(m.body.find("citygrid_http_request_duration_seconds_count{route=\"/hello/{name}\"} 2"),
            std::string::npos);
  EXPECT_NE(m.body.find("citygrid_cases{state=\"handling\"} 3\n"), std::string::npos);
}

TEST(ServerTest, ServesStaticFilesAndRefusesTraversal) {
  namespace fs = std::filesystem;
  std::string dir = testing::MakeTempDir("citygrid-web");
  ASSERT_FALSE(dir.empty());
  fs::create_directories(fs::path(dir) / "web" / "assets");
  std::ofstream(fs::path(dir) / "web" / "index.html") << "<html>console</html>";
  std::ofstream(fs::path(dir) / "web" / "assets" / "main-1a2b3c4d.js") << "run()";
  std::ofstream(fs::path(dir) / "outside.txt") << "secret";
  Result<StaticFiles> files = StaticFiles::Open((fs::path(dir) / "web").string());
  ASSERT_TRUE(files.ok());
  Router router = EchoRouter();
  router.SetFallback([files = *files](const Request& req, const RouteParams&) {
    return files.Serve(req);
  });
  auto server = StartServer(std::move(router));
  HttpClient client("127.0.0.1", server->port());

  HttpResponse js = client.Get("/assets/main-1a2b3c4d.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "run()");
  EXPECT_EQ(js.Header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(js.Header("Cache-Control"), "public, max-age=31536000, immutable");
  HttpResponse cached = client.Get("/assets/main-1a2b3c4d.js", {{"If-None-Match", js.Header("ETag")}});
  EXPECT_EQ(cached.status, 304);
  EXPECT_EQ(client.Get("/cases/123").body, "<html>console</html>");
  HttpResponse head = client.Head("/index.html");
  EXPECT_EQ(head.Header("Content-Length"), "20");
  EXPECT_EQ(head.body, "");

  for (const char* target : {"/../outside.txt", "/assets/%2e%2e/%2e%2e/outside.txt",
                             "/assets/..%2F..%2Foutside.txt"}) {
    HttpResponse r = client.Get(target);
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_EQ(r.body.find("secret"), std::string::npos) << target;
  }
  EXPECT_EQ(client.connections_opened(), 1);
  fs::remove_all(dir);
}

TEST(ServerTest, AccessLogWritesOneLinePerRequest) {
  std::string dir = testing::MakeTempDir("citygrid-log");
  ServerOptions options = TestOptions();
  options.access_log = dir + "/access.log";
  {
    auto server = StartServer(EchoRouter(), options);
    HttpClient client("127.0.0.1", server->port());
    client.Get("/hello/log?x=1");
    client.Get("/missing");
    client.Get("/hello/log?access_token=s3cret-token&x=2");
  }
  std::ifstream in(dir + "/access.log");
  std::string first, second, third, fourth;
  std::getline(in, first);
  std::getline(in, second);
  std::getline(in, third);
  EXPECT_FALSE(std::getline(in, fourth));
  // An EventSource's bearer token in the query is not written down.
  EXPECT_NE(third.find(" GET /hello/log?access_token=REDACTED&x=2 200 "), std::string::npos)
      << third;
  EXPECT_EQ(third.find("s3cret"), std::string::npos) << third;
  // "2024-05-01T12:00:00.123+08:00 127.0.0.1:5555 GET /hello/log?x=1 200 21 0.123ms"
  EXPECT_NE(first.find(" 127.0.0.1:"), std::string::npos) << first;
  EXPECT_NE(first.find(" GET /hello/log?x=1 200 21 "), std::string::npos) << first;
  EXPECT_EQ(first.substr(first.size() - 2), "ms");
  EXPECT_NE(second.find(" GET /missing 404 "), std::string::npos) << second;
  std::filesystem::remove_all(dir);
}

TEST(AccessLogTest, RedactsEveryAccessTokenParameterAndNothingElse) {
  using internal::RedactAccessToken;
  EXPECT_EQ(RedactAccessToken("/api/v1/stream?access_token=abc"),
            "/api/v1/stream?access_token=REDACTED");
  EXPECT_EQ(RedactAccessToken("/s?a=1&access_token=abc&b=2&access_token="),
            "/s?a=1&access_token=REDACTED&b=2&access_token=REDACTED");
  EXPECT_EQ(RedactAccessToken("/s?my_access_token=abc"), "/s?my_access_token=abc");
  EXPECT_EQ(RedactAccessToken("/access_token=abc"), "/access_token=abc");  // a path, no query
}

TEST(ServerTest, StartFailsOnABusyPortAndABadHost) {
  auto server = StartServer(EchoRouter());
  ServerOptions busy = TestOptions();
  busy.port = server->port();
  Server second(EchoRouter(), busy);
  Status s = second.Start();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("cannot listen on 127.0.0.1:"), std::string::npos) << s.message();

  ServerOptions bad = TestOptions();
  bad.host = "not-an-address";
  Server third(EchoRouter(), bad);
  EXPECT_EQ(third.Start().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace citygrid::http
