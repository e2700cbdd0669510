#include "cli/app.h"

#include <filesystem>
#include <system_error>

#include "citygrid/storage/postgres_store.h"
#include "citygrid/storage/sqlite_store.h"

namespace citygrid::cli {

std::string DefaultDataFilesDir() { return std::string(CITYGRID_SOURCE_DIR) + "/data"; }

Result<std::unique_ptr<App>> App::Open(const AppOptions& options) {
  if (options.data_dir.empty()) return InvalidArgumentError("--data: empty directory name");
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec || !std::filesystem::is_directory(options.data_dir)) {
    return InvalidArgumentError("cannot use data directory '" + options.data_dir +
                                "': " + (ec ? ec.message() : std::string("not a directory")));
  }
  std::unique_ptr<App> app(new App(SystemClock::Default()));
  storage::StoreOptions store_options;
  store_options.data_dir = options.data_dir;
  store_options.db_url = options.db_url;
  if (options.own_data_dir && options.db_url.empty()) {
    storage::SqliteStoreOptions sqlite;
    sqlite.data_dir = options.data_dir;
    sqlite.own_data_dir = true;  // one server per SQLite data directory
    CITYGRID_ASSIGN_OR_RETURN(app->store_, storage::OpenSqliteStore(sqlite));
  } else {
    CITYGRID_ASSIGN_OR_RETURN(app->store_, storage::OpenStore(store_options));
  }

  std::string seed_dir = options.data_files.empty() ? DefaultDataFilesDir() : options.data_files;
  Result<std::unique_ptr<service::ReferenceDataService>> reference =
      service::ReferenceDataService::Open(app->store_->documents(), seed_dir);
  if (!reference.ok()) {
    return Status(reference.status().code(), "reference data (seed files from " + seed_dir +
                                                 "): " + reference.status().message());
  }
  app->reference_ = std::move(*reference);
  app->auth_ = std::make_unique<service::AuthService>(app->store_->documents(), app->clock_);
  app->cases_ =
      std::make_unique<service::CaseService>(*app->store_, *app->reference_, app->clock_);
  app->follower_ = std::make_unique<service::EventLogFollower>(
      app->store_->cases(), service::EventLogFollowerOptions{},
      storage::PostgresEventNotifier(*app->store_));  // null on SQLite: polls, woken by writes
  app->feed_ = std::make_unique<service::CaseFeed>(app->store_->cases());
  service::ReferenceDataService* reference_service = app->reference_.get();
  app->evaluation_engine_ = std::make_unique<service::EvaluationEngine>(
      app->store_->cases(), [reference_service] { return reference_service->Get()->calendar; });
  app->evaluation_ = std::make_unique<service::EvaluationService>(
      *app->evaluation_engine_, *app->store_, *app->reference_, app->clock_);
  app->cases_->SetWriteListener(
      [follower = app->follower_.get()](int64_t last_seq) { follower->Notify(last_seq); });
  app->sweeper_ = std::make_unique<service::OverdueSweeper>(*app->cases_, options.sweep_interval);
  app->services_.reset(new http::ApiServices{*app->store_, *app->auth_, *app->reference_,
                                             *app->cases_, app->feed_.get(), app->clock_});
  app->ledgers_ =
      std::make_unique<service::LedgerService>(*app->store_, *app->reference_, app->clock_);
  app->services_->ledgers = app->ledgers_.get();
  app->services_->evaluation = app->evaluation_.get();
  app->services_->open311 = options.open311;
  return app;
}

App::~App() { Stop(); }

Status App::Start() {
  if (started_) return OkStatus();
  // One reader of the event log fans out to the duplicate search (loaded here), the live feed
  // (from the log's end) and the evaluation engine (rebuilt on the follower's thread).
  CITYGRID_RETURN_IF_ERROR(cases_->EnableDuplicateIndex(follower_.get()));
  CITYGRID_RETURN_IF_ERROR(follower_->Subscribe(*feed_));
  CITYGRID_RETURN_IF_ERROR(follower_->Subscribe(
      *evaluation_engine_, service::EventLogFollower::CatchUpOn::kFollower));
  CITYGRID_RETURN_IF_ERROR(follower_->Start());
  sweeper_->Start();
  started_ = true;
  return OkStatus();
}

void App::Stop() {
  if (sweeper_) sweeper_->Stop();
  if (follower_) follower_->Stop();
  if (cases_) cases_->StopDuplicateIndex();
  if (feed_) feed_->Close();
  started_ = false;
}

Status App::Ping() {
  Result<int64_t> seq = store_->cases().LastGlobalSeq();
  return seq.ok() ? OkStatus() : seq.status();
}

void App::CollectMetrics(http::GaugeWriter& out) {
  for (int s = 0; s < kCaseStateCount; ++s) {
    storage::CaseQuery q;
    q.states = {static_cast<CaseState>(s)};
    Result<int64_t> n = store_->cases().CountCases(q);
    if (!n.ok()) continue;
    out.Gauge("citygrid_cases", "Cases by workflow state.",
              {{"state", std::string(Name(static_cast<CaseState>(s)))}},
              static_cast<double>(*n));
  }
  storage::CaseQuery overdue;
  overdue.overdue = true;
  Result<int64_t> n = store_->cases().CountCases(overdue);
  if (n.ok()) {
    out.Gauge("citygrid_cases_overdue", "Open cases past their current stage deadline.", {},
              static_cast<double>(*n));
  }
  out.Gauge("citygrid_overdue_sweeps", "Overdue sweeps run by this process.", {},
            static_cast<double>(sweeper_->sweeps()));
  out.Gauge("citygrid_overdue_marked", "Cases marked overdue by this process.", {},
            static_cast<double>(sweeper_->marked()));
  const service::FeedStats feed = feed_->stats();
  out.Gauge("citygrid_feed_subscribers", "Open live-feed streams (GET /api/v1/stream).", {},
            static_cast<double>(feed.subscribers));
  out.Counter("citygrid_feed_replays_total",
              "Live-feed reconnections (Last-Event-ID) that replayed what they missed.", {},
              static_cast<double>(feed.replays));
  out.Counter("citygrid_feed_resets_total",
              "Live-feed reconnections told to reload instead (too far behind, unknown id).", {},
              static_cast<double>(feed.resets));
  out.Counter("citygrid_feed_dropped_total",
              "Live-feed subscribers dropped with more than 1,024 events waiting in the feed "
              "(a stream whose socket falls behind is citygrid_http_streams_dropped_total).",
              {}, static_cast<double>(feed.dropped));
  const storage::GroupCommitStats commits = store_->group_commit_stats();
  out.Gauge("citygrid_store_commit_batches",
            "Group-commit transactions of queued writes run by this process.", {},
            static_cast<double>(commits.batches));
  out.Gauge("citygrid_store_commit_writes", "Queued writes those transactions carried.", {},
            static_cast<double>(commits.writes));
  out.Gauge("citygrid_store_commit_seconds",
            "Wall time of those transactions, first statement to the end of COMMIT.", {},
            commits.commit_seconds);
}

}  // namespace citygrid::cli
