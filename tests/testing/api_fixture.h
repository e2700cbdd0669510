#pragma once

// A running in-process citygrid API server for HTTP tests: a temp-dir SQLite store, reference
// data seeded from the repository's data/ plus the small test district of
// tests/service/service_test_env.h (district 410103, box lon 113.600-113.620, lat 34.700-34.710,
// units U-CG, U-HW, U-SZ, U-YL, U-ZJ, U-JT, U-JD1, U-JD2), every API module registered
// (http::RegisterApiRoutes), the case feed running, and a FakeClock at Tuesday 2026-03-10 09:30
// +08:00 (so tokens expire when the test advances it).
//
// Users, all with password kApiTestPassword:
//   admin, operator, dispatcher, inspector, leader (their roles);
//   handler    (handler of unit U-SZ), handler2 (handler of unit U-HW).
//
//   ApiFixture api;                       // ASSERT on api.ready() in SetUp
//   std::string token = api.Login("operator");
//   HttpResponse r = api.client().Post("/api/v1/cases", body, api.Auth(token));
//
// Backends: SQLite in a temp dir (default), or with ApiFixtureOptions::backend = kPostgres a
// fresh database on the server $CITYGRID_TEST_POSTGRES_DSN names (dropped by the destructor;
// media files stay in the temp dir). Without the DSN the fixture is not ready() and
// unavailable() is true: tests skip, or fail when $CITYGRID_REQUIRE_POSTGRES=1 (see
// CITYGRID_API_FIXTURE_READY_OR_SKIP).

#include <cstdint>
#include <memory>
#include <string>

#include "citygrid/common/clock.h"
#include "citygrid/http/api.h"
#include "citygrid/http/server.h"
#include "citygrid/service/auth_service.h"
#include "citygrid/service/case_feed.h"
#include "citygrid/service/event_log_follower.h"
#include "citygrid/service/case_service.h"
#include "citygrid/service/ledger_service.h"
#include "citygrid/service/reference_data.h"
#include "citygrid/storage/store.h"
#include "tests/testing/http_client.h"

namespace citygrid::testing {

inline constexpr char kApiTestPassword[] = "correct-horse-42";

enum class ApiBackend { kSqlite, kPostgres };

// "sqlite" / "postgres" (test parameter names).
const char* Name(ApiBackend backend);

struct ApiFixtureOptions {
  ApiBackend backend = ApiBackend::kSqlite;
  size_t body_limit = 256 * 1024;
  size_t max_photo_bytes = 64 * 1024;
  bool start_feed = true;
};

class ApiFixture {
 public:
  explicit ApiFixture(ApiFixtureOptions options = {});
  ~ApiFixture();
  ApiFixture(const ApiFixture&) = delete;
  ApiFixture& operator=(const ApiFixture&) = delete;

  // False when setup failed (see error()).
  bool ready() const { return server_ != nullptr; }
  const std::string& error() const { return error_; }
  // True when the PostgreSQL backend was asked for but no server is configured or reachable.
  bool unavailable() const { return unavailable_; }

  uint16_t port() const;
  // A client on a keep-alive connection to the server (one per fixture; make more with port()).
  HttpClient& client() { return *client_; }

  // Logs `username` in over HTTP and returns the token ("" and an ADD_FAILURE on failure).
  std::string Login(const std::string& username);
  // {{"Authorization", "Bearer " + token}}.
  static HttpHeaderList Auth(const std::string& token);

  FakeClock& clock() { return clock_; }
  storage::Store& store() { return *store_; }
  service::ReferenceDataService& reference() { return *reference_; }
  service::AuthService& auth() { return *auth_; }
  service::CaseService& cases() { return *cases_; }
  service::LedgerService& ledgers() { return *ledgers_; }
  service::CaseFeed& feed() { return *feed_; }
  // Every case in the store (no visibility filter).
  int64_t CountCases();

 private:
  Status Setup(const ApiFixtureOptions& options);

  std::string dir_;
  std::string error_;
  bool unavailable_ = false;
  std::string pg_admin_dsn_;  // PostgreSQL: the server, and the scratch database to drop
  std::string pg_database_;
  FakeClock clock_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<service::ReferenceDataService> reference_;
  std::unique_ptr<service::AuthService> auth_;
  std::unique_ptr<service::CaseService> cases_;
  std::unique_ptr<service::LedgerService> ledgers_;
  std::unique_ptr<service::EventLogFollower> follower_;  // feeds the duplicate index and feed
  std::unique_ptr<service::CaseFeed> feed_;
  std::unique_ptr<http::ApiServices> services_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<HttpClient> client_;
};

// $CITYGRID_REQUIRE_POSTGRES == "1".
bool PostgresRequiredForApiTests();

}  // namespace citygrid::testing

// In SetUp(): ASSERT the fixture `api` is ready, or skip when its PostgreSQL server is not
// configured (fail instead when $CITYGRID_REQUIRE_POSTGRES=1).
#define CITYGRID_API_FIXTURE_READY_OR_SKIP(api)                                         \
  do {                                                                                  \
    if ((api).unavailable() && !::citygrid::testing::PostgresRequiredForApiTests()) {   \
      GTEST_SKIP() << (api).error();                                                    \
    }                                                                                   \
    ASSERT_TRUE((api).ready()) << (api).error();                                        \
  } while (0)
