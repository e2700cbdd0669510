#include "citygrid/http/system_routes.h"

#include <stdexcept>

#include "citygrid/http/error_mapping.h"

namespace citygrid::http {

void RegisterSystemRoutes(Router& router, Metrics& metrics, HealthCheck storage_ping) {
  Status added = router.Add(
      Method::kGet, "/healthz",
      [ping = std::move(storage_ping)](const Request&, const RouteParams&) {
        Status storage = ping ? ping() : OkStatus();
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
