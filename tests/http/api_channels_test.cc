// One full lifecycle over HTTP for every intake channel (issue #5 "Checked by"), on SQLite and on
// PostgreSQL: inspector reports start at pending, the other channels at reported and are
// verified first; then register → dispatch → accept → feedback → check_pass → close. A video_ai
// report that duplicates an open case is merged into it automatically.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "tests/http/api_test_util.h"
#include "tests/testing/api_fixture.h"

namespace citygrid::http {
namespace {

using api_test::Body;
using api_test::ErrorCode;
using api_test::Report;
using api_test::Str;
using citygrid::testing::ApiBackend;
using citygrid::testing::ApiFixture;
using citygrid::testing::ApiFixtureOptions;
using citygrid::testing::HttpHeaderList;
using citygrid::testing::HttpResponse;

const std::vector<std::string> kChannels = {"inspector", "public", "hotline", "open311",
                                            "video_ai",  "leader", "media"};

class ApiChannelsTest : public ::testing::TestWithParam<std::tuple<ApiBackend, std::string>> {
 protected:
  void SetUp() override { CITYGRID_API_FIXTURE_READY_OR_SKIP(api_); }

  static ApiFixtureOptions Options() {
    ApiFixtureOptions o;
    o.backend = std::get<0>(GetParam());
    return o;
  }

  const std::string& Token(const std::string& user) {
    std::string& t = tokens_[user];
    if (t.empty()) t = api_.Login(user);
    return t;
  }

  HttpResponse Create(const std::string& body, const std::string& key) {
    HttpHeaderList h = ApiFixture::Auth(Token(api_test::ReporterFor(body)));
    h.emplace_back("Idempotency-Key", key);
    return api_.client().Post("/api/v1/cases", body, h);
  }

  // Takes `action` as `user` and expects 200 and `state`; returns the new version.
  int64_t Step(const std::string& number, const std::string& action, const std::string& user,
               int64_t version, const std::string& fields, const std::string& state) {
    std::string body = "{\"version\":" + std::to_string(version) +
                       (fields.empty() ? "" : "," + fields) + "}";
    HttpResponse r = api_.client().Post("/api/v1/cases/" + number + "/actions/" + action, body,
                                        ApiFixture::Auth(Token(user)));
    EXPECT_EQ(r.status, 200) << action << " by " << user << ": " << r.body;
    boost::json::object o = Body(r);
    EXPECT_EQ(Str(o["state"]), state) << action;
    return o["version"].is_int64() ? o["version"].as_int64() : -1;
  }

  boost::json::object Get(const std::string& number) {
    HttpResponse r =
        api_.client().Get("/api/v1/cases/" + number, ApiFixture::Auth(Token("admin")));
    EXPECT_EQ(r.status, 200) << r.body;
    return Body(r);
  }

