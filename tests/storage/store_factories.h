#pragma once

// The backends the storage conformance, crash and contention suites run against. Each backend
// registers one StoreBackendFactory from its own test file:
//
//   static const bool registered = citygrid::storage::testing::RegisterStoreBackend({
//       .name = "sqlite", .durable = true, .must_run = true, .create = &CreateSqliteDatabase});
//
// (sqlite: tests/storage/sqlite_store_test.cc; postgres: tests/storage/postgres_*_test.cc, from
// $CITYGRID_TEST_POSTGRES_DSN with a fresh schema or database per test; memory:
// tests/storage/memory_store_test.cc). Suites instantiate with
//   INSTANTIATE_TEST_SUITE_P(Backends, MySuite, ValuesIn(StoreBackends()), BackendName);
// gtest evaluates the generator after static initialization, so every registration is seen.

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/storage/store.h"

namespace citygrid::storage::testing {

// One fresh, empty database of one backend. Destroying it drops the database.
class TestDatabase {
 public:
  virtual ~TestDatabase() = default;
  // Opens a Store on this database. Durable backends may be opened again (after the previous
  // Store was destroyed, or in a forked child process) and see everything committed before.
  virtual Result<std::unique_ptr<Store>> Open() = 0;
  // What OpenStore (and `citygrid check`) takes to open this database; {} for non-durable ones.
  virtual StoreOptions options() const = 0;
};

struct StoreBackendFactory {
  std::string name;      // the test-name suffix: "sqlite", "postgres", "memory"
  bool durable = false;  // data survives reopening and the death of the writing process
  // A backend that is not available here (create returns kUnavailable) is skipped, unless
  // must_run: then it fails (CI sets CITYGRID_REQUIRE_POSTGRES=1 so PostgreSQL must run).
  bool must_run = false;
  std::function<Result<std::unique_ptr<TestDatabase>>()> create;
  // Optional: a database where commits are cheap (e.g. SQLite on tmpfs), for tests about
  // concurrency rather than durability that commit tens of thousands of times. Defaults to
  // `create`.
  std::function<Result<std::unique_ptr<TestDatabase>>()> create_fast;
};

inline void PrintTo(const StoreBackendFactory& f, std::ostream* os) { *os << f.name; }

inline std::vector<StoreBackendFactory>& StoreBackends() {
  static std::vector<StoreBackendFactory> backends;
  return backends;
}

inline bool RegisterStoreBackend(StoreBackendFactory factory) {
  StoreBackends().push_back(std::move(factory));
  return true;
}

inline std::vector<StoreBackendFactory> DurableStoreBackends() {
  std::vector<StoreBackendFactory> out;
  for (const StoreBackendFactory& f : StoreBackends()) {
    if (f.durable) out.push_back(f);
  }
  return out;
}

inline std::string BackendName(const ::testing::TestParamInfo<StoreBackendFactory>& info) {
  return info.param.name;
}

// A fixture that creates a fresh database of the parameter's backend and opens it; skips or
// fails per must_run when the backend is unavailable.
class BackendTest : public ::testing::TestWithParam<StoreBackendFactory> {
 protected:
  void SetUp() override {
    const StoreBackendFactory& f = GetParam();
    auto db = fast_commits_ && f.create_fast ? f.create_fast() : f.create();
    if (!db.ok()) {
      if (db.status().code() == StatusCode::kUnavailable && !f.must_run) {
        GTEST_SKIP() << f.name << " backend unavailable: " << db.status().ToString();
      }
      FAIL() << f.name << " backend could not create a test database: "
             << db.status().ToString();
    }
    db_ = std::move(db).value();
    auto store = db_->Open();
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
  }
  // Closes the store and opens the same database again (durable backends only).
  void Reopen() {
    store_.reset();
    auto store = db_->Open();
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  // Set in a derived constructor to run on the backend's create_fast database.
  bool fast_commits_ = false;

  Store& store() { return *store_; }
  CaseStore& cases() { return store_->cases(); }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<Store> store_;
};

}  // namespace citygrid::storage::testing
