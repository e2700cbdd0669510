#pragma once

// One SQLite database file shared by the case and document stores: one writer at a time with
// group commit, and a pool of reader connections.
//
// Group commit, leader-based as in LevelDB's write queue: writers queue a function and block.
// The writer at the front of the queue becomes the leader: it takes everything queued (up to
// max_batch), runs each function inside its own SAVEPOINT of one IMMEDIATE transaction on the
// single writer connection, commits once, and hands the results out; the next writer in the
// queue then leads the next batch. So there is exactly one writer at any time, N concurrent
// writes cost one WAL fsync, and a lone writer pays no hand-off to another thread. A function
// that fails has its savepoint rolled back and gets its own error; the others in the batch
// still commit. Nobody hears "ok" before the COMMIT (synchronous=FULL: WAL fsynced) returned.
//
// Savepoints cost a copy of every page a function touches (the statement journal), so the
// leader first runs the batch without them. A function that fails without having changed a row
// (sqlite3_total_changes unchanged: a version or key check) needs no undo. Only when one fails
// after changing rows is the transaction rolled back and the whole batch run again, each
// function in its own savepoint as described above. So a function may run twice, and must
// not depend on anything an earlier run of it left behind.

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/storage/sqlite_store.h"
#include "src/storage/sqlite/sqlite_connection.h"

namespace citygrid::storage::sqlite {

class SqliteDatabase {
 public:
  // Opens (creating when missing) and migrates options.data_dir/citygrid.db.
  static Result<std::unique_ptr<SqliteDatabase>> Open(const SqliteStoreOptions& options);
  // REQUIRES: no Write or Read in progress.
  ~SqliteDatabase();

  // Runs `fn` on the writer connection inside the next group transaction and returns once that
  // transaction committed (or failed); a failed `fn` leaves no change. `fn` must do only
  // database work (it runs while the writers queued behind it wait) and may run twice (see the
  // file comment).
  Status Write(std::function<Status(Connection&)> fn);

  // Runs `fn` on a pooled reader connection (never the writer's).
  Status Read(const std::function<Status(Connection&)>& fn);

  const std::string& path() const { return path_; }
  // True when opened with own_data_dir: this store holds DATA_DIR/citygrid.lock, so it is the
  // only writer of the database.
  bool owns_data_dir() const { return lock_fd_ >= 0; }

 private:
  struct WriteItem {
    std::function<Status(Connection&)> fn;
    Status status;
    bool done = false;
    std::condition_variable cv;  // signalled when done, or when it becomes the leader
  };

  SqliteDatabase(const SqliteStoreOptions& options, std::string path,
                 std::unique_ptr<Connection> writer, int lock_fd);
  // Runs one group transaction. REQUIRES: called by the leader only, without queue_mu_.
  void CommitBatch(const std::vector<WriteItem*>& batch);
  // The batch without savepoints; false (and the transaction rolled back) when a function failed
  // after changing rows, so the batch must run again with savepoints. REQUIRES: as CommitBatch.
  bool TryCommitWithoutSavepoints(const std::vector<WriteItem*>& batch);
  // Commits the open transaction and sets the batch's statuses.
  void FinishBatch(const std::vector<WriteItem*>& batch);

  const SqliteStoreOptions options_;
  const std::string path_;
  std::unique_ptr<Connection> writer_conn_;  // used only by the current leader
  const int lock_fd_;  // DATA_DIR/citygrid.lock, flock'ed; -1 without own_data_dir

  std::mutex queue_mu_;
  // State below is protected by queue_mu_. The front item's writer is the leader.
  std::deque<WriteItem*> queue_;

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  // Protected by pool_mu_.
  std::vector<std::unique_ptr<Connection>> idle_readers_;
  int open_readers_ = 0;
};

}  // namespace citygrid::storage::sqlite
