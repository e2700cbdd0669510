// Crash safety and graceful shutdown of the real `citygrid serve` binary over HTTP, on the
// SQLite default (issue #5 "Checked by": a SIGKILL during a create load loses no acknowledged
// case). The demo district (`citygrid demo --cases 0`) is seeded once per suite; each test
// copies nothing and starts `citygrid serve` on that directory.
//
//   - SigkillDuringCreateLoadLosesNoAcknowledgedCase: 8 clients create cases with unique
//     Idempotency-Keys until the server is SIGKILLed at a random moment; after a restart every
//     case answered 201 is there with its number, description and location; retrying its key
//     returns the same case (200); `citygrid check` verifies every audit chain. Three rounds.
//   - BurstOf64CreatesOnTwoServerThreadsAllAnswer201AndAreStored: creates do not hold a server
//     thread while their commit runs (`--threads 2`, 64 at once).
//   - ClientsLeavingBeforeTheirCreateCompletesLeaveWholeCasesOrNone: a case whose client left
//     before the answer is stored whole or not at all.
//   - SigtermLetsInFlightRequestsFinish: a request whose body is still arriving when SIGTERM
//     comes is answered 201 and its case survives; clients under load never see a 5xx; the
//     server exits 0.

#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/http/api_test_util.h"
#include "tests/testing/http_client.h"
#include "tests/testing/paths.h"
#include "tests/testing/server_process.h"

namespace citygrid::http {
namespace {

using api_test::Body;
using api_test::Str;
using citygrid::testing::HttpClient;
using citygrid::testing::HttpHeaderList;
using citygrid::testing::HttpResponse;
using citygrid::testing::RunProcess;
using citygrid::testing::ServerProcess;

constexpr int kClients = 8;

struct Point {
  double lon = 0;
  double lat = 0;
};

struct Acknowledged {
  std::string number;
  std::string key;
  std::string description;
  Point at;
};

std::string Format6(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

std::string CaseBody(const std::string& description, Point p) {
  return R"({"channel":"inspector","category":"06010","description":")" + description +
         R"(","lon":)" + Format6(p.lon) + R"(,"lat":)" + Format6(p.lat) + "}";
}

class ApiCrashTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(citygrid::testing::MakeTempDir("citygrid-api-crash"));
    ServerProcess demo(CITYGRID_BINARY, {"demo", "--data", *dir_ + "/data", "--cases", "0",
                                         "--listen", "127.0.0.1:0", "--access-log", "off"});
    if (!demo.WaitForListening()) {
      setup_error_ = new std::string("citygrid demo did not start: " + demo.Output());
      return;
    }
    demo.Signal(SIGTERM);
    demo.Wait();
    std::ifstream users(*dir_ + "/data/demo-users.txt");
    std::string line;
    while (std::getline(users, line)) {
      std::vector<std::string> fields;
      std::stringstream s(line);
      std::string f;
      while (std::getline(s, f, '\t')) fields.push_back(f);
      if (fields.size() >= 4 && fields[0] == "inspector") password_ = new std::string(fields[3]);
    }
    if (password_ == nullptr) setup_error_ = new std::string("no inspector in demo-users.txt");
  }

  static void TearDownTestSuite() {
    std::error_code ec;
    if (dir_ != nullptr) std::filesystem::remove_all(*dir_, ec);
    delete dir_;
    delete password_;
    delete setup_error_;
    dir_ = password_ = setup_error_ = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(setup_error_, nullptr) << *setup_error_;
  }

  std::unique_ptr<ServerProcess> StartServer(int threads = 8) {
    auto server = std::make_unique<ServerProcess>(
        CITYGRID_BINARY,
        std::vector<std::string>{"serve", "--data", *dir_ + "/data", "--listen", "127.0.0.1:0",
                                 "--threads", std::to_string(threads), "--access-log", "off"});
    EXPECT_TRUE(server->WaitForListening()) << server->Output();
    return server;
  }

  static std::string Login(uint16_t port) {
    HttpClient c("127.0.0.1", port);
    HttpResponse r = c.Post("/api/v1/auth/login",
                            R"({"username":"inspector","password":")" + *password_ + "\"}");
    EXPECT_EQ(r.status, 200) << r.body << r.error;
    return Str(Body(r)["token"]);
  }

  // Centres of unit grids that accept a case (one probe create each).
  static std::vector<Point> CasePoints(uint16_t port, const std::string& token, size_t want) {
    HttpClient c("127.0.0.1", port, std::chrono::seconds(60));
    HttpHeaderList auth = {{"Authorization", "Bearer " + token}};
    HttpResponse grids = c.Get("/api/v1/geography/grids", auth);
    EXPECT_EQ(grids.status, 200) << grids.error;
    std::vector<Point> out;
    boost::json::object doc = Body(grids);
    if (!doc.contains("features")) return out;
    const boost::json::array& features = doc["features"].as_array();
    for (size_t i = 0; i < features.size() && out.size() < want; i += 37) {
      const auto& ring = features[i].at("geometry").at("coordinates").at(0).at(0).as_array();
      double min_lon = 1e9, max_lon = -1e9, min_lat = 1e9, max_lat = -1e9;
      for (const auto& p : ring) {
        double lon = p.at(0).to_number<double>(), lat = p.at(1).to_number<double>();
        min_lon = std::min(min_lon, lon);
        max_lon = std::max(max_lon, lon);
        min_lat = std::min(min_lat, lat);
        max_lat = std::max(max_lat, lat);
      }
      Point centre{(min_lon + max_lon) / 2, (min_lat + max_lat) / 2};
      HttpHeaderList h = auth;
      h.emplace_back("Idempotency-Key", "probe-" + std::to_string(i));
      if (c.Post("/api/v1/cases", CaseBody("probe", centre), h).status / 100 == 2) {
        out.push_back(centre);
      }
    }
    return out;
  }

  // Runs kClients clients creating cases against `port` until `stop` (or a transport error);
  // every 201 is recorded in *acked. Any other status is recorded in *unexpected.
  static void Load(uint16_t port, const std::string& token, const std::vector<Point>& points,
                   const std::string& tag, std::atomic<bool>& stop,
                   std::vector<Acknowledged>* acked, std::vector<std::string>* unexpected,
                   std::mutex* mu, std::vector<std::thread>* threads) {
    for (int t = 0; t < kClients; ++t) {
      threads->emplace_back([=, &stop] {
        HttpClient c("127.0.0.1", port, std::chrono::seconds(30));
        for (int n = 0; !stop.load(); ++n) {
          Acknowledged a;
          a.key = tag + "-" + std::to_string(t) + "-" + std::to_string(n);
          a.description = "crash test " + a.key + " 暴露垃圾";
          a.at = points[(t * 7919 + n) % points.size()];
          HttpHeaderList h = {{"Authorization", "Bearer " + token}, {"Idempotency-Key", a.key}};
          HttpResponse r = c.Post("/api/v1/cases", CaseBody(a.description, a.at), h);
          if (r.status == 0) return;  // the server is gone (or the connection was closed)
          std::lock_guard<std::mutex> lock(*mu);
          if (r.status == 201) {
            a.number = Str(Body(r)["number"]);
            acked->push_back(std::move(a));
          } else {
            unexpected->push_back(std::to_string(r.status) + " " + r.body.substr(0, 200));
          }
        }
      });
    }
  }

  // Every acknowledged case is readable with what was sent, and its key returns it again.
  static void ExpectAllPresent(uint16_t port, const std::string& token,
                               const std::vector<Acknowledged>& acked) {
    HttpClient c("127.0.0.1", port);
    HttpHeaderList auth = {{"Authorization", "Bearer " + token}};
    int missing = 0;
    for (size_t i = 0; i < acked.size(); ++i) {
      const Acknowledged& a = acked[i];
      HttpResponse r = c.Get("/api/v1/cases/" + a.number, auth);
      if (r.status != 200) {
        if (++missing < 5) ADD_FAILURE() << "acknowledged case " << a.number << " (" << a.key
                                         << ") is lost: " << r.status << " " << r.body;
        continue;
      }
      boost::json::object o = Body(r);
      EXPECT_EQ(Str(o["description"]), a.description) << a.number;
      EXPECT_EQ(Str(o["state"]), "pending") << a.number;
      boost::json::object loc = o["location"].as_object();
      EXPECT_NEAR(loc["lon"].to_number<double>(), a.at.lon, 1e-6) << a.number;
      EXPECT_NEAR(loc["lat"].to_number<double>(), a.at.lat, 1e-6) << a.number;
      if (i % 10 == 0) {
        HttpHeaderList h = auth;
        h.emplace_back("Idempotency-Key", a.key);
        HttpResponse retry = c.Post("/api/v1/cases", CaseBody(a.description, a.at), h);
        EXPECT_EQ(retry.status, 200) << a.key << ": " << retry.body;
        EXPECT_EQ(Str(Body(retry)["number"]), a.number) << a.key;
      }
    }
    EXPECT_EQ(missing, 0) << "of " << acked.size() << " acknowledged cases";
  }

  static void ExpectChainsVerify() {
    std::string out;
    EXPECT_EQ(RunProcess(CITYGRID_BINARY, {"check", "--data", *dir_ + "/data"}, &out), 0) << out;
    EXPECT_NE(out.find("every chain verifies"), std::string::npos) << out;
  }

  static std::string* dir_;
  static std::string* password_;
  static std::string* setup_error_;
};

