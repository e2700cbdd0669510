#include "pg_connection.h"

#include <poll.h>

#include <charconv>
#include <cstdlib>

namespace citygrid::storage::postgres {

int64_t PgResult::Int(int row, int col) const {
  std::string_view text = Text(row, col);
  int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::optional<int64_t> PgResult::OptionalInt(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return Int(row, col);
}

double PgResult::Double(int row, int col) const {
  // PostgreSQL 12+ prints float8 in the shortest text that reads back exactly.
  return std::strtod(PQgetvalue(r_.get(), row, col), nullptr);
}

PgParams& PgParams::Add(double value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return Add(std::string(buf, ec == std::errc() ? end : buf));
}

std::vector<const char*> PgParams::Pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& v : values_) out.push_back(v ? v->c_str() : nullptr);
  return out;
}

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const std::string& dsn) {
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(dsn.c_str(), &parse_error);
  if (parsed == nullptr) {
    std::string why = parse_error ? parse_error : "out of memory";
    PQfreemem(parse_error);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return InvalidArgumentError("bad PostgreSQL connection string: " + why);
  }
  PQconninfoFree(parsed);

  PGconn* conn = PQconnectdb(dsn.c_str());
  if (conn == nullptr) return UnavailableError("PostgreSQL: out of memory while connecting");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = PQerrorMessage(conn);
    PQfinish(conn);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return UnavailableError("cannot connect to PostgreSQL: " + why);
  }
  auto connection = std::unique_ptr<PgConnection>(new PgConnection(conn));
  // Every timestamp is stored as integer milliseconds, so the session time zone does not
  // matter; quiet NOTICEs (e.g. "relation already exists") stay out of stderr.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  return connection;
}

PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::Healthy() const {
  return !poisoned_ && PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

bool PgConnection::CheckAlive() {
  if (poisoned_ || PQstatus(conn_) != CONNECTION_OK) return false;
  // An idle session receives nothing unprompted (this class never LISTENs) except the
  // server's goodbye: a FATAL error such as 57P01 "terminating connection due to administrator
  // command", then EOF. Anything readable therefore means the connection is going away.
  pollfd pfd{PQsocket(conn_), POLLIN, 0};
  return ::poll(&pfd, 1, 0) == 0;
}

Result<PgResult> PgConnection::Exec(std::string_view sql) {
  std::string text(sql);
  return Check(PQexec(conn_, text.c_str()), sql);
}

const std::string* PgConnection::PreparedName(const std::string& sql) const {
  auto it = prepared_.find(sql);
  return it == prepared_.end() ? nullptr : &it->second;
}

std::string PgConnection::NameToPrepare() const {
  if (prepared_.size() >= kMaxPrepared) return "";
  return "cg_" + std::to_string(prepared_.size() + 1);
}

Result<PgResult> PgConnection::Exec(const std::string& sql, const PgParams& params) {
  std::vector<const char*> values = params.Pointers();
  const int n = static_cast<int>(values.size());
  const std::string* name = n > 0 ? PreparedName(sql) : nullptr;
  if (name == nullptr && n > 0) {
    if (std::string fresh = NameToPrepare(); !fresh.empty()) {
      CITYGRID_ASSIGN_OR_RETURN(PgResult prepared,
                                Check(PQprepare(conn_, fresh.c_str(), sql.c_str(), n, nullptr), sql));
      (void)prepared;
      name = &prepared_.emplace(sql, std::move(fresh)).first->second;
    }
  }
  if (name != nullptr) {
    return Check(PQexecPrepared(conn_, name->c_str(), n, values.data(), nullptr, nullptr, 0), sql);
  }
  return Check(PQexecParams(conn_, sql.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0),
               sql);
}

Result<std::vector<Result<PgResult>>> PgConnection::ExecPipeline(
    const std::vector<PgStatement>& statements) {
  auto lost = [&](const char* what) {
    std::string why = PQerrorMessage(conn_);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    // The protocol state is unknown now: the owner must drop this connection.
    poisoned_ = true;
    return UnavailableError(std::string("PostgreSQL pipeline: ") + what + ": " + why);
  };
  if (PQenterPipelineMode(conn_) != 1) return lost("cannot enter pipeline mode");
  // The names prepared in this pipeline, by statement (known to the connection once their
  // Prepare succeeded; a text twice in one pipeline is prepared once).
  std::vector<std::string> preparing(statements.size());
  std::unordered_map<std::string, size_t> preparing_text;
  for (size_t i = 0; i < statements.size(); ++i) {
    const PgStatement& st = statements[i];
    std::vector<const char*> values = st.params.Pointers();
    const int n = static_cast<int>(values.size());
    std::string name;
    if (n > 0) {
      if (const std::string* known = PreparedName(st.sql)) {
        name = *known;
      } else if (auto same = preparing_text.find(st.sql); same != preparing_text.end()) {
        name = preparing[same->second];
      } else if (prepared_.size() + preparing_text.size() < kMaxPrepared) {
        name = "cg_" + std::to_string(prepared_.size() + preparing_text.size() + 1);
        if (PQsendPrepare(conn_, name.c_str(), st.sql.c_str(), n, nullptr) != 1) {
          return lost("cannot send a statement");
        }
        preparing[i] = name;
        preparing_text.emplace(st.sql, i);
      }
    }
    const int sent =
        name.empty()
            ? PQsendQueryParams(conn_, st.sql.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0)
            : PQsendQueryPrepared(conn_, name.c_str(), n, values.data(), nullptr, nullptr, 0);
    if (sent != 1) return lost("cannot send a statement");
  }
  if (PQpipelineSync(conn_) != 1) return lost("cannot send the sync");

  std::vector<Result<PgResult>> results;
  results.reserve(statements.size());
  for (size_t i = 0; i < statements.size(); ++i) {
    const PgStatement& st = statements[i];
    std::optional<Status> prepare_failed;
    if (!preparing[i].empty()) {
      PGresult* p = PQgetResult(conn_);
      if (p == nullptr) return lost("a result is missing");
      const ExecStatusType ps = PQresultStatus(p);
      if (ps == PGRES_COMMAND_OK) {
        prepared_.emplace(st.sql, preparing[i]);
        PQclear(p);
      } else if (ps == PGRES_PIPELINE_ABORTED) {
        PQclear(p);
      } else {
        // The statement's own error (a syntax error, an unknown column) comes from its Prepare.
        prepare_failed = Check(p, st.sql).status();
      }
      while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
    }
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) return lost("a result is missing");
    if (PQresultStatus(r) == PGRES_PIPELINE_ABORTED) {
      PQclear(r);
      results.push_back(prepare_failed ? Result<PgResult>(*prepare_failed)
                                       : AbortedError("PostgreSQL: skipped after an earlier "
                                                      "error in the pipeline"));
    } else {
      results.push_back(Check(r, st.sql));
    }
    // Each statement's results end with a NULL.
    while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
  }
  PGresult* sync = PQgetResult(conn_);
  const bool synced = sync != nullptr && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
  PQclear(sync);
  if (!synced) return lost("the sync did not arrive");
  if (PQexitPipelineMode(conn_) != 1) return lost("cannot leave pipeline mode");
  return results;
}

