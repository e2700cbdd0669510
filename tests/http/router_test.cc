#include "citygrid/http/router.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>

namespace citygrid::http {
namespace {

Request Make(Method method, std::string_view target) {
  Result<Request> r = MakeRequest(method, target);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Request{};
}

Handler Echo(std::string tag) {
  return [tag](const Request& req, const RouteParams& params) {
    std::string body = tag;
    for (std::string_view name : {"number", "action", "path"}) {
      if (params.Has(name)) body += " " + std::string(name) + "=" + std::string(params.Get(name));
    }
    if (auto q = req.query.Get("state")) body += " state=" + std::string(*q);
    return Response::Text(200, body);
  };
}

Router CaseRouter() {
  Router router;
  EXPECT_TRUE(router.Add(Method::kGet, "/api/v1/cases", Echo("list")).ok());
  EXPECT_TRUE(router.Add(Method::kPost, "/api/v1/cases", Echo("create")).ok());
  EXPECT_TRUE(router.Add(Method::kGet, "/api/v1/cases/{number}", Echo("get")).ok());
  EXPECT_TRUE(router.Add(Method::kGet, "/api/v1/cases/stats", Echo("stats")).ok());
  EXPECT_TRUE(
      router.Add(Method::kPost, "/api/v1/cases/{number}/actions/{action}", Echo("act")).ok());
  EXPECT_TRUE(router.Add(Method::kGet, "/files/{path...}", Echo("file")).ok());
  return router;
}

// An API's own error format applies under its prefix (the longest that matches), keeps the
// JSON error's headers, and leaves other paths' errors as they are.
TEST(RouterTest, ErrorFormatsApplyUnderTheirPrefix) {
  Router router;
  router.SetErrorFormat("/a/", [](std::string_view path, int status, std::string_view message) {
    return Response::Text(status, "a " + std::string(path) + " " + std::string(message));
  });
  router.SetErrorFormat("/a/b/", [](std::string_view, int status, std::string_view message) {
    return Response::Text(status, "b " + std::string(message));
  });
  Response json = Response::Json(405, "{}");
  json.headers.Set("Allow", "GET");
  Response b = router.ErrorFor("/a/b/c.xml?x=1", "no", json);
  EXPECT_EQ(b.status, 405);
  EXPECT_EQ(b.body, "b no");
  EXPECT_EQ(b.headers.GetOr("Allow", ""), "GET");
  EXPECT_EQ(router.ErrorFor("/a/c", "big", Response::Json(413, "{}")).body, "a /a/c big");
  EXPECT_EQ(router.ErrorFor("/z/a/", "none", json).body, "{}");
  // The router's own 404 and 405 go through it.
  (void)router.Add(Method::kGet, "/a/thing", [](const Request&, const RouteParams&) {
    return Response::Text(200, "ok");
  });
  Router::Match put = router.Find(Method::kPut, {"a", "thing"});
  ASSERT_TRUE(put.immediate);
  EXPECT_EQ(put.immediate->body,
            "a /a/thing method PUT is not allowed on /a/thing; allowed: GET, HEAD");
  Router::Match none = router.Find(Method::kGet, {"a", "nothing"});
  ASSERT_TRUE(none.immediate);
  EXPECT_EQ(none.immediate->body, "a /a/nothing no such endpoint: /a/nothing");
}

TEST(RouterTest, MatchesLiteralAndParameterSegments) {
  Router router = CaseRouter();
  Response r = HandleRequest(router, Make(Method::kPost, "/api/v1/cases/20200412-000123/actions/dispatch"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "act number=20200412-000123 action=dispatch");
  EXPECT_EQ(r.route, "/api/v1/cases/{number}/actions/{action}");
}

TEST(RouterTest, DecodesPercentEncodedParametersAndQuery) {
  Router router = CaseRouter();
  Response r = HandleRequest(router, Make(Method::kGet, "/api/v1/cases/a%20b?state=in+progress"));
  EXPECT_EQ(r.body, "get number=a b state=in progress");
}

TEST(RouterTest, LiteralSegmentBeatsParameter) {
  Router router = CaseRouter();
  EXPECT_EQ(HandleRequest(router, Make(Method::kGet, "/api/v1/cases/stats")).body, "stats");
  EXPECT_EQ(HandleRequest(router, Make(Method::kGet, "/api/v1/cases/s1")).body, "get number=s1");
}

TEST(RouterTest, RestParameterTakesTheRemainingPath) {
  Router router = CaseRouter();
  EXPECT_EQ(HandleRequest(router, Make(Method::kGet, "/files/a/b/c.txt")).body,
            "file path=a/b/c.txt");
  EXPECT_EQ(HandleRequest(router, Make(Method::kGet, "/files")).status, 404);
}

TEST(RouterTest, IgnoresEmptySegmentsAndTrailingSlash) {
  Router router = CaseRouter();
  EXPECT_EQ(HandleRequest(router, Make(Method::kGet, "/api//v1/cases/")).body, "list");
}

TEST(RouterTest, UnknownPathIs404WithJsonError) {
  Router router = CaseRouter();
  Response r = HandleRequest(router, Make(Method::kGet, "/api/v1/nothing"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, R"({"error":{"code":"not_found","message":"no such endpoint: /api/v1/nothing"}})");
  EXPECT_EQ(r.route, kUnmatchedRoute);
}

TEST(RouterTest, KnownPathWithWrongMethodIs405WithAllow) {
  Router router = CaseRouter();
  Response r = HandleRequest(router, Make(Method::kDelete, "/api/v1/cases"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.GetOr("Allow", ""), "GET, HEAD, POST");
  EXPECT_NE(r.body.find("\"code\":\"method_not_allowed\""), std::string::npos) << r.body;
  EXPECT_EQ(r.route, "/api/v1/cases");

  Response get_on_action =
      HandleRequest(router, Make(Method::kGet, "/api/v1/cases/1/actions/accept"));
  EXPECT_EQ(get_on_action.status, 405);
  EXPECT_EQ(get_on_action.headers.GetOr("Allow", ""), "POST");
}

TEST(RouterTest, UnknownMethodIs501NamingItOnAnyPath) {
  Router router = CaseRouter();
  for (std::string_view target : {"/api/v1/cases", "/api/v1/nothing"}) {
    Request request = Make(Method::kOther, target);
    request.method_text = "PROPFIND";
    Response r = HandleRequest(router, request);
    EXPECT_EQ(r.status, 501) << target;
    EXPECT_EQ(r.headers.GetOr("Allow", ""), "");
    EXPECT_NE(r.body.find(R"("code":"not_implemented","message":"method PROPFIND is not)"),
              std::string::npos)
        << r.body;
    EXPECT_EQ(r.route, kUnmatchedRoute);
  }
}

TEST(RouterTest, HeadRunsGetWithoutBodyButKeepsLength) {
  Router router = CaseRouter();
  Response r = HandleRequest(router, Make(Method::kHead, "/api/v1/cases/42"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.headers.GetOr("Content-Length", ""), std::to_string(std::string("get number=42").size()));
}

TEST(RouterTest, ExplicitHeadRouteWins) {
  Router router = CaseRouter();
  ASSERT_TRUE(router.Add(Method::kHead, "/api/v1/cases", [](const Request&, const RouteParams&) {
    Response r = Response::Text(200, "");
    r.headers.Set("X-Total", "7");
    return r;
  }).ok());
  Response r = HandleRequest(router, Make(Method::kHead, "/api/v1/cases"));
  EXPECT_EQ(r.headers.GetOr("X-Total", ""), "7");
}

TEST(RouterTest, RejectsMalformedPatterns) {
  Router router;
  auto h = Echo("x");
  struct Case {
    const char* pattern;
    StatusCode code;
  } cases[] = {
      {"api/v1", StatusCode::kInvalidArgument},
      {"/a/{}", StatusCode::kInvalidArgument},
      {"/a/{id", StatusCode::kInvalidArgument},
      {"/a/x{id}", StatusCode::kInvalidArgument},
      {"/a//b", StatusCode::kInvalidArgument},
      {"/a/{rest...}/b", StatusCode::kInvalidArgument},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(router.Add(Method::kGet, c.pattern, h).code(), c.code) << c.pattern;
  }
  ASSERT_TRUE(router.Add(Method::kGet, "/a/{id}", h).ok());
  EXPECT_EQ(router.Add(Method::kGet, "/a/{id}", h).code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(router.Add(Method::kPut, "/a/{id}", h).ok());
}

TEST(RouterTest, RouteNameDefaultsToPatternAndCanBeGiven) {
  Router router;
  ASSERT_TRUE(router.Add(Method::kGet, "/x/{id}", Echo("x"), "x-by-id").ok());
  EXPECT_EQ(HandleRequest(router, Make(Method::kGet, "/x/1")).route, "x-by-id");
  EXPECT_EQ(router.Describe(), std::vector<std::string>{"GET /x/{id}"});
}

TEST(RouterTest, ThrowingHandlerGives500) {
  Router router;
  ASSERT_TRUE(router.Add(Method::kGet, "/boom", [](const Request&, const RouteParams&) -> Response {
    throw std::runtime_error("kaput");
  }).ok());
  Response r = HandleRequest(router, Make(Method::kGet, "/boom"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, R"({"error":{"code":"internal","message":"the handler failed: kaput"}})");
}

TEST(RouterTest, AsyncHandlerAnswersFromAnotherThread) {
  Router router;
  ASSERT_TRUE(router.AddAsync(Method::kPost, "/later/{id}",
                              [](const Request&, const RouteParams& params, Responder respond) {
                                std::thread([respond, id = std::string(params.Get("id"))] {
                                  respond(Response::Text(201, "made " + id));
                                }).detach();
                              })
                  .ok());
  Response r = HandleRequest(router, Make(Method::kPost, "/later/9"));
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "made 9");
  EXPECT_EQ(r.route, "/later/{id}");
}

TEST(RouterTest, FallbackAnswersUnmatchedGetOnly) {
  Router router = CaseRouter();
  router.SetFallback([](const Request& req, const RouteParams&) {
    return Response::Text(200, "app for " + req.path);
  });
  Response r = HandleRequest(router, Make(Method::kGet, "/cases/123"));
  EXPECT_EQ(r.body, "app for /cases/123");
  EXPECT_EQ(r.route, "static");
  EXPECT_EQ(HandleRequest(router, Make(Method::kPost, "/cases/123")).status, 404);
  // A known path with another method is still 405, not the fallback.
  EXPECT_EQ(HandleRequest(router, Make(Method::kPut, "/api/v1/cases")).status, 405);
}

TEST(RequestTest, RejectsBadTargets) {
  Request r;
  EXPECT_EQ(r.SetTarget("cases").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.SetTarget("/a%zz").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.SetTarget("/a%00b").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(r.SetTarget("/a?x=1&x=2&flag&y=%E4%B8%AD").ok());
  EXPECT_EQ(r.query.GetAll("x"), (std::vector<std::string_view>{"1", "2"}));
  EXPECT_EQ(r.query.Get("flag"), "");
  EXPECT_EQ(r.query.Get("y"), "中");
  EXPECT_FALSE(r.query.Get("z").has_value());
}

// Paths and query values reach messages and stores as text: bytes that are not UTF-8 once
// percent-decoded are refused where the target is read, naming the part.
TEST(RequestTest, RejectsTargetsThatAreNotUtf8OncePercentDecoded) {
  Request r;
  Status path = r.SetTarget("/api/v1/units/%ff");
  EXPECT_EQ(path.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(path.message(), "request path segment 4 is not UTF-8 once percent-decoded");
  Status cut = r.SetTarget("/api/v1/cases/%E4%B8");  // a character cut short
  EXPECT_EQ(cut.code(), StatusCode::kInvalidArgument);
  Status key = r.SetTarget("/api/v1/cases?limit=5&%ff=1");
  EXPECT_EQ(key.message(), "query parameter 2 is not UTF-8 once percent-decoded");
  Status value = r.SetTarget("/api/v1/cases?q=%C0%AF");  // an overlong '/'
  EXPECT_EQ(value.message(), "query parameter 1 is not UTF-8 once percent-decoded");
  EXPECT_TRUE(r.SetTarget("/api/v1/cases?q=%E4%B8%AD%F0%9F%9A%A7").ok());
  EXPECT_EQ(r.query.Get("q"), "中🚧");
}

TEST(RequestTest, PlainTargetsSplitAsTheFullParseDoes) {
  // Targets without '?' or '%' take a split without the URL parser; appending an empty query
  // forces the full parse. Both must give the same path and segments (or the same error).
  const char* targets[] = {
      "/",
      "/api/v1/cases/20261128-000123",
      "/api/v1/cases/",
      "/api//v1/cases",
      "//api",
      "/a/./b",
      "/a/../b",
      "/a/b/.",
      "/a:b@c/d!$&'()*+,;=/e~f_g-h.i",
      "/a b",
      "/a\"b",
      "/a<b>",
      "/a#frag",
      "/a/中",
      "/a\\b",
      "/a^b",
      "/a`b",
      "/a{b}",
      "/a|b",
  };
  for (const char* target : targets) {
    Request plain;
    Request parsed;
    Status a = plain.SetTarget(target);
    Status b = parsed.SetTarget(std::string(target) + "?");
    EXPECT_EQ(a.ok(), b.ok()) << target << ": " << a.ToString() << " vs " << b.ToString();
    if (!a.ok() || !b.ok()) continue;
    EXPECT_EQ(plain.path, parsed.path) << target;
    EXPECT_EQ(plain.path_segments, parsed.path_segments) << target;
    EXPECT_EQ(plain.target, target);
    EXPECT_TRUE(plain.query.empty()) << target;
  }
}

TEST(RequestTest, ATargetReplacesThePreviousOneWhole) {
  Request r;
  ASSERT_TRUE(r.SetTarget("/a?x=1").ok());
  ASSERT_TRUE(r.SetTarget("/b/c").ok());
  EXPECT_EQ(r.path, "/b/c");
  EXPECT_EQ(r.path_segments, (std::vector<std::string>{"b", "c"}));
  EXPECT_TRUE(r.query.empty());
  EXPECT_EQ(r.target, "/b/c");
}

TEST(HeadersTest, LookupIgnoresCase) {
  Headers h;
  h.Add("Content-Type", "text/plain");
  h.Add("Set-Cookie", "a=1");
  h.Add("set-cookie", "b=2");
  EXPECT_EQ(h.Get("content-type"), "text/plain");
  EXPECT_EQ(h.GetOr("X-Missing", "none"), "none");
  h.Set("SET-COOKIE", "c=3");
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(h.Get("Set-Cookie"), "c=3");
  h.Remove("CONTENT-type");
  EXPECT_FALSE(h.Has("Content-Type"));
}

}  // namespace
}  // namespace citygrid::http
