#include "citygrid/http/request.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

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

Status Request::SetTarget(std::string_view raw_target) {
  if (raw_target.empty() || raw_target.front() != '/') {
    return InvalidArgumentError("request target '" + std::string(raw_target.substr(0, 200)) +
                                "' is not an absolute path");
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
    if (!segment.empty()) segments.push_back(std::move(segment));
  }
  QueryParams params;
  // Query strings from HTML forms encode spaces as '+'.
  for (const auto& param : url.params(boost::urls::encoding_opts(/*space_as_plus=*/true))) {
    if (param.key.empty() && !param.has_value) continue;  // "a=1&&b=2"
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
