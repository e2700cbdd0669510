#include "citygrid/storage/backup.h"

#include <cstdio>

#include "src/storage/snapshot_io.h"

namespace citygrid::storage {
namespace {

bool IsPostgresUrl(const std::string& url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

}  // namespace

namespace snapshot {

std::string ColumnList(const Table& table) {
  std::string out;
  for (const Column& c : table.columns) {
    if (!out.empty()) out += ", ";
    out += c.name;
  }
  return out;
}

const std::vector<Table>& Tables() {
  using T = ColumnType;
  static const std::vector<Table> tables = {
      {"cases",
       {{"id", T::kInt},           {"number", T::kText},       {"version", T::kInt},
        {"state", T::kText},       {"channel", T::kText},      {"category", T::kText},
        {"unit", T::kText},        {"district", T::kText},     {"subdistrict", T::kText},
        {"community", T::kText},   {"grid", T::kText},         {"lon", T::kReal},
        {"lat", T::kReal},         {"description", T::kText},  {"address", T::kText},
        {"created_at", T::kInt},   {"updated_at", T::kInt},    {"deadline_key", T::kInt},
        {"overdue", T::kBool},     {"idempotency_key", T::kText}, {"body", T::kBlob}},
       "id"},
      {"events",
       {{"global_seq", T::kInt}, {"case_id", T::kInt},     {"version", T::kInt},
        {"type", T::kText},      {"action", T::kText},     {"actor_user", T::kText},
        {"actor_role", T::kText}, {"actor_unit", T::kText}, {"at", T::kInt},
        {"note", T::kText},      {"photos", T::kBlob},     {"payload_json", T::kText},
        {"prev_hash", T::kText}, {"hash", T::kText}},
       "global_seq"},
      {"idempotency_keys",
       {{"key", T::kText}, {"fingerprint", T::kText}, {"case_id", T::kInt}},
       "key"},
      {"case_number_days", {{"day", T::kText}, {"last_seq", T::kInt}}, "day"},
      {"counters", {{"key", T::kText}, {"value", T::kInt}}, "key"},
      {"documents",
       {{"kind", T::kText}, {"key", T::kText}, {"json", T::kText}, {"version", T::kInt}},
       "kind, key"},
      {"ledger_rows",
       {{"ledger_id", T::kText}, {"row_key", T::kText}, {"version", T::kInt}, {"body", T::kText}},
       "ledger_id, row_key"},
      {"ledger_events",
       {{"seq", T::kInt},         {"ledger_id", T::kText},  {"row_key", T::kText},
        {"version", T::kInt},     {"type", T::kText},       {"actor_user", T::kText},
        {"actor_role", T::kText}, {"actor_unit", T::kText}, {"at", T::kInt},
        {"note", T::kText},       {"photos", T::kText},     {"payload_json", T::kText},
        {"prev_hash", T::kText},  {"hash", T::kText}},
       "seq"},
  };
  return tables;
}

std::string FormatReal(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace snapshot

const std::vector<std::string>& SnapshotTables() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const snapshot::Table& t : snapshot::Tables()) out.push_back(t.name);
    return out;
  }();
  return names;
}

Result<SnapshotInfo> WriteSnapshot(const StoreOptions& source, const std::string& out_path) {
  if (!source.db_url.empty()) {
    if (!IsPostgresUrl(source.db_url)) {
      return InvalidArgumentError("unsupported database URL '" + source.db_url +
                                  "': expected postgresql://...");
    }
    return snapshot::WritePostgresSnapshot(source.db_url, out_path);
  }
  if (source.data_dir.empty()) {
    return InvalidArgumentError("no data directory (--data DIR) or database URL (--db URL)");
  }
  return snapshot::WriteSqliteSnapshot(source.data_dir, out_path);
}

Result<std::vector<TableCount>> CountTargetRows(const StoreOptions& target) {
  if (!target.db_url.empty()) {
    if (!IsPostgresUrl(target.db_url)) {
      return InvalidArgumentError("unsupported database URL '" + target.db_url +
                                  "': expected postgresql://...");
    }
    return snapshot::CountPostgresRows(target.db_url);
  }
  return snapshot::CountSqliteRows(target.data_dir);
}

}  // namespace citygrid::storage
