#include "ledger_rules.h"

#include <cmath>

namespace citygrid::service::ledger_rules {

bool Manages(const Actor& actor, const LedgerDefinition& d) {
  return actor.role == Role::kAdmin || (!actor.unit.empty() && actor.unit == d.owner_unit);
}

bool ReadsAllRows(const Actor& actor, const LedgerDefinition& d) {
  switch (actor.role) {
    case Role::kAdmin:
    case Role::kLeader:
    case Role::kOperator:
    case Role::kDispatcher:
    case Role::kInspector:
    case Role::kSystem:
      return true;
    case Role::kHandler:
      return Manages(actor, d);
  }
  return false;
}

bool MayView(const Actor& actor, const LedgerDefinition& d, const LedgerRow& row) {
  return ReadsAllRows(actor, d) || (!actor.unit.empty() && actor.unit == row.unit);
}

bool MayUpdate(const Actor& actor, const LedgerDefinition& d, const LedgerRow& row) {
  return Manages(actor, d) || (!actor.unit.empty() && actor.unit == row.unit);
}

Status DenyUnlessManages(const Actor& actor, const LedgerDefinition& d, std::string_view what) {
  if (Manages(actor, d)) return OkStatus();
  return PermissionDeniedError("'" + actor.user + "' (" + std::string(Name(actor.role)) +
                               (actor.unit.empty() ? "" : ", unit " + actor.unit) +
                               ") may not " + std::string(what) + " ledger " + d.id +
                               ": only its owner unit " + d.owner_unit + " or an admin may");
}

std::string ResolveUnit(const ReferenceData& ref, std::string_view text) {
  if (text.empty()) return "";
  if (const Unit* u = ref.FindUnit(text)) return u->code;
  for (const Unit& u : ref.units) {
    if (u.name == text) return u.code;
  }
  return "";
}

std::string ResolveSubdistrict(const ReferenceData& ref, std::string_view text) {
  if (text.empty()) return "";
  if (ref.geography) {
    for (const auto& s : ref.geography->subdistricts) {
      if (s.code == text || s.name == text) return s.code;
    }
    return "";
  }
  bool digits = text.size() == 9;
  for (char c : text) digits = digits && c >= '0' && c <= '9';
  return digits ? std::string(text) : "";
}

std::string SubdistrictName(const ReferenceData& ref, const std::string& code) {
  if (ref.geography) {
    for (const auto& s : ref.geography->subdistricts) {
      if (s.code == code) return s.name;
    }
  }
  return code;
}

LedgerReason NotABatch(const LedgerDefinition& d, const std::string& batch) {
  if (d.batches.empty()) return {"no_batches", {batch}};
  std::string all;
  for (const auto& b : d.batches) all += (all.empty() ? "" : ", ") + b.name;
  return {"not_a_batch", {batch, all}};
}

void CheckFixedFields(const ReferenceData& ref, const LedgerDefinition& d, LedgerRow& row,
                      std::vector<LedgerValueError>& errors) {
  if (row.title.size() > 300) errors.push_back({"title", row.title, {"too_long", {"300"}}});
  if (row.unit.empty()) {
    errors.push_back({"unit", "", {"unit_required", {}}});
  } else {
    std::string code = ResolveUnit(ref, row.unit);
    if (code.empty()) {
      errors.push_back({"unit", row.unit, {"unknown_unit", {row.unit}}});
    } else {
      row.unit = code;
    }
  }
  if (!row.subdistrict.empty()) {
    std::string code = ResolveSubdistrict(ref, row.subdistrict);
    if (code.empty()) {
      errors.push_back({"subdistrict", row.subdistrict, {"unknown_subdistrict", {row.subdistrict}}});
    } else {
      row.subdistrict = code;
    }
  } else if (const Unit* u = ref.FindUnit(row.unit); u != nullptr && !u->subdistrict.empty()) {
    row.subdistrict = u->subdistrict;
  }
  if (!row.batch.empty() && d.FindBatch(row.batch) == nullptr) {
    errors.push_back({"batch", row.batch, NotABatch(d, row.batch)});
  }
  if (!std::isfinite(row.progress) || row.progress < 0 || row.progress > 100) {
    errors.push_back({"progress", std::to_string(row.progress), {"progress_range", {}}});
  }
}

void SettleState(LedgerRow& row, const LedgerRow* before, bool state_given, Timestamp now) {
  if (!state_given) {
    if (row.progress >= 100) {
      if (row.state != LedgerRowState::kAccepted) row.state = LedgerRowState::kDone;
    } else if (row.progress > 0) {
      row.state = LedgerRowState::kInProgress;
    }
  }
  const bool complete =
      row.state == LedgerRowState::kDone || row.state == LedgerRowState::kAccepted;
  if (complete) {
    row.progress = 100;
    const bool was_complete = before != nullptr && (before->state == LedgerRowState::kDone ||
                                                     before->state == LedgerRowState::kAccepted);
    if (!was_complete || !row.completed_at) row.completed_at = now;
  } else {
    row.completed_at.reset();
  }
}

}  // namespace citygrid::service::ledger_rules