std::string* ApiCrashTest::dir_ = nullptr;
std::string* ApiCrashTest::password_ = nullptr;
std::string* ApiCrashTest::setup_error_ = nullptr;

TEST_F(ApiCrashTest, SigkillDuringCreateLoadLosesNoAcknowledgedCase) {
  std::mt19937 rng(20260310);
  std::vector<Acknowledged> all_acked;
  for (int round = 0; round < 3; ++round) {
    std::unique_ptr<ServerProcess> server = StartServer();
    ASSERT_TRUE(server->running());
    const std::string token = Login(server->port());
    ASSERT_FALSE(token.empty());
    std::vector<Point> points = CasePoints(server->port(), token, 20);
    ASSERT_FALSE(points.empty()) << "no grid centre accepted a case";

    std::atomic<bool> stop{false};
    std::mutex mu;
    std::vector<Acknowledged> acked;
    std::vector<std::string> unexpected;
    std::vector<std::thread> threads;
    Load(server->port(), token, points, "kill" + std::to_string(round), stop, &acked,
         &unexpected, &mu, &threads);
    // Let the load build up, then kill at a random moment.
    for (int i = 0; i < 500; ++i) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (acked.size() >= 50) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 400));
    server->Signal(SIGKILL);
    int status = server->Wait();
    stop = true;
    for (auto& t : threads) t.join();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    EXPECT_TRUE(unexpected.empty()) << unexpected.front();
    ASSERT_GT(acked.size(), 0u) << "no case was acknowledged before the kill";

    // The crashed database verifies before anyone reopens it for serving.
    ExpectChainsVerify();
    all_acked.insert(all_acked.end(), acked.begin(), acked.end());
    std::unique_ptr<ServerProcess> again = StartServer();
    ASSERT_TRUE(again->running());
    ExpectAllPresent(again->port(), Login(again->port()), all_acked);
    again->Signal(SIGTERM);
    EXPECT_EQ(again->Wait(), 0) << again->Output();
  }
}

