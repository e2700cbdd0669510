// GET /api/v1/evaluation (json/csv/xlsx), weights, overdue and heat map over HTTP, on an
// in-process server whose evaluation engine follows the store: the worked example (立案 996,
// 应结案 972, 结案 911 → 结案率 93.72 %, 按期结案 737 → 按期结案率 75.82 %), who sees which
// rows, and a 400 naming the parameter for every bad one.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <memory>
#include <thread>

#include "citygrid/http/api.h"
#include "citygrid/http/server.h"
#include "citygrid/service/evaluation_engine.h"
#include "citygrid/service/evaluation_service.h"
#include "tests/common/xlsx_writer_test_util.h"
#include "tests/service/evaluation_test_util.h"
#include "tests/service/service_test_env.h"
#include "tests/testing/http_client.h"
#include "tests/testing/paths.h"

namespace citygrid::http {
namespace {

namespace bj = boost::json;
using citygrid::testing::HttpClient;
using citygrid::testing::HttpHeaderList;
using citygrid::testing::HttpResponse;
using service::testing::At;
using service::testing::ScriptedCase;

constexpr char kPassword[] = "correct-horse-42";

// A server with every API module, the evaluation engine and service; SQLite on /dev/shm when
// there is one (the worked example writes about 2,000 transactions).
class EvaluationServer {
 public:
  EvaluationServer() : clock_(At("2026-03-10T09:30:00+08:00")) {
    std::string base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "";
    dir_ = base.empty() ? citygrid::testing::MakeTempDir("citygrid-eval-api")
                        : base + "/citygrid-eval-api-" + std::to_string(::getpid()) + "-" +
                              std::to_string(reinterpret_cast<uintptr_t>(this));
    std::filesystem::create_directories(dir_);
    Status s = Setup();
    if (!s.ok()) ADD_FAILURE() << "setup: " << s.ToString();
  }
  ~EvaluationServer() {
    client_.reset();
    if (server_) {
      server_->Shutdown();
      server_->Wait();
    }
    server_.reset();
    services_.reset();
    evaluation_.reset();
    engine_.reset();
    cases_.reset();
    auth_.reset();
    reference_.reset();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  HttpClient& client() { return *client_; }
  storage::Store& store() { return *store_; }
  service::EvaluationEngine& engine() { return *engine_; }

  std::string Login(const std::string& user) {
    HttpResponse r = client_->Post("/api/v1/auth/login", "{\"username\":\"" + user +
                                                             "\",\"password\":\"" + kPassword + "\"}");
    EXPECT_EQ(r.status, 200) << r.body;
    bj::value v = bj::parse(r.body);
    return std::string(v.at("token").as_string());
  }
  static HttpHeaderList Auth(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }
  // Folds everything written so far.
  void CatchUp() { ASSERT_TRUE(engine_->PollOnce().ok()); }

 private:
  Status Setup() {
    storage::StoreOptions o;
    o.data_dir = dir_;
    CITYGRID_ASSIGN_OR_RETURN(store_, storage::OpenStore(o));
    CITYGRID_ASSIGN_OR_RETURN(reference_, service::ReferenceDataService::Open(
                                              store_->documents(), service::testing::RepoDataDir()));
    CITYGRID_RETURN_IF_ERROR(reference_->SetGeography(service::testing::TestGeography()));
    for (const service::Unit& unit : service::testing::TestUnits()) {
      CITYGRID_RETURN_IF_ERROR(reference_->PutUnit(unit));
    }
    service::AuthOptions auth_options;
    auth_options.pwhash_opslimit = 1;
    auth_options.pwhash_memlimit = 8192;
    auth_options.session_cache_ttl = Duration(0);
    auth_ = std::make_unique<service::AuthService>(store_->documents(), clock_, auth_options);
    const std::tuple<const char*, Role, const char*> users[] = {
        {"admin", Role::kAdmin, ""},      {"leader", Role::kLeader, ""},
        {"inspector", Role::kInspector, ""}, {"handler", Role::kHandler, "U-HW"},
        {"handler2", Role::kHandler, "U-SZ"}};
    for (const auto& [name, role, unit] : users) {
      service::NewUser u;
      u.username = name;
      u.display_name = name;
      u.role = role;
      u.unit = unit;
      u.password = kPassword;
      Result<service::User> added = auth_->AddUser(u);
      if (!added.ok()) return added.status();
    }
    cases_ = std::make_unique<service::CaseService>(*store_, *reference_, clock_);
    service::ReferenceDataService* ref = reference_.get();
    engine_ = std::make_unique<service::EvaluationEngine>(
        store_->cases(), [ref] { return ref->Get()->calendar; });
    CITYGRID_RETURN_IF_ERROR(engine_->Rebuild());
    evaluation_ = std::make_unique<service::EvaluationService>(*engine_, *store_, *reference_, clock_);
    services_.reset(new ApiServices{*store_, *auth_, *reference_, *cases_, nullptr, clock_});
    services_->evaluation = evaluation_.get();
    Router router;
    CITYGRID_RETURN_IF_ERROR(RegisterApiRoutes(router, *services_));
    ServerOptions so;
    so.port = 0;
    so.threads = 2;
    so.access_log = "";
    server_ = std::make_unique<Server>(std::move(router), so);
    CITYGRID_RETURN_IF_ERROR(server_->Start());
    client_ = std::make_unique<HttpClient>("127.0.0.1", server_->port());
    return OkStatus();
  }

  std::string dir_;
  FakeClock clock_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<service::ReferenceDataService> reference_;
  std::unique_ptr<service::AuthService> auth_;
  std::unique_ptr<service::CaseService> cases_;
  std::unique_ptr<service::EvaluationEngine> engine_;
  std::unique_ptr<service::EvaluationService> evaluation_;
  std::unique_ptr<ApiServices> services_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<HttpClient> client_;
};

// The worked example in the week 2026-03-02..08, all cases of U-HW registered that week:
//   737 closed on time (deadline 03-06, closed 03-04)        → 应结案, 结案, 按期结案
//   174 closed late (deadline 03-03, closed 03-05)            → 应结案, 结案
//    61 open past their deadline (03-05)                      → 应结案
//    24 due after the week (deadline 03-12)                   → 立案 only
// 立案 996, 应结案 972, 结案 911, 按期结案 737.
void WriteWorkedExample(storage::Store& store) {
  std::vector<ScriptedCase> cases;
  auto base = [&](const char* deadline) -> ScriptedCase& {
    cases.emplace_back(At("2026-03-02T09:00:00+08:00"), "06010");
    return cases.back()
        .Register(At("2026-03-02T09:10:00+08:00"))
        .Dispatch("U-HW", At("2026-03-02T09:20:00+08:00"), At(deadline))
        .Accept(At("2026-03-02T10:00:00+08:00"));
  };
  for (int i = 0; i < 737; ++i) {
    base("2026-03-06T18:00:00+08:00")
        .Feedback(At("2026-03-03T10:00:00+08:00"))
        .CheckPass(At("2026-03-03T11:00:00+08:00"))
        .Close(At("2026-03-04T10:00:00+08:00"));
  }
  for (int i = 0; i < 174; ++i) {
    base("2026-03-03T18:00:00+08:00")
        .Feedback(At("2026-03-05T10:00:00+08:00"))
        .CheckPass(At("2026-03-05T11:00:00+08:00"))
        .Close(At("2026-03-05T12:00:00+08:00"));
  }
  for (int i = 0; i < 61; ++i) base("2026-03-05T18:00:00+08:00");
  for (int i = 0; i < 24; ++i) base("2026-03-12T18:00:00+08:00");
  // Eight writers, so SQLite commits them in groups.
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int w = 0; w < 8; ++w) {
    writers.emplace_back([&, w] {
      for (size_t i = w; i < cases.size(); i += 8) {
        if (!cases[i].WriteTo(store.cases()).ok()) ++failures;
      }
    });
  }
  for (auto& t : writers) t.join();
  ASSERT_EQ(failures.load(), 0);
}

const bj::object& TotalOf(const bj::value& body) {
  return body.at("tables").at(0).at("total").as_object();
}

TEST(ApiEvaluationTest, WorkedExampleThroughTheApi) {
  EvaluationServer api;
  WriteWorkedExample(api.store());
  api.CatchUp();
  std::string leader = api.Login("leader");
  HttpResponse r = api.client().Get(
      "/api/v1/evaluation?from=2026-03-02&to=2026-03-08&group_by=unit", EvaluationServer::Auth(leader));
  ASSERT_EQ(r.status, 200) << r.body;
  bj::value body = bj::parse(r.body);
  const bj::object& total = TotalOf(body);
  EXPECT_EQ(total.at("counts").at("registered").to_number<int64_t>(), 996);
  EXPECT_EQ(total.at("counts").at("should_close").to_number<int64_t>(), 972);
  EXPECT_EQ(total.at("counts").at("closed").to_number<int64_t>(), 911);
  EXPECT_EQ(total.at("counts").at("closed_on_time").to_number<int64_t>(), 737);
  EXPECT_DOUBLE_EQ(total.at("rates").at("close_rate").to_number<double>(), 93.72);
  EXPECT_DOUBLE_EQ(total.at("rates").at("on_time_close_rate").to_number<double>(), 75.82);
  const bj::array& rows = body.at("tables").at(0).at("rows").as_array();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("key").as_string(), "U-HW");
  EXPECT_EQ(rows[0].at("name").as_string(), "二七区环卫中心");
  EXPECT_EQ(rows[0].at("rank").to_number<int64_t>(), 1);
  EXPECT_EQ(body.at("previous").at("from").as_string(), "2026-02-23");
  EXPECT_EQ(body.at("last_year").at("to").as_string(), "2025-03-08");

