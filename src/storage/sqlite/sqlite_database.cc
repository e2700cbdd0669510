#include "src/storage/sqlite/sqlite_database.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "citygrid/common/thread_name.h"
#include "src/storage/sqlite/sqlite_schema.h"

namespace citygrid::storage::sqlite {

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::Open(const SqliteStoreOptions& options) {
  if (options.data_dir.empty()) return InvalidArgumentError("no data directory given");
  if (options.max_batch < 1 || options.max_readers < 1) {
    return InvalidArgumentError("max_batch and max_readers must be at least 1");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return UnavailableError("cannot create data directory " + options.data_dir + ": " +
                            ec.message());
  }
  int lock_fd = -1;
  if (options.own_data_dir) {
    CITYGRID_ASSIGN_OR_RETURN(lock_fd, LockSqliteDataDir(options.data_dir));
  }
  auto unlock_on_error = [&](Status s) {
    if (lock_fd >= 0) ::close(lock_fd);
    return s;
  };
  std::string path = SqliteDatabasePath(options.data_dir);
  Result<std::unique_ptr<Connection>> writer =
      Connection::Open(path, /*create=*/true, options.busy_timeout_ms);
  if (!writer.ok()) return unlock_on_error(writer.status());
  if (Status s = MigrateSqlite(**writer); !s.ok()) return unlock_on_error(s);
  return std::unique_ptr<SqliteDatabase>(
      new SqliteDatabase(options, std::move(path), std::move(*writer), lock_fd));
}

SqliteDatabase::SqliteDatabase(const SqliteStoreOptions& options, std::string path,
                               std::unique_ptr<Connection> writer, int lock_fd)
    : options_(options),
      path_(std::move(path)),
      writer_conn_(std::move(writer)),
      lock_fd_(lock_fd),
      committer_([this] { CommitLoop(); }) {}

SqliteDatabase::~SqliteDatabase() {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_one();
  committer_.join();  // after the last queued write completed
  // Connections close before the lock is let go (idle readers, then the writer).
  idle_readers_.clear();
  writer_conn_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void SqliteDatabase::WriteAsync(std::function<Status(Connection&)> fn,
                                std::function<void(Status)> done) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    queue_.push_back(WriteItem{std::move(fn), std::move(done), OkStatus()});
    // One wake-up per batch: a busy committer takes the queue when its batch is done.
    wake = committer_idle_;
    committer_idle_ = false;
  }
  if (wake) queue_cv_.notify_one();
}

Status SqliteDatabase::Write(std::function<Status(Connection&)> fn) {
  if (std::this_thread::get_id() == committer_.get_id()) {
    // From a completion: the writer connection is free between batches.
    std::vector<WriteItem> alone;
    alone.push_back(WriteItem{std::move(fn), nullptr, OkStatus()});
    CommitBatch(alone);
    return alone.front().status;
  }
  struct Waiter {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    Status status;
  } waiter;
  WriteAsync(std::move(fn), [&waiter](Status s) {
    std::lock_guard<std::mutex> lock(waiter.mu);
    waiter.status = std::move(s);
    waiter.done = true;
    waiter.cv.notify_one();  // under the lock: the waiter cannot leave (and go) before this
  });
  std::unique_lock<std::mutex> lock(waiter.mu);
  waiter.cv.wait(lock, [&] { return waiter.done; });
  return waiter.status;
}