TEST_F(ApiCrashTest, SigtermLetsInFlightRequestsFinish) {
  std::unique_ptr<ServerProcess> server = StartServer();
  ASSERT_TRUE(server->running());
  const std::string token = Login(server->port());
  std::vector<Point> points = CasePoints(server->port(), token, 10);
  ASSERT_FALSE(points.empty());

  // One request is in flight: its header and half its body are sent.
  const std::string body = CaseBody("sent across SIGTERM", points.front());
  const std::string head = "POST /api/v1/cases HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Authorization: Bearer " + token + "\r\n"
                           "Idempotency-Key: sigterm-in-flight\r\n"
                           "Content-Type: application/json\r\n"
                           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  HttpClient slow("127.0.0.1", server->port());
  ASSERT_TRUE(slow.Connect());
  ASSERT_TRUE(slow.SendRaw(head + body.substr(0, body.size() / 2)));

  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<Acknowledged> acked;
  std::vector<std::string> unexpected;
  std::vector<std::thread> threads;
  Load(server->port(), token, points, "term", stop, &acked, &unexpected, &mu, &threads);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  server->Signal(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(slow.SendRaw(body.substr(body.size() / 2)));
  HttpResponse in_flight = slow.ReadResponse();
  EXPECT_EQ(in_flight.status, 201) << in_flight.body << in_flight.error;
  const std::string in_flight_number = Str(Body(in_flight)["number"]);

  int status = server->Wait();
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "status " << status << "\n" << server->Output();
  for (const std::string& u : unexpected) {
    EXPECT_LT(u.substr(0, 1), "5") << "a request under shutdown got " << u;
  }
  EXPECT_GT(acked.size(), 0u);

  Acknowledged a{in_flight_number, "sigterm-in-flight", "sent across SIGTERM", points.front()};
  acked.push_back(a);
  std::unique_ptr<ServerProcess> again = StartServer();
  ExpectAllPresent(again->port(), Login(again->port()), acked);
  again->Signal(SIGTERM);
  EXPECT_EQ(again->Wait(), 0);
  ExpectChainsVerify();
}

// A create no longer holds a server thread while its group commit runs: 64 creates sent at
// the same moment to a server with 2 threads all get 201 and are all stored.
TEST_F(ApiCrashTest, BurstOf64CreatesOnTwoServerThreadsAllAnswer201AndAreStored) {
  std::unique_ptr<ServerProcess> server = StartServer(2);
  ASSERT_TRUE(server->running());
  const std::string token = Login(server->port());
  std::vector<Point> points = CasePoints(server->port(), token, 10);
  ASSERT_FALSE(points.empty());

  constexpr int kBurst = 64;
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (int i = 0; i < kBurst; ++i) {
    clients.push_back(std::make_unique<HttpClient>("127.0.0.1", server->port(),
                                                   std::chrono::seconds(60)));
    ASSERT_TRUE(clients.back()->Connect());
  }
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::mutex mu;
  std::vector<Acknowledged> acked;
  std::vector<std::string> unexpected;
  std::vector<std::thread> threads;
  for (int i = 0; i < kBurst; ++i) {
    threads.emplace_back([&, i] {
      Acknowledged a;
      a.key = "burst-" + std::to_string(i);
      a.description = "burst " + std::to_string(i) + " 暴露垃圾";
      a.at = points[i % points.size()];
      ++ready;
      while (!go.load()) std::this_thread::yield();
      HttpResponse r = clients[i]->Post(
          "/api/v1/cases", CaseBody(a.description, a.at),
          {{"Authorization", "Bearer " + token}, {"Idempotency-Key", a.key}});
      std::lock_guard<std::mutex> lock(mu);
      if (r.status == 201) {
        a.number = Str(Body(r)["number"]);
        acked.push_back(std::move(a));
      } else {
        unexpected.push_back(a.key + ": " + std::to_string(r.status) + " " + r.body + r.error);
      }
    });
  }
  while (ready.load() < kBurst) std::this_thread::yield();
  go = true;
  for (auto& t : threads) t.join();

  EXPECT_TRUE(unexpected.empty()) << unexpected.size() << " failed, e.g. " << unexpected.front();
  ASSERT_EQ(acked.size(), static_cast<size_t>(kBurst));
  std::set<std::string> numbers;
  for (const Acknowledged& a : acked) numbers.insert(a.number);
  EXPECT_EQ(numbers.size(), static_cast<size_t>(kBurst));
  ExpectAllPresent(server->port(), token, acked);
  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(), 0) << server->Output();
}

