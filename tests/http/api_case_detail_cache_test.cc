// GET /api/v1/cases/{number} keeps the encoded case and history per viewer class: repeated reads
// must answer exactly what a first read answers, follow every new event (also one written
// around this server, as another node would), keep the reporter masked per role, keep the
// available actions per viewer, and keep other units' cases hidden from a handler.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <map>
#include <string>

#include "citygrid/service/case_service.h"
#include "tests/http/api_test_util.h"
#include "tests/testing/api_fixture.h"

namespace citygrid::http {
namespace {

using api_test::Body;
using api_test::ErrorCode;
using api_test::Report;
using api_test::Str;
using citygrid::testing::ApiFixture;
using citygrid::testing::HttpResponse;

class ApiCaseDetailCacheTest : public ::testing::Test {
 protected:
  void SetUp() override { CITYGRID_API_FIXTURE_READY_OR_SKIP(api_); }

  const std::string& Token(const std::string& user) {
    std::string& t = tokens_[user];
    if (t.empty()) t = api_.Login(user);
    return t;
  }

  HttpResponse Get(const std::string& number, const std::string& user) {
    return api_.client().Get("/api/v1/cases/" + number, ApiFixture::Auth(Token(user)));
  }

  // Creates a case as an inspector (state pending, version 1) and returns its number.
  std::string NewCase() {
    HttpResponse r =
        api_.client().Post("/api/v1/cases", Report("inspector"), ApiFixture::Auth(Token("inspector")));
    EXPECT_EQ(r.status, 201) << r.body;
    return Str(Body(r)["number"]);
  }

  int64_t Step(const std::string& number, const std::string& action, const std::string& user,
               int64_t version, const std::string& fields = "") {
    std::string body = "{\"version\":" + std::to_string(version) +
                       (fields.empty() ? "" : "," + fields) + "}";
    HttpResponse r = api_.client().Post("/api/v1/cases/" + number + "/actions/" + action, body,
                                        ApiFixture::Auth(Token(user)));
    EXPECT_EQ(r.status, 200) << action << ": " << r.body;
    boost::json::object o = Body(r);
    return o["version"].is_int64() ? o["version"].as_int64() : -1;
  }

  static std::string ReporterPhone(boost::json::object o) {
    return Str(o["reporter"].as_object()["phone"]);
  }
  // The reporter phone inside the history's "created" event payload.
  static std::string CreatedPayloadPhone(boost::json::object o) {
    for (const auto& e : o["history"].as_array()) {
      const boost::json::object& event = e.as_object();
      if (Str(event.at("type")) != "created") continue;
      const boost::json::object& payload = event.at("payload").as_object();
      if (!payload.contains("reporter")) return "";
      return Str(payload.at("reporter").as_object().at("phone"));
    }
    return "";
  }

