#pragma once

// DocumentStore on PostgreSQL: table `documents` (kind, key) → json, version (private to
// src/storage/postgres). Thread safety: every method may be called concurrently.

#include "citygrid/storage/store.h"
#include "pg_pool.h"

namespace citygrid::storage::postgres {

class PostgresDocumentStore final : public DocumentStore {
 public:
  explicit PostgresDocumentStore(PgPool& pool) : pool_(pool) {}

  Result<Document> Put(const std::string& kind, const std::string& key, const std::string& json,
                       int64_t expected_version) override;
  Result<Document> Get(const std::string& kind, const std::string& key) override;
  Result<std::vector<Document>> List(const std::string& kind) override;
  Status Delete(const std::string& kind, const std::string& key) override;

 private:
  PgPool& pool_;
};

}  // namespace citygrid::storage::postgres
