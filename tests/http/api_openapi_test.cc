// GET /api/v1/openapi.json is the compiled-in docs/openapi.json, and it documents every route
// RegisterApiRoutes adds.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cctype>
#include <string>

#include "citygrid/http/api.h"
#include "citygrid/http/router.h"
#include "tests/http/api_test_util.h"
#include "tests/testing/api_fixture.h"

namespace citygrid::http {
namespace {

using api_test::Body;
using citygrid::testing::ApiFixture;
using citygrid::testing::HttpResponse;

TEST(ApiOpenApiTest, EveryRegisteredRouteIsDocumented) {
  ApiFixture api;
  ASSERT_TRUE(api.ready()) << api.error();
  HttpResponse r = api.client().Get("/api/v1/openapi.json");  // no token needed
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.Header("Content-Type").find("application/json"), std::string::npos);
  boost::json::object doc = Body(r);
  ASSERT_TRUE(doc.contains("openapi"));
  EXPECT_EQ(std::string(doc["openapi"].as_string()).substr(0, 2), "3.");
  ASSERT_TRUE(doc["paths"].is_object());
  const boost::json::object& paths = doc["paths"].as_object();

  ApiServices services{api.store(), api.auth(), api.reference(), api.cases(), &api.feed(),
                       api.clock()};
  Router router;
  ASSERT_TRUE(RegisterApiRoutes(router, services).ok());
  ASSERT_GT(router.size(), 10u);
  for (const std::string& route : router.Describe()) {
    size_t space = route.find(' ');
    ASSERT_NE(space, std::string::npos) << route;
    std::string method = route.substr(0, space);
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string path = route.substr(space + 1);
    auto it = paths.find(path);
    if (it == paths.end() || !it->value().is_object()) {
      ADD_FAILURE() << "docs/openapi.json has no path " << path << " (route " << route << ")";
      continue;
    }
    EXPECT_TRUE(it->value().as_object().contains(method))
        << "docs/openapi.json documents " << path << " but not its " << method << " operation";
  }
}

}  // namespace
}  // namespace citygrid::http
