#include "citygrid/http/request.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "citygrid/common/utf8.h"

namespace citygrid::http {

std::string_view MethodName(Method method) {
  switch (method) {
    case Method::kGet: return "GET";
    case Method::kHead: return "HEAD";
    case Method::kPost: return "POST";
    case Method::kPut: return "PUT";
    case Method::kPatch: return "PATCH";
    case Method::kDelete: return "DELETE";
    case Method::kOptions: return "OPTIONS";
    case Method::kOther: return "OTHER";
  }
  return "OTHER";
}

Method ParseMethod(std::string_view token) {
  if (token == "GET") return Method::kGet;
  if (token == "HEAD") return Method::kHead;
  if (token == "POST") return Method::kPost;
  if (token == "PUT") return Method::kPut;
  if (token == "PATCH") return Method::kPatch;
  if (token == "DELETE") return Method::kDelete;
  if (token == "OPTIONS") return Method::kOptions;
  return Method::kOther;
}

std::optional<std::string_view> QueryParams::Get(std::string_view name) const {
  for (const Param& p : params_) {
    if (p.first == name) return std::string_view(p.second);
  }
  return std::nullopt;
}

std::vector<std::string_view> QueryParams::GetAll(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const Param& p : params_) {
    if (p.first == name) out.emplace_back(p.second);
  }
  return out;
}

namespace {

// True for the characters a path segment may hold as they are (RFC 3986 pchar without '%'):
// unreserved, sub-delims, ':' and '@'.
constexpr bool IsPlainPathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~' || c == '!' || c == '$' || c == '&' ||
         c == '\'' || c == '(' || c == ')' || c == '*' || c == '+' || c == ',' || c == ';' ||
         c == '=' || c == ':' || c == '@';
}

// The common target, a path of plain characters without a query, empty segments or dot
// segments ("/api/v1/cases/20261128-000123"), split without the URL parser: its decoded form
// is itself. False for anything else, which takes the full parse.
bool SplitPlainPath(std::string_view target, std::vector<std::string>* segments) {
  size_t start = 1;
  while (start <= target.size()) {
    size_t end = start;
    while (end < target.size() && target[end] != '/') {
      if (!IsPlainPathChar(target[end])) return false;
      ++end;
    }
    std::string_view segment = target.substr(start, end - start);
    if (segment.empty()) {
      if (end != target.size() || start == 1) return end == target.size();  // "/" or "/a/"
      return true;
    }
    if (segment == "." || segment == "..") return false;
    segments->emplace_back(segment);
    start = end + 1;
  }
  return true;
}

}  // namespace

Status Request::SetTarget(std::string_view raw_target) {
  if (raw_target.empty() || raw_target.front() != '/') {
    return InvalidArgumentError("request target '" + std::string(raw_target.substr(0, 200)) +
                                "' is not an absolute path");
  }
  {
    std::vector<std::string> plain;
    plain.reserve(6);
    if (SplitPlainPath(raw_target, &plain)) {
      target.assign(raw_target);
      path.assign(raw_target);
      path_segments = std::move(plain);
      query = QueryParams();
      return OkStatus();
    }
  }
  auto parsed = boost::urls::parse_origin_form(raw_target);
  if (!parsed) {
    return InvalidArgumentError("request target '" + std::string(raw_target.substr(0, 200)) +
                                "' is malformed: " + parsed.error().message());
  }
  const boost::urls::url_view& url = *parsed;
  std::vector<std::string> segments;
  for (std::string segment : url.segments()) {
    if (segment.find('\0') != std::string::npos) {
      return InvalidArgumentError("request path contains a NUL byte");
    }
    if (!IsValidUtf8(segment)) {
      return InvalidArgumentError("request path segment " + std::to_string(segments.size() + 1) +
                                  " is not UTF-8 once percent-decoded");
    }
    if (!segment.empty()) segments.push_back(std::move(segment));
  }
  QueryParams params;
  // Query strings from HTML forms encode spaces as '+'.
  for (const auto& param : url.params(boost::urls::encoding_opts(/*space_as_plus=*/true))) {
    if (param.key.empty() && !param.has_value) continue;  // "a=1&&b=2"
    if (!IsValidUtf8(param.key) || !IsValidUtf8(param.value)) {
      return InvalidArgumentError("query parameter " + std::to_string(params.size() + 1) +
                                  " is not UTF-8 once percent-decoded");
    }
    params.Add(std::string(param.key), std::string(param.value));
  }
  target = std::string(raw_target);
  path = std::string(url.path());
  path_segments = std::move(segments);
  query = std::move(params);
  return OkStatus();
}

Result<Request> MakeRequest(Method method, std::string_view target, std::string body,
                            Headers headers) {
  Request request;
  request.method = method;
  request.method_text = std::string(MethodName(method));
  CITYGRID_RETURN_IF_ERROR(request.SetTarget(target));
  request.body = std::move(body);
  request.headers = std::move(headers);
  return request;
}

}  // namespace citygrid::http
