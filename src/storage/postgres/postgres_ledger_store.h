#pragma once

// LedgerStore on PostgreSQL: tables ledger_rows and ledger_events (schema migration 3), private
// to src/storage/postgres. A Write is one transaction on a pooled connection: rows are claimed
// with INSERT ... ON CONFLICT DO NOTHING (new rows) or UPDATE ... WHERE version = expected
// (existing ones), which PostgreSQL re-checks after waiting for a concurrent writer of the same
// row, so of two writers with one expected version exactly one wins (kAborted for the other).
// Thread safety: every method may be called concurrently.

#include "citygrid/storage/ledger_store.h"
#include "pg_pool.h"

namespace citygrid::storage::postgres {

class PostgresLedgerStore final : public LedgerStore {
 public:
  explicit PostgresLedgerStore(PgPool& pool) : pool_(pool) {}

  Result<std::vector<LedgerEvent>> Write(const std::string& ledger_id,
                                         std::vector<LedgerRowWrite> writes) override;
  Result<LedgerRow> LoadRow(const std::string& ledger_id, const std::string& row_key) override;
  Result<std::vector<LedgerRow>> ListRows(const std::string& ledger_id) override;
  Result<std::vector<LedgerEvent>> LoadRowHistory(const std::string& ledger_id,
                                                  const std::string& row_key) override;
  Result<std::vector<LedgerEvent>> LoadLedgerEvents(const std::string& ledger_id) override;

 private:
  PgPool& pool_;
};

}  // namespace citygrid::storage::postgres