  // CSV: Chinese header and the same figures.
  r = api.client().Get("/api/v1/evaluation?from=2026-03-02&to=2026-03-08&format=csv",
                       EvaluationServer::Auth(leader));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("单位编码,单位,上报数,有效上报数"), std::string::npos) << r.body.substr(0, 300);
  EXPECT_NE(r.body.find("合计,合计,"), std::string::npos);
  EXPECT_NE(r.body.find(",93.72,75.82,"), std::string::npos) << r.body;

  // XLSX: unzip, parse the sheet XML, check the header row and the total row.
  r = api.client().Get("/api/v1/evaluation?from=2026-03-02&to=2026-03-08&format=xlsx&group_by=unit&group_by=category",
                       EvaluationServer::Auth(leader));
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> shared = citygrid::testing::SharedStrings(
      citygrid::testing::ZipPart(r.body, "xl/sharedStrings.xml"));
  std::string workbook = citygrid::testing::ZipPart(r.body, "xl/workbook.xml");
  EXPECT_NE(workbook.find("按单位"), std::string::npos);
  EXPECT_NE(workbook.find("按类别"), std::string::npos);
  auto cells = citygrid::testing::SheetCells(
      citygrid::testing::ZipPart(r.body, "xl/worksheets/sheet1.xml"), shared);
  std::vector<std::string> header = service::EvaluationService::ExportHeader(service::Dimension::kUnit);
  EXPECT_EQ(cells["A1"], "单位编码");
  EXPECT_EQ(cells["B1"], "单位");
  EXPECT_EQ(cells["E1"], "公众举报数");
  EXPECT_EQ(cells["F1"], "立案数");
  EXPECT_EQ(cells["A2"], "U-HW");
  EXPECT_EQ(cells["F2"], "996");
  EXPECT_EQ(cells["A3"], "合计");
  // 应结案数, 结案数, 按期结案数 are columns 15-17 (O, P, Q); 结案率, 按期结案率 are 24, 25 (X, Y).
  EXPECT_EQ(header[14], "应结案数");
  EXPECT_EQ(cells["O3"], "972");
  EXPECT_EQ(cells["P3"], "911");
  EXPECT_EQ(cells["Q3"], "737");
  EXPECT_EQ(header[23], "结案率(%)");
  EXPECT_EQ(header[24], "按期结案率(%)");
  // Numbers are stored as doubles ("75.819999999999993" is the double nearest 75.82).
  EXPECT_NEAR(std::stod(cells["X3"]), 93.72, 1e-9);
  EXPECT_NEAR(std::stod(cells["Y3"]), 75.82, 1e-9);
}

class ApiEvaluationSmallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Two units: U-HW closes on time, U-SZ has one case open past its deadline.
    ScriptedCase a(At("2026-03-02T09:00:00+08:00"), "06010");
    a.Register(At("2026-03-02T09:10:00+08:00"))
        .Dispatch("U-HW", At("2026-03-02T09:20:00+08:00"), At("2026-03-04T18:00:00+08:00"))
        .Accept(At("2026-03-02T10:00:00+08:00"))
        .Feedback(At("2026-03-03T10:00:00+08:00"))
        .CheckPass(At("2026-03-03T11:00:00+08:00"))
        .Close(At("2026-03-03T12:00:00+08:00"));
    ScriptedCase b(At("2026-03-02T09:00:00+08:00"), "07001", service::testing::kGridB);
    b.Register(At("2026-03-02T09:10:00+08:00"))
        .Dispatch("U-SZ", At("2026-03-02T09:20:00+08:00"), At("2026-03-04T18:00:00+08:00"))
        .Accept(At("2026-03-02T10:00:00+08:00"))
        .MarkOverdue(At("2026-03-04T18:01:00+08:00"));
    ASSERT_TRUE(a.WriteTo(api_.store().cases()).ok());
    ASSERT_TRUE(b.WriteTo(api_.store().cases()).ok());
    api_.CatchUp();
  }
  HttpResponse Get(const std::string& user, const std::string& target) {
    return api_.client().Get(target, EvaluationServer::Auth(api_.Login(user)));
  }
  EvaluationServer api_;
};