  ApiFixture api_;
  std::map<std::string, std::string> tokens_;
};

TEST_F(ApiCaseDetailCacheTest, RepeatedReadsAnswerTheSameBytes) {
  const std::string number = NewCase();
  for (const char* user : {"operator", "inspector", "dispatcher", "leader"}) {
    HttpResponse first = Get(number, user);
    ASSERT_EQ(first.status, 200) << user << ": " << first.body;
    HttpResponse second = Get(number, user);
    HttpResponse third = Get(number, user);
    EXPECT_EQ(second.body, first.body) << user;
    EXPECT_EQ(third.body, first.body) << user;
  }
}

TEST_F(ApiCaseDetailCacheTest, ReadsFollowEveryNewEvent) {
  const std::string number = NewCase();
  boost::json::object before = Body(Get(number, "operator"));
  EXPECT_EQ(Str(before["state"]), "pending");
  EXPECT_EQ(before["history"].as_array().size(), 1u);
  (void)Get(number, "operator");  // surely cached now

  int64_t v = Step(number, "register", "operator", before["version"].as_int64());
  boost::json::object after = Body(Get(number, "operator"));
  EXPECT_EQ(Str(after["state"]), "registered");
  EXPECT_EQ(after["version"].as_int64(), v);
  EXPECT_EQ(after["history"].as_array().size(), 2u);

  v = Step(number, "comment", "operator", v, R"("note":"已联系")");
  after = Body(Get(number, "operator"));
  EXPECT_EQ(after["version"].as_int64(), v);
  ASSERT_EQ(after["history"].as_array().size(), 3u);
  EXPECT_EQ(Str(after["history"].as_array()[2].as_object()["note"]), "已联系");
}

TEST_F(ApiCaseDetailCacheTest, AWriteAroundThisServerIsSeenAtOnce) {
  // Another node shares the store: its write reaches this node only through the store.
  const std::string number = NewCase();
  boost::json::object before = Body(Get(number, "dispatcher"));
  (void)Get(number, "dispatcher");
  service::ActRequest act;
  act.action = Action::kRegister;
  act.expected_version = before["version"].as_int64();
  Result<service::CaseDetail> done =
      api_.cases().Act(Actor{"operator", Role::kOperator, ""}, number, act);
  ASSERT_TRUE(done.ok()) << done.status().ToString();

  boost::json::object after = Body(Get(number, "dispatcher"));
  EXPECT_EQ(Str(after["state"]), "registered");
  EXPECT_EQ(after["version"].as_int64(), done->record.version);
  EXPECT_EQ(after["history"].as_array().size(), 2u);
}

TEST_F(ApiCaseDetailCacheTest, ReporterStaysMaskedPerRoleInEitherOrder) {
  const std::string number = NewCase();
  // Alternate a role that sees the reporter with one that does not, twice each, so each reads
  // both a fresh and a cached encoding right after the other class filled its own.
  for (int round = 0; round < 2; ++round) {
    boost::json::object full = Body(Get(number, "operator"));
    EXPECT_EQ(ReporterPhone(full), "13812341234") << round;
    EXPECT_EQ(Str(full["reporter"].as_object()["name"]), "张三") << round;
    EXPECT_EQ(CreatedPayloadPhone(full), "13812341234") << round;

    HttpResponse masked_response = Get(number, "inspector");
    EXPECT_EQ(masked_response.body.find("13812341234"), std::string::npos) << round;
    boost::json::object masked = Body(masked_response);
    EXPECT_EQ(ReporterPhone(masked), "138****1234") << round;
    EXPECT_EQ(Str(masked["reporter"].as_object()["name"]), "张*") << round;
    EXPECT_EQ(CreatedPayloadPhone(masked), "138****1234") << round;

    HttpResponse leader = Get(number, "leader");
    EXPECT_EQ(leader.body.find("13812341234"), std::string::npos) << round;
  }
}

TEST_F(ApiCaseDetailCacheTest, AvailableActionsAreTheViewersOwn) {
  const std::string number = NewCase();
  int64_t v = Step(number, "register", "operator", 1);
  // Operator and dispatcher share the viewer class (both see the reporter) but not the actions.
  for (int round = 0; round < 2; ++round) {
    boost::json::object op = Body(Get(number, "operator"));
    boost::json::object disp = Body(Get(number, "dispatcher"));
    EXPECT_EQ(op["version"].as_int64(), v);
    bool dispatcher_may_dispatch = false;
    for (const auto& a : disp["available_actions"].as_array()) {
      if (Str(a) == "dispatch") dispatcher_may_dispatch = true;
    }
    bool operator_may_dispatch = false;
    for (const auto& a : op["available_actions"].as_array()) {
      if (Str(a) == "dispatch") operator_may_dispatch = true;
    }
    EXPECT_TRUE(dispatcher_may_dispatch) << round;
    EXPECT_FALSE(operator_may_dispatch) << round;
  }
}

TEST_F(ApiCaseDetailCacheTest, AnotherUnitsHandlerGets404AfterOthersReadTheCase) {
  const std::string number = NewCase();
  int64_t v = Step(number, "register", "operator", 1);
  v = Step(number, "dispatch", "dispatcher", v, R"("unit":"U-SZ")");
  // Fill the masked class's entry through the rightful handler and the inspector first.
  ASSERT_EQ(Get(number, "handler").status, 200);
  ASSERT_EQ(Get(number, "inspector").status, 200);
  ASSERT_EQ(Get(number, "handler").status, 200);
  for (int round = 0; round < 2; ++round) {
    HttpResponse hidden = Get(number, "handler2");
    EXPECT_EQ(hidden.status, 404) << hidden.body;
    EXPECT_EQ(ErrorCode(hidden), "not_found");
  }
  // Returned (回退) by the handler, the case leaves its unit's view even though it was cached.
  v = Step(number, "return", "handler", v, R"("note":"不属于本单位")");
  HttpResponse gone = Get(number, "handler");
  EXPECT_EQ(gone.status, 404) << gone.body;
}

TEST_F(ApiCaseDetailCacheTest, UnitNameChangesShowOnTheNextRead) {
  const std::string number = NewCase();
  int64_t v = Step(number, "register", "operator", 1);
  v = Step(number, "dispatch", "dispatcher", v, R"("unit":"U-SZ")");
  boost::json::object before = Body(Get(number, "operator"));
  (void)Get(number, "operator");
  const service::Unit* unit = api_.reference().Get()->FindUnit("U-SZ");
  ASSERT_NE(unit, nullptr);
  service::Unit renamed = *unit;
  renamed.name = "市政设施管理处（新）";
  ASSERT_TRUE(api_.reference().PutUnit(renamed).ok());
  boost::json::object after = Body(Get(number, "operator"));
  EXPECT_EQ(Str(after["unit_name"]), "市政设施管理处（新）");
  EXPECT_EQ(after["version"].as_int64(), before["version"].as_int64());
}

TEST_F(ApiCaseDetailCacheTest, MalformedAndMissingNumbersKeepTheirErrors) {
  HttpResponse bad = Get("not-a-number", "operator");
  EXPECT_EQ(bad.status, 400) << bad.body;
  HttpResponse missing = Get("20260310-999999", "operator");
  EXPECT_EQ(missing.status, 404) << missing.body;
  EXPECT_EQ(ErrorCode(missing), "not_found");
}

}  // namespace
}  // namespace citygrid::http
