#pragma once

// Small helpers for the API tests (JSON bodies of test responses).

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>

#include "tests/testing/http_client.h"

namespace citygrid::http::api_test {

inline boost::json::object Body(const citygrid::testing::HttpResponse& r) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(r.body, ec);
  EXPECT_FALSE(ec) << "not JSON: " << r.body;
  return v.is_object() ? v.as_object() : boost::json::object();
}

inline std::string Str(const boost::json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : "";
}

inline std::string ErrorCode(const citygrid::testing::HttpResponse& r) {
  boost::json::object o = Body(r);
  if (!o.contains("error")) return "";
  return Str(o["error"].as_object()["code"]);
}

// {"channel":"public","category":"06010",...} at a point inside the test district.
inline std::string Report(const std::string& channel = "public", double lon = 113.607,
                          double lat = 34.703) {
  return R"({"channel":")" + channel +
         R"(","category":"06010","description":"路边垃圾堆积无人清理","lon":)" +
         std::to_string(lon) + R"(,"lat":)" + std::to_string(lat) +
         R"(,"address":"建中街12号","reporter":{"name":"张三","phone":"13812341234"}})";
}

// The fixture's user who may report a case with this body (domain CheckIntake): the inspector on
// the inspector channel, the admin on open311 (Open311 clients use /open311/v2), the operator
// on the others.
inline std::string ReporterFor(const std::string& body) {
  if (body.find(R"("channel":"inspector")") != std::string::npos) return "inspector";
  if (body.find(R"("channel":"open311")") != std::string::npos) return "admin";
  return "operator";
}

}  // namespace citygrid::http::api_test