TEST_F(ApiEvaluationSmallTest, HandlerSeesOnlyItsOwnUnitsRow) {
  HttpResponse r = Get("leader", "/api/v1/evaluation?from=2026-03-02&to=2026-03-08");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(bj::parse(r.body).at("tables").at(0).at("rows").as_array().size(), 2u);
  r = Get("handler", "/api/v1/evaluation?from=2026-03-02&to=2026-03-08");
  ASSERT_EQ(r.status, 200) << r.body;
  bj::value v = bj::parse(r.body);
  const bj::array& rows = v.at("tables").at(0).at("rows").as_array();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("key").as_string(), "U-HW");
  EXPECT_EQ(rows[0].at("rank").to_number<int64_t>(), 1);  // its rank among all units
  EXPECT_EQ(TotalOf(v).at("counts").at("registered").to_number<int64_t>(), 1);
  r = Get("handler", "/api/v1/evaluation?group_by=grid");
  EXPECT_EQ(r.status, 403) << r.body;
  r = Get("handler", "/api/v1/evaluation/heatmap");
  EXPECT_EQ(r.status, 403) << r.body;
  // Overdue: the leader sees U-SZ's case, a handler of U-HW sees none.
  r = Get("leader", "/api/v1/evaluation/overdue");
  ASSERT_EQ(r.status, 200) << r.body;
  v = bj::parse(r.body);
  EXPECT_EQ(v.at("total").to_number<int64_t>(), 1);
  EXPECT_EQ(v.at("units").at(0).at("unit").as_string(), "U-SZ");
  EXPECT_EQ(v.at("cases").as_array().size(), 1u);
  r = Get("handler", "/api/v1/evaluation/overdue");
  ASSERT_EQ(r.status, 200) << r.body;
  v = bj::parse(r.body);
  EXPECT_EQ(v.at("total").to_number<int64_t>(), 0);
  EXPECT_TRUE(v.at("cases").as_array().empty());
  r = Get("handler2", "/api/v1/evaluation/overdue");
  EXPECT_EQ(bj::parse(r.body).at("total").to_number<int64_t>(), 1);
  // Heat map: one grid each.
  r = Get("inspector", "/api/v1/evaluation/heatmap?from=2026-03-02&to=2026-03-08");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(bj::parse(r.body).at("grids").as_array().size(), 2u);
  EXPECT_EQ(api_.client().Get("/api/v1/evaluation").status, 401);
}

