#include "citygrid/http/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace citygrid::http {
namespace {

std::string FormatDouble(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

bool IsMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void GaugeWriter::Gauge(std::string_view name, std::string_view help, const Labels& labels,
                        double value) {
  Write(name, help, "gauge", labels, value);
}

void GaugeWriter::Counter(std::string_view name, std::string_view help, const Labels& labels,
                          double value) {
  Write(name, help, "counter", labels, value);
}

void GaugeWriter::Write(std::string_view name, std::string_view help, std::string_view type,
                        const Labels& labels, double value) {
  if (!IsMetricName(name)) return;  // a collector's bug must not corrupt the exposition
  if (std::find(seen_.begin(), seen_.end(), name) == seen_.end()) {
    seen_.emplace_back(name);
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    for (char c : help) out_ += (c == '\n') ? ' ' : c;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i) out_ += ',';
      out_ += labels[i].first;
      out_ += "=\"";
      out_ += EscapeLabelValue(labels[i].second);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += FormatDouble(value);
  out_ += '\n';
}

const std::vector<double>& Metrics::LatencyBuckets() {
  static const std::vector<double> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                               0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return kBuckets;
}

void Metrics::Observe(std::string_view route, Method method, int status,
                      std::chrono::nanoseconds duration) {
  double seconds = std::chrono::duration<double>(duration).count();
  const std::vector<double>& bounds = LatencyBuckets();
  // One increment per request: the bucket the duration falls in; rendering sums them up.
  size_t bucket = static_cast<size_t>(
      std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin());
  std::lock_guard<std::mutex> lock(mu_);
  auto it = routes_.find(route);
  if (it == routes_.end()) {
    it = routes_.emplace(std::string(route), RouteStats{}).first;
    it->second.buckets.assign(bounds.size(), 0);
  }
  RouteStats& stats = it->second;
  ++stats.by_method_status[{method, status}];
  if (bucket < bounds.size()) ++stats.buckets[bucket];
  ++stats.count;
  stats.sum_seconds += seconds;
}

void Metrics::RequestStarted() { in_flight_.fetch_add(1, std::memory_order_relaxed); }

void Metrics::RequestFinished() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }

void Metrics::StreamDropped() { streams_dropped_.fetch_add(1, std::memory_order_relaxed); }

void Metrics::AddCollector(std::function<void(GaugeWriter&)> collector) {
  std::lock_guard<std::mutex> lock(mu_);
  collectors_.push_back(std::move(collector));
}

uint64_t Metrics::RequestCount(std::string_view route, Method method, int status) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = routes_.find(route);
  if (it == routes_.end()) return 0;
  auto jt = it->second.by_method_status.find({method, status});
  return jt == it->second.by_method_status.end() ? 0 : jt->second;
}

std::string Metrics::RenderPrometheus() const {
  std::string out;
  std::vector<std::function<void(GaugeWriter&)>> collectors;
  {
    std::lock_guard<std::mutex> lock(mu_);
    collectors = collectors_;
    out +=
        "# HELP citygrid_http_requests_total HTTP requests answered, by route, method and "
        "status.\n# TYPE citygrid_http_requests_total counter\n";
    for (const auto& [route, stats] : routes_) {
      std::string label = EscapeLabelValue(route);
      for (const auto& [key, count] : stats.by_method_status) {
        out += "citygrid_http_requests_total{route=\"" + label + "\",method=\"" +
               std::string(MethodName(key.first)) +
               "\",status=\"" + std::to_string(key.second) + "\"} " + std::to_string(count) +
               "\n";
      }
    }
    out +=
        "# HELP citygrid_http_request_duration_seconds Time from a request's header read to its "
        "response written (to the headers of a stream).\n"
        "# TYPE citygrid_http_request_duration_seconds histogram\n";
    const std::vector<double>& bounds = LatencyBuckets();
    for (const auto& [route, stats] : routes_) {
      std::string label = EscapeLabelValue(route);
      uint64_t cumulative = 0;
      for (size_t i = 0; i < bounds.size(); ++i) {
        cumulative += stats.buckets[i];
        out += "citygrid_http_request_duration_seconds_bucket{route=\"" + label + "\",le=\"" +
               FormatDouble(bounds[i]) + "\"} " + std::to_string(cumulative) + "\n";
      }
      out += "citygrid_http_request_duration_seconds_bucket{route=\"" + label +
             "\",le=\"+Inf\"} " + std::to_string(stats.count) + "\n";
      out += "citygrid_http_request_duration_seconds_sum{route=\"" + label + "\"} " +
             FormatDouble(stats.sum_seconds) + "\n";
      out += "citygrid_http_request_duration_seconds_count{route=\"" + label + "\"} " +
             std::to_string(stats.count) + "\n";
    }
    out +=
        "# HELP citygrid_http_requests_in_flight Requests being handled now.\n"
        "# TYPE citygrid_http_requests_in_flight gauge\n"
        "citygrid_http_requests_in_flight " +
        std::to_string(in_flight_.load(std::memory_order_relaxed)) + "\n";
    out +=
        "# HELP citygrid_http_streams_dropped_total Streaming responses (the live feed) ended "
        "because their client read too slowly: more than the stream backlog was waiting.\n"
        "# TYPE citygrid_http_streams_dropped_total counter\n"
        "citygrid_http_streams_dropped_total " +
        std::to_string(streams_dropped_.load(std::memory_order_relaxed)) + "\n";
  }
  // Collectors run without the lock: they may be slow (a storage count) and must not stall
  // request accounting.
  GaugeWriter writer;
  for (const auto& collect : collectors) collect(writer);
  out += writer.text();
  return out;
}

}  // namespace citygrid::http
