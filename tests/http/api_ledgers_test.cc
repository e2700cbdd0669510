// The ledgers API through the pure request → response path (http::HandleRequest) on a memory
// store with the demo district's units: status codes per role and unit, the summary of the demo
// ledger, import with a bad cell, export → import, and documented routes.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "citygrid/http/api.h"
#include "citygrid/http/router.h"
#include "citygrid/service/demo_seed.h"
#include "citygrid/service/ledger_demo.h"
#include "tests/testing/api_fixture.h"
#include "tests/testing/images.h"
#include "tests/testing/memory_store.h"
#include "tests/testing/paths.h"

namespace citygrid::http {
namespace {

namespace bj = boost::json;

constexpr char kPassword[] = "correct-horse-42";

class ApiLedgersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = citygrid::testing::MakeMemoryStore();
    auto ref = service::ReferenceDataService::Open(store_->documents(),
                                                   citygrid::testing::SourceDir() + "/data");
    ASSERT_TRUE(ref.ok()) << ref.status().ToString();
    reference_ = std::move(*ref);
    ASSERT_TRUE(service::SeedDemoReference(*reference_).ok());
    service::AuthOptions auth_options;
    auth_options.pwhash_opslimit = 1;
    auth_options.pwhash_memlimit = 8192;
    auth_ = std::make_unique<service::AuthService>(store_->documents(), clock_, auth_options);
    cases_ = std::make_unique<service::CaseService>(*store_, *reference_, clock_);
    ledgers_ = std::make_unique<service::LedgerService>(*store_, *reference_, clock_);
    services_.reset(new ApiServices{*store_, *auth_, *reference_, *cases_, nullptr, clock_});
    services_->ledgers = ledgers_.get();
    ASSERT_TRUE(RegisterAuthRoutes(router_, *services_).ok());
    ASSERT_TRUE(RegisterLedgerRoutes(router_, *services_).ok());
    sd0_ = reference_->Get()->geography->subdistricts[0].code;
    sd1_ = reference_->Get()->geography->subdistricts[1].code;
    AddUser("admin", Role::kAdmin, "");
    AddUser("leader", Role::kLeader, "");
    AddUser("zjowner", Role::kHandler, "ZJ");
    AddUser("office0", Role::kHandler, sd0_);
    AddUser("office1", Role::kHandler, sd1_);
  }

  void AddUser(const std::string& name, Role role, const std::string& unit) {
    service::NewUser u{name, name, role, unit, kPassword};
    auto added = auth_->AddUser(u);
    ASSERT_TRUE(added.ok()) << name << ": " << added.status().ToString();
    Response r = Call(Method::kPost, "/api/v1/auth/login",
                      R"({"username":")" + name + R"(","password":")" + kPassword + R"("})", "");
    ASSERT_EQ(r.status, 200) << r.body;
    tokens_[name] = std::string(bj::parse(r.body).at("token").as_string());
  }

  Response Call(Method m, const std::string& target, std::string body, const std::string& user,
                const std::string& content_type = "application/json") {
    Headers h;
    if (!user.empty()) h.Set("Authorization", "Bearer " + tokens_[user]);
    h.Set("Content-Type", content_type);
    auto req = MakeRequest(m, target, std::move(body), h);
    EXPECT_TRUE(req.ok());
    return HandleRequest(router_, *req);
  }

  bj::value Json(const Response& r) { return bj::parse(r.body); }

  FakeClock clock_{*ParseIso8601("2021-01-15T12:00:00+08:00")};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<service::ReferenceDataService> reference_;
  std::unique_ptr<service::AuthService> auth_;
  std::unique_ptr<service::CaseService> cases_;
  std::unique_ptr<service::LedgerService> ledgers_;
  std::unique_ptr<ApiServices> services_;
  Router router_;
  std::map<std::string, std::string> tokens_;
  std::string sd0_, sd1_;
};

constexpr char kDefinition[] = R"({
  "id": "greening", "name": "绿化提升", "owner_unit": "ZJ",
  "columns": [
    {"key": "type", "name": "类型", "type": "choice", "choices": ["品质型", "改善型"], "required": true},
    {"key": "area", "name": "面积", "type": "number", "min": 0, "measure": "m²"}
  ],
  "batches": [{"name": "第一批", "deadline": "2020-12-31"}],
  "type_column": "type"
})";

