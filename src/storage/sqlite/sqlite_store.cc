#include "citygrid/storage/sqlite_store.h"

#include <filesystem>

#include "citygrid/storage/file_media_store.h"
#include "src/storage/sqlite/sqlite_case_store.h"
#include "src/storage/sqlite/sqlite_database.h"
#include "src/storage/sqlite/sqlite_document_store.h"
#include "src/storage/sqlite/sqlite_ledger_store.h"

namespace citygrid::storage {
namespace {

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<sqlite::SqliteDatabase> db, const std::string& data_dir)
      : db_(std::move(db)),
        cases_(*db_),
        documents_(*db_),
        ledgers_(*db_),
        media_((std::filesystem::path(data_dir) / "media").string()) {}
  // The database first: writes still queued complete while the stores they report to live.
  ~SqliteStore() override { db_.reset(); }

  CaseStore& cases() override { return cases_; }
  DocumentStore& documents() override { return documents_; }
  MediaStore& media() override { return media_; }
  LedgerStore& ledgers() override { return ledgers_; }
  std::string backend() const override { return "sqlite"; }
  GroupCommitStats group_commit_stats() const override { return db_->group_commit_stats(); }

  // The owner of the data directory lists cases from memory (SqliteCaseStore::LoadCatalog).
  Status LoadCatalogIfOwner() { return db_->owns_data_dir() ? cases_.LoadCatalog() : OkStatus(); }

 private:
  std::unique_ptr<sqlite::SqliteDatabase> db_;
  sqlite::SqliteCaseStore cases_;
  sqlite::SqliteDocumentStore documents_;
  sqlite::SqliteLedgerStore ledgers_;
  FileMediaStore media_;
};

}  // namespace

std::string SqliteDatabasePath(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "citygrid.db").string();
}

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteStoreOptions& options) {
  CITYGRID_ASSIGN_OR_RETURN(std::unique_ptr<sqlite::SqliteDatabase> db,
                            sqlite::SqliteDatabase::Open(options));
  auto store = std::make_unique<SqliteStore>(std::move(db), options.data_dir);
  CITYGRID_RETURN_IF_ERROR(store->LoadCatalogIfOwner());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace citygrid::storage
