#include "citygrid/storage/store.h"

#include "citygrid/storage/postgres_store.h"
#include "citygrid/storage/sqlite_store.h"

namespace citygrid::storage {

void CaseStore::CreateCaseAsync(NewCase new_case, std::vector<CounterDelta> counters,
                                CreateDone done) {
  done(CreateCase(new_case, counters));
}

Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options) {
  if (!options.db_url.empty()) {
    if (options.db_url.starts_with("postgresql://") || options.db_url.starts_with("postgres://")) {
      return OpenPostgresStore(options);
    }
    return InvalidArgumentError("unsupported database URL '" + options.db_url +
                                "': expected postgresql://...");
  }
  if (options.data_dir.empty()) {
    return InvalidArgumentError("no data directory (--data DIR) or database URL (--db URL)");
  }
  SqliteStoreOptions sqlite;
  sqlite.data_dir = options.data_dir;
  return OpenSqliteStore(sqlite);
}

}  // namespace citygrid::storage
