#pragma once

// Private to src/storage: the table layout of a snapshot (storage/backup.h) and the two
// backends' halves of writing and reading one. backup.cc dispatches; sqlite/sqlite_backup.cc
// owns the snapshot file (the only code here that sees sqlite3.h); postgres/postgres_backup.cc
// reads and loads PostgreSQL through the same row form.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/storage/backup.h"

namespace citygrid::storage::snapshot {

// How a column travels. Every snapshot column is NOT NULL in both schemas.
enum class ColumnType {
  kInt,   // decimal text
  kReal,  // text that round-trips the double ("%.17g")
  kText,
  kBlob,  // raw bytes
  kBool,  // "0"/"1" (SQLite INTEGER, PostgreSQL BOOLEAN)
};

struct Column {
  const char* name;
  ColumnType type;
};

struct Table {
  std::string name;
  std::vector<Column> columns;
  std::string order_by;  // the primary key, so reads are deterministic
};

// SnapshotTables() with their columns, in restore order (parents before children).
const std::vector<Table>& Tables();

// "col1, col2, ..." of `table`, in column order.
std::string ColumnList(const Table& table);

// One row: one value per column, as ColumnType says.
using Row = std::vector<std::string>;
using RowBatch = std::vector<Row>;

// "%.17g".
std::string FormatReal(double v);

// ---- SQLite side (sqlite/sqlite_backup.cc)

// Writes a new snapshot file: schema migrations 1..schema_version, then rows table by table.
class SnapshotFileWriter {
 public:
  virtual ~SnapshotFileWriter() = default;
  virtual Status Insert(const Table& table, const RowBatch& rows) = 0;
  // Commits, switches the file to rollback-journal mode and closes it.
  virtual Status Finish() = 0;
};
// kAlreadyExists when `path` exists.
Result<std::unique_ptr<SnapshotFileWriter>> CreateSnapshotFile(const std::string& path,
                                                               int schema_version);

// Calls `fn` with the rows of `table` in order, `batch` rows at a time, from a snapshot file
// opened read-only.
Status ReadSnapshotRows(const std::string& path, const Table& table, int batch,
                        const std::function<Status(const RowBatch&)>& fn);

// VACUUM INTO from DATA_DIR/citygrid.db.
Result<SnapshotInfo> WriteSqliteSnapshot(const std::string& data_dir, const std::string& out_path);
Result<std::vector<TableCount>> CountSqliteRows(const std::string& data_dir);

// ---- PostgreSQL side (postgres/postgres_backup.cc)

Result<SnapshotInfo> WritePostgresSnapshot(const std::string& db_url, const std::string& out_path);
Result<std::vector<TableCount>> CountPostgresRows(const std::string& db_url);

}  // namespace citygrid::storage::snapshot