TEST_F(ApiLedgersTest, CreateAddAndUpdateRowsWithPerUnitStatuses) {
  EXPECT_EQ(Call(Method::kPost, "/api/v1/ledgers", kDefinition, "").status, 401);
  EXPECT_EQ(Call(Method::kPost, "/api/v1/ledgers", kDefinition, "office0").status, 403);
  Response created = Call(Method::kPost, "/api/v1/ledgers", kDefinition, "zjowner");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Json(created).at("version").as_int64(), 1);
  EXPECT_EQ(Call(Method::kPost, "/api/v1/ledgers", kDefinition, "zjowner").status, 409);
  std::string bad = kDefinition;
  bad.replace(bad.find("\"number\""), 8, "\"money\"");
  bad.replace(bad.find("greening"), 8, "greening2");
  Response bad_type = Call(Method::kPost, "/api/v1/ledgers", bad, "zjowner");
  EXPECT_EQ(bad_type.status, 400);
  EXPECT_NE(bad_type.body.find("unknown column type 'money'"), std::string::npos);

  Response row = Call(Method::kPost, "/api/v1/ledgers/greening/rows",
                      R"({"title":"一号院","unit":")" + sd0_ +
                          R"(","batch":"第一批","values":{"type":"品质型","area":1200}})",
                      "zjowner");
  ASSERT_EQ(row.status, 201) << row.body;
  const std::string key(Json(row).at("key").as_string());
  EXPECT_TRUE(Json(row).at("behind").as_bool());  // due 2020-12-31, now 2021-01-15
  EXPECT_EQ(Json(row).at("state_name").as_string(), "未开始");
  const std::string progress = R"({"expected_version":1,"progress":60,"note":"开工"})";
  // Wrong unit: the row is invisible (404); leader: visible but read-only (403).
  EXPECT_EQ(Call(Method::kPost, "/api/v1/ledgers/greening/rows/" + key + "/progress", progress, "office1").status, 404);
  EXPECT_EQ(Call(Method::kGet, "/api/v1/ledgers/greening/rows/" + key, "", "office1").status, 404);
  EXPECT_EQ(Call(Method::kPost, "/api/v1/ledgers/greening/rows/" + key + "/progress", progress, "leader").status, 403);
  Response ok = Call(Method::kPost, "/api/v1/ledgers/greening/rows/" + key + "/progress", progress, "office0");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Json(ok).at("state").as_string(), "in_progress");
  // Stale version: 409, nothing changes.
  EXPECT_EQ(Call(Method::kPost, "/api/v1/ledgers/greening/rows/" + key + "/progress", progress, "office0").status, 409);
  // A rejected value: 400 naming the field, with the reason as a code a client can word itself.
  Response below = Call(Method::kPost, "/api/v1/ledgers/greening/rows/" + key + "/progress",
                        R"({"expected_version":2,"values":{"area":-3}})", "office0");
  ASSERT_EQ(below.status, 400) << below.body;
  const boost::json::value below_body = Json(below);
  const boost::json::object& why = below_body.at("error").as_object();
  EXPECT_EQ(why.at("code").as_string(), "invalid_argument");
  EXPECT_EQ(why.at("message").as_string(), "field 'area (面积)' value '-3': -3 is below the minimum 0");
  EXPECT_EQ(why.at("field").as_string(), "area");
  EXPECT_EQ(why.at("reason_code").as_string(), "below_minimum");
  EXPECT_EQ(why.at("reason_args"), (boost::json::array{"-3", "0"}));
  // Other errors carry no detail.
  Response stale = Call(Method::kPost, "/api/v1/ledgers/greening/rows/" + key + "/progress", progress, "office0");
  EXPECT_FALSE(Json(stale).at("error").as_object().contains("reason_code")) << stale.body;
  Response detail = Call(Method::kGet, "/api/v1/ledgers/greening/rows/" + key, "", "leader");
  ASSERT_EQ(detail.status, 200);
  EXPECT_EQ(Json(detail).at("version").as_int64(), 2);
  EXPECT_EQ(Json(detail).at("history").as_array().size(), 2u);
  EXPECT_EQ(Json(detail).at("history").as_array()[1].at("note").as_string(), "开工");
  // Office 1 lists nothing, the leader everything.
  EXPECT_EQ(Json(Call(Method::kGet, "/api/v1/ledgers/greening/rows", "", "office1")).at("count").as_int64(), 0);
  EXPECT_EQ(Json(Call(Method::kGet, "/api/v1/ledgers/greening/rows?state=behind", "", "leader")).at("count").as_int64(), 1);
  EXPECT_EQ(Call(Method::kGet, "/api/v1/ledgers/greening/rows?colour=red", "", "leader").status, 400);
  Response verify = Call(Method::kGet, "/api/v1/ledgers/greening/verify", "", "leader");
  EXPECT_TRUE(Json(verify).at("ok").as_bool());
}