  ApiFixture api_{Options()};
  std::map<std::string, std::string> tokens_;
};

TEST_P(ApiChannelsTest, ReportLivesItsWholeLifecycle) {
  const std::string& channel = std::get<1>(GetParam());
  HttpResponse created = Create(Report(channel), "life-" + channel);
  ASSERT_EQ(created.status, 201) << created.body;
  boost::json::object c = Body(created);
  const std::string number = Str(c["number"]);
  EXPECT_EQ(Str(c["channel"]), channel);
  EXPECT_EQ(Str(c["merged_into"]), "") << "the first report of a problem is never merged";
  int64_t v = c["version"].as_int64();
  std::vector<std::string> expected_actions;
  if (channel == "inspector") {
    // An inspector's own report needs no verification (核实).
    EXPECT_EQ(Str(c["state"]), "pending");
    EXPECT_EQ(Str(c["stage"]), "register");
  } else {
    EXPECT_EQ(Str(c["state"]), "reported");
    EXPECT_EQ(Str(c["stage"]), "verify");
    v = Step(number, "verify", "inspector", v, R"("valid":true)", "pending");
    expected_actions.push_back("verify");
  }
  v = Step(number, "register", "operator", v, "", "registered");
  v = Step(number, "dispatch", "dispatcher", v, R"("unit":"U-SZ")", "dispatched");
  v = Step(number, "accept", "handler", v, "", "handling");
  v = Step(number, "feedback", "handler", v, R"("result":"已清理")", "checking");
  v = Step(number, "check_pass", "inspector", v, "", "checked");
  v = Step(number, "close", "operator", v, "", "closed");
  for (const char* a : {"register", "dispatch", "accept", "feedback", "check_pass", "close"}) {
    expected_actions.push_back(a);
  }

  boost::json::object detail = Get(number);
  EXPECT_EQ(Str(detail["state"]), "closed");
  EXPECT_EQ(Str(detail["channel"]), channel);
  EXPECT_EQ(detail["version"].as_int64(), v);
  boost::json::array history = detail["history"].as_array();
  ASSERT_EQ(history.size(), expected_actions.size() + 1);
  EXPECT_EQ(Str(history[0].as_object()["type"]), "created");
  for (size_t i = 0; i < expected_actions.size(); ++i) {
    EXPECT_EQ(Str(history[i + 1].as_object()["action"]), expected_actions[i]) << i;
    EXPECT_EQ(history[i + 1].as_object()["version"].as_int64(), static_cast<int64_t>(i + 2));
  }
  EXPECT_FALSE(Str(detail["closed_at"]).empty());
  // Only this case exists: nothing was merged or duplicated on the way.
  EXPECT_EQ(api_.CountCases(), 1);
}

TEST_P(ApiChannelsTest, SecondReportOfTheSameProblemIsMergedOnlyWhenItComesFromVideoAi) {
  const std::string& channel = std::get<1>(GetParam());
  HttpResponse first = Create(Report("public"), "first-" + channel);
  ASSERT_EQ(first.status, 201) << first.body;
  const std::string original = Str(Body(first)["number"]);

  // 10 m away, same category, within the window.
  HttpResponse second = Create(Report(channel, 113.6071, 34.7030), "second-" + channel);
  ASSERT_EQ(second.status, 201) << second.body;
  boost::json::object dup = Body(second);
  const std::string number = Str(dup["number"]);
  boost::json::array candidates = dup["duplicates"].as_array();
  ASSERT_EQ(candidates.size(), 1u) << second.body;
  EXPECT_EQ(Str(candidates[0].as_object()["number"]), original);
  EXPECT_LT(candidates[0].as_object()["metres"].to_number<double>(), 50);

  boost::json::object stored = Get(number);
  if (channel == "video_ai") {
    EXPECT_EQ(Str(dup["state"]), "merged");
    EXPECT_EQ(Str(dup["merged_into"]), original);
    EXPECT_EQ(Str(stored["state"]), "merged");
    EXPECT_EQ(Str(stored["merged_into"]), original);
    boost::json::array history = stored["history"].as_array();
    ASSERT_EQ(history.size(), 2u);
    EXPECT_EQ(Str(history[1].as_object()["action"]), "merge");
    EXPECT_EQ(Str(history[1].as_object()["actor"].as_object()["role"]), "system");
    // The retry of a merged report answers the merged case, and creates nothing.
    HttpResponse retry = Create(Report(channel, 113.6071, 34.7030), "second-" + channel);
    EXPECT_EQ(retry.status, 200) << retry.body;
    EXPECT_EQ(Str(Body(retry)["merged_into"]), original);
  } else {
    // People decide: the duplicate is offered, not merged.
    EXPECT_EQ(Str(stored["state"]), channel == "inspector" ? "pending" : "reported");
    EXPECT_EQ(Str(stored["merged_into"]), "");
  }
  EXPECT_EQ(api_.CountCases(), 2);
  // The original is untouched either way.
  boost::json::object o = Get(original);
  EXPECT_EQ(Str(o["state"]), "reported");
  EXPECT_EQ(o["version"].as_int64(), 1);
}

INSTANTIATE_TEST_SUITE_P(
    Backends, ApiChannelsTest,
    ::testing::Combine(::testing::Values(ApiBackend::kSqlite, ApiBackend::kPostgres),
                       ::testing::ValuesIn(kChannels)),
    [](const ::testing::TestParamInfo<std::tuple<ApiBackend, std::string>>& info) {
      return std::string(citygrid::testing::Name(std::get<0>(info.param))) + "_" +
             std::get<1>(info.param);
    });

}  // namespace
}  // namespace citygrid::http
