#include "citygrid/storage/postgres_store.h"

#include <filesystem>

#include "citygrid/storage/file_media_store.h"
#include "pg_pool.h"
#include "postgres_case_store.h"
#include "postgres_document_store.h"
#include "postgres_ledger_store.h"
#include "postgres_schema.h"

namespace citygrid::storage {
namespace {

class PostgresStore final : public Store {
 public:
  PostgresStore(std::unique_ptr<postgres::PgPool> pool,
                std::unique_ptr<postgres::PostgresCaseStore> cases, const std::string& media_dir)
      : pool_(std::move(pool)),
        cases_(std::move(cases)),
        documents_(*pool_),
        ledgers_(*pool_),
        media_(media_dir) {}
  ~PostgresStore() override {
    cases_.reset();  // stops its threads before the pool goes
  }

  CaseStore& cases() override { return *cases_; }
  DocumentStore& documents() override { return documents_; }
  MediaStore& media() override { return media_; }
  LedgerStore& ledgers() override { return ledgers_; }
  std::string backend() const override { return "postgres"; }
  GroupCommitStats group_commit_stats() const override { return cases_->group_commit_stats(); }

  EventNotifier& notifier() { return *cases_; }

 private:
  std::unique_ptr<postgres::PgPool> pool_;
  std::unique_ptr<postgres::PostgresCaseStore> cases_;
  postgres::PostgresDocumentStore documents_;
  postgres::PostgresLedgerStore ledgers_;
  FileMediaStore media_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenPostgresStore(const StoreOptions& options) {
  if (!options.db_url.starts_with("postgresql://") && !options.db_url.starts_with("postgres://")) {
    return InvalidArgumentError("'" + options.db_url +
                                "' is not a PostgreSQL URL (postgresql://...)");
  }
  if (options.db_pool_size < 1 || options.db_pool_size > 1000) {
    return InvalidArgumentError("PostgreSQL pool size " + std::to_string(options.db_pool_size) +
                                " is outside 1..1000");
  }
  CITYGRID_ASSIGN_OR_RETURN(std::unique_ptr<postgres::PgPool> pool,
                            postgres::PgPool::Open(options.db_url, options.db_pool_size));
  {
    CITYGRID_ASSIGN_OR_RETURN(postgres::PgLease conn, pool->Acquire());
    CITYGRID_RETURN_IF_ERROR(postgres::Migrate(*conn));
  }
  CITYGRID_ASSIGN_OR_RETURN(std::unique_ptr<postgres::PostgresCaseStore> cases,
                            postgres::PostgresCaseStore::Open(*pool));
  // Without a data directory (e.g. `citygrid check --db URL`) media resolve against ./media.
  std::string media_dir =
      (std::filesystem::path(options.data_dir.empty() ? "." : options.data_dir) / "media")
          .string();
  return std::unique_ptr<Store>(new PostgresStore(std::move(pool), std::move(cases), media_dir));
}

EventNotifier* PostgresEventNotifier(Store& store) {
  auto* pg = dynamic_cast<PostgresStore*>(&store);
  return pg != nullptr ? &pg->notifier() : nullptr;
}

}  // namespace citygrid::storage
