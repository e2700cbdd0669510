#pragma once

// Thin RAII wrappers over sqlite3 connections and statements; the only place besides the other
// files of src/storage/sqlite that sees sqlite3.h.

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "citygrid/common/status.h"

namespace citygrid::storage::sqlite {

class Connection;

// Maps a SQLite result code to a Status: BUSY/LOCKED/FULL/IOERR/CANTOPEN → kUnavailable,
// CONSTRAINT → kAlreadyExists, everything else → kInternal. `what` names the operation.
Status SqliteError(int rc, sqlite3* db, std::string_view what);

// A prepared statement, reset and unbound when released back to its connection's cache.
class Statement {
 public:
  Statement(sqlite3_stmt* stmt, Connection* owner) : stmt_(stmt), owner_(owner) {}
  Statement(Statement&& other) noexcept
      : stmt_(std::exchange(other.stmt_, nullptr)), owner_(other.owner_) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binds are 1-based like SQLite's.
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void Bind(int i, int v) { sqlite3_bind_int64(stmt_, i, v); }
  void Bind(int i, bool v) { sqlite3_bind_int64(stmt_, i, v ? 1 : 0); }
  void Bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
  // An empty string binds as '' (never NULL, even when v.data() is null).
  void Bind(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data() ? v.data() : "", static_cast<int>(v.size()),
                      SQLITE_TRANSIENT);
  }
  void Bind(int i, const std::string& v) { Bind(i, std::string_view(v)); }
  void Bind(int i, const char* v) { Bind(i, std::string_view(v)); }
  void BindBlob(int i, std::string_view v) {
    sqlite3_bind_blob(stmt_, i, v.data() ? v.data() : "", static_cast<int>(v.size()),
                      SQLITE_TRANSIENT);
  }
  void BindNull(int i) { sqlite3_bind_null(stmt_, i); }

  // Steps once: true with a row, false when done; a Status on error.
  Result<bool> Step();
  // Steps to completion (for statements without rows).
  Status Run();

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string_view Text(int col) const;  // valid until the next Step
  std::string String(int col) const { return std::string(Text(col)); }

  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
  Connection* owner_;  // receives the statement back for reuse
};

// One connection. Not thread-safe: one thread uses it at a time.
class Connection {
 public:
  // Opens `path` (creating it when `create`), sets the busy timeout, WAL and synchronous=FULL.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, bool create,
                                                  int busy_timeout_ms);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Prepares `sql`, reusing a cached prepared statement when this SQL was seen before.
  Result<Statement> Prepare(std::string_view sql);
  // Runs one or more statements without parameters or results.
  Status Exec(std::string_view sql);

  sqlite3* db() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  Connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  friend class Statement;
  void Release(sqlite3_stmt* stmt);

  sqlite3* db_;
  std::string path_;
  // Idle prepared statements by SQL text. A statement in use is not in the cache, so nested
  // uses of the same SQL each get their own.
  std::unordered_map<std::string, std::vector<sqlite3_stmt*>> cache_;
  size_t cached_ = 0;
};

}  // namespace citygrid::storage::sqlite
