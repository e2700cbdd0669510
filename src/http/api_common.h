#pragma once

// Private helpers shared by the API modules (src/http/api_*.cc).

#include <string>
#include <string_view>

#include "citygrid/common/status.h"
#include "citygrid/http/api.h"
#include "citygrid/http/request.h"
#include "citygrid/service/auth_service.h"

namespace citygrid::http {

// The token of `request`: "Authorization: Bearer TOKEN", or when `allow_query` the
// ?access_token= parameter (EventSource cannot set headers). "" when there is none.
std::string BearerToken(const Request& request, bool allow_query = false);

// The signed-in caller: kUnauthenticated "missing bearer token" / the auth service's error.
Result<service::Principal> Authenticate(ApiServices& services, const Request& request,
                                        bool allow_query = false);

// A boolean query parameter's value: true, 1 or yes / false, 0 or no (any case). Anything else,
// the empty value included, is kInvalidArgument "parameter 'NAME' must be true or false, got
// 'TEXT'": a mistyped ?dry_run must not mean false.
Result<bool> ParseBoolParam(std::string_view name, std::string_view text);

// The address part of "ip:port" / "[v6]:port" (login throttling is per address, not per
// connection).
std::string RemoteHost(const std::string& remote_address);

}  // namespace citygrid::http
