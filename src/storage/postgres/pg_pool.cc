#include "pg_pool.h"

namespace citygrid::storage::postgres {

PgLease::~PgLease() {
  if (conn_ != nullptr) pool_->Release(std::move(conn_));
}

Result<std::unique_ptr<PgPool>> PgPool::Open(const std::string& dsn, int size) {
  if (size < 1) {
    return InvalidArgumentError("PostgreSQL pool size must be at least 1, not " +
                                std::to_string(size));
  }
  auto pool = std::unique_ptr<PgPool>(new PgPool(dsn, size));
  for (int i = 0; i < size; ++i) {
    CITYGRID_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, PgConnection::Connect(dsn));
    pool->idle_.push_back(std::move(conn));
  }
  return pool;
}

Result<PgLease> PgPool::Acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !idle_.empty() || outstanding_ < size_ - static_cast<int>(idle_.size()); });
  ++outstanding_;
  if (!idle_.empty()) {
    std::unique_ptr<PgConnection> conn = std::move(idle_.back());
    idle_.pop_back();
    if (conn->CheckAlive()) return PgLease(this, std::move(conn));
    conn.reset();  // closed by the server while idle: reconnect below
  }
  // A slot whose connection was dropped: reconnect outside the lock.
  lock.unlock();
  Result<std::unique_ptr<PgConnection>> conn = PgConnection::Connect(dsn_);
  if (!conn.ok()) {
    lock.lock();
    --outstanding_;
    cv_.notify_one();
    return conn.status();
  }
  return PgLease(this, std::move(conn).value());
}

Result<PgResult> PgPool::Exec(const std::string& sql, const PgParams& params) {
  Result<PgResult> result = UnavailableError("not run");
  for (int attempt = 0; attempt < 2; ++attempt) {
    CITYGRID_ASSIGN_OR_RETURN(PgLease conn, Acquire());
    result = conn->Exec(sql, params);
    if (result.ok() || !conn->Broken()) return result;
  }
  return result;
}

void PgPool::Release(std::unique_ptr<PgConnection> conn) {
  if (!conn->Healthy()) conn.reset();  // broken, or a transaction left open by a failed path
  std::lock_guard lock(mu_);
  --outstanding_;
  if (conn != nullptr) idle_.push_back(std::move(conn));
  cv_.notify_one();
}

}  // namespace citygrid::storage::postgres