TEST_F(ApiLedgersTest, SummaryOfTheDemoLedgerMatchesItsBatches) {
  ASSERT_TRUE(service::SeedDemoLedgers(*store_, *reference_, clock_.Now()).ok());
  Response r = Call(Method::kGet, "/api/v1/ledgers/old-compounds/summary?group_by=batch", "", "leader");
  ASSERT_EQ(r.status, 200) << r.body;
  bj::value s = Json(r);
  EXPECT_EQ(s.at("total").at("rows").as_int64(), 467);
  const bj::array& groups = s.at("groups").as_array();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].at("rows").as_int64(), 264);
  EXPECT_EQ(groups[0].at("deadline").as_string(), "2020-12-31");
  EXPECT_EQ(groups[0].at("behind").as_int64(), 28);
  EXPECT_EQ(groups[1].at("rows").as_int64(), 203);
  EXPECT_EQ(groups[1].at("deadline").as_string(), "2021-06-30");
  EXPECT_EQ(s.at("overdue_rows").as_array().size(), 28u);
  EXPECT_EQ(Call(Method::kGet, "/api/v1/ledgers/old-compounds/summary?group_by=colour", "", "leader").status, 400);
  EXPECT_EQ(Call(Method::kGet, "/api/v1/ledgers/nope/summary", "", "leader").status, 404);
  Response campaign = Call(Method::kGet, "/api/v1/ledgers/order-cleanliness/campaign", "", "leader");
  EXPECT_EQ(campaign.status, 200) << campaign.body;
}

TEST_F(ApiLedgersTest, ImportWithOneBadCellNamesItAndWritesNothingThenXlsxRoundTrips) {
  ASSERT_EQ(Call(Method::kPost, "/api/v1/ledgers", kDefinition, "zjowner").status, 201);
  const std::string csv = "编号,名称,责任单位,批次,类型,面积\nA1,一号院," + sd0_ +
                          ",第一批,品质型,1200\nA2,二号院," + sd1_ + ",第一批,改善型,-3\n";
  Response r = Call(Method::kPost, "/api/v1/ledgers/greening/import?format=csv", csv, "zjowner", "text/csv");
  ASSERT_EQ(r.status, 200) << r.body;
  bj::value rep = Json(r);
  EXPECT_FALSE(rep.at("applied").as_bool());
  ASSERT_EQ(rep.at("errors").as_array().size(), 1u);
  const bj::value& e = rep.at("errors").as_array()[0];
  EXPECT_EQ(e.at("row").as_int64(), 3);
  EXPECT_EQ(e.at("column").as_string(), "面积");
  EXPECT_EQ(e.at("value").as_string(), "-3");
  EXPECT_EQ(e.at("reason").as_string(), "-3 is below the minimum 0");
  // The same reason as a code and its arguments, which the console words in its language.
  EXPECT_EQ(e.at("reason_code").as_string(), "below_minimum");
  EXPECT_EQ(e.at("reason_args"), (bj::array{"-3", "0"}));
  EXPECT_EQ(Json(Call(Method::kGet, "/api/v1/ledgers/greening/rows", "", "zjowner")).at("count").as_int64(), 0);
  // The fixed file imports; XLSX export → import changes nothing.
  std::string fixed = csv;
  fixed.replace(fixed.find("-3"), 2, "300");
  ASSERT_TRUE(Json(Call(Method::kPost, "/api/v1/ledgers/greening/import", fixed, "zjowner", "text/csv")).at("applied").as_bool());
  Response xlsx = Call(Method::kGet, "/api/v1/ledgers/greening/export?format=xlsx", "", "zjowner");
  ASSERT_EQ(xlsx.status, 200);
  EXPECT_NE(xlsx.content_type.find("spreadsheetml"), std::string::npos);
  Response again = Call(Method::kPost, "/api/v1/ledgers/greening/import?format=xlsx", xlsx.body, "zjowner",
                        "application/octet-stream");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Json(again).at("rows_unchanged").as_int64(), 2);
  EXPECT_EQ(Json(again).at("errors").as_array().size(), 0u);
  // Import is the owner's: a street office gets 403.
  EXPECT_EQ(Call(Method::kPost, "/api/v1/ledgers/greening/import", fixed, "office0", "text/csv").status, 403);
  // A mistyped switch is an error, not "false": ?dry_run=maybe must not import for real.
  const std::string more = "编号,名称,责任单位,批次,类型,面积\nA3,三号院," + sd0_ + ",第一批,品质型,50\n";
  for (const char* query : {"dry_run=maybe", "dry_run=", "valid_rows_only=2"}) {
    Response bad = Call(Method::kPost, std::string("/api/v1/ledgers/greening/import?") + query, more,
                        "zjowner", "text/csv");
    EXPECT_EQ(bad.status, 400) << query;
    EXPECT_NE(bad.body.find("must be true or false"), std::string::npos) << bad.body;
  }
  EXPECT_EQ(Json(Call(Method::kGet, "/api/v1/ledgers/greening/rows", "", "zjowner")).at("count").as_int64(), 2);
  Response dry = Call(Method::kPost, "/api/v1/ledgers/greening/import?dry_run=true", more, "zjowner", "text/csv");
  ASSERT_EQ(dry.status, 200) << dry.body;
  EXPECT_FALSE(Json(dry).at("applied").as_bool());
  // Both rows are past their batch's deadline (2020-12-31) and not done: behind.
  EXPECT_EQ(Json(Call(Method::kGet, "/api/v1/ledgers/greening/rows?behind=yes", "", "zjowner")).at("count").as_int64(), 2);
  EXPECT_EQ(Json(Call(Method::kGet, "/api/v1/ledgers/greening/rows?behind=no", "", "zjowner")).at("count").as_int64(), 0);
  EXPECT_EQ(Call(Method::kGet, "/api/v1/ledgers/greening/rows?behind=maybe", "", "zjowner").status, 400);
}