TEST_F(ApiEvaluationSmallTest, BadParametersAre400NamingTheParameter) {
  const std::pair<const char*, const char*> bad[] = {
      {"/api/v1/evaluation?group_by=street", "group_by"},
      {"/api/v1/evaluation?group_by=grid,category", "group_by"},
      {"/api/v1/evaluation?from=2026-03-09&to=2026-03-02", "from"},
      {"/api/v1/evaluation?from=2026-02-30", "from"},
      {"/api/v1/evaluation?to=yesterday", "to"},
      {"/api/v1/evaluation?format=pdf", "format"},
      {"/api/v1/evaluation?format=csv&group_by=unit&group_by=grid", "group_by"},
      {"/api/v1/evaluation?colour=red", "colour"},
      {"/api/v1/evaluation/heatmap?from=2026-13-01", "from"},
      {"/api/v1/evaluation/overdue?limit=0", "limit"},
      {"/api/v1/evaluation/overdue?limit=ten", "limit"},
  };
  std::string token = api_.Login("leader");
  for (const auto& [target, param] : bad) {
    HttpResponse r = api_.client().Get(target, EvaluationServer::Auth(token));
    EXPECT_EQ(r.status, 400) << target << " " << r.body;
    EXPECT_NE(r.body.find(std::string("'") + param + "'"), std::string::npos) << target << " " << r.body;
  }
}

TEST_F(ApiEvaluationSmallTest, AdminChangesWeightsAndBadWeightsChangeNothing) {
  std::string admin = api_.Login("admin");
  HttpResponse r = api_.client().Get("/api/v1/evaluation/weights", EvaluationServer::Auth(admin));
  ASSERT_EQ(r.status, 200) << r.body;
  bj::value v = bj::parse(r.body);
  EXPECT_EQ(v.at("weights").at("on_time_close_rate").to_number<double>(), 40);
  EXPECT_EQ(v.at("version").to_number<int64_t>(), 0);

  const std::pair<const char*, const char*> bad[] = {
      {R"({"weights":{"close_rate":50,"speed":50}})", "speed"},
      {R"({"weights":{"close_rate":60,"on_time_close_rate":30}})", "100"},
      {R"({"weights":{"close_rate":150}})", "close_rate"},
      {R"({"weights":{"close_rate":"a lot"}})", "close_rate"},
      {R"({"weight":{}})", "weight"},
      {"not json", "JSON"},
  };
  for (const auto& [body, what] : bad) {
    r = api_.client().Put("/api/v1/evaluation/weights", body, EvaluationServer::Auth(admin));
    EXPECT_EQ(r.status, 400) << body << " " << r.body;
    EXPECT_NE(r.body.find(what), std::string::npos) << body << " " << r.body;
  }
  std::string leader = api_.Login("leader");
  r = api_.client().Put("/api/v1/evaluation/weights", R"({"weights":{"close_rate":100}})",
                        EvaluationServer::Auth(leader));
  EXPECT_EQ(r.status, 403) << r.body;
  // Nothing changed.
  r = api_.client().Get("/api/v1/evaluation/weights", EvaluationServer::Auth(admin));
  EXPECT_EQ(bj::parse(r.body).at("version").to_number<int64_t>(), 0);

  // 结案率 only: U-HW 100 (1/1), U-SZ 0 (0/1).
  r = api_.client().Put("/api/v1/evaluation/weights", R"({"weights":{"close_rate":100}})",
                        EvaluationServer::Auth(admin));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(bj::parse(r.body).at("version").to_number<int64_t>(), 1);
  r = api_.client().Get("/api/v1/evaluation?from=2026-03-02&to=2026-03-08", EvaluationServer::Auth(leader));
  ASSERT_EQ(r.status, 200);
  v = bj::parse(r.body);
  const bj::array& rows = v.at("tables").at(0).at("rows").as_array();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("key").as_string(), "U-HW");
  EXPECT_EQ(rows[0].at("score").to_number<double>(), 100);
  EXPECT_EQ(rows[1].at("key").as_string(), "U-SZ");
  EXPECT_EQ(rows[1].at("score").to_number<double>(), 0);
  EXPECT_EQ(rows[1].at("rank").to_number<int64_t>(), 2);
}

}  // namespace
}  // namespace citygrid::http
