#include "tests/testing/api_fixture.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <utility>

#include "citygrid/common/time.h"
#include "citygrid/storage/sqlite_store.h"
#include "src/storage/postgres/pg_admin.h"
#include "tests/service/service_test_env.h"
#include "tests/testing/paths.h"

namespace citygrid::testing {

namespace {

struct FixtureUser {
  const char* username;
  Role role;
  const char* unit;
};

constexpr FixtureUser kUsers[] = {
    {"admin", Role::kAdmin, ""},           {"operator", Role::kOperator, ""},
    {"dispatcher", Role::kDispatcher, ""}, {"inspector", Role::kInspector, ""},
    {"leader", Role::kLeader, ""},         {"handler", Role::kHandler, "U-SZ"},
    {"handler2", Role::kHandler, "U-HW"},
};

}  // namespace

const char* Name(ApiBackend backend) {
  return backend == ApiBackend::kPostgres ? "postgres" : "sqlite";
}

bool PostgresRequiredForApiTests() {
  const char* v = std::getenv("CITYGRID_REQUIRE_POSTGRES");
  return v != nullptr && std::string(v) == "1";
}

ApiFixture::ApiFixture(ApiFixtureOptions options)
    : dir_(MakeTempDir("citygrid-api")), clock_(service::testing::TestStart()) {
  Status s = Setup(options);
  if (!s.ok()) {
    error_ = s.ToString();
    server_.reset();
    // A missing PostgreSQL is the test's decision (skip or fail), not a setup failure.
    if (!unavailable_) ADD_FAILURE() << "API fixture setup failed: " << error_;
  }
}

Status ApiFixture::Setup(const ApiFixtureOptions& options) {
  storage::StoreOptions store_options;
  store_options.data_dir = dir_;
  if (options.backend == ApiBackend::kPostgres) {
    const char* dsn = std::getenv("CITYGRID_TEST_POSTGRES_DSN");
    if (dsn == nullptr || *dsn == '\0') {
      unavailable_ = true;
      return UnavailableError(
          "no PostgreSQL: CITYGRID_TEST_POSTGRES_DSN is not set (scripts/test starts a "
          "throwaway cluster)");
    }
    Result<std::string> name = storage::postgres::CreateScratchDatabase(dsn, "citygrid_api_");
    if (!name.ok()) {
      unavailable_ = true;
      return name.status();
    }
    pg_admin_dsn_ = dsn;
    pg_database_ = *name;
    store_options.db_url = storage::postgres::DsnWithDatabase(dsn, *name);
  }
  if (options.backend == ApiBackend::kSqlite) {
    // As `citygrid serve`: the server owns its data directory.
    storage::SqliteStoreOptions sqlite;
    sqlite.data_dir = dir_;
    sqlite.own_data_dir = true;
    CITYGRID_ASSIGN_OR_RETURN(store_, storage::OpenSqliteStore(sqlite));
  } else {
    CITYGRID_ASSIGN_OR_RETURN(store_, storage::OpenStore(store_options));
  }
  CITYGRID_ASSIGN_OR_RETURN(reference_,
                            service::ReferenceDataService::Open(
                                store_->documents(), service::testing::RepoDataDir()));
  CITYGRID_RETURN_IF_ERROR(reference_->SetGeography(service::testing::TestGeography()));
  for (const service::Unit& unit : service::testing::TestUnits()) {
    CITYGRID_RETURN_IF_ERROR(reference_->PutUnit(unit));
  }
  service::AuthOptions auth_options;
  auth_options.pwhash_opslimit = 1;     // crypto_pwhash_OPSLIMIT_MIN
  auth_options.pwhash_memlimit = 8192;  // crypto_pwhash_MEMLIMIT_MIN
  auth_options.session_cache_ttl = Duration(0);
  auth_ = std::make_unique<service::AuthService>(store_->documents(), clock_, auth_options);
  for (const FixtureUser& u : kUsers) {
    service::NewUser user;
    user.username = u.username;
    user.display_name = std::string("测试 ") + u.username;
    user.role = u.role;
    user.unit = u.unit;
    user.password = kApiTestPassword;
    Result<service::User> added = auth_->AddUser(user);
    if (!added.ok()) return added.status();
  }
  cases_ = std::make_unique<service::CaseService>(*store_, *reference_, clock_);
  service::EventLogFollowerOptions follower_options;
  follower_options.poll_interval = Duration(50);
  follower_ = std::make_unique<service::EventLogFollower>(store_->cases(), follower_options);
  CITYGRID_RETURN_IF_ERROR(cases_->EnableDuplicateIndex(follower_.get()));
  feed_ = std::make_unique<service::CaseFeed>(store_->cases());
  if (options.start_feed) CITYGRID_RETURN_IF_ERROR(follower_->Subscribe(*feed_));
  CITYGRID_RETURN_IF_ERROR(follower_->Start());
  cases_->SetWriteListener(
      [follower = follower_.get()](int64_t last_seq) { follower->Notify(last_seq); });
  services_.reset(new http::ApiServices{*store_, *auth_, *reference_, *cases_,
                                        options.start_feed ? feed_.get() : nullptr, clock_,
                                        options.max_photo_bytes});
  ledgers_ = std::make_unique<service::LedgerService>(*store_, *reference_, clock_);
  services_->ledgers = ledgers_.get();
  http::Router router;
  CITYGRID_RETURN_IF_ERROR(http::RegisterApiRoutes(router, *services_));
  http::ServerOptions server_options;
  server_options.port = 0;
  server_options.threads = 2;
  server_options.body_limit = options.body_limit;
  server_options.access_log = "";
  server_options.shutdown_grace = std::chrono::milliseconds(2000);
  server_ = std::make_unique<http::Server>(std::move(router), server_options);
  // As `citygrid serve`: creates continue on the server's threads once stored.
  cases_->SetCompletionExecutor(
      [server = server_.get()](std::function<void()> job) { server->Post(std::move(job)); });
  CITYGRID_RETURN_IF_ERROR(server_->Start());
  client_ = std::make_unique<HttpClient>("127.0.0.1", server_->port());
  return Status::Ok();
}

ApiFixture::~ApiFixture() {
  client_.reset();
  if (server_) {
    server_->Shutdown();
    server_->Wait();
  }
  if (cases_) cases_->SetCompletionExecutor(nullptr);
  server_.reset();
  if (cases_) cases_->SetWriteListener(nullptr);
  if (follower_) follower_->Stop();
  if (cases_) cases_->StopDuplicateIndex();
  if (feed_) feed_->Close();
  services_.reset();
  ledgers_.reset();
  feed_.reset();
  cases_.reset();
  follower_.reset();
  auth_.reset();
  reference_.reset();
  store_.reset();
  if (!pg_database_.empty()) (void)storage::postgres::DropDatabase(pg_admin_dsn_, pg_database_);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

uint16_t ApiFixture::port() const { return server_ ? server_->port() : 0; }

HttpHeaderList ApiFixture::Auth(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

std::string ApiFixture::Login(const std::string& username) {
  HttpClient c("127.0.0.1", port());
  HttpResponse r = c.Post("/api/v1/auth/login", std::string("{\"username\":\"") + username +
                                                    "\",\"password\":\"" + kApiTestPassword +
                                                    "\"}");
  if (r.status != 200) {
    ADD_FAILURE() << "login of " << username << ": " << r.status << " " << r.body << r.error;
    return "";
  }
  const std::string key = "\"token\":\"";
  size_t at = r.body.find(key);
  if (at == std::string::npos) {
    ADD_FAILURE() << "login answer has no token: " << r.body;
    return "";
  }
  at += key.size();
  return r.body.substr(at, r.body.find('"', at) - at);
}

int64_t ApiFixture::CountCases() {
  Result<int64_t> n = store_->cases().CountCases(storage::CaseQuery{});
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  return n.value_or(-1);
}

}  // namespace citygrid::testing
