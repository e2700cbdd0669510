// GET /api/v1/openapi.json: docs/openapi.json, compiled in at build time (see
// src/http/CMakeLists.txt, which generates openapi_document.h from it).

#include "citygrid/http/api.h"
#include "citygrid/http/response.h"
#include "openapi_document.h"

namespace citygrid::http {

Status RegisterOpenApiRoute(Router& router) {
  return router.Add(Method::kGet, "/api/v1/openapi.json",
                    [](const Request&, const RouteParams&) {
                      Response r = Response::Json(200, std::string(kOpenApiDocument));
                      r.headers.Set("Cache-Control", "no-cache");
                      return r;
                    });
}

}  // namespace citygrid::http
