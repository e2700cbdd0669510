#pragma once

// The SQLite schema as numbered migrations, applied at open inside one transaction.
//
// schema_version holds one row: the number of the last migration applied. Migration N's SQL
// never changes once released; a new schema is a new migration.

#include <string>
#include <string_view>
#include <vector>

#include "citygrid/common/status.h"

namespace citygrid::storage::sqlite {

class Connection;

// The newest schema version this citygrid knows.
int LatestSqliteSchemaVersion();

// The SQL of migration `version` (1-based). REQUIRES: 1 <= version <= latest.
std::string_view SqliteMigrationSql(int version);

// The schema version of the open database (0 for an empty one).
Result<int> SqliteSchemaVersion(Connection& conn);

// Brings the database to schema `target` (default: the latest) in one IMMEDIATE transaction.
// kFailedPrecondition, naming both versions, when the database is newer than this citygrid
// knows. Reopening an up-to-date database changes nothing.
Status MigrateSqlite(Connection& conn, int target = -1);

}  // namespace citygrid::storage::sqlite
