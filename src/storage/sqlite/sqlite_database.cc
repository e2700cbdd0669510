#include "src/storage/sqlite/sqlite_database.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "src/storage/sqlite/sqlite_schema.h"

namespace citygrid::storage::sqlite {
namespace {

// Takes the exclusive owner lock of `data_dir` (DATA_DIR/citygrid.lock, whose text is the
// holder's pid); returns its descriptor, which holds the lock until closed.
Result<int> LockDataDir(const std::string& data_dir) {
  const std::string path = (std::filesystem::path(data_dir) / "citygrid.lock").string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return UnavailableError("cannot open " + path + ": " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char text[32] = {};
    const ssize_t n = ::pread(fd, text, sizeof(text) - 1, 0);
    ::close(fd);
    if (err != EWOULDBLOCK) {
      return UnavailableError("cannot lock " + path + ": " + std::strerror(err));
    }
    std::string holder(text, n > 0 ? static_cast<size_t>(n) : 0);
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    return FailedPreconditionError(
        "data directory " + data_dir + " is in use by another citygrid server" +
        (holder.empty() ? std::string() : " (pid " + holder + ")") +
        ": one server process owns a SQLite data directory; stop that one first, or run "
        "several servers on one PostgreSQL database (--db)");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int err = errno;
    ::close(fd);
    return UnavailableError("cannot write " + path + ": " + std::strerror(err));
  }
  return fd;
}

}  // namespace

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
    CITYGRID_ASSIGN_OR_RETURN(lock_fd, LockDataDir(options.data_dir));
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
      lock_fd_(lock_fd) {}

SqliteDatabase::~SqliteDatabase() {
  // Connections close before the lock is let go (idle readers, then the writer).
  idle_readers_.clear();
  writer_conn_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Status SqliteDatabase::Write(std::function<Status(Connection&)> fn) {
  WriteItem item;
  item.fn = std::move(fn);
  std::unique_lock<std::mutex> lock(queue_mu_);
  queue_.push_back(&item);
  while (!item.done && &item != queue_.front()) item.cv.wait(lock);
  if (item.done) return item.status;  // a leader committed it

  // This writer leads: it commits everything queued so far, its own write first.
  std::vector<WriteItem*> batch;
  for (WriteItem* w : queue_) {
    if (static_cast<int>(batch.size()) == options_.max_batch) break;
    batch.push_back(w);
  }
  lock.unlock();
  CommitBatch(batch);
  lock.lock();
  for (WriteItem* w : batch) {
    queue_.pop_front();
    if (w != &item) {
      w->done = true;
      w->cv.notify_one();
    }
  }
  if (!queue_.empty()) queue_.front()->cv.notify_one();  // the next leader
  return item.status;
}

bool SqliteDatabase::TryCommitWithoutSavepoints(const std::vector<WriteItem*>& batch) {
  Connection& conn = *writer_conn_;
  auto exec = [&](const char* sql) -> Status {
    CITYGRID_ASSIGN_OR_RETURN(Statement st, conn.Prepare(sql));
    return st.Run();
  };
  if (Status s = exec("BEGIN IMMEDIATE"); !s.ok()) {
    for (WriteItem* item : batch) item->status = s.WithContext("starting a write transaction");
    return true;
  }
  for (WriteItem* item : batch) {
    const sqlite3_int64 changes = sqlite3_total_changes64(conn.db());
    Status s;
    try {
      s = item->fn(conn);
    } catch (const std::exception& e) {
      s = InternalError(std::string("write failed: ") + e.what());
    }
    if (sqlite3_get_autocommit(conn.db())) {
      // SQLite rolled the whole transaction back (an I/O error, a full disk).
      for (WriteItem* w : batch) {
        w->status = UnavailableError("the write transaction was rolled back: " + s.message());
      }
      return true;
    }
    if (!s.ok() && sqlite3_total_changes64(conn.db()) != changes) {
      (void)exec("ROLLBACK");
      return false;
    }
    item->status = s;
  }
  FinishBatch(batch);
  return true;
}

void SqliteDatabase::FinishBatch(const std::vector<WriteItem*>& batch) {
  Connection& conn = *writer_conn_;
  Status commit;
  {
    Result<Statement> st = conn.Prepare("COMMIT");
    commit = st.ok() ? st->Run() : st.status();
  }
  if (!commit.ok()) {
    if (!sqlite3_get_autocommit(conn.db())) (void)conn.Exec("ROLLBACK");
    for (WriteItem* item : batch) {
      if (item->status.ok()) item->status = commit.WithContext("committing");
    }
  }
}

void SqliteDatabase::CommitBatch(const std::vector<WriteItem*>& batch) {
  if (TryCommitWithoutSavepoints(batch)) return;
  Connection& conn = *writer_conn_;
  auto fail_all = [&](const Status& s) {
    for (WriteItem* item : batch) item->status = s;
  };
  auto exec = [&](const char* sql) -> Status {
    CITYGRID_ASSIGN_OR_RETURN(Statement st, conn.Prepare(sql));
    return st.Run();
  };
  if (Status s = exec("BEGIN IMMEDIATE"); !s.ok()) {
    fail_all(s.WithContext("starting a write transaction"));
    return;
  }
  for (WriteItem* item : batch) {
    Status s = exec("SAVEPOINT item");
    if (s.ok()) {
      try {
        s = item->fn(conn);
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
    item->status = s;
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