TEST_F(ApiLedgersTest, ADefinitionPutUnderAnotherLedgersPathIsRefused) {
  ASSERT_EQ(Call(Method::kPost, "/api/v1/ledgers", kDefinition, "zjowner").status, 201);
  bj::value current = Json(Call(Method::kGet, "/api/v1/ledgers/greening", "", "zjowner"));
  current.as_object()["id"] = "other";
  current.as_object()["name"] = "改名";
  Response r = Call(Method::kPut, "/api/v1/ledgers/greening", bj::serialize(current), "zjowner");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("field 'id' is 'other' but the path names ledger 'greening'"),
            std::string::npos) << r.body;
  EXPECT_EQ(Json(Call(Method::kGet, "/api/v1/ledgers/greening", "", "zjowner")).at("name").as_string(),
            "绿化提升");
  EXPECT_EQ(Call(Method::kGet, "/api/v1/ledgers/other", "", "zjowner").status, 404);
}

TEST_F(ApiLedgersTest, RowsPageWithOffsetAndLimitAndCountAllMatches) {
  ASSERT_TRUE(service::SeedDemoLedgers(*store_, *reference_, clock_.Now()).ok());
  const std::string batch2 = "%E7%AC%AC%E4%BA%8C%E6%89%B9";  // 第二批
  bj::value all = Json(Call(Method::kGet, "/api/v1/ledgers/old-compounds/rows?batch=" + batch2, "", "leader"));
  ASSERT_EQ(all.at("count").as_int64(), 203);
  Response r = Call(Method::kGet, "/api/v1/ledgers/old-compounds/rows?batch=" + batch2 + "&offset=200&limit=50", "", "leader");
  ASSERT_EQ(r.status, 200) << r.body;
  bj::value page = Json(r);
  EXPECT_EQ(page.at("count").as_int64(), 203);  // all matching rows, not the page
  EXPECT_EQ(page.at("offset").as_int64(), 200);
  ASSERT_EQ(page.at("rows").as_array().size(), 3u);
  EXPECT_EQ(page.at("rows").as_array()[0].at("key"), all.at("rows").as_array()[200].at("key"));
  EXPECT_EQ(Json(Call(Method::kGet, "/api/v1/ledgers/old-compounds/rows?offset=900&limit=5", "", "leader"))
                .at("rows").as_array().size(), 0u);
  struct Bad { std::string query; std::string message; };
  for (const Bad& b : {Bad{"limit=0", "'limit' must be at least 1"},
                       Bad{"offset=-1", "'offset' must be a whole number, got '-1'"},
                       Bad{"limit=ten", "'limit' must be a whole number, got 'ten'"}}) {
    Response bad = Call(Method::kGet, "/api/v1/ledgers/old-compounds/rows?" + b.query, "", "leader");
    EXPECT_EQ(bad.status, 400) << b.query;
    EXPECT_NE(bad.body.find(b.message), std::string::npos) << bad.body;
  }
}

