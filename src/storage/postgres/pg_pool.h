#pragma once

// A fixed-size pool of PostgreSQL connections (private to src/storage/postgres).
//
// Thread safety: Acquire may be called from any thread; a lease is used by one thread.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "citygrid/common/status.h"
#include "pg_connection.h"

namespace citygrid::storage::postgres {

class PgPool;

// A connection on loan; returns it to the pool on destruction. A connection that broke or was
// left inside a transaction is closed instead and reopened by a later Acquire.
class PgLease {
 public:
  PgLease(PgPool* pool, std::unique_ptr<PgConnection> conn)
      : pool_(pool), conn_(std::move(conn)) {}
  PgLease(PgLease&&) = default;
  PgLease& operator=(PgLease&&) = delete;
  ~PgLease();

  PgConnection& operator*() { return *conn_; }
  PgConnection* operator->() { return conn_.get(); }

 private:
  PgPool* pool_;
  std::unique_ptr<PgConnection> conn_;
};

class PgPool {
 public:
  // Opens `size` connections (>= 1) to `dsn` up front, so a bad DSN fails at open.
  static Result<std::unique_ptr<PgPool>> Open(const std::string& dsn, int size);

  // Waits for a free connection. kUnavailable when a lost connection cannot be reopened.
  Result<PgLease> Acquire();

  // Runs one statement on a pooled connection. A connection the server closed while it sat idle
  // (restart, pg_terminate_backend) is replaced and the statement retried once; a single
  // statement outside a transaction is safe to repeat only when it never ran, which a broken
  // idle connection guarantees. REQUIRES: `sql` is a single statement that reads, or writes
  // idempotently.
  Result<PgResult> Exec(const std::string& sql, const PgParams& params = PgParams());

  int size() const { return size_; }
  const std::string& dsn() const { return dsn_; }

 private:
  friend class PgLease;
  PgPool(std::string dsn, int size) : dsn_(std::move(dsn)), size_(size) {}
  void Release(std::unique_ptr<PgConnection> conn);

  const std::string dsn_;
  const int size_;
  std::mutex mu_;
  std::condition_variable cv_;
  // State below is protected by mu_.
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int outstanding_ = 0;  // leased or being reconnected
};

}  // namespace citygrid::storage::postgres
