#include "citygrid/http/error_mapping.h"

#include <cstdio>

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
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;  // UTF-8 passes through unchanged
        }
    }
  }
  return out;
}

std::string ErrorBody(std::string_view code_name, std::string_view message) {
  std::string out = R"({"error":{"code":")";
  out += JsonEscape(code_name);
  out += R"(","message":")";
  out += JsonEscape(message);
  out += R"("}})";
  return out;
}

Response ErrorResponse(const Status& status) {
  if (status.ok()) {
    return Response::Json(500, ErrorBody("internal", "an OK status was reported as an error"));
  }
  Response r = Response::Json(HttpStatusFor(status.code()),
                              ErrorBody(StatusCodeName(status.code()), status.message()));
  if (status.code() == StatusCode::kUnauthenticated) {
    r.headers.Set("WWW-Authenticate", "Bearer");
  }
  return r;
}

Response PayloadTooLargeResponse(size_t limit_bytes) {
  return Response::Json(
      413, ErrorBody(StatusCodeName(StatusCode::kResourceExhausted),
                     "request body exceeds the limit of " + std::to_string(limit_bytes) + " bytes"));
}

}  // namespace citygrid::http
