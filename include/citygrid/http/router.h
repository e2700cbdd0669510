#pragma once

// The route table and the pure request → response function (HandleRequest), testable without
// sockets. API modules add their endpoints as plain handler functions:
//
//   router.Add(Method::kGet, "/api/v1/cases/{number}",
//              [&](const Request& req, const RouteParams& params) {
//                return GetCase(service, params.Get("number"));
//              });
//
// Matching works on percent-decoded path segments. A pattern segment "{name}" matches any one
// non-empty segment; a final "{name...}" matches the rest of the path (one or more segments,
// joined by '/'). When several patterns match, the one with a literal where the others have a
// parameter (earliest segment first) wins, so "/cases/stats" beats "/cases/{number}"; among
// equally specific ones, the one added first.
//
// Dispatch does not try every route: routes are filed under their leading literal segments
// (those before the first parameter), and a path only tries the routes filed along its own
// leading segments, since no other route can match it.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/http/request.h"
#include "citygrid/http/response.h"

namespace citygrid::http {

// The values of a matched route's {parameters}, percent-decoded.
class RouteParams {
 public:
  // The value of `name`; "" when the route has no such parameter.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  void Add(std::string name, std::string value) {
    params_.emplace_back(std::move(name), std::move(value));
  }
  size_t size() const { return params_.size(); }

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

// A handler that answers at once. May throw: the server answers 500 (HandleRequest does too).
using Handler = std::function<Response(const Request&, const RouteParams&)>;

// Delivers the response of an asynchronous handler. Call exactly once, from any thread.
using Responder = std::function<void(Response)>;
// A handler that answers later (e.g. after a group commit), through `respond`.
using AsyncHandler = std::function<void(const Request&, const RouteParams&, Responder respond)>;

// Route label used for metrics when no route matched.
inline constexpr std::string_view kUnmatchedRoute = "(unmatched)";

class Router {
 public:
  // Adds a route. `name` labels it in metrics and logs; "" uses the pattern. Returns
  // kInvalidArgument for a malformed pattern (not starting with '/', an empty or unclosed
  // {param}, "{x...}" not last) and kAlreadyExists for a duplicate (method, pattern).
  Status Add(Method method, std::string_view pattern, Handler handler, std::string name = "");
  Status AddAsync(Method method, std::string_view pattern, AsyncHandler handler,
                  std::string name = "");

  // Handles GET/HEAD requests that match no route (e.g. static files and the console's
  // client-side routes). Without one, unmatched requests get 404.
  void SetFallback(Handler handler, std::string name = "static");

  // Errors answered before a handler runs (an unknown path or method, a malformed target, a
  // body or header over the limit, a timeout) are ErrorResponse's JSON. An API with its own
  // error format (Open311) registers here how to write them for the paths under `prefix`:
  // `format` gets the path, the HTTP status and the message.
  using ErrorFormat =
      std::function<Response(std::string_view path, int status, std::string_view message)>;
  void SetErrorFormat(std::string prefix, ErrorFormat format);
  // The error answer for `target` (a path, with or without its query): `json_error` (whose
  // status it keeps) written with `message` by the format of the longest registered prefix of
  // the path, with `json_error`'s headers (Allow, ...); else `json_error` itself.
  Response ErrorFor(std::string_view target, std::string_view message, Response json_error) const;

  // Everything a dispatch decided: the handler to run and its parameters, or an immediate
  // response (404, 405).
  struct Match {
    const Handler* handler = nullptr;             // set for a matched synchronous route
    const AsyncHandler* async_handler = nullptr;  // set for a matched asynchronous route
    RouteParams params;
    std::string route;  // the route name (kUnmatchedRoute when none)
    // Set when no handler runs: 404 or 405 (with Allow).
    std::optional<Response> immediate;
  };
  // Finds the route for `method` and `path_segments`. HEAD falls back to a GET route.
  Match Find(Method method, const std::vector<std::string>& path_segments) const;

  size_t size() const { return routes_.size(); }
  // "GET /api/v1/cases/{number}" for every route, in insertion order (for docs and tests).
  std::vector<std::string> Describe() const;

 private:
  struct Segment {
    std::string text;  // literal text, or the parameter name
    bool is_param = false;
    bool is_rest = false;  // "{name...}"
  };
  struct Route {
    Method method;
    std::string pattern;
    std::vector<Segment> segments;
    std::string name;
    Handler handler;
    AsyncHandler async_handler;
  };
  // A node of the tree of leading literal segments: the routes whose literal prefix ends here
  // (indexes into routes_, ascending) and the next literal segments.
  struct PrefixNode {
    std::vector<uint32_t> routes;
    std::unordered_map<std::string, uint32_t> children;  // segment -> index into nodes_
  };
  Status AddRoute(Route route);
  static bool MatchSegments(const Route& route, const std::vector<std::string>& path,
                            RouteParams* params);

  std::vector<Route> routes_;
  std::vector<PrefixNode> nodes_ = std::vector<PrefixNode>(1);  // nodes_[0]: the root
  Handler fallback_;
  std::string fallback_name_;
  std::vector<std::pair<std::string, ErrorFormat>> error_formats_;
};

// Runs `request` through `router` and returns the response, synchronously: 404 for an unknown
// path, 405 with Allow for a known path and another method, HEAD as GET without the body (its
// Content-Length header kept), 500 with a JSON error when a handler throws. Asynchronous
// handlers are waited for. Sets Response::route.
Response HandleRequest(const Router& router, const Request& request);

// As HandleRequest, but delivers the response through `respond`, which an asynchronous handler
// may call later from another thread. The server uses this.
void HandleRequestAsync(const Router& router, const Request& request, Responder respond);

}  // namespace citygrid::http
