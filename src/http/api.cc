#include "citygrid/http/api.h"

#include "citygrid/http/open311_routes.h"

namespace citygrid::http {

Status RegisterApiRoutes(Router& router, ApiServices& services) {
  CITYGRID_RETURN_IF_ERROR(RegisterAuthRoutes(router, services));
  CITYGRID_RETURN_IF_ERROR(RegisterCaseRoutes(router, services));
  CITYGRID_RETURN_IF_ERROR(RegisterReferenceRoutes(router, services));
  CITYGRID_RETURN_IF_ERROR(RegisterLedgerRoutes(router, services));
  CITYGRID_RETURN_IF_ERROR(RegisterEvaluationRoutes(router, services));
  CITYGRID_RETURN_IF_ERROR(RegisterOpenApiRoute(router));
  CITYGRID_RETURN_IF_ERROR(RegisterOpen311Routes(router, services, services.open311));
  return Status::Ok();
}

}  // namespace citygrid::http
