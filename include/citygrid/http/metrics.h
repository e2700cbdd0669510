#pragma once

// Request metrics in the Prometheus text exposition format (version 0.0.4):
//
//   citygrid_http_requests_total{route="/api/v1/cases/{number}",method="GET",status="200"} 12
//   citygrid_http_request_duration_seconds_bucket{route="...",le="0.005"} 10
//   citygrid_http_request_duration_seconds_sum{route="..."} 0.0312
//   citygrid_http_request_duration_seconds_count{route="..."} 12
//   citygrid_http_requests_in_flight 1
//
// plus whatever gauges the registered collectors write (e.g. the service's cases by state).
//
// Thread-safe: every method may be called from any thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "citygrid/http/request.h"

namespace citygrid::http {

// Writes gauges during a scrape. Each metric name gets one HELP/TYPE header, written the first
// time the name is used within a scrape.
class GaugeWriter {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;

  // Writes `name{labels} value`. `name` must match [a-zA-Z_:][a-zA-Z0-9_:]*; label values are
  // escaped.
  void Gauge(std::string_view name, std::string_view help, const Labels& labels, double value);
  // The same for a count that only rises (TYPE counter; by convention `name` ends in _total).
  void Counter(std::string_view name, std::string_view help, const Labels& labels, double value);

  const std::string& text() const { return out_; }

 private:
  void Write(std::string_view name, std::string_view help, std::string_view type,
             const Labels& labels, double value);

  std::string out_;
  std::vector<std::string> seen_;
};

class Metrics {
 public:
  // Upper bounds (seconds) of the latency histogram buckets; +Inf is implicit.
  static const std::vector<double>& LatencyBuckets();

  // Records one finished request.
  void Observe(std::string_view route, Method method, int status,
               std::chrono::nanoseconds duration);

  void RequestStarted();
  void RequestFinished();
  // A streaming response ended because its client read too slowly (ServerOptions::
  // max_stream_backlog).
  void StreamDropped();

  // Adds a collector called at each scrape (e.g. cases by state). Must not call back into this
  // object.
  void AddCollector(std::function<void(GaugeWriter&)> collector);

  // The whole exposition text.
  std::string RenderPrometheus() const;

  // The count recorded for (route, method, status); for tests and the health page.
  uint64_t RequestCount(std::string_view route, Method method, int status) const;

 private:
  struct RouteStats {
    std::map<std::pair<Method, int>, uint64_t> by_method_status;
    std::vector<uint64_t> buckets;  // per LatencyBuckets() entry: requests in (previous, this]
    uint64_t count = 0;
    double sum_seconds = 0;
  };

  mutable std::mutex mu_;
  std::map<std::string, RouteStats, std::less<>> routes_;  // GUARDED_BY(mu_)
  std::atomic<int64_t> in_flight_{0};
  std::atomic<uint64_t> streams_dropped_{0};
  std::vector<std::function<void(GaugeWriter&)>> collectors_;  // GUARDED_BY(mu_)
};

// Escapes a Prometheus label value (backslash, quote, newline).
std::string EscapeLabelValue(std::string_view value);

}  // namespace citygrid::http
