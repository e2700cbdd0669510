#pragma once

// A thin RAII layer over libpq (private to src/storage/postgres): one connection, its results,
// text-format parameters, and the mapping of SQLSTATEs to citygrid Status codes.
//
// Thread safety: a PgConnection is used by one thread at a time (the pool hands it out).

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "citygrid/common/status.h"

namespace citygrid::storage::postgres {

// Owns one PGresult.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* r) : r_(r) {}

  int rows() const { return r_ ? PQntuples(r_.get()) : 0; }
  int columns() const { return r_ ? PQnfields(r_.get()) : 0; }
  bool IsNull(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string_view Text(int row, int col) const {
    return std::string_view(PQgetvalue(r_.get(), row, col),
                            static_cast<size_t>(PQgetlength(r_.get(), row, col)));
  }
  std::string String(int row, int col) const { return std::string(Text(row, col)); }
  // REQUIRES: the value is a decimal integer (a BIGINT/INTEGER column).
  int64_t Int(int row, int col) const;
  std::optional<int64_t> OptionalInt(int row, int col) const;
  double Double(int row, int col) const;
  bool Bool(int row, int col) const { return Text(row, col) == "t"; }

 private:
  struct Clear {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Clear> r_;
};

// Text-format statement parameters; std::nullopt is SQL NULL.
class PgParams {
 public:
  PgParams& Add(std::string value) {
    values_.emplace_back(std::move(value));
    return *this;
  }
  PgParams& Add(std::string_view value) { return Add(std::string(value)); }
  PgParams& Add(const char* value) { return Add(std::string(value)); }
  PgParams& Add(int64_t value) { return Add(std::to_string(value)); }
  PgParams& Add(int value) { return Add(std::to_string(value)); }
  PgParams& Add(bool value) { return Add(std::string(value ? "t" : "f")); }
  PgParams& Add(double value);
  PgParams& Add(std::optional<int64_t> value) {
    if (value) return Add(*value);
    return AddNull();
  }
  PgParams& AddNull() {
    values_.emplace_back(std::nullopt);
    return *this;
  }
  size_t size() const { return values_.size(); }
  // "$<n>" for the next parameter to be added.
  std::string Next() const { return "$" + std::to_string(values_.size() + 1); }

  std::vector<const char*> Pointers() const;

 private:
  std::vector<std::optional<std::string>> values_;
};

struct PgStatement {
  std::string sql;
  PgParams params;
};

class PgConnection {
 public:
  // Connects to `dsn` (a libpq URI or key=value string). kUnavailable when the server cannot
  // be reached, naming libpq's reason; kInvalidArgument when the DSN itself is malformed.
  static Result<std::unique_ptr<PgConnection>> Connect(const std::string& dsn);

  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement (no parameters; may hold several statements separated by ';').
  Result<PgResult> Exec(std::string_view sql);
  // Runs one statement with text parameters $1..$n.
  Result<PgResult> Exec(const std::string& sql, const PgParams& params);

  // Statements with parameters (here and in Exec(sql, params)) run as named prepared statements
  // of this connection, prepared at their first use (in the same round trip), so PostgreSQL
  // parses and plans each text once per connection instead of at every call. At most
  // kMaxPrepared texts are kept; past that a text runs unnamed, parsed each time.
  static constexpr size_t kMaxPrepared = 512;

  // Runs `statements` in order in ONE round trip (libpq pipeline mode) and returns each one's
  // result. After the first failing statement the server skips the rest: they get kAborted
  // ("skipped"). The outer Status fails only when the connection itself fails.
  Result<std::vector<Result<PgResult>>> ExecPipeline(const std::vector<PgStatement>& statements);

  // True when the connection is usable and not inside a failed or open transaction.
  bool Healthy() const;
  // For an idle connection: false when the server has closed it meanwhile (restart,
  // pg_terminate_backend), which shows as pending input or EOF on the socket.
  bool CheckAlive();

  // True when the last failure looked like a lost connection.
  bool Broken() const { return poisoned_ || PQstatus(conn_) != CONNECTION_OK; }

  PGconn* raw() { return conn_; }

 private:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  Result<PgResult> Check(PGresult* result, std::string_view sql);
  // The prepared statement's name for `sql`, or nullptr when it is not prepared on this
  // connection.
  const std::string* PreparedName(const std::string& sql) const;
  // A name for preparing `sql` now, or "" when no more texts are kept (run it unnamed).
  std::string NameToPrepare() const;

  PGconn* conn_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
  bool poisoned_ = false;  // a pipeline failed midway; the connection must be dropped
};

// The SQLSTATE of a failed statement travels in the Status message as "[SQLSTATE xxxxx]"; this
// extracts it ("" when absent).
std::string_view SqlState(const Status& status);

// Serialization failure (40001) or deadlock (40P01): retrying the whole transaction may succeed.
bool IsRetryable(const Status& status);

// Quotes an identifier for SQL text ("t_abc" → "\"t_abc\"").
std::string QuoteIdentifier(std::string_view name);

}  // namespace citygrid::storage::postgres
