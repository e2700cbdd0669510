// The router files routes under their leading literal segments and tries only those along the
// path. These tests hold it to the linear dispatch it replaced (every route tried, kept below as
// the reference): same route, parameters, status and Allow for every registered API route and
// for paths that match nothing.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "citygrid/http/api.h"
#include "citygrid/http/router.h"
#include "tests/testing/api_fixture.h"

namespace citygrid::http {
namespace {

using citygrid::testing::ApiFixture;

// ---- the linear dispatch, as Router::Find did it before ----

struct RefSegment {
  std::string text;
  bool is_param = false;
  bool is_rest = false;
};

struct RefRoute {
  Method method = Method::kGet;
  std::string pattern;
  std::vector<RefSegment> segments;
};

// "GET /api/v1/cases/{number}" (Router::Describe) as a route.
RefRoute ParseRoute(const std::string& described) {
  RefRoute r;
  size_t space = described.find(' ');
  r.method = ParseMethod(described.substr(0, space));
  r.pattern = described.substr(space + 1);
  size_t pos = 1;
  while (pos < r.pattern.size()) {
    size_t end = r.pattern.find('/', pos);
    if (end == std::string::npos) end = r.pattern.size();
    std::string text = r.pattern.substr(pos, end - pos);
    pos = end + 1;
    if (text.empty()) continue;
    RefSegment s;
    if (text.front() == '{') {
      s.is_param = true;
      text = text.substr(1, text.size() - 2);
      if (text.size() > 3 && text.substr(text.size() - 3) == "...") {
        s.is_rest = true;
        text.resize(text.size() - 3);
      }
    }
    s.text = text;
    r.segments.push_back(s);
  }
  return r;
}

using Params = std::vector<std::pair<std::string, std::string>>;

bool RefMatch(const RefRoute& route, const std::vector<std::string>& path, Params* params) {
  size_t i = 0;
  for (const RefSegment& segment : route.segments) {
    if (segment.is_rest) {
      if (i >= path.size()) return false;
      std::string rest;
      for (size_t j = i; j < path.size(); ++j) {
        if (j > i) rest += '/';
        rest += path[j];
      }
      if (params) params->emplace_back(segment.text, rest);
      return true;
    }
    if (i >= path.size()) return false;
    if (segment.is_param) {
      if (params) params->emplace_back(segment.text, path[i]);
    } else if (segment.text != path[i]) {
      return false;
    }
    ++i;
  }
  return i == path.size();
}

struct Outcome {
  int status = 0;  // 200 when a handler runs
  std::string route;
  Params params;
  std::string allow;

