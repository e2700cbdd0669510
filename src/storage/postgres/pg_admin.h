#pragma once

// Administrative helpers over a PostgreSQL DSN, without libpq types, for tests, benchmarks and
// tools that manage databases around the backend (private to citygrid; the store itself never
// needs them).

#include <cstdint>
#include <string>
#include <vector>

#include "citygrid/common/status.h"

namespace citygrid::storage::postgres {

// `dsn` (a postgresql:// URI or a key=value string) pointing at database `dbname` instead.
std::string DsnWithDatabase(const std::string& dsn, const std::string& dbname);

// Connects to `dsn` and runs `sql` (one or more statements, no parameters). kUnavailable when
// the server cannot be reached.
Status ExecSql(const std::string& dsn, const std::string& sql);

// Runs `sql` and returns the first column of every row as text ("" for NULL).
Result<std::vector<std::string>> QueryColumn(const std::string& dsn, const std::string& sql);

// Creates a database named `prefix` + random suffix on the server of `admin_dsn`, and returns
// its name.
Result<std::string> CreateScratchDatabase(const std::string& admin_dsn, const std::string& prefix);

// Drops database `dbname`, disconnecting its sessions (DROP DATABASE ... WITH (FORCE)).
Status DropDatabase(const std::string& admin_dsn, const std::string& dbname);

// Migrates the database of `dsn` to schema version `target` (-1 = latest), as opening a store
// does; for tests of the migrations themselves.
Status MigrateDatabase(const std::string& dsn, int64_t target);

}  // namespace citygrid::storage::postgres
