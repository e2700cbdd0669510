#include "citygrid/http/error_mapping.h"

#include <cstdio>

#include "citygrid/common/json_text.h"
#include "citygrid/common/utf8.h"

namespace citygrid::http {

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kFailedPrecondition: return 400;  // illegal transition: see the header
    case StatusCode::kAborted: return 409;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

std::string JsonEscape(std::string_view text) {
  std::string quoted;
  AppendJsonString(quoted, ToValidUtf8(text));
  return quoted.substr(1, quoted.size() - 2);
}

std::string ErrorBody(std::string_view code_name, std::string_view message,
                      const StatusDetail* detail) {
  std::string out = R"({"error":{"code":)";
  AppendJsonString(out, code_name);
  out += R"(,"message":)";
  // Messages quote what the client sent (a percent-decoded path, a value cut to 40 bytes):
  // whatever is not UTF-8 there becomes U+FFFD, so that the body is valid JSON text.
  AppendJsonString(out, ToValidUtf8(message));
  if (detail != nullptr) {
    out += R"(,"field":)";
    AppendJsonString(out, ToValidUtf8(detail->field));
    out += R"(,"reason_code":)";
    AppendJsonString(out, detail->reason_code);
    out += R"(,"reason_args":[)";
    for (size_t i = 0; i < detail->reason_args.size(); ++i) {
      if (i > 0) out += ',';
      AppendJsonString(out, ToValidUtf8(detail->reason_args[i]));
    }
    out += ']';
  }
  out += "}}";
  return out;
}

Response ErrorResponse(const Status& status) {
  if (status.ok()) {
    return Response::Json(500, ErrorBody("internal", "an OK status was reported as an error"));
  }
  Response r = Response::Json(HttpStatusFor(status.code()),
                              ErrorBody(StatusCodeName(status.code()), status.message(),
                                        status.detail()));
  if (status.code() == StatusCode::kUnauthenticated) {
    r.headers.Set("WWW-Authenticate", "Bearer");
  }
  return r;
}

std::string PayloadTooLargeMessage(size_t limit_bytes) {
  return "request body exceeds the limit of " + std::to_string(limit_bytes) + " bytes";
}

Response PayloadTooLargeResponse(size_t limit_bytes) {
  return Response::Json(413, ErrorBody(StatusCodeName(StatusCode::kResourceExhausted),
                                       PayloadTooLargeMessage(limit_bytes)));
}

}  // namespace citygrid::http