  friend bool operator==(const Outcome&, const Outcome&) = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << o.status << " " << o.route << " allow=[" << o.allow << "]";
  for (const auto& [k, v] : o.params) os << " " << k << "=" << v;
  return os;
}

Outcome RefFind(const std::vector<RefRoute>& routes, Method method,
                const std::vector<std::string>& path, bool has_fallback) {
  const RefRoute* best = nullptr;
  auto more_specific = [](const RefRoute& a, const RefRoute& b) {
    size_t n = std::min(a.segments.size(), b.segments.size());
    for (size_t i = 0; i < n; ++i) {
      int ra = a.segments[i].is_rest ? 0 : a.segments[i].is_param ? 1 : 2;
      int rb = b.segments[i].is_rest ? 0 : b.segments[i].is_param ? 1 : 2;
      if (ra != rb) return ra > rb;
    }
    return a.segments.size() > b.segments.size();
  };
  auto consider = [&](Method wanted) {
    for (const RefRoute& route : routes) {
      if (route.method != wanted || !RefMatch(route, path, nullptr)) continue;
      if (best == nullptr || more_specific(route, *best)) best = &route;
    }
  };
  consider(method);
  if (best == nullptr && method == Method::kHead) consider(Method::kGet);
  Outcome out;
  if (best != nullptr) {
    out.status = 200;
    out.route = best->pattern;
    RefMatch(*best, path, &out.params);
    return out;
  }
  std::set<Method> allowed;
  for (const RefRoute& route : routes) {
    if (RefMatch(route, path, nullptr)) allowed.insert(route.method);
  }
  if (!allowed.empty()) {
    if (allowed.count(Method::kGet)) allowed.insert(Method::kHead);
    for (Method m : allowed) {
      if (!out.allow.empty()) out.allow += ", ";
      out.allow += MethodName(m);
    }
    out.status = 405;
    for (const RefRoute& route : routes) {
      if (RefMatch(route, path, nullptr)) {
        out.route = route.pattern;
        break;
      }
    }
    return out;
  }
  if (has_fallback && (method == Method::kGet || method == Method::kHead)) {
    out.status = 200;
    out.route = "static";
    return out;
  }
  out.status = 404;
  out.route = std::string(kUnmatchedRoute);
  return out;
}

// ---- the router under test ----

Outcome Dispatch(const Router& router, Method method, const std::vector<std::string>& path,
                 const std::vector<std::string>& param_names) {
  Router::Match m = router.Find(method, path);
  Outcome out;
  out.route = m.route;
  if (m.immediate) {
    out.status = m.immediate->status;
    out.allow = m.immediate->headers.GetOr("Allow", "");
  } else {
    EXPECT_TRUE(m.handler != nullptr || m.async_handler != nullptr);
    out.status = 200;
  }
  for (const std::string& name : param_names) {
    if (m.params.Has(name)) out.params.emplace_back(name, std::string(m.params.Get(name)));
  }
  EXPECT_EQ(out.params.size(), m.params.size());
  return out;
}

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string::npos) end = path.size();
    if (end > pos) out.push_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// Paths that exercise `routes`: each pattern with its parameters filled by a plain value and by
// every literal some route has at that position (literal against parameter), rest parameters
// with one and three segments, each of those shortened by one segment and lengthened by one,
// and `extra` paths.
std::vector<std::vector<std::string>> PathsFor(const std::vector<RefRoute>& routes,
                                               const std::vector<std::string>& extra) {
  std::vector<std::set<std::string>> literals;
  for (const RefRoute& r : routes) {
    for (size_t i = 0; i < r.segments.size(); ++i) {
      if (literals.size() <= i) literals.resize(i + 1);
      if (!r.segments[i].is_param) literals[i].insert(r.segments[i].text);
    }
  }
  std::set<std::vector<std::string>> paths;
  for (const RefRoute& r : routes) {
    std::vector<std::vector<std::string>> partial = {{}};
    for (size_t i = 0; i < r.segments.size(); ++i) {
      const RefSegment& s = r.segments[i];
      std::vector<std::vector<std::string>> next;
      for (const auto& p : partial) {
        if (!s.is_param) {
          next.push_back(p);
          next.back().push_back(s.text);
          continue;
        }
        std::vector<std::vector<std::string>> values = {{"v" + std::to_string(i)}};
        for (const std::string& literal : literals[i]) values.push_back({literal});
        if (s.is_rest) values.push_back({"a", "b", "c.txt"});
        for (const auto& v : values) {
          next.push_back(p);
          next.back().insert(next.back().end(), v.begin(), v.end());
        }
      }
      // Keep the product small: patterns with several parameters would multiply.
      if (next.size() > 200) next.resize(200);
      partial = std::move(next);
    }
    for (const auto& p : partial) {
      paths.insert(p);
      if (!p.empty()) paths.insert(std::vector<std::string>(p.begin(), p.end() - 1));
      std::vector<std::string> longer = p;
      longer.push_back("extra");
      paths.insert(longer);
    }
  }
  for (const std::string& e : extra) paths.insert(Split(e));
  return {paths.begin(), paths.end()};
}

constexpr Method kAllMethods[] = {Method::kGet,     Method::kHead,  Method::kPost,
                                  Method::kPut,     Method::kPatch, Method::kDelete,
                                  Method::kOptions, Method::kOther};

// Builds a router of `described` routes (names = patterns) and compares every method on every
// path of PathsFor with the linear reference, with and without a fallback. Returns how many
// outcomes of each status were compared.
std::map<int, int> CompareWithLinearDispatch(const std::vector<std::string>& described,
                                             const std::vector<std::string>& extra) {
  std::vector<RefRoute> routes;
  std::set<std::string> param_names;
  for (const std::string& d : described) {
    routes.push_back(ParseRoute(d));
    for (const RefSegment& s : routes.back().segments) {
      if (s.is_param) param_names.insert(s.text);
    }
  }
  const std::vector<std::string> names(param_names.begin(), param_names.end());
  std::map<int, int> statuses;
  for (bool fallback : {false, true}) {
    Router router;
    for (const RefRoute& r : routes) {
      Status added = router.Add(r.method, r.pattern, [](const Request&, const RouteParams&) {
        return Response::Text(200, "");
      });
      EXPECT_TRUE(added.ok()) << r.pattern << ": " << added.ToString();
    }
    if (fallback) {
      router.SetFallback(
          [](const Request&, const RouteParams&) { return Response::Text(200, ""); });
    }
    for (const auto& path : PathsFor(routes, extra)) {
      for (Method method : kAllMethods) {
        Outcome want = RefFind(routes, method, path, fallback);
        Outcome got = Dispatch(router, method, path, names);
        std::sort(want.params.begin(), want.params.end());  // Dispatch lists them by name
        std::string shown;
        for (const std::string& s : path) shown += "/" + s;
        EXPECT_EQ(got, want) << MethodName(method) << " " << shown;
        ++statuses[want.status];
      }
    }
  }
  return statuses;
}

const std::vector<std::string> kNonMatching = {"/",
                                               "/api",
                                               "/api/v1",
                                               "/api/v2/cases",
                                               "/API/v1/cases",
                                               "/nothing",
                                               "/api/v1/nothing/x",
                                               "/open311",
                                               "/open311/v2",
                                               "/metrics/x",
                                               "/v1/api",
                                               "/cases/api/v1"};

TEST(RouterDispatchTest, EveryApiRouteDispatchesAsTheLinearScanDid) {
  ApiFixture api;
  ASSERT_TRUE(api.ready()) << api.error();
  ApiServices services{api.store(), api.auth(),  api.reference(),
                       api.cases(), &api.feed(), api.clock()};
  Router real;
  ASSERT_TRUE(RegisterApiRoutes(real, services).ok());
  std::vector<std::string> described = real.Describe();
  ASSERT_GT(described.size(), 40u);
  described.push_back("GET /healthz");
  described.push_back("GET /metrics");
  std::map<int, int> statuses = CompareWithLinearDispatch(described, kNonMatching);
  EXPECT_GT(statuses[200], 500);
  EXPECT_GT(statuses[404], 100);
  EXPECT_GT(statuses[405], 500);
}

// Shapes the API does not have (yet): a root route, parameters first, rest parameters beside
// single ones, two equally specific patterns (the first added wins), an explicit HEAD route.
TEST(RouterDispatchTest, UnusualPatternsDispatchAsTheLinearScanDid) {
  const std::vector<std::string> described = {
      "GET /",
      "GET /{a}/x",
      "POST /{a}/{b...}",
      "GET /files/{path...}",
      "GET /files/{a}/{b}",
      "GET /files/readme",
      "GET /x/{a}",
      "GET /x/{b}",
      "PUT /x/{b}",
      "HEAD /x/{a}/head",
      "GET /x/{a}/head",
      "DELETE /x/y/z",
      "GET /{a}/{b}/{c}",
  };
  std::map<int, int> statuses =
      CompareWithLinearDispatch(described, {"/x", "/x/y", "/x/y/z/w", "/files", "/q/x/r"});
  EXPECT_GT(statuses[200], 100);
  EXPECT_GT(statuses[404], 10);
  EXPECT_GT(statuses[405], 50);
}

}  // namespace
}  // namespace citygrid::http
