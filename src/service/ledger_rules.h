#pragma once

// Private helpers shared by the LedgerService sources (src/service/ledger_*.cc): who may do
// what, and the checks that turn a requested row into a valid stored one.

#include <string>
#include <string_view>
#include <vector>

#include "citygrid/domain/ledger.h"
#include "citygrid/service/ledger_service.h"
#include "citygrid/service/reference_data.h"

namespace citygrid::service::ledger_rules {

// Roles that read every row of every ledger.
bool ReadsAllRows(const Actor& actor, const LedgerDefinition& d);
// Owner unit or admin: edits the definition, adds rows, imports, accepts.
bool Manages(const Actor& actor, const LedgerDefinition& d);
bool MayView(const Actor& actor, const LedgerDefinition& d, const LedgerRow& row);
// Progress updates: Manages, or the row's responsible unit.
bool MayUpdate(const Actor& actor, const LedgerDefinition& d, const LedgerRow& row);

// kPermissionDenied "'user' (role, unit U) may not <what> ledger <id>: only its owner unit
// <owner> or an admin may".
Status DenyUnlessManages(const Actor& actor, const LedgerDefinition& d, std::string_view what);

// A unit given by code or by name → its code; "" when unknown.
std::string ResolveUnit(const ReferenceData& ref, std::string_view text);
// A sub-district by 9-digit code or by name → its code; "" when unknown. Without a loaded
// geography any 9-digit code is accepted.
std::string ResolveSubdistrict(const ReferenceData& ref, std::string_view text);
std::string SubdistrictName(const ReferenceData& ref, const std::string& code);

// Why `batch` is not a batch of `d` (not_a_batch naming d's batches, or no_batches).
LedgerReason NotABatch(const LedgerDefinition& d, const std::string& batch);

// Checks and completes the fixed fields of `row` (unit known; sub-district known or taken
// from a street office unit; batch known; progress 0..100 and consistent with the state),
// appending problems to `errors` (column = "unit", "subdistrict", "batch", "progress", ...).
void CheckFixedFields(const ReferenceData& ref, const LedgerDefinition& d, LedgerRow& row,
                      std::vector<LedgerValueError>& errors);

// Applies the state/progress rules: progress 100 without a state → 已完成; 已完成/已验收 →
// progress 100; a state other than 未开始 with progress 0 stays; completed_at set on reaching
// 已完成 (kept through 已验收), cleared when leaving them.
void SettleState(LedgerRow& row, const LedgerRow* before, bool state_given, Timestamp now);

}  // namespace citygrid::service::ledger_rules
