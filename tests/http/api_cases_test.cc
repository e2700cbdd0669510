// The cases API against a real in-process server: lifecycle, idempotency, versions,
// visibility, bad inputs, photos and media.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/http/api_test_util.h"
#include "tests/testing/api_fixture.h"
#include "tests/testing/images.h"

namespace citygrid::http {
namespace {

using api_test::Body;
using api_test::ErrorCode;
using api_test::Report;
using api_test::Str;
using citygrid::testing::ApiBackend;
using citygrid::testing::ApiFixture;
using citygrid::testing::ApiFixtureOptions;
using citygrid::testing::HttpClient;
using citygrid::testing::HttpHeaderList;
using citygrid::testing::HttpResponse;

class ApiCasesTest : public ::testing::TestWithParam<ApiBackend> {
 protected:
  void SetUp() override { CITYGRID_API_FIXTURE_READY_OR_SKIP(api_); }

  const std::string& Token(const std::string& user) {
    std::string& t = tokens_[user];
    if (t.empty()) t = api_.Login(user);
    return t;
  }

  // As `user`; by default the user who may report on the body's channel.
  HttpResponse Create(const std::string& body, const std::string& user = "",
                      const std::string& key = "") {
    HttpHeaderList h = ApiFixture::Auth(Token(user.empty() ? api_test::ReporterFor(body) : user));
    if (!key.empty()) h.emplace_back("Idempotency-Key", key);
    return api_.client().Post("/api/v1/cases", body, h);
  }

  // Takes `action` as `user`; returns the response.
  HttpResponse Act(const std::string& number, const std::string& action, const std::string& user,
                   int64_t version, const std::string& fields = "") {
    std::string body = "{\"version\":" + std::to_string(version) +
                       (fields.empty() ? "" : "," + fields) + "}";
    return api_.client().Post("/api/v1/cases/" + number + "/actions/" + action, body,
                              ApiFixture::Auth(Token(user)));
  }

  // Takes `action` and expects 200; returns the new version.
  int64_t Step(const std::string& number, const std::string& action, const std::string& user,
               int64_t version, const std::string& fields, const std::string& state) {
    HttpResponse r = Act(number, action, user, version, fields);
    EXPECT_EQ(r.status, 200) << action << " by " << user << ": " << r.body;
    boost::json::object o = Body(r);
    EXPECT_EQ(Str(o["state"]), state) << action;
    return o["version"].is_int64() ? o["version"].as_int64() : -1;
  }

  static ApiFixtureOptions Options() {
    ApiFixtureOptions o;
    o.backend = GetParam();
    return o;
  }

