#pragma once

// The routes every citygrid server has, and the seam through which API modules add theirs.
//
// Wiring (src/cli/serve_command.cc):
//
//   Router router;
//   RegisterSystemRoutes(router, metrics, storage_ping);
//   // each API module, as it lands, adds one call here, e.g.
//   //   api::RegisterCaseRoutes(router, services);   (src/http/api/cases.cc)
//   if (web) router.SetFallback(static files);
//
// An API module is a .cc in src/http/ exposing `void Register<Module>Routes(Router&, ...)` that
// adds plain handler functions; the handlers are tested with HandleRequest, without sockets.

#include <chrono>
#include <functional>

#include "citygrid/common/status.h"
#include "citygrid/http/metrics.h"
#include "citygrid/http/router.h"

namespace citygrid::http {

// Checks a dependency (the store) for /healthz: OK, or why it is not usable.
using HealthCheck = std::function<Status()>;

// GET /healthz → 200 {"status":"ok"}, or 503 {"status":"unavailable","error":{...}} when
// `storage_ping` fails; GET /metrics → the Prometheus text of `metrics`. `storage_ping` may be
// null (no storage configured). A successful ping answers the health checks of the next
// kHealthyPingReuse without pinging again (a storage failure shows within that delay); a failed
// one is not reused.
inline constexpr std::chrono::milliseconds kHealthyPingReuse{1000};
void RegisterSystemRoutes(Router& router, Metrics& metrics, HealthCheck storage_ping);

}  // namespace citygrid::http
