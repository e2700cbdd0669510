#pragma once

// The running application: the store of --data/--db, the reference data (seeded from the
// repository's data/ directory, or --data-files DIR), authentication, the case service, the live
// feed and the overdue sweeper, and the http::ApiServices the API routes use. `citygrid serve`,
// `citygrid demo` and `citygrid user` build one.
//
// Lifetime: Open() opens everything but starts no thread; Start() loads the duplicate index,
// starts the one event-log follower (service/event_log_follower.h) that feeds the duplicate
// index, the live feed and the evaluation engine (which first rebuilds from the log), and the
// sweeper; Stop() (also the destructor) stops them. The references handed out live as long as
// the App.

#include <functional>
#include <memory>
#include <string>

#include "citygrid/common/clock.h"
#include "citygrid/common/status.h"
#include "citygrid/http/api.h"
#include "citygrid/http/metrics.h"
#include "citygrid/http/server.h"
#include "citygrid/service/auth_service.h"
#include "citygrid/service/case_feed.h"
#include "citygrid/service/case_service.h"
#include "citygrid/service/ledger_service.h"
#include "citygrid/service/open311_service.h"
#include "citygrid/service/evaluation_engine.h"
#include "citygrid/service/evaluation_service.h"
#include "citygrid/service/event_log_follower.h"
#include "citygrid/service/overdue_sweeper.h"
#include "citygrid/service/reference_data.h"
#include "citygrid/storage/store.h"
#include "cli/commands.h"

namespace citygrid::cli {

// The administrator the CLI's export and import act as: it has the database in its hands anyway.
inline const Actor kCliActor{"citygrid-cli", Role::kAdmin, ""};

struct AppOptions {
  std::string data_dir = "citygrid-data";  // SQLite database and media (created when missing)
  std::string db_url;                      // "postgresql://..." selects PostgreSQL
  std::string data_files;                  // categories/calendar seed files; "" = source tree
  Duration sweep_interval = std::chrono::seconds(10);
  service::Open311Options open311;  // --open311-jurisdiction, --open311-ids, --open311-crs
  // serve/demo: hold the SQLite data directory's owner lock (SqliteStoreOptions::own_data_dir).
  bool own_data_dir = false;
};

// The repository's data/ directory, where the binary reads its seed files until an install step
// exists.
std::string DefaultDataFilesDir();

class App {
 public:
  // Opens the store (creating the data directory) and the services. Errors name what failed.
  static Result<std::unique_ptr<App>> Open(const AppOptions& options);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Starts the event-log follower and the overdue sweeper (its first sweep runs at once).
  Status Start();
  // Stops them. Idempotent.
  void Stop();

  // /healthz: a cheap read of the store.
  Status Ping();
  // /metrics: citygrid_cases{state="..."} gauges and the sweeper's counters.
  void CollectMetrics(http::GaugeWriter& out);

  storage::Store& store() { return *store_; }
  service::ReferenceDataService& reference() { return *reference_; }
  service::AuthService& auth() { return *auth_; }
  service::CaseService& cases() { return *cases_; }
  service::CaseFeed& feed() { return *feed_; }
  service::OverdueSweeper& sweeper() { return *sweeper_; }
  service::EvaluationEngine& evaluation_engine() { return *evaluation_engine_; }
  service::EvaluationService& evaluation() { return *evaluation_; }
  service::LedgerService& ledgers() { return *ledgers_; }
  http::ApiServices& services() { return *services_; }
  const Clock& clock() const { return clock_; }

 private:
  explicit App(const Clock& clock) : clock_(clock) {}

  const Clock& clock_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<service::EventLogFollower> follower_;  // the one reader of the event log
  std::unique_ptr<service::ReferenceDataService> reference_;
  std::unique_ptr<service::AuthService> auth_;
  std::unique_ptr<service::CaseService> cases_;
  std::unique_ptr<service::CaseFeed> feed_;
  std::unique_ptr<service::OverdueSweeper> sweeper_;
  std::unique_ptr<service::EvaluationEngine> evaluation_engine_;  // follows the event log
  std::unique_ptr<service::EvaluationService> evaluation_;
  std::unique_ptr<service::LedgerService> ledgers_;
  std::unique_ptr<http::ApiServices> services_;
  bool started_ = false;
};

// The options `citygrid serve` and `citygrid demo` share (parsed by ParseServeArgs).
struct ServeArgs {
  AppOptions app;
  http::ServerOptions server;
  std::string web_dir;
  int cases = 2000;  // demo only: --cases N
};

// Parses `args` for `command` ("serve" or "demo"; only demo takes --cases). Returns -1 to go on,
// else the exit code to return at once (0 after --help, 2 after a usage error, printed).
int ParseServeArgs(const std::string& command, const Args& args, const char* usage,
                   ServeArgs* out);

// Serves `app` (routes, /healthz storage ping, /metrics gauges, static files) until SIGTERM or
// SIGINT, starting and stopping the feed and the sweeper. `on_listening` prints the banner.
// Returns the exit code.
int ServeApp(const std::string& command, App& app, const ServeArgs& args,
             const std::function<void(const std::string& address)>& on_listening);

}  // namespace citygrid::cli