  ApiFixture api_{Options()};
  std::map<std::string, std::string> tokens_;
};

TEST_P(ApiCasesTest, PublicReportLivesItsWholeLifecycleOverHttp) {
  HttpResponse created = Create(Report("public"), "operator", "life-1");
  ASSERT_EQ(created.status, 201) << created.body;
  boost::json::object c = Body(created);
  const std::string number = Str(c["number"]);
  EXPECT_EQ(Str(c["state"]), "reported");
  EXPECT_EQ(Str(c["stage"]), "verify");
  EXPECT_FALSE(Str(c["stage_deadline"]).empty());
  EXPECT_NE(Str(c["stage_deadline"]).find("+08:00"), std::string::npos);
  boost::json::object loc = c["location"].as_object();
  EXPECT_EQ(Str(loc["grid"]), "410103001001002");
  EXPECT_EQ(Str(loc["subdistrict_name"]), "建中街街道");
  EXPECT_FALSE(Str(c["category_name"]).empty());
  EXPECT_TRUE(c["duplicates"].is_array());
  EXPECT_TRUE(c["routing"].is_object());
  EXPECT_EQ(created.Header("Location"), "/api/v1/cases/" + number);

  int64_t v = c["version"].as_int64();
  v = Step(number, "verify", "inspector", v, R"("valid":true)", "pending");
  v = Step(number, "register", "operator", v, "", "registered");
  v = Step(number, "dispatch", "dispatcher", v, R"("unit":"U-SZ")", "dispatched");
  v = Step(number, "accept", "handler", v, "", "handling");
  v = Step(number, "feedback", "handler", v, R"("result":"已清理")", "checking");
  v = Step(number, "check_fail", "inspector", v, R"("reason":"仍有残留")", "handling");
  v = Step(number, "feedback", "handler", v, R"("result":"已彻底清理")", "checking");
  v = Step(number, "check_pass", "inspector", v, "", "checked");
  v = Step(number, "close", "operator", v, "", "closed");

  HttpResponse got = api_.client().Get("/api/v1/cases/" + number, ApiFixture::Auth(Token("leader")));
  ASSERT_EQ(got.status, 200) << got.body;
  boost::json::object detail = Body(got);
  EXPECT_EQ(Str(detail["state"]), "closed");
  EXPECT_EQ(detail["counters"].as_object()["rework"].as_int64(), 1);
  boost::json::array history = detail["history"].as_array();
  ASSERT_EQ(history.size(), 10u);
  EXPECT_EQ(Str(history[0].as_object()["type"]), "created");
  EXPECT_EQ(Str(history[6].as_object()["action"]), "check_fail");
  EXPECT_EQ(Str(history[6].as_object()["note"]), "仍有残留");
  EXPECT_EQ(Str(history[3].as_object()["payload"].as_object()["unit"]), "U-SZ");
  // The leader may not see the reporter in full.
  EXPECT_EQ(Str(detail["reporter"].as_object()["phone"]), "138****1234");
  boost::json::array actions = detail["available_actions"].as_array();
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(Str(actions[0]), "comment");
}

TEST_P(ApiCasesTest, IdempotentRetryReturnsTheSameCaseWith200) {
  HttpResponse first = Create(Report(), "operator", "retry-key-1");
  ASSERT_EQ(first.status, 201) << first.body;
  HttpResponse again = Create(Report(), "operator", "retry-key-1");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Str(Body(first)["number"]), Str(Body(again)["number"]));
  EXPECT_EQ(api_.CountCases(), 1);
  HttpResponse other = Create(Report("hotline"), "operator", "retry-key-1");
  EXPECT_EQ(other.status, 409) << other.body;
  EXPECT_EQ(ErrorCode(other), "already_exists");
  EXPECT_EQ(api_.CountCases(), 1);
  // A key is its user's: another user's same key and body is a new case, and never an answer
  // with the first user's case.
  HttpResponse someone_else = Create(Report(), "admin", "retry-key-1");
  ASSERT_EQ(someone_else.status, 201) << someone_else.body;
  EXPECT_NE(Str(Body(someone_else)["number"]), Str(Body(first)["number"]));
  EXPECT_EQ(api_.CountCases(), 2);
}

// A role reports only on its channels: nobody skips verification by claiming the inspector
// channel, and a handler reports nothing (403 naming the role and channel, nothing created).
TEST_P(ApiCasesTest, EachRoleReportsOnlyOnItsChannels) {
  struct Refused {
    std::string user, channel, says;
  };
  for (const Refused& r : std::vector<Refused>{
           {"operator", "inspector", "role operator may not report on channel inspector"},
           {"leader", "public", "role leader may not report on channel public"},
           {"handler", "public", "role handler may not report cases"},
           {"inspector", "hotline", "role inspector may not report on channel hotline"},
           {"dispatcher", "open311", "channel open311 is for Open311 clients"}}) {
    HttpResponse refused = Create(Report(r.channel), r.user);
    EXPECT_EQ(refused.status, 403) << r.user << " " << r.channel << ": " << refused.body;
    EXPECT_NE(refused.body.find(r.says), std::string::npos) << refused.body;
  }
  EXPECT_EQ(api_.CountCases(), 0);
  EXPECT_EQ(Create(Report("leader"), "leader").status, 201);
  EXPECT_EQ(Create(Report("inspector"), "inspector").status, 201);
  EXPECT_EQ(Create(Report("media"), "dispatcher").status, 201);
  EXPECT_EQ(api_.CountCases(), 3);
}

// The fixture's server has 2 threads; 64 creates at the same moment all get 201 on either
// backend (SQLite commits them on its committer thread, PostgreSQL on its blocking writers),
// each a different case, all stored.
TEST_P(ApiCasesTest, SixtyFourConcurrentCreatesOnTwoServerThreadsAllSucceed) {
  constexpr int kCreates = 64;
  const std::string token = Token("operator");
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (int i = 0; i < kCreates; ++i) {
    clients.push_back(std::make_unique<HttpClient>("127.0.0.1", api_.port(),
                                                   std::chrono::seconds(60)));
    ASSERT_TRUE(clients.back()->Connect());
  }
  std::atomic<bool> go{false};
  std::vector<HttpResponse> answers(kCreates);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCreates; ++i) {
    threads.emplace_back([&, i] {
      HttpHeaderList h = ApiFixture::Auth(token);
      h.emplace_back("Idempotency-Key", "together-" + std::to_string(i));
      while (!go.load()) std::this_thread::yield();
      answers[i] = clients[i]->Post("/api/v1/cases", Report(), h);
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  std::set<std::string> numbers;
  for (int i = 0; i < kCreates; ++i) {
    ASSERT_EQ(answers[i].status, 201) << i << ": " << answers[i].body << answers[i].error;
    numbers.insert(Str(Body(answers[i])["number"]));
  }
  EXPECT_EQ(numbers.size(), size_t{kCreates});
  EXPECT_EQ(api_.CountCases(), kCreates);
}

TEST_P(ApiCasesTest, StaleVersionIs409AndIllegalTransitionIs400NamingTheState) {
  HttpResponse created = Create(Report());
  ASSERT_EQ(created.status, 201);
  const std::string number = Str(Body(created)["number"]);
  Step(number, "verify", "inspector", 1, R"("valid":true)", "pending");
  HttpResponse stale = Act(number, "register", "operator", 1);
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_EQ(ErrorCode(stale), "aborted");
  HttpResponse illegal = Act(number, "accept", "admin", 2);
  EXPECT_EQ(illegal.status, 400) << illegal.body;
  EXPECT_EQ(ErrorCode(illegal), "failed_precondition");
  EXPECT_NE(illegal.body.find("pending"), std::string::npos) << illegal.body;
  HttpResponse wrong_role = Act(number, "register", "inspector", 2);
  EXPECT_EQ(wrong_role.status, 403) << wrong_role.body;
  EXPECT_EQ(ErrorCode(wrong_role), "permission_denied");
  // None of the refused actions left a trace: still pending at version 2, two events.
  HttpResponse got = api_.client().Get("/api/v1/cases/" + number, ApiFixture::Auth(Token("admin")));
  boost::json::object o = Body(got);
  EXPECT_EQ(Str(o["state"]), "pending");
  EXPECT_EQ(o["version"].as_int64(), 2);
  EXPECT_EQ(o["history"].as_array().size(), 2u);
  EXPECT_EQ(api_.CountCases(), 1);
}

TEST_P(ApiCasesTest, HandlerDoesNotSeeAnotherUnitsCase) {
  HttpResponse created = Create(Report("inspector"));
  ASSERT_EQ(created.status, 201);
  const std::string number = Str(Body(created)["number"]);
  int64_t v = Step(number, "register", "operator", 1, "", "registered");
  v = Step(number, "dispatch", "dispatcher", v, R"("unit":"U-SZ")", "dispatched");

  auto& client = api_.client();
  EXPECT_EQ(client.Get("/api/v1/cases/" + number, ApiFixture::Auth(Token("handler"))).status, 200);
  HttpResponse hidden = client.Get("/api/v1/cases/" + number, ApiFixture::Auth(Token("handler2")));
  EXPECT_EQ(hidden.status, 404) << hidden.body;
  EXPECT_EQ(ErrorCode(hidden), "not_found");
  EXPECT_EQ(Act(number, "accept", "handler2", v).status, 404);
  EXPECT_EQ(Act(number, "comment", "handler2", v, R"("note":"x")").status, 404);

  HttpResponse own = client.Get("/api/v1/cases", ApiFixture::Auth(Token("handler")));
  ASSERT_EQ(own.status, 200);
  EXPECT_EQ(Body(own)["cases"].as_array().size(), 1u);
  HttpResponse other = client.Get("/api/v1/cases", ApiFixture::Auth(Token("handler2")));
  ASSERT_EQ(other.status, 200);
  EXPECT_EQ(Body(other)["cases"].as_array().size(), 0u);
  HttpResponse sneaky = client.Get("/api/v1/cases?unit=U-SZ", ApiFixture::Auth(Token("handler2")));
  ASSERT_EQ(sneaky.status, 200);
  EXPECT_EQ(Body(sneaky)["cases"].as_array().size(), 0u);
}

TEST_P(ApiCasesTest, BadInputsGetTheir4xxAndLeaveNothingBehind) {
  struct Row {
    const char* what;
    std::string body;
    int status;
    const char* mentions;
  };
  const std::vector<Row> rows = {
      {"not JSON", "{channel: public", 400, "not JSON"},
      {"array body", "[1,2]", 400, "object"},
      {"wrong type lon", R"({"channel":"public","category":"06010","description":"x","lon":"113.6","lat":34.7})",
       400, "lon"},
      {"wrong type description", R"({"channel":"public","category":"06010","description":5,"lon":113.607,"lat":34.703})",
       400, "description"},
      {"missing category", R"({"channel":"public","description":"x","lon":113.607,"lat":34.703})",
       400, "category"},
      {"unknown field", R"({"channel":"public","category":"06010","description":"x","lon":113.607,"lat":34.703,"colour":"red"})",
       400, "colour"},
      {"unknown category", R"({"channel":"public","category":"99999","description":"x","lon":113.607,"lat":34.703})",
       400, "99999"},
      {"unknown channel", R"({"channel":"pigeon","category":"06010","description":"x","lon":113.607,"lat":34.703})",
       400, "channel"},
      {"lon out of range", R"({"channel":"public","category":"06010","description":"x","lon":200,"lat":34.703})",
       400, "lon"},
      {"lat out of range", R"({"channel":"public","category":"06010","description":"x","lon":113.607,"lat":-91})",
       400, "lat"},
      {"outside the district", R"({"channel":"public","category":"06010","description":"x","lon":113.7,"lat":34.75})",
       400, "outside"},
      {"body over the limit", std::string(300 * 1024, ' '), 413, "limit"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    HttpResponse r = Create(row.body);
    EXPECT_EQ(r.status, row.status) << r.body << r.error;
    if (r.status == 0) api_.client().Disconnect();
    EXPECT_NE(r.body.find(row.mentions), std::string::npos) << r.body;
    EXPECT_EQ(api_.CountCases(), 0);
  }
  HttpResponse no_token = api_.client().Post("/api/v1/cases", Report());
  EXPECT_EQ(no_token.status, 401);
  EXPECT_EQ(api_.CountCases(), 0);
}

TEST_P(ApiCasesTest, UnknownActionAndBadActionBodiesAre400) {
  HttpResponse created = Create(Report());
  ASSERT_EQ(created.status, 201);
  const std::string number = Str(Body(created)["number"]);
  HttpResponse unknown = Act(number, "teleport", "admin", 1);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("teleport"), std::string::npos);
  HttpResponse no_version = api_.client().Post("/api/v1/cases/" + number + "/actions/verify",
                                               R"({"valid":true})", ApiFixture::Auth(Token("inspector")));
  EXPECT_EQ(no_version.status, 400);
  EXPECT_NE(no_version.body.find("version"), std::string::npos);
  HttpResponse bad_valid = Act(number, "verify", "inspector", 1, R"("valid":"yes")");
  EXPECT_EQ(bad_valid.status, 400);
  EXPECT_NE(bad_valid.body.find("valid"), std::string::npos);
  HttpResponse missing = Act("20260310-999999", "verify", "inspector", 1, R"("valid":true)");
  EXPECT_EQ(missing.status, 404);
  HttpResponse got = api_.client().Get("/api/v1/cases/" + number, ApiFixture::Auth(Token("admin")));
  boost::json::object o = Body(got);
  EXPECT_EQ(o["version"].as_int64(), 1);
  EXPECT_EQ(Str(o["state"]), "reported");
  EXPECT_EQ(o["history"].as_array().size(), 1u);
  EXPECT_EQ(api_.CountCases(), 1);
}

TEST_P(ApiCasesTest, ListFiltersAndRejectsBadParameters) {
  ASSERT_EQ(Create(Report("public")).status, 201);
  ASSERT_EQ(Create(Report("inspector", 113.612, 34.705)).status, 201);
  auto list = [&](const std::string& query) {
    return api_.client().Get("/api/v1/cases" + query, ApiFixture::Auth(Token("operator")));
  };
  EXPECT_EQ(Body(list("?state=pending"))["cases"].as_array().size(), 1u);
  EXPECT_EQ(Body(list("?state=pending,reported"))["cases"].as_array().size(), 2u);
  EXPECT_EQ(Body(list("?subdistrict=410103002"))["cases"].as_array().size(), 1u);
  EXPECT_EQ(Body(list("?channel=public"))["cases"].as_array().size(), 1u);
  HttpResponse page = list("?limit=1&sort=created_asc");
  boost::json::object p = Body(page);
  ASSERT_EQ(p["cases"].as_array().size(), 1u);
  ASSERT_FALSE(Str(p["next_cursor"]).empty());
  HttpResponse next = list("?limit=1&sort=created_asc&cursor=" + Str(p["next_cursor"]));
  ASSERT_EQ(next.status, 200) << next.body;
  EXPECT_EQ(Body(next)["cases"].as_array().size(), 1u);

  for (const char* bad : {"?state=foo", "?limit=0", "?limit=x", "?from=not-a-time",
                          "?overdue=maybe", "?sort=random", "?channel=pigeon", "?colour=red"}) {
    HttpResponse r = list(bad);
    EXPECT_EQ(r.status, 400) << bad << " " << r.body;
    std::string param = std::string(bad).substr(1, std::string(bad).find('=') - 1);
    EXPECT_NE(r.body.find(param), std::string::npos) << bad << " " << r.body;
  }
}

std::string Png() { return citygrid::testing::TinyPng(); }

TEST_P(ApiCasesTest, PhotosAreSniffedStoredAndServed) {
  HttpResponse created = Create(Report());
  ASSERT_EQ(created.status, 201);
  const std::string number = Str(Body(created)["number"]);
  const std::string target = "/api/v1/cases/" + number + "/photos";
  HttpHeaderList auth = ApiFixture::Auth(Token("operator"));

  HttpHeaderList raw = auth;
  raw.emplace_back("Content-Type", "image/png");
  HttpResponse up = api_.client().Post(target, Png(), raw);
  ASSERT_EQ(up.status, 201) << up.body;
  std::string hash = Str(Body(up)["photos"].as_array()[0]);
  EXPECT_EQ(hash.size(), 64u);

  const std::string jpeg = citygrid::testing::TinyJpeg();
  HttpHeaderList multi = auth;
  multi.emplace_back("Content-Type", "multipart/form-data; boundary=XyZ");
  std::string body = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n"
                     "Content-Type: image/jpeg\r\n\r\n" + jpeg + "\r\n--XyZ--\r\n";
  HttpResponse up2 = api_.client().Post(target, body, multi);
  ASSERT_EQ(up2.status, 201) << up2.body;

  HttpResponse got = api_.client().Get("/api/v1/cases/" + number, auth);
  EXPECT_EQ(Body(got)["photos"].as_array().size(), 2u);

  HttpResponse media = api_.client().Get("/api/v1/media/" + hash, ApiFixture::Auth(Token("leader")));
  ASSERT_EQ(media.status, 200);
  EXPECT_EQ(media.Header("Content-Type"), "image/png");
  EXPECT_EQ(media.body, Png());
  EXPECT_NE(media.Header("Cache-Control").find("immutable"), std::string::npos);
  EXPECT_EQ(api_.client().Get("/api/v1/media/" + hash).status, 401);
  EXPECT_EQ(api_.client().Get("/api/v1/media/" + std::string(64, 'a'), auth).status, 404);

  HttpHeaderList text = auth;
  text.emplace_back("Content-Type", "image/png");
  HttpResponse not_image = api_.client().Post(target, "hello, I am text", text);
  EXPECT_EQ(not_image.status, 415) << not_image.body;
  EXPECT_NE(not_image.body.find("not a JPEG, PNG or WebP"), std::string::npos);
  // A format's first bytes followed by anything, and a real photo cut short, are not images.
  EXPECT_EQ(api_.client().Post(target, std::string("\xFF\xD8\xFF", 3) + std::string(10, '\0'), text)
                .status,
            415);
  EXPECT_EQ(api_.client().Post(target, Png().substr(0, 60), text).status, 415);
  HttpHeaderList json = auth;
  json.emplace_back("Content-Type", "application/json");
  EXPECT_EQ(api_.client().Post(target, "{}", json).status, 415);
  HttpResponse big = api_.client().Post(target, Png() + std::string(70 * 1024, 'x'), raw);
  EXPECT_EQ(big.status, 413) << big.body;
  HttpResponse over_limit = api_.client().Post(target, Png() + std::string(300 * 1024, 'x'), raw);
  EXPECT_EQ(over_limit.status, 413) << over_limit.body;
  if (over_limit.status == 0) api_.client().Disconnect();
  // The refused uploads added no photo, no event and no case.
  HttpResponse after = api_.client().Get("/api/v1/cases/" + number, auth);
  boost::json::object o = Body(after);
  EXPECT_EQ(o["photos"].as_array().size(), 2u);
  const int64_t version = o["version"].as_int64();
  EXPECT_EQ(o["history"].as_array().size(), static_cast<size_t>(version));
  EXPECT_EQ(version, Body(up2)["case"].as_object()["version"].as_int64());
  EXPECT_EQ(api_.CountCases(), 1);
}

// The same suite on SQLite and on PostgreSQL ($CITYGRID_TEST_POSTGRES_DSN; skipped without it).
INSTANTIATE_TEST_SUITE_P(Backends, ApiCasesTest,
                         ::testing::Values(ApiBackend::kSqlite, ApiBackend::kPostgres),
                         [](const ::testing::TestParamInfo<ApiBackend>& info) {
                           return std::string(citygrid::testing::Name(info.param));
                         });

}  // namespace
}  // namespace citygrid::http
