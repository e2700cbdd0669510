#pragma once

// LedgerStore on SQLite: tables ledger_rows and ledger_events (schema migration 3). A Write is
// one function of the database's group commit, inside its own savepoint: all rows or none.

#include "citygrid/storage/ledger_store.h"
#include "src/storage/sqlite/sqlite_database.h"

namespace citygrid::storage::sqlite {

class SqliteLedgerStore final : public LedgerStore {
 public:
  explicit SqliteLedgerStore(SqliteDatabase& db) : db_(db) {}

  Result<std::vector<LedgerEvent>> Write(const std::string& ledger_id,
                                         std::vector<LedgerRowWrite> writes) override;
  Result<LedgerRow> LoadRow(const std::string& ledger_id, const std::string& row_key) override;
  Result<std::vector<LedgerRow>> ListRows(const std::string& ledger_id) override;
  Result<std::vector<LedgerEvent>> LoadRowHistory(const std::string& ledger_id,
                                                  const std::string& row_key) override;
  Result<std::vector<LedgerEvent>> LoadLedgerEvents(const std::string& ledger_id) override;

 private:
  SqliteDatabase& db_;
};

}  // namespace citygrid::storage::sqlite
