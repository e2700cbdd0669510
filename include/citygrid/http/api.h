#pragma once

// The REST API v1 (/api/v1/...): the services its handlers call, and one registration function
// per API module. `citygrid serve` builds the services (see src/cli/app.h) and calls
// RegisterApiRoutes once; tests do the same against an in-process server.
//
// Every handler authenticates with `Authorization: Bearer TOKEN` (except login and the OpenAPI
// document), calls one service function, and maps a non-OK Status through
// http/error_mapping.h to `{"error": {"code", "message"}}`.

#include "citygrid/common/clock.h"
#include "citygrid/http/router.h"
#include "citygrid/service/auth_service.h"
#include "citygrid/service/case_feed.h"
#include "citygrid/service/case_service.h"
#include "citygrid/service/ledger_service.h"
#include "citygrid/service/evaluation_service.h"
#include "citygrid/service/open311_service.h"
#include "citygrid/service/reference_data.h"
#include "citygrid/storage/store.h"

namespace citygrid::http {

// Everything the API handlers use. All references must outlive the router.
struct ApiServices {
  storage::Store& store;
  service::AuthService& auth;
  service::ReferenceDataService& reference;
  service::CaseService& cases;
  service::CaseFeed* feed = nullptr;  // null: GET /api/v1/stream answers 503
  const Clock& clock;
  size_t max_photo_bytes = 10 << 20;
  service::LedgerService* ledgers = nullptr;  // null: /api/v1/ledgers* answer 503
  service::EvaluationService* evaluation = nullptr;  // null: /api/v1/evaluation* answer 503
  // /open311/v2: jurisdiction_id, deferred ids, input CRS (`citygrid serve --open311-*`).
  service::Open311Options open311 = {};
};

// POST /api/v1/auth/login, POST /api/v1/auth/logout, GET /api/v1/auth/me.
Status RegisterAuthRoutes(Router& router, ApiServices& services);
// /api/v1/cases..., photos, actions; GET /api/v1/stream (SSE); GET /api/v1/media/{hash}.
Status RegisterCaseRoutes(Router& router, ApiServices& services);
// Geography, categories, units, calendar, routing rules, users (admin writes).
Status RegisterReferenceRoutes(Router& router, ApiServices& services);
// /api/v1/evaluation (json/csv/xlsx), .../weights, .../overdue, .../heatmap.
Status RegisterEvaluationRoutes(Router& router, ApiServices& services);
// /api/v1/ledgers...: definitions, rows, progress, summary, campaign, export, import, verify.
Status RegisterLedgerRoutes(Router& router, ApiServices& services);
// GET /api/v1/openapi.json: the OpenAPI 3 document (docs/openapi.json, compiled in).
Status RegisterOpenApiRoute(Router& router);

// All of the above.
Status RegisterApiRoutes(Router& router, ApiServices& services);

}  // namespace citygrid::http
