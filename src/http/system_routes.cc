#include "citygrid/http/system_routes.h"

#include <atomic>
#include <chrono>
#include <limits>
#include <memory>
#include <stdexcept>

#include "citygrid/http/error_mapping.h"

namespace citygrid::http {

namespace {
constexpr int64_t kNeverPinged = std::numeric_limits<int64_t>::min();
}  // namespace

void RegisterSystemRoutes(Router& router, Metrics& metrics, HealthCheck storage_ping) {
  // A successful ping is trusted for kHealthyPingReuse; a failed one is never reused, so a
  // recovery shows at the next request.
  auto last_ok_ns = std::make_shared<std::atomic<int64_t>>(kNeverPinged);
  Status added = router.Add(
      Method::kGet, "/healthz",
      [ping = std::move(storage_ping), last_ok_ns](const Request&, const RouteParams&) {
        Status storage = OkStatus();
        if (ping) {
          int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
          int64_t last = last_ok_ns->load(std::memory_order_relaxed);
          if (last == kNeverPinged ||
              now - last >= std::chrono::nanoseconds(kHealthyPingReuse).count()) {
            storage = ping();
            last_ok_ns->store(storage.ok() ? now : kNeverPinged, std::memory_order_relaxed);
          }
        }
        if (!storage.ok()) {
          std::string body = R"({"status":"unavailable","error":{"code":")";
          body += JsonEscape(StatusCodeName(storage.code()));
          body += R"(","message":")";
          body += JsonEscape("storage: " + storage.message());
          body += R"("}})";
          return Response::Json(503, std::move(body));
        }
        Response r = Response::Json(200, R"({"status":"ok"})");
        r.headers.Set("Cache-Control", "no-store");
        return r;
      });
  // Registering on a router that already has these routes is a wiring bug.
  if (!added.ok()) throw std::logic_error(added.ToString());
  added = router.Add(Method::kGet, "/metrics", [&metrics](const Request&, const RouteParams&) {
    Response r;
    r.status = 200;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics.RenderPrometheus();
    r.headers.Set("Cache-Control", "no-store");
    return r;
  });
  if (!added.ok()) throw std::logic_error(added.ToString());
}

}  // namespace citygrid::http
