#pragma once

// The Open311 GeoReport v2 server under /open311/v2/ (docs/open311.md): discovery, services,
// service definitions, POST/GET requests, tokens and FixMyStreet's servicerequestupdates
// extension, each as .xml (the spec's required format) and .json, chosen by the URL suffix.
//
// Errors follow the spec: an errors/error{code, description} list in the format asked for (XML
// when the suffix is neither), with the HTTP status as the code: 403 for a missing, unknown or
// revoked api_key, 404 for an unknown service, request, token, jurisdiction or endpoint, 429
// (with Retry-After) past a key's rate limit, 400 for the rest.
//
// Parameters: GET ones from the query; POST ones from an application/x-www-form-urlencoded or
// multipart/form-data body (plus the query). Empty values count as absent; unknown parameters
// are ignored, as Open311 clients send vendor extras.

#include "citygrid/http/api.h"
#include "citygrid/http/router.h"
#include "citygrid/service/open311_api_keys.h"
#include "citygrid/service/open311_service.h"

namespace citygrid::http {

// Adds the routes. Builds the ApiKeyService and Open311Service they use (owned by the
// handlers). `services` must outlive the router.
Status RegisterOpen311Routes(Router& router, ApiServices& services,
                             service::Open311Options options = {},
                             service::ApiKeyOptions key_options = {});

}  // namespace citygrid::http
