#pragma once

// DocumentStore on SQLite: the documents table (schema migration 2).

#include "citygrid/storage/store.h"
#include "src/storage/sqlite/sqlite_database.h"

namespace citygrid::storage::sqlite {

class SqliteDocumentStore final : public DocumentStore {
 public:
  explicit SqliteDocumentStore(SqliteDatabase& db) : db_(db) {}

  Result<Document> Put(const std::string& kind, const std::string& key, const std::string& json,
                       int64_t expected_version) override;
  Result<Document> Get(const std::string& kind, const std::string& key) override;
  Result<std::vector<Document>> List(const std::string& kind) override;
  Status Delete(const std::string& kind, const std::string& key) override;

 private:
  SqliteDatabase& db_;
};

}  // namespace citygrid::storage::sqlite