TEST_F(ApiLedgersTest, PhotosUploadForTheResponsibleUnitThenGoIntoAProgressUpdate) {
  ASSERT_EQ(Call(Method::kPost, "/api/v1/ledgers", kDefinition, "zjowner").status, 201);
  Response row = Call(Method::kPost, "/api/v1/ledgers/greening/rows",
                      R"({"key":"P1","title":"一号院","unit":")" + sd0_ + R"(","values":{"type":"品质型"}})",
                      "zjowner");
  ASSERT_EQ(row.status, 201) << row.body;
  const std::string png = citygrid::testing::TinyPng();
  const std::string url = "/api/v1/ledgers/greening/rows/P1/photos";
  // Not an image, wrong content type, another unit (invisible row), a reader: all refused.
  Response not_image = Call(Method::kPost, url, "hello", "office0", "image/png");
  EXPECT_EQ(not_image.status, 400);
  EXPECT_NE(not_image.body.find("photo 'body' is not a JPEG, PNG or WebP image"), std::string::npos) << not_image.body;
  EXPECT_EQ(Call(Method::kPost, url, png, "office0", "text/plain").status, 415);
  EXPECT_EQ(Call(Method::kPost, url, png, "office1", "image/png").status, 404);
  EXPECT_EQ(Call(Method::kPost, url, png, "leader", "image/png").status, 403);
  EXPECT_EQ(Call(Method::kPost, "/api/v1/ledgers/greening/rows/NOPE/photos", png, "office0", "image/png").status, 404);
  const std::string body = "--XB\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.png\"\r\n"
                           "Content-Type: image/png\r\n\r\n" + png + "\r\n--XB--\r\n";
  Response up = Call(Method::kPost, url, body, "office0", "multipart/form-data; boundary=XB");
  ASSERT_EQ(up.status, 201) << up.body;
  const std::string hash(Json(up).at("photos").as_array().at(0).as_string());
  EXPECT_EQ(hash.size(), 64u);
  Response progress = Call(Method::kPost, "/api/v1/ledgers/greening/rows/P1/progress",
                           R"({"expected_version":1,"progress":40,"note":"开工","photos":[")" + hash + R"("]})",
                           "office0");
  ASSERT_EQ(progress.status, 200) << progress.body;
  bj::value detail = Json(Call(Method::kGet, "/api/v1/ledgers/greening/rows/P1", "", "leader"));
  EXPECT_EQ(detail.at("history").as_array().back().at("photos").as_array().at(0).as_string(), hash);
}

}  // namespace
}  // namespace citygrid::http

// The same routes on a real server (tests/testing/api_fixture.h): sockets, body limits, the
// fixture's SQLite store.

namespace citygrid::http {
namespace {

TEST(ApiLedgersServerTest, CreatesALedgerImportsAFileAndReadsTheRollupOverHttp) {
  citygrid::testing::ApiFixture api;
  ASSERT_TRUE(api.ready()) << api.error();
  const std::string admin = api.Login("admin");
  const std::string definition = R"({"id":"stalls","name":"摊点整治","owner_unit":"U-CG",
    "columns":[{"key":"kind","name":"类型","type":"choice","choices":["早市","夜市"]},
               {"key":"stalls","name":"摊位数","type":"number","min":0}],
    "batches":[{"name":"一期","deadline":"2026-03-31"}],"type_column":"kind"})";
  auto created = api.client().Post("/api/v1/ledgers", definition, api.Auth(admin));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string csv = "编号,名称,责任单位,批次,类型,摊位数,进度\nS1,航海路早市,U-JD1,一期,早市,40,100\n"
                          "S2,淮河路夜市,U-JD2,一期,夜市,25,30%\n";
  auto imported = api.client().Post("/api/v1/ledgers/stalls/import?format=csv", csv, api.Auth(admin));
  ASSERT_EQ(imported.status, 200) << imported.body;
  EXPECT_NE(imported.body.find("\"applied\":true"), std::string::npos) << imported.body;
  auto summary = api.client().Get("/api/v1/ledgers/stalls/summary?group_by=type", api.Auth(admin));
  ASSERT_EQ(summary.status, 200) << summary.body;
  bj::value s = bj::parse(summary.body);
  EXPECT_EQ(s.at("total").at("rows").as_int64(), 2);
  EXPECT_EQ(s.at("total").at("completed").as_int64(), 1);
  EXPECT_EQ(s.at("total").at("sums").at("stalls").as_double(), 65);
  EXPECT_EQ(s.at("groups").as_array()[0].at("label").as_string(), "早市");
}

}  // namespace
}  // namespace citygrid::http
