#pragma once

// One SQLite database file shared by the case and document stores: one writer at a time with
// group commit, and a pool of reader connections.
//
// Group commit on one committer thread: writers queue a function (WriteAsync with a completion,
// or Write, which waits). The committer takes everything queued (up to max_batch), runs each
// function on the single writer connection inside one IMMEDIATE transaction, commits once and
// then calls each write's completion. So there is exactly one writer at any time, N concurrent
// writes cost one WAL fsync, and no thread of the caller waits for the commit unless it asks to
// (Write). A function that fails has its changes undone and gets its own error; the others in
// the batch still commit. Nobody hears "ok" before the COMMIT (synchronous=FULL: WAL fsynced)
// returned.
//
// Savepoints cost a copy of every page a function touches (the statement journal), so the
// committer first runs the batch without them. A function that fails without having changed a row
// (sqlite3_total_changes unchanged: a version or key check) needs no undo. Only when one fails
// after changing rows is the transaction rolled back and the whole batch run again, each
// function in its own SAVEPOINT, rolled back to when it fails. So a function may run twice, and must
// not depend on anything an earlier run of it left behind.

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/storage/sqlite_store.h"
#include "src/storage/group_commit_counter.h"
#include "src/storage/sqlite/sqlite_connection.h"

namespace citygrid::storage::sqlite {

class SqliteDatabase {
 public:
  // Opens (creating when missing) and migrates options.data_dir/citygrid.db.
  static Result<std::unique_ptr<SqliteDatabase>> Open(const SqliteStoreOptions& options);
  // Commits and completes every queued write, then closes. REQUIRES: no Read in progress and no
  // new write queued meanwhile.
  ~SqliteDatabase();

  // Queues `fn` for the next group transaction and returns at once. `done` is called exactly
  // once with `fn`'s status, after that transaction committed (or failed: a failed `fn` leaves
  // no change), on the committer thread; it should hand longer work to another thread, as the
  // next batch waits for it. `fn` must do only database work (the writes queued behind it wait)
  // and may run twice (see the file comment). Writes queued before the database is destroyed
  // are committed and completed first.
  void WriteAsync(std::function<Status(Connection&)> fn, std::function<void(Status)> done);

  // As WriteAsync, waiting for the commit: returns `fn`'s status. Called from a completion (on
  // the committer thread) it runs `fn` in a transaction of its own at once.
  Status Write(std::function<Status(Connection&)> fn);

  // Runs `fn` on a pooled reader connection (never the writer's).
  Status Read(const std::function<Status(Connection&)>& fn);

  const std::string& path() const { return path_; }
  // True when opened with own_data_dir: this store holds DATA_DIR/citygrid.lock, so it is the
  // only writer of the database.
  bool owns_data_dir() const { return lock_fd_ >= 0; }

  // The batches the committer ran so far (Store::group_commit_stats). Thread-safe.
  GroupCommitStats group_commit_stats() const { return commits_.stats(); }

 private:
  struct WriteItem {
    std::function<Status(Connection&)> fn;
    std::function<void(Status)> done;
    Status status;
  };

  SqliteDatabase(const SqliteStoreOptions& options, std::string path,
                 std::unique_ptr<Connection> writer, int lock_fd);
  // The committer thread: runs batches until stopping_ and the queue is empty.
  void CommitLoop();
  // Runs one group transaction and then every completion of the batch. REQUIRES: called on the
  // committer thread, without queue_mu_.
  void CommitAndComplete(std::vector<WriteItem>& batch);
  // Runs one group transaction. REQUIRES: as CommitAndComplete.
  void CommitBatch(std::vector<WriteItem>& batch);
  // The batch without savepoints; false (and the transaction rolled back) when a function failed
  // after changing rows, so the batch must run again with savepoints. REQUIRES: as CommitBatch.
  bool TryCommitWithoutSavepoints(std::vector<WriteItem>& batch);
  // Commits the open transaction and sets the batch's statuses.
  void FinishBatch(std::vector<WriteItem>& batch);

  const SqliteStoreOptions options_;
  const std::string path_;
  std::unique_ptr<Connection> writer_conn_;  // used only on the committer thread
  const int lock_fd_;  // DATA_DIR/citygrid.lock, flock'ed; -1 without own_data_dir

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;  // signalled when a write is queued or on stopping
  // State below is protected by queue_mu_.
  std::deque<WriteItem> queue_;
  bool committer_idle_ = false;  // the committer waits on queue_cv_
  bool stopping_ = false;

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  // Protected by pool_mu_.
  std::vector<std::unique_ptr<Connection>> idle_readers_;
  int open_readers_ = 0;

  GroupCommitCounter commits_;  // counted by the committer, read by anyone

  std::thread committer_;  // last: starts once everything above is built; joined first
};

}  // namespace citygrid::storage::sqlite
