#include "citygrid/http/router.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <future>
#include <limits>

#include "citygrid/http/error_mapping.h"

namespace citygrid::http {
namespace {

constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

}  // namespace

std::string_view RouteParams::Get(std::string_view name) const {
  for (const auto& [key, value] : params_) {
    if (key == name) return value;
  }
  return {};
}

bool RouteParams::Has(std::string_view name) const {
  for (const auto& [key, value] : params_) {
    if (key == name) return true;
  }
  return false;
}

Status Router::Add(Method method, std::string_view pattern, Handler handler, std::string name) {
  Route route{method, std::string(pattern), {}, std::move(name), std::move(handler), nullptr};
  return AddRoute(std::move(route));
}

Status Router::AddAsync(Method method, std::string_view pattern, AsyncHandler handler,
                        std::string name) {
  Route route{method, std::string(pattern), {}, std::move(name), nullptr, std::move(handler)};
  return AddRoute(std::move(route));
}

Status Router::AddRoute(Route route) {
  const std::string& pattern = route.pattern;
  if (pattern.empty() || pattern.front() != '/') {
    return InvalidArgumentError("route pattern '" + pattern + "' does not start with '/'");
  }
  size_t pos = 1;
  while (pos <= pattern.size()) {
    size_t end = pattern.find('/', pos);
    if (end == std::string::npos) end = pattern.size();
    std::string_view text(pattern.data() + pos, end - pos);
    pos = end + 1;
    if (text.empty()) {
      if (end == pattern.size()) break;  // trailing '/' or the root pattern "/"
      return InvalidArgumentError("route pattern '" + pattern + "' has an empty segment");
    }
    if (!route.segments.empty() && route.segments.back().is_rest) {
      return InvalidArgumentError("route pattern '" + pattern +
                                  "': a {name...} parameter must be the last segment");
    }
    Segment segment;
    if (text.front() == '{') {
      if (text.back() != '}' || text.size() < 3) {
        return InvalidArgumentError("route pattern '" + pattern + "' has a malformed parameter '" +
                                    std::string(text) + "'");
      }
      std::string_view param = text.substr(1, text.size() - 2);
      if (param.size() > 3 && param.substr(param.size() - 3) == "...") {
        param.remove_suffix(3);
        segment.is_rest = true;
      }
      if (param.empty() || param.find_first_of("{}/") != std::string_view::npos) {
        return InvalidArgumentError("route pattern '" + pattern + "' has a malformed parameter '" +
                                    std::string(text) + "'");
      }
      segment.text = std::string(param);
      segment.is_param = true;
    } else {
      if (text.find_first_of("{}") != std::string_view::npos) {
        return InvalidArgumentError("route pattern '" + pattern +
                                    "': a parameter must be a whole segment, not '" +
                                    std::string(text) + "'");
      }
      segment.text = std::string(text);
    }
    route.segments.push_back(std::move(segment));
  }
  for (const Route& existing : routes_) {
    if (existing.method == route.method && existing.pattern == route.pattern) {
      return AlreadyExistsError("route " + std::string(MethodName(route.method)) + " " + pattern +
                                " is already registered");
    }
  }
  if (route.name.empty()) route.name = route.pattern;
  uint32_t node = 0;
  for (const Segment& segment : route.segments) {
    if (segment.is_param) break;
    auto [child, added] =
        nodes_[node].children.try_emplace(segment.text, static_cast<uint32_t>(nodes_.size()));
    if (added) nodes_.emplace_back();
    node = child->second;
  }
  nodes_[node].routes.push_back(static_cast<uint32_t>(routes_.size()));
  routes_.push_back(std::move(route));
  return OkStatus();
}

void Router::SetFallback(Handler handler, std::string name) {
  fallback_ = std::move(handler);
  fallback_name_ = std::move(name);
}

bool Router::MatchSegments(const Route& route, const std::vector<std::string>& path,
                           RouteParams* params) {
  size_t i = 0;
  for (const Segment& segment : route.segments) {
    if (segment.is_rest) {
      if (i >= path.size()) return false;
      std::string rest;
      for (size_t j = i; j < path.size(); ++j) {
        if (j > i) rest += '/';
        rest += path[j];
      }
      if (params) params->Add(segment.text, std::move(rest));
      return true;
    }
    if (i >= path.size()) return false;
    if (segment.is_param) {
      if (params) params->Add(segment.text, path[i]);
    } else if (segment.text != path[i]) {
      return false;
    }
    ++i;
  }
  return i == path.size();
}

Router::Match Router::Find(Method method, const std::vector<std::string>& path_segments) const {
  // Specificity: literal segments beat parameters, earliest segment first; a rest parameter
  // ranks below a single-segment parameter at the same position. Equally specific routes: the
  // one added first (the lower index), so the order the candidates are visited in is free.
  auto more_specific = [](const Route& a, const Route& b) {
    size_t n = std::min(a.segments.size(), b.segments.size());
    for (size_t i = 0; i < n; ++i) {
      int ra = a.segments[i].is_rest ? 0 : a.segments[i].is_param ? 1 : 2;
      int rb = b.segments[i].is_rest ? 0 : b.segments[i].is_param ? 1 : 2;
      if (ra != rb) return ra > rb;
    }
    return a.segments.size() > b.segments.size();
  };
  auto better = [&](uint32_t candidate, uint32_t best) {
    if (best == kNone) return true;
    const Route& a = routes_[candidate];
    const Route& b = routes_[best];
    if (more_specific(a, b)) return true;
    return candidate < best && !more_specific(b, a);
  };
  // One walk down the path's leading literal segments visits every route that can match.
  uint32_t best = kNone;      // for `method`
  uint32_t best_get = kNone;  // for GET, which a HEAD request falls back to
  uint32_t first = kNone;     // the first route added that matches, any method
  unsigned allowed = 0;       // bit per Method of the routes that match
  auto visit = [&](const PrefixNode& node) {
    for (uint32_t i : node.routes) {
      const Route& route = routes_[i];
      if (!MatchSegments(route, path_segments, nullptr)) continue;
      allowed |= 1u << static_cast<unsigned>(route.method);
      if (i < first) first = i;
      if (route.method == method && better(i, best)) best = i;
      if (route.method == Method::kGet && better(i, best_get)) best_get = i;
    }
  };
  const PrefixNode* node = &nodes_[0];
  visit(*node);
  for (const std::string& segment : path_segments) {
    auto child = node->children.find(segment);
    if (child == node->children.end()) break;
    node = &nodes_[child->second];
    visit(*node);
  }
  if (best == kNone && method == Method::kHead) best = best_get;

  Match match;
  if (best != kNone) {
    const Route& route = routes_[best];
    MatchSegments(route, path_segments, &match.params);
    match.route = route.name;
    if (route.handler) {
      match.handler = &route.handler;
    } else {
      match.async_handler = &route.async_handler;
    }
    return match;
  }
  auto path_text = [&] {
    std::string path = "/";
    for (size_t i = 0; i < path_segments.size(); ++i) {
      if (i) path += '/';
      path += path_segments[i];
    }
    return path;
  };
  if (allowed != 0) {
    if (allowed & (1u << static_cast<unsigned>(Method::kGet))) {
      allowed |= 1u << static_cast<unsigned>(Method::kHead);
    }
    std::string allow;
    for (unsigned m = 0; m <= static_cast<unsigned>(Method::kOther); ++m) {
      if ((allowed & (1u << m)) == 0) continue;
      if (!allow.empty()) allow += ", ";
      allow += MethodName(static_cast<Method>(m));
    }
    const std::string message = "method " + std::string(MethodName(method)) +
                                " is not allowed on " + path_text() + "; allowed: " + allow;
    Response r = Response::Json(405, ErrorBody("method_not_allowed", message));
    r.headers.Set("Allow", allow);
    match.immediate = ErrorFor(path_text(), message, std::move(r));
    // The route label of a known path, so metrics group 405s with their route.
    match.route = routes_[first].name;
    return match;
  }
  if (fallback_ && (method == Method::kGet || method == Method::kHead)) {
    match.handler = &fallback_;
    match.route = fallback_name_;
    return match;
  }
  const std::string message = "no such endpoint: " + path_text();
  match.immediate = ErrorFor(path_text(), message, ErrorResponse(NotFoundError(message)));
  match.route = std::string(kUnmatchedRoute);
  return match;
}

void Router::SetErrorFormat(std::string prefix, ErrorFormat format) {
  error_formats_.emplace_back(std::move(prefix), std::move(format));
}

Response Router::ErrorFor(std::string_view target, std::string_view message,
                          Response json_error) const {
  const std::string_view path = target.substr(0, target.find('?'));
  const ErrorFormat* best = nullptr;
  size_t best_length = 0;
  for (const auto& [prefix, format] : error_formats_) {
    if (path.starts_with(prefix) && (best == nullptr || prefix.size() > best_length)) {
      best = &format;
      best_length = prefix.size();
    }
  }
  if (best == nullptr) return json_error;
  Response r = (*best)(path, json_error.status, message);
  for (const auto& [name, value] : json_error.headers) r.headers.Set(name, value);
  return r;
}

std::vector<std::string> Router::Describe() const {
  std::vector<std::string> out;
  out.reserve(routes_.size());
  for (const Route& route : routes_) {
    out.push_back(std::string(MethodName(route.method)) + " " + route.pattern);
  }
  return out;
}

namespace {

Response InternalErrorResponse(std::string_view what) {
  return ErrorResponse(InternalError("the handler failed: " + std::string(what)));
}

// HEAD answers like GET without the body; the length of the body it would have is kept.
void Finish(Response& response, const Request& request, const std::string& route) {
  response.route = route;
  if (request.method == Method::kHead && !response.stream) {
    if (!response.headers.Has("Content-Length")) {
      response.headers.Set("Content-Length", std::to_string(response.body.size()));
    }
    response.body.clear();
  }
}

}  // namespace

void HandleRequestAsync(const Router& router, const Request& request, Responder respond) {
  if (request.method == Method::kOther) {
    // RFC 9110 §15.6.2: a method the server does not know at all is 501, whatever the path.
    std::string sent = request.method_text.empty() ? "?" : request.method_text;
    Response r = Response::Json(
        501, ErrorBody("not_implemented",
                       "method " + sent +
                           " is not implemented by this server; it knows GET, HEAD, POST, PUT, "
                           "PATCH, DELETE and OPTIONS"));
    Finish(r, request, std::string(kUnmatchedRoute));
    respond(std::move(r));
    return;
  }
  Router::Match match = router.Find(request.method, request.path_segments);
  if (match.immediate) {
    Response r = std::move(*match.immediate);
    Finish(r, request, match.route);
    respond(std::move(r));
    return;
  }
  if (match.handler) {
    Response r;
    try {
      r = (*match.handler)(request, match.params);
    } catch (const std::exception& e) {
      r = InternalErrorResponse(e.what());
    } catch (...) {
      r = InternalErrorResponse("unknown exception");
    }
    Finish(r, request, match.route);
    respond(std::move(r));
    return;
  }
  // The responder may outlive this call: it copies what Finish needs.
  auto shared_respond = std::make_shared<Responder>(std::move(respond));
  auto called = std::make_shared<std::atomic<bool>>(false);
  Responder finish = [shared_respond, called, method = request.method,
                      route = match.route](Response r) {
    if (called->exchange(true)) return;  // a handler that answers twice: the first one wins
    Request head_only;
    head_only.method = method;
    Finish(r, head_only, route);
    (*shared_respond)(std::move(r));
  };
  try {
    (*match.async_handler)(request, match.params, finish);
  } catch (const std::exception& e) {
    finish(InternalErrorResponse(e.what()));
  } catch (...) {
    finish(InternalErrorResponse("unknown exception"));
  }
}

Response HandleRequest(const Router& router, const Request& request) {
  auto promise = std::make_shared<std::promise<Response>>();
  std::future<Response> future = promise->get_future();
  HandleRequestAsync(router, request, [promise](Response r) { promise->set_value(std::move(r)); });
  return future.get();
}

}  // namespace citygrid::http