Result<PgResult> PgConnection::Check(PGresult* raw, std::string_view sql) {
  PgResult result(raw);
  if (raw == nullptr) {
    std::string why = PQerrorMessage(conn_);
    return UnavailableError("PostgreSQL: " + why);
  }
  ExecStatusType status = PQresultStatus(raw);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;

  const char* state_ptr = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
  std::string state = state_ptr ? state_ptr : "";
  const char* primary = PQresultErrorField(raw, PG_DIAG_MESSAGE_PRIMARY);
  std::string why = primary ? primary : PQerrorMessage(conn_);
  while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
  std::string head(sql.substr(0, 60));
  for (char& c : head) {
    if (c == '\n') c = ' ';
  }
  std::string message = "PostgreSQL: " + why + " [SQLSTATE " + (state.empty() ? "?????" : state) +
                        "] in '" + head + (sql.size() > 60 ? "...'" : "'");
  if (state.empty() || state.starts_with("08") || state.starts_with("57P") ||
      PQstatus(conn_) != CONNECTION_OK) {
    return UnavailableError(std::move(message));
  }
  if (state == "40001" || state == "40P01") return AbortedError(std::move(message));
  if (state == "23505") return AlreadyExistsError(std::move(message));
  if (state.starts_with("22") || state.starts_with("23")) {
    return InvalidArgumentError(std::move(message));
  }
  if (state == "53300") return ResourceExhaustedError(std::move(message));
  return InternalError(std::move(message));
}

std::string_view SqlState(const Status& status) {
  std::string_view m = status.message();
  size_t at = m.find("[SQLSTATE ");
  if (at == std::string_view::npos || at + 15 > m.size()) return {};
  return m.substr(at + 10, 5);
}

bool IsRetryable(const Status& status) {
  std::string_view state = SqlState(status);
  return state == "40001" || state == "40P01";
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace citygrid::storage::postgres
