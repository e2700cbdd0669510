#pragma once

// The one table mapping Status codes to HTTP statuses, and the JSON error body every endpoint
// returns: {"error":{"code":"<snake_case code>","message":"..."}}, plus "field", "reason_code"
// and "reason_args" when the status carries a StatusDetail (a ledger value's rejection).
//
//   code                 HTTP  why
//   invalid_argument     400   malformed or out-of-range input
//   not_found            404   also for things the caller may not see, so ids do not leak
//   already_exists       409   a create collided (e.g. an idempotency key with another payload)
//   failed_precondition  400   the thing is in the wrong state for the request: an illegal
//                              workflow transition ("case ... is 'closed', not 'handling'").
//                              Issue #5 asks for 400 here, so that 409 means only "retry after
//                              re-reading" (a stale version); the body's code tells them apart.
//   aborted              409   a concurrent writer moved first: stale version
//   unauthenticated      401   missing, bad or expired token (with WWW-Authenticate: Bearer)
//   permission_denied    403   authenticated, but the role may not do this
//   resource_exhausted   429   throttling / quota (the server itself answers 413, with the same
//                              code, for a body over the limit: see PayloadTooLargeResponse)
//   unavailable          503   a dependency (storage) is down; retrying may help
//   internal             500   a bug or broken invariant
//   ok                   200

#include <string>
#include <string_view>

#include "citygrid/common/status.h"
#include "citygrid/http/response.h"

namespace citygrid::http {

// The HTTP status for `code` per the table above.
int HttpStatusFor(StatusCode code);

// {"error":{"code":"...","message":"..."}} with the message JSON-escaped, and the detail's
// "field", "reason_code" and "reason_args" when `detail` is given. Bytes of the message and
// detail that are not well-formed UTF-8 are written as U+FFFD.
std::string ErrorBody(std::string_view code_name, std::string_view message,
                      const StatusDetail* detail = nullptr);

// The JSON error response for a non-OK `status` (an OK status gives a 500 "internal" error:
// callers map only failures). 401 responses carry WWW-Authenticate: Bearer.
Response ErrorResponse(const Status& status);

// 413 with code "resource_exhausted", naming the limit; its message.
Response PayloadTooLargeResponse(size_t limit_bytes);
std::string PayloadTooLargeMessage(size_t limit_bytes);

// Escapes `text` as the contents of a JSON string (without the quotes); bytes that are not
// well-formed UTF-8 become U+FFFD.
std::string JsonEscape(std::string_view text);

}  // namespace citygrid::http