void SqliteDatabase::CommitLoop() {
  NameThisThread("cg-commit");
  std::vector<WriteItem> batch;
  std::unique_lock<std::mutex> lock(queue_mu_);
  for (;;) {
    while (queue_.empty() && !stopping_) {
      committer_idle_ = true;
      queue_cv_.wait(lock);
    }
    committer_idle_ = false;
    if (queue_.empty()) return;  // stopping, and every write is done
    const size_t n = std::min(queue_.size(), static_cast<size_t>(options_.max_batch));
    batch.clear();
    for (size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    CommitAndComplete(batch);
    lock.lock();
  }
}

void SqliteDatabase::CommitAndComplete(std::vector<WriteItem>& batch) {
  {
    GroupCommitCounter::Timer timed(commits_, batch.size());
    CommitBatch(batch);
  }
  for (WriteItem& item : batch) {
    try {
      item.done(std::move(item.status));
    } catch (const std::exception& e) {
      // A completion's own failure must not stop the committer (or skip the others).
      std::fprintf(stderr, "citygrid sqlite: a write completion failed: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "citygrid sqlite: a write completion failed\n");
    }
    item.fn = nullptr;  // what the functions hold goes now, not with the next batch
    item.done = nullptr;
  }
}

bool SqliteDatabase::TryCommitWithoutSavepoints(std::vector<WriteItem>& batch) {
  Connection& conn = *writer_conn_;
  auto exec = [&](const char* sql) -> Status {
    CITYGRID_ASSIGN_OR_RETURN(Statement st, conn.Prepare(sql));
    return st.Run();
  };
  if (Status s = exec("BEGIN IMMEDIATE"); !s.ok()) {
    for (WriteItem& item : batch) item.status = s.WithContext("starting a write transaction");
    return true;
  }
  for (WriteItem& item : batch) {
    const sqlite3_int64 changes = sqlite3_total_changes64(conn.db());
    Status s;
    try {
      s = item.fn(conn);
    } catch (const std::exception& e) {
      s = InternalError(std::string("write failed: ") + e.what());
    }
    if (sqlite3_get_autocommit(conn.db())) {
      // SQLite rolled the whole transaction back (an I/O error, a full disk).
      for (WriteItem& w : batch) {
        w.status = UnavailableError("the write transaction was rolled back: " + s.message());
      }
      return true;
    }
    if (!s.ok() && sqlite3_total_changes64(conn.db()) != changes) {
      (void)exec("ROLLBACK");
      return false;
    }
    item.status = s;
  }
  FinishBatch(batch);
  return true;
}

void SqliteDatabase::FinishBatch(std::vector<WriteItem>& batch) {
  Connection& conn = *writer_conn_;
  Status commit;
  {
    Result<Statement> st = conn.Prepare("COMMIT");
    commit = st.ok() ? st->Run() : st.status();
  }
  if (!commit.ok()) {
    if (!sqlite3_get_autocommit(conn.db())) (void)conn.Exec("ROLLBACK");
    for (WriteItem& item : batch) {
      if (item.status.ok()) item.status = commit.WithContext("committing");
    }
  }
}

void SqliteDatabase::CommitBatch(std::vector<WriteItem>& batch) {
  if (TryCommitWithoutSavepoints(batch)) return;
  Connection& conn = *writer_conn_;
  auto fail_all = [&](const Status& s) {
    for (WriteItem& item : batch) item.status = s;
  };
  auto exec = [&](const char* sql) -> Status {
    CITYGRID_ASSIGN_OR_RETURN(Statement st, conn.Prepare(sql));
    return st.Run();
  };
  if (Status s = exec("BEGIN IMMEDIATE"); !s.ok()) {
    fail_all(s.WithContext("starting a write transaction"));
    return;
  }
  for (WriteItem& item : batch) {
    Status s = exec("SAVEPOINT item");
    if (s.ok()) {
      try {
        s = item.fn(conn);
      } catch (const std::exception& e) {
        s = InternalError(std::string("write failed: ") + e.what());
      }
    }
    if (sqlite3_get_autocommit(conn.db())) {
      // SQLite rolled the whole transaction back (an I/O error, a full disk): every write of
      // the batch is lost, the ones that had succeeded included.
      fail_all(UnavailableError("the write transaction was rolled back: " + s.message()));
      return;
    }
    if (s.ok()) {
      s = exec("RELEASE item");
    } else {
      Status undo = exec("ROLLBACK TO item");
      if (undo.ok()) undo = exec("RELEASE item");
      if (!undo.ok()) {
        (void)exec("ROLLBACK");
        fail_all(undo.WithContext("undoing a failed write"));
        return;
      }
    }
    item.status = s;
  }
  FinishBatch(batch);
}

Status SqliteDatabase::Read(const std::function<Status(Connection&)>& fn) {
  std::unique_ptr<Connection> conn;
  {
    std::unique_lock<std::mutex> lock(pool_mu_);
    pool_cv_.wait(lock,
                  [&] { return !idle_readers_.empty() || open_readers_ < options_.max_readers; });
    if (!idle_readers_.empty()) {
      conn = std::move(idle_readers_.back());
      idle_readers_.pop_back();
    } else {
      ++open_readers_;
    }
  }
  if (!conn) {
    auto opened = Connection::Open(path_, /*create=*/false, options_.busy_timeout_ms);
    if (opened.ok()) {
      conn = std::move(opened).value();
      if (Status s = conn->Exec("PRAGMA query_only=1"); !s.ok()) opened = s;
    }
    if (!opened.ok()) {
      {
        std::lock_guard<std::mutex> lock(pool_mu_);
        --open_readers_;
      }
      pool_cv_.notify_one();
      return opened.status();
    }
  }
  Status s = fn(*conn);
  if (!sqlite3_get_autocommit(conn->db())) (void)conn->Exec("ROLLBACK");
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    idle_readers_.push_back(std::move(conn));
  }
  pool_cv_.notify_one();
  return s;
}

}  // namespace citygrid::storage::sqlite