// Clients that send a create and leave before its answer: the server stays up, and each case is
// either stored whole (its key then answers 200 with the case as sent, at version 1) or not at
// all (the key then creates it: 201). Nothing is stored twice, and every chain verifies.
TEST_F(ApiCrashTest, ClientsLeavingBeforeTheirCreateCompletesLeaveWholeCasesOrNone) {
  std::unique_ptr<ServerProcess> server = StartServer(2);
  ASSERT_TRUE(server->running());
  const std::string token = Login(server->port());
  std::vector<Point> points = CasePoints(server->port(), token, 10);
  ASSERT_FALSE(points.empty());

  constexpr int kLeavers = 64;
  std::vector<Acknowledged> sent;
  {
    std::vector<std::unique_ptr<HttpClient>> clients;
    for (int i = 0; i < kLeavers; ++i) {
      Acknowledged a;
      a.key = "leaver-" + std::to_string(i);
      a.description = "left early " + std::to_string(i);
      a.at = points[i % points.size()];
      const std::string body = CaseBody(a.description, a.at);
      clients.push_back(std::make_unique<HttpClient>("127.0.0.1", server->port()));
      ASSERT_TRUE(clients.back()->Connect());
      ASSERT_TRUE(clients.back()->SendRaw(
          "POST /api/v1/cases HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
          "\r\nIdempotency-Key: " + a.key +
          "\r\nContent-Type: application/json\r\nContent-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body));
      if (i % 2 == 0) clients.back()->Disconnect();  // at once; the others after the loop
      sent.push_back(std::move(a));
    }
  }  // the rest leave here, most before their commit

  HttpClient c("127.0.0.1", server->port());
  EXPECT_EQ(c.Get("/healthz").status, 200);
  HttpHeaderList auth = {{"Authorization", "Bearer " + token}};
  int stored = 0;
  std::set<std::string> numbers;
  for (const Acknowledged& a : sent) {
    HttpHeaderList h = auth;
    h.emplace_back("Idempotency-Key", a.key);
    HttpResponse r = c.Post("/api/v1/cases", CaseBody(a.description, a.at), h);
    ASSERT_TRUE(r.status == 200 || r.status == 201) << a.key << ": " << r.status << " " << r.body;
    if (r.status == 200) ++stored;
    const std::string number = Str(Body(r)["number"]);
    numbers.insert(number);
    HttpResponse got = c.Get("/api/v1/cases/" + number, auth);
    ASSERT_EQ(got.status, 200) << number << ": " << got.body;
    boost::json::object o = Body(got);
    EXPECT_EQ(Str(o["description"]), a.description) << number;
    EXPECT_EQ(o["version"].to_number<int64_t>(), 1) << number;
    EXPECT_EQ(o["history"].as_array().size(), 1u) << number;
  }
  EXPECT_EQ(numbers.size(), static_cast<size_t>(kLeavers)) << "a key stored two cases";
  RecordProperty("stored_before_leaving", stored);
  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(), 0) << server->Output();
  ExpectChainsVerify();
}

// `citygrid demo` killed while it seeds leaves an unfinished directory; the next run detects
// it, seeds again from the start and serves a complete demo whose users can sign in.
TEST(ApiDemoRerunTest, DemoKilledMidSeedIsSeededAgainOnTheNextRun) {
  const std::string dir = citygrid::testing::MakeTempDir("citygrid-demo-rerun");
  const std::string data = dir + "/data";
  {
    ServerProcess demo(CITYGRID_BINARY, {"demo", "--data", data, "--cases", "20000", "--listen",
                                         "127.0.0.1:0", "--access-log", "off"});
    // Kill once the case history is being written (district and users are done).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (demo.Output().find("cases over the last") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline && demo.running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSERT_EQ(demo.Output().find("citygrid demo is running"), std::string::npos)
        << "seeding finished before the kill:\n" << demo.Output();
    demo.Signal(SIGKILL);
    demo.Wait();
  }
  ASSERT_TRUE(std::filesystem::exists(data + "/demo-seed.incomplete"));

  ServerProcess again(CITYGRID_BINARY, {"demo", "--data", data, "--cases", "50", "--listen",
                                        "127.0.0.1:0", "--access-log", "off"});
  ASSERT_TRUE(again.WaitForListening()) << again.Output();
  const std::string out = again.Output();
  EXPECT_NE(out.find("unfinished demo seed"), std::string::npos) << out;
  EXPECT_EQ(out.find("already holds data"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(data + "/demo-seed.incomplete"));

  // The users file is the new one: its operator signs in, and the history is the new 50 cases.
  std::ifstream users(data + "/demo-users.txt");
  std::string line, password;
  while (std::getline(users, line)) {
    if (line.rfind("operator\t", 0) == 0) {
      std::vector<std::string> f;
      std::stringstream ss(line);
      std::string part;
      while (std::getline(ss, part, '\t')) f.push_back(part);
      if (f.size() >= 4) password = f[3];
    }
  }
  ASSERT_FALSE(password.empty());
  HttpClient c("127.0.0.1", again.port());
  HttpResponse login = c.Post("/api/v1/auth/login",
                              R"({"username":"operator","password":")" + password + "\"}");
  ASSERT_EQ(login.status, 200) << login.body;
  HttpResponse metrics = c.Get("/metrics");
  int64_t total = 0;
  std::stringstream m(metrics.body);
  while (std::getline(m, line)) {
    if (line.rfind("citygrid_cases{", 0) == 0) total += std::stoll(line.substr(line.rfind(' ')));
  }
  EXPECT_GE(total, 50);   // the 50 reports (video_ai duplicates are merged, still counted)
  EXPECT_LE(total, 60);
  // The store's group commit of this process (at least the login's session went through it).
  auto gauge = [&](const std::string& name) -> double {
    std::stringstream text(metrics.body);
    std::string l;
    while (std::getline(text, l)) {
      if (l.rfind(name + " ", 0) == 0) return std::stod(l.substr(name.size() + 1));
    }
    ADD_FAILURE() << name << " is not in /metrics:\n" << metrics.body;
    return -1;
  };
  const double batches = gauge("citygrid_store_commit_batches");
  const double writes = gauge("citygrid_store_commit_writes");
  EXPECT_GE(batches, 1);
  EXPECT_GE(writes, batches);
  EXPECT_GT(gauge("citygrid_store_commit_seconds"), 0);
  // The live feed's (no stream open here).
  EXPECT_EQ(gauge("citygrid_feed_subscribers"), 0);
  EXPECT_EQ(gauge("citygrid_feed_replays_total"), 0);
  EXPECT_EQ(gauge("citygrid_feed_resets_total"), 0);
  EXPECT_EQ(gauge("citygrid_feed_dropped_total"), 0);
  EXPECT_EQ(gauge("citygrid_http_streams_dropped_total"), 0);
  EXPECT_NE(metrics.body.find("# TYPE citygrid_feed_replays_total counter"), std::string::npos);
  again.Signal(SIGTERM);
  EXPECT_EQ(again.Wait(), 0) << again.Output();

  std::string check;
  EXPECT_EQ(RunProcess(CITYGRID_BINARY, {"check", "--data", data}, &check), 0) << check;
  // A third run just serves.
  ServerProcess third(CITYGRID_BINARY, {"demo", "--data", data, "--listen", "127.0.0.1:0",
                                        "--access-log", "off"});
  ASSERT_TRUE(third.WaitForListening()) << third.Output();
  EXPECT_NE(third.Output().find("already holds data"), std::string::npos) << third.Output();
  third.Signal(SIGTERM);
  EXPECT_EQ(third.Wait(), 0);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace citygrid::http
