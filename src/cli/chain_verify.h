#pragma once

// What `citygrid check` verifies, for `check` and `restore` alike: every case's audit hash chain
// (storage/chain_check.h) and every ledger row's (台账) progress chain.

#include <cstdint>
#include <string>

#include "citygrid/common/status.h"
#include "citygrid/storage/store.h"

namespace citygrid::cli {

struct StoreChainSummary {
  int64_t cases = 0;
  int64_t events = 0;
  size_t ledgers = 0;
  int64_t ledger_rows = 0;
  int64_t ledger_events = 0;
  // "" when every chain verifies; else the first broken link, e.g.
  // "after 120 events: case 20200412-000001 ..." or "in ledger L: ...".
  std::string broken;
  bool ok() const { return broken.empty(); }
};

// Errors are only those of reading the store; a broken chain is in the summary.
Result<StoreChainSummary> VerifyAllChains(storage::Store& store);

}  // namespace citygrid::cli
