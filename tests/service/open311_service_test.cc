#include "citygrid/service/open311_service.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/service/service_test_env.h"

namespace citygrid::service {
namespace {

using testing::ServiceEnv;

CaseEvent Ev(int64_t seq, citygrid::Action a, std::string payload = "{}",
                 std::string user = "staff", std::string note = "") {
  CaseEvent e;
  e.global_seq = seq;
  e.type = EventType::kAction;
  e.action = a;
  e.actor.user = std::move(user);
  e.payload_json = std::move(payload);
  e.note = std::move(note);
  e.at = FromUnixMillis(seq * 1000);
  return e;
}

TEST(Open311PublicHistoryTest, MapsEventsToExtendedStatuses) {
  Case c;
  c.number = "20260310-000001";
  CaseEvent created;
  created.type = EventType::kCreated;
  created.global_seq = 1;
  using A = citygrid::Action;
  std::vector<CaseEvent> history = {
      created,
      Ev(2, A::kVerify, R"({"valid":true})"),
      Ev(3, A::kRegister),
      Ev(4, A::kDispatch, R"({"unit":"U-HW"})"),
      Ev(5, A::kReturn),
      Ev(6, A::kDispatch, R"({"unit":"U-SZ"})"),
      Ev(7, A::kAccept),
      Ev(8, A::kPostponeRequest),                    // internal
      Ev(9, A::kSupervise),                          // internal
      Ev(10, A::kComment, "{}", "staff", "内部"),     // staff comment: internal
      Ev(11, A::kComment, "{}", "open311:fms", "还在"),  // citizen: keeps the status
      Ev(12, A::kFeedback, R"({"result":"已修复"})"),
      Ev(13, A::kCheckFail, "{}", "staff", "未修好"),
      Ev(14, A::kSuspend),
      Ev(15, A::kResume),
      Ev(16, A::kFeedback, R"({"result":"已更换"})"),
      Ev(17, A::kCheckPass),
      Ev(18, A::kClose),
  };
  CaseEvent overdue;
  overdue.type = EventType::kOverdue;
  overdue.global_seq = 19;
  history.push_back(overdue);
  std::vector<Open311Update> updates = PublicHistory(c, history, {{"11", "https://x/y.jpg"}});
  std::vector<std::string> got;
  for (const Open311Update& u : updates) {
    got.push_back(u.update_id + " " + std::string(Name(u.status)));
    EXPECT_EQ(u.service_request_id, c.number);
  }
  EXPECT_EQ(got, (std::vector<std::string>{
                     "1 OPEN", "2 INVESTIGATING", "3 ACTION_SCHEDULED", "4 ACTION_SCHEDULED",
                     "5 INTERNAL_REFERRAL", "6 ACTION_SCHEDULED", "7 IN_PROGRESS",
                     "11 IN_PROGRESS", "12 IN_PROGRESS", "13 REOPEN", "14 ACTION_SCHEDULED",
                     "15 IN_PROGRESS", "16 IN_PROGRESS", "17 IN_PROGRESS", "18 FIXED"}));
  EXPECT_EQ(updates[7].description, "还在");
  EXPECT_EQ(updates[7].media_url, "https://x/y.jpg");
  EXPECT_EQ(updates[8].description, "处置完成，待核查：已修复");
  EXPECT_EQ(updates[9].description, "核查未通过，返工：未修好");
}

TEST(Open311PublicHistoryTest, TerminalDecisions) {
  Case c;
  c.number = "20260310-000002";
  using A = citygrid::Action;
  struct Row {
    CaseEvent event;
    ExtendedStatus status;
  };
  const std::vector<Row> rows = {
      {Ev(1, A::kVerify, R"({"valid":false})", "i", "现场无此问题"),
       ExtendedStatus::kNoFurtherAction},
      {Ev(2, A::kReject, "{}", "o", "不属于城管范围"),
       ExtendedStatus::kNotCouncilsResponsibility},
      {Ev(3, A::kCancel), ExtendedStatus::kCancelled},
      {Ev(4, A::kMerge, R"({"into":"20260310-000001"})"), ExtendedStatus::kDuplicate},
  };
  for (const Row& row : rows) {
    std::vector<Open311Update> u = PublicHistory(c, {row.event});
    ASSERT_EQ(u.size(), 1u);
    EXPECT_EQ(u[0].status, row.status) << Name(*row.event.action);
  }
  EXPECT_EQ(PublicHistory(c, {rows[0].event})[0].description, "核实无效：现场无此问题");
  EXPECT_EQ(PublicHistory(c, {rows[3].event})[0].description,
            "与案件 20260310-000001 重复，已合并");
}

TEST(Open311CategoryAttributesTest, BadAttributesNameTheEntryAndField) {
  const std::string head = R"({"major_classes":[{"code":"06","name":"市容","kind":"event"}],
    "stage_defaults":{"verify":"1 work_hour","register":"1 work_hour","dispatch":"1 work_hour",
                      "check":"1 work_hour"},
    "categories":[{"code":"06010","name":"暴露垃圾","register_standard":"r","close_standard":"c",
                   "unit_type":"环卫","deadlines":[{"handle":"2 work_hour"}],"attributes":)";
  struct Row {
    const char* attributes;
    const char* expect;
  };
  const std::vector<Row> rows = {
      {R"([{"code":"a b","description":"d","datatype":"string"}])", "field 'code'"},
      {R"([{"code":"a","description":"d","datatype":"list"}])", "unknown datatype 'list'"},
      {R"([{"code":"a","description":"d","datatype":"singlevaluelist"}])",
       "field 'values': is needed"},
      {R"([{"code":"a","description":"d","datatype":"string","values":[{"key":"k","name":"n"}]}])",
       "field 'values': is only for"},
      {R"([{"code":"a","description":"d","datatype":"multivaluelist",
            "values":[{"key":"k","name":"n"},{"key":"k","name":"m"}]}])",
       "'k' is given twice"},
      {R"([{"code":"a","description":"d","datatype":"string"},
           {"code":"a","description":"e","datatype":"text"}])",
       "attributes[1]: field 'code': 'a' is given twice"},
      {R"([{"code":"a","datatype":"string"}])", "field 'description'"},
  };
  for (const Row& row : rows) {
    Result<CategoryCatalog> c = CategoryCatalog::Parse(head + row.attributes + "}]}", "t.json");
    ASSERT_FALSE(c.ok()) << row.attributes;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(c.status().message().find(row.expect), std::string::npos) << c.status().message();
    EXPECT_NE(c.status().message().find("categories[0] (06010)"), std::string::npos);
  }
  Result<CategoryCatalog> ok = CategoryCatalog::Parse(
      head +
          R"([{"code":"z","description":"d","datatype":"number","order":5},
              {"code":"y","description":"e","datatype":"datetime","required":true,"order":1}]}]})",
      "t.json");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  const Category* cat = ok->Find("06010");
  ASSERT_EQ(cat->attributes.size(), 2u);
  EXPECT_EQ(cat->attributes[0].code, "y") << "sorted by order";
  EXPECT_TRUE(cat->attributes[0].required);
  EXPECT_EQ(cat->attributes[1].datatype, AttributeDatatype::kNumber);
}

