#pragma once

// `citygrid check`: proves that no stored case history was rewritten.

#include <cstdint>
#include <optional>

#include "citygrid/common/status.h"
#include "citygrid/storage/audit_chain.h"
#include "citygrid/storage/store.h"

namespace citygrid::storage {

struct ChainReport {
  int64_t cases = 0;   // current-state rows checked
  int64_t events = 0;  // events checked
  std::optional<BrokenLink> broken;  // the first broken link, with its case number
  bool ok() const { return !broken.has_value(); }
};

// Verifies every case's audit chain (audit_chain.h): reads the whole event log in commit order
// through a ChainVerifier, then checks every current-state row against the end of its chain
// (its version must be the last event's version, and every chain must have a row), which also
// catches a removed or rewritten last event. Errors are only those of reading the store; a
// broken chain is a report, not an error.
Result<ChainReport> VerifyStoreChains(CaseStore& cases);

}  // namespace citygrid::storage
