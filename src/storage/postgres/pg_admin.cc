#include "pg_admin.h"

#include <random>

#include "pg_connection.h"
#include "postgres_schema.h"

namespace citygrid::storage::postgres {

std::string DsnWithDatabase(const std::string& dsn, const std::string& dbname) {
  for (const char* scheme : {"postgresql://", "postgres://"}) {
    if (!dsn.starts_with(scheme)) continue;
    const size_t start = std::string(scheme).size();
    const size_t query = dsn.find('?', start);
    const size_t slash = dsn.find('/', start);
    const size_t path_end = query == std::string::npos ? dsn.size() : query;
    if (slash != std::string::npos && slash < path_end) {
      return dsn.substr(0, slash + 1) + dbname + dsn.substr(path_end);
    }
    return dsn.substr(0, path_end) + "/" + dbname + dsn.substr(path_end);
  }
  return dsn + " dbname='" + dbname + "'";
}

Status ExecSql(const std::string& dsn, const std::string& sql) {
  CITYGRID_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, PgConnection::Connect(dsn));
  return conn->Exec(sql).status();
}

Result<std::vector<std::string>> QueryColumn(const std::string& dsn, const std::string& sql) {
  CITYGRID_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, PgConnection::Connect(dsn));
  CITYGRID_ASSIGN_OR_RETURN(PgResult r, conn->Exec(sql));
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.IsNull(i, 0) ? "" : r.String(i, 0));
  return out;
}

Result<std::string> CreateScratchDatabase(const std::string& admin_dsn,
                                          const std::string& prefix) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string name = prefix;
  for (int i = 0; i < 12; ++i) name += kDigits[rng() % 36];
  CITYGRID_RETURN_IF_ERROR(ExecSql(admin_dsn, "CREATE DATABASE " + QuoteIdentifier(name)));
  return name;
}

Status DropDatabase(const std::string& admin_dsn, const std::string& dbname) {
  return ExecSql(admin_dsn, "DROP DATABASE IF EXISTS " + QuoteIdentifier(dbname) + " WITH (FORCE)");
}

Status MigrateDatabase(const std::string& dsn, int64_t target) {
  CITYGRID_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, PgConnection::Connect(dsn));
  return Migrate(*conn, target);
}

}  // namespace citygrid::storage::postgres