class Open311ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_.ready());
    std::string text;
    Result<ApiKey> k = keys_.Add("app", &text);
    ASSERT_TRUE(k.ok());
    key_ = *k;
  }

  Open311NewRequest Report() {
    Open311NewRequest r;
    r.service_code = "06010";
    r.lat = 34.703;
    r.lon = 113.607;
    r.description = "垃圾";
    return r;
  }

  ServiceEnv env_;
  ApiKeyService keys_{env_.store().documents(), env_.clock()};
  ApiKey key_;
};

TEST_F(Open311ServiceTest, PageSizeDefaultsToMaxResults) {
  Open311Options options;
  options.max_results = 3;
  Open311Service svc(env_.store(), env_.reference(), env_.service(), keys_, env_.clock(), options);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(svc.PostRequest(key_, Report()).ok());
    env_.clock().Advance(std::chrono::minutes(1));
  }
  Result<std::vector<Open311Request>> page = svc.ListRequests({});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->size(), 3u);
  Open311RequestFilter second;
  second.page = 2;
  EXPECT_EQ(svc.ListRequests(second)->size(), 2u);
  Open311RequestFilter too_big;
  too_big.page_size = 4;
  EXPECT_EQ(svc.ListRequests(too_big).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(Open311ServiceTest, JurisdictionIsTheDistrictUnlessConfigured) {
  Open311Service svc(env_.store(), env_.reference(), env_.service(), keys_, env_.clock());
  EXPECT_EQ(svc.JurisdictionId(), "410103");
  EXPECT_TRUE(svc.CheckJurisdiction("").ok());
  EXPECT_TRUE(svc.CheckJurisdiction("410103").ok());
  EXPECT_EQ(svc.CheckJurisdiction("x").code(), StatusCode::kNotFound);
  Open311Options options;
  options.jurisdiction_id = "zz.gov.cn";
  Open311Service named(env_.store(), env_.reference(), env_.service(), keys_, env_.clock(),
                       options);
  EXPECT_TRUE(named.CheckJurisdiction("zz.gov.cn").ok());
  EXPECT_EQ(named.CheckJurisdiction("410103").code(), StatusCode::kNotFound);
}

TEST_F(Open311ServiceTest, MissingLocationCreatesNothing) {
  Open311Service svc(env_.store(), env_.reference(), env_.service(), keys_, env_.clock());
  Open311NewRequest r = Report();
  r.lat.reset();
  EXPECT_EQ(svc.PostRequest(key_, r).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(env_.CountAll(), 0);
}

}  // namespace
}  // namespace citygrid::service
