#include "citygrid/http/metrics.h"

#include <gtest/gtest.h>

#include "citygrid/http/router.h"
#include "citygrid/http/system_routes.h"

namespace citygrid::http {
namespace {

using std::chrono::milliseconds;

TEST(MetricsTest, CountsByRouteMethodAndStatus) {
  Metrics m;
  m.Observe("/api/v1/cases/{number}", Method::kGet, 200, milliseconds(3));
  m.Observe("/api/v1/cases/{number}", Method::kGet, 200, milliseconds(30));
  m.Observe("/api/v1/cases/{number}", Method::kGet, 404, milliseconds(1));
  EXPECT_EQ(m.RequestCount("/api/v1/cases/{number}", Method::kGet, 200), 2u);
  std::string text = m.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE citygrid_http_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("citygrid_http_requests_total{route=\"/api/v1/cases/{number}\",method="
                      "\"GET\",status=\"200\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("citygrid_http_requests_total{route=\"/api/v1/cases/{number}\",method="
                      "\"GET\",status=\"404\"} 1\n"),
            std::string::npos);
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Metrics m;
  m.Observe("r", Method::kPost, 201, milliseconds(3));   // <= 0.005
  m.Observe("r", Method::kPost, 201, milliseconds(30));  // <= 0.05
  std::string text = m.RenderPrometheus();
  EXPECT_NE(text.find("citygrid_http_request_duration_seconds_bucket{route=\"r\",le=\"0.001\"} 0\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("citygrid_http_request_duration_seconds_bucket{route=\"r\",le=\"0.005\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("citygrid_http_request_duration_seconds_bucket{route=\"r\",le=\"0.05\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("citygrid_http_request_duration_seconds_bucket{route=\"r\",le=\"+Inf\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("citygrid_http_request_duration_seconds_sum{route=\"r\"} 0.033\n"),
            std::string::npos);
  EXPECT_NE(text.find("citygrid_http_request_duration_seconds_count{route=\"r\"} 2\n"),
            std::string::npos);
}

TEST(MetricsTest, CollectorsAddGaugesAndCountersWithOneHeaderPerName) {
  Metrics m;
  m.AddCollector([](GaugeWriter& w) {
    w.Gauge("citygrid_cases", "Cases by state.", {{"state", "handling"}}, 12);
    w.Gauge("citygrid_cases", "Cases by state.", {{"state", "closed"}}, 911);
    w.Gauge("bad name", "ignored", {}, 1);
    w.Counter("citygrid_replays_total", "Replays.", {}, 3);
  });
  std::string text = m.RenderPrometheus();
  EXPECT_NE(text.find("# HELP citygrid_replays_total Replays.\n# TYPE citygrid_replays_total "
                      "counter\ncitygrid_replays_total 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# HELP citygrid_cases Cases by state.\n# TYPE citygrid_cases gauge\n"
                      "citygrid_cases{state=\"handling\"} 12\ncitygrid_cases{state=\"closed\"} 911\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("bad name"), std::string::npos);
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

TEST(SystemRoutesTest, HealthzReportsStoragePing) {
  Metrics metrics;
  Router healthy;
  RegisterSystemRoutes(healthy, metrics, [] { return OkStatus(); });
  Response ok = HandleRequest(healthy, *MakeRequest(Method::kGet, "/healthz"));
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, R"({"status":"ok"})");

  Router broken;
  RegisterSystemRoutes(broken, metrics, [] { return UnavailableError("database is locked"); });
  Response down = HandleRequest(broken, *MakeRequest(Method::kGet, "/healthz"));
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(down.body,
            R"({"status":"unavailable","error":{"code":"unavailable","message":"storage: database is locked"}})");
}

TEST(SystemRoutesTest, MetricsRouteServesExposition) {
  Metrics metrics;
  metrics.Observe("/x", Method::kGet, 200, milliseconds(1));
  Router router;
  RegisterSystemRoutes(router, metrics, nullptr);
  Response r = HandleRequest(router, *MakeRequest(Method::kGet, "/metrics"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("citygrid_http_requests_total{route=\"/x\""), std::string::npos);
}

TEST(SystemRoutesTest, HealthzReusesASuccessfulPingButNeverAFailure) {
  Metrics metrics;
  Router router;
  int pings = 0;
  bool healthy = false;
  RegisterSystemRoutes(router, metrics, [&] {
    ++pings;
    return healthy ? OkStatus() : UnavailableError("database is locked");
  });
  auto get = [&] { return HandleRequest(router, *MakeRequest(Method::kGet, "/healthz")).status; };
  // Failures are asked again every time, so a recovery shows at once.
  EXPECT_EQ(get(), 503);
  EXPECT_EQ(get(), 503);
  EXPECT_EQ(pings, 2);
  healthy = true;
  EXPECT_EQ(get(), 200);
  EXPECT_EQ(pings, 3);
  // A success answers the checks right after it (well within kHealthyPingReuse) by itself.
  EXPECT_EQ(get(), 200);
  EXPECT_EQ(get(), 200);
  EXPECT_EQ(pings, 3);
}

TEST(MetricsTest, HistogramBucketsAreCumulativeAndInFlightCounts) {
  Metrics metrics;
  metrics.Observe("/r", Method::kGet, 200, std::chrono::microseconds(100));  // <= 0.0005
  metrics.Observe("/r", Method::kGet, 200, std::chrono::milliseconds(3));    // <= 0.005
  metrics.Observe("/r", Method::kPost, 201, std::chrono::seconds(20));       // +Inf only
  metrics.RequestStarted();
  metrics.RequestStarted();
  metrics.RequestFinished();
  std::string text = metrics.RenderPrometheus();
  EXPECT_NE(text.find(R"(citygrid_http_request_duration_seconds_bucket{route="/r",le="0.0005"} 1)"),
            std::string::npos) << text;
  EXPECT_NE(text.find(R"(citygrid_http_request_duration_seconds_bucket{route="/r",le="0.0025"} 1)"),
            std::string::npos) << text;
  EXPECT_NE(text.find(R"(citygrid_http_request_duration_seconds_bucket{route="/r",le="0.005"} 2)"),
            std::string::npos) << text;
  EXPECT_NE(text.find(R"(citygrid_http_request_duration_seconds_bucket{route="/r",le="10"} 2)"),
            std::string::npos) << text;
  EXPECT_NE(text.find(R"(citygrid_http_request_duration_seconds_bucket{route="/r",le="+Inf"} 3)"),
            std::string::npos) << text;
  EXPECT_NE(text.find(R"(citygrid_http_requests_total{route="/r",method="POST",status="201"} 1)"),
            std::string::npos) << text;
  EXPECT_NE(text.find("citygrid_http_requests_in_flight 1\n"), std::string::npos) << text;
  EXPECT_EQ(metrics.RequestCount("/r", Method::kGet, 200), 2u);
}

}  // namespace
}  // namespace citygrid::http
