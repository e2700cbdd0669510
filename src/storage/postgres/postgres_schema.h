#pragma once

// The PostgreSQL schema as numbered migrations, applied in order at open (private to
// src/storage/postgres). Numbering follows the SQLite backend's: migration N means the same
// tables and columns in both, so `schema_version` compares across backends.
//
// Plain SQL only (no extensions): BIGINT keys, TEXT, DOUBLE PRECISION, BOOLEAN; instants are
// BIGINT Unix milliseconds, like every other layer of citygrid.

#include <cstdint>
#include <span>

#include "citygrid/common/status.h"
#include "pg_connection.h"

namespace citygrid::storage::postgres {

struct Migration {
  int64_t version;
  const char* description;
  const char* sql;
};

// All migrations, oldest first; versions are 1, 2, ... without gaps.
std::span<const Migration> Migrations();

// The newest schema version this build knows.
int64_t LatestSchemaVersion();

// Brings the database `conn` points at up to `target` (-1 = LatestSchemaVersion()) in one
// transaction, under an advisory lock so several nodes opening at once migrate once; a failed
// migration leaves the database as it was. kFailedPrecondition when the database was written by
// a newer citygrid (naming both versions); kInvalidArgument for an unknown target.
Status Migrate(PgConnection& conn, int64_t target = -1);

// The version recorded in the database (0 for an empty database).
Result<int64_t> CurrentSchemaVersion(PgConnection& conn);

}  // namespace citygrid::storage::postgres
