#pragma once

// A fresh PostgreSQL database per test, on the server $CITYGRID_TEST_POSTGRES_DSN names
// (scripts/test starts a throwaway cluster: scripts/pg-cluster.sh). Shared by the PostgreSQL
// tests and the backend registration in postgres_store_test.cc.

#include <memory>
#include <string>

#include "citygrid/common/status.h"
#include "tests/storage/store_factories.h"

namespace citygrid::storage::testing {

// $CITYGRID_TEST_POSTGRES_DSN, "" when unset.
std::string PostgresTestDsn();
// $CITYGRID_REQUIRE_POSTGRES == "1": a missing or unreachable server fails tests, not skips.
bool PostgresRequired();

class PostgresTestDatabase final : public TestDatabase {
 public:
  // kUnavailable when no server is configured or it cannot be reached.
  static Result<std::unique_ptr<PostgresTestDatabase>> Create();
  ~PostgresTestDatabase() override;

  Result<std::unique_ptr<Store>> Open() override;
  StoreOptions options() const override;

  const std::string& dsn() const { return dsn_; }
  const std::string& name() const { return name_; }

 private:
  PostgresTestDatabase(std::string admin_dsn, std::string name, std::string dsn,
                       std::string data_dir);
  std::string admin_dsn_, name_, dsn_, data_dir_;
};

}  // namespace citygrid::storage::testing

// In a test body: a fresh database in `var`, or GTEST_SKIP / FAIL per PostgresRequired().
#define CITYGRID_PG_TEST_DATABASE(var)                                                      \
  auto var##_result = ::citygrid::storage::testing::PostgresTestDatabase::Create();         \
  if (!var##_result.ok()) {                                                                 \
    if (::citygrid::storage::testing::PostgresRequired()) {                                 \
      FAIL() << "PostgreSQL is required (CITYGRID_REQUIRE_POSTGRES=1): "                    \
             << var##_result.status().ToString();                                           \
    }                                                                                       \
    GTEST_SKIP() << "no PostgreSQL: " << var##_result.status().ToString();                  \
  }                                                                                         \
  std::unique_ptr<::citygrid::storage::testing::PostgresTestDatabase> var =                 \
      std::move(var##_result).value()
