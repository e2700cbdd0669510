#include "cli/chain_verify.h"

#include "citygrid/storage/chain_check.h"
#include "citygrid/storage/ledger_store.h"

namespace citygrid::cli {

Result<StoreChainSummary> VerifyAllChains(storage::Store& store) {
  StoreChainSummary out;
  CITYGRID_ASSIGN_OR_RETURN(storage::ChainReport report, storage::VerifyStoreChains(store.cases()));
  out.cases = report.cases;
  out.events = report.events;
  if (!report.ok()) {
    out.broken = "after " + std::to_string(report.events) +
                 " events: " + report.broken->ToString();
    return out;
  }
  // Ledgers: one definition document (kind "ledger") per ledger, its rows' chains in the store.
  CITYGRID_ASSIGN_OR_RETURN(std::vector<storage::Document> ledgers,
                            store.documents().List("ledger"));
  out.ledgers = ledgers.size();
  for (const storage::Document& ledger : ledgers) {
    auto events = store.ledgers().LoadLedgerEvents(ledger.key);
    auto rows = store.ledgers().ListRows(ledger.key);
    if (!events.ok() || !rows.ok()) {
      return (events.ok() ? rows.status() : events.status()).WithContext("ledger " + ledger.key);
    }
    storage::LedgerChainReport chain = storage::VerifyLedgerChains(*events, &*rows);
    if (!chain.ok()) {
      out.broken = "in ledger " + ledger.key + ": " + chain.first_break->ToString();
      return out;
    }
    out.ledger_rows += static_cast<int64_t>(rows->size());
    out.ledger_events += chain.events_checked;
  }
  return out;
}

}  // namespace citygrid::cli
