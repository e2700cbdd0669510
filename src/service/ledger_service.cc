#include "citygrid/service/ledger_service.h"

#include <algorithm>
#include <set>

#include "citygrid/common/image_type.h"
#include "ledger_rules.h"

namespace citygrid::service {
namespace {

using namespace ledger_rules;
using std::chrono::year_month_day;

constexpr std::string_view kDocumentKind = "ledger";
constexpr std::string_view kGroupByNames[] = {"state", "batch", "subdistrict", "unit", "type"};

Status ValueErrorsToStatus(const std::vector<LedgerValueError>& errors, const LedgerDefinition& d) {
  if (errors.empty()) return OkStatus();
  const LedgerValueError& e = errors.front();
  std::string column = e.column;
  if (const LedgerColumn* c = d.FindColumn(e.column)) column = c->key + " (" + c->name + ")";
  std::string message = "field '" + column + "'";
  if (!e.value.empty()) message += " value '" + e.value + "'";
  message += ": " + e.reason.Text();
  if (errors.size() > 1) message += " (and " + std::to_string(errors.size() - 1) + " more)";
  return InvalidArgumentError(message).WithDetail({e.column, e.reason.code, e.reason.args});
}

std::string NextRowKey(const std::vector<LedgerRow>& rows) {
  int64_t max = 0;
  for (const LedgerRow& r : rows) {
    if (r.key.size() < 2 || r.key[0] != 'R') continue;
    int64_t n = 0;
    bool digits = true;
    for (size_t i = 1; i < r.key.size() && digits; ++i) {
      digits = r.key[i] >= '0' && r.key[i] <= '9';
      n = n * 10 + (r.key[i] - '0');
    }
    if (digits && n > max) max = n;
  }
  std::string n = std::to_string(max + 1);
  return "R" + std::string(n.size() < 4 ? 4 - n.size() : 0, '0') + n;
}

bool IsKeyText(std::string_view key) {
  if (key.empty() || key.size() > 64) return false;
  for (char c : key) {
    if (c == '/' || c == '?' || c == '#' || c == '%' || static_cast<unsigned char>(c) < 0x20) {
      return false;
    }
  }
  return true;
}

Status CheckPhotos(storage::MediaStore& media, const std::vector<std::string>& photos,
                   size_t max) {
  if (photos.size() > max) {
    return InvalidArgumentError("at most " + std::to_string(max) + " photos, got " +
                                std::to_string(photos.size()));
  }
  for (const std::string& p : photos) {
    Result<std::string> got = media.Get(p);
    if (!got.ok()) {
      return InvalidArgumentError("photo '" + p.substr(0, 80) +
                                  "' is not a stored media hash: upload it first");
    }
  }
  return OkStatus();
}

LedgerEvent MakeEvent(LedgerEventType type, const Actor& actor, Timestamp at, std::string note,
                      std::vector<std::string> photos, std::string payload) {
  LedgerEvent e;
  e.type = type;
  e.actor = actor;
  e.at = at;
  e.note = std::move(note);
  e.photos = std::move(photos);
  e.payload_json = std::move(payload);
  return e;
}

// Checks campaign categories and sub-districts against the reference data.
Status CheckCampaign(const ReferenceData& ref, const LedgerDefinition& d) {
  if (!d.campaign) return OkStatus();
  for (const std::string& code : d.campaign->categories) {
    if (ref.categories->Find(code) == nullptr) {
      return InvalidArgumentError("campaign.categories: unknown category '" + code + "'");
    }
  }
  for (const std::string& code : d.campaign->subdistricts) {
    if (ResolveSubdistrict(ref, code) != code) {
      return InvalidArgumentError("campaign.subdistricts: unknown sub-district '" + code + "'");
    }
  }
  return OkStatus();
}

// Row `key` of ledger `d` (id `id`) as `actor` may see it: kNotFound naming the row when it is
// missing or hidden from the actor (so row keys of other units do not leak), other errors as is.
Result<LedgerRow> LoadVisibleRow(storage::Store& store, const Actor& actor,
                                 const LedgerDefinition& d, const std::string& id,
                                 const std::string& key) {
  Result<LedgerRow> row = store.ledgers().LoadRow(id, key);
  if (!row.ok() || !MayView(actor, d, *row)) {
    if (row.ok() || row.status().code() == StatusCode::kNotFound) {
      return NotFoundError("ledger '" + id + "' has no row '" + key + "'");
    }
    return row.status();
  }
  return row;
}

}  // namespace

std::string_view Name(LedgerGroupBy g) { return kGroupByNames[static_cast<int>(g)]; }

Result<LedgerGroupBy> ParseLedgerGroupBy(std::string_view name) {
  for (size_t i = 0; i < std::size(kGroupByNames); ++i) {
    if (kGroupByNames[i] == name) return static_cast<LedgerGroupBy>(i);
  }
  return InvalidArgumentError("group_by '" + std::string(name) +
                              "' is not one of state, batch, subdistrict, unit, type");
}

LedgerService::LedgerService(storage::Store& store, ReferenceDataService& reference,
                             const Clock& clock, LedgerServiceOptions options)
    : store_(store), reference_(reference), clock_(clock), options_(options) {}

Result<LedgerDefinition> LedgerService::Load(const std::string& id) {
  Result<storage::Document> doc = store_.documents().Get(std::string(kDocumentKind), id);
  if (!doc.ok()) {
    if (doc.status().code() == StatusCode::kNotFound) return NotFoundError("ledger '" + id + "' not found");
    return doc.status();
  }
  Result<LedgerDefinition> d = DecodeLedgerDefinition(doc->json);
  if (!d.ok()) return InternalError("stored ledger '" + id + "': " + d.status().message());
  d->version = doc->version;
  return d;
}

LedgerRowView LedgerService::View(const LedgerDefinition& d, LedgerRow row) const {
  LedgerRowView v;
  Timestamp now = clock_.Now();
  v.effective_deadline = EffectiveDeadline(d, row);
  v.behind = IsBehind(d, row, now);
  v.overdue = IsOverdue(d, row, now);
  v.row = std::move(row);
  return v;
}

Result<std::vector<LedgerRowView>> LedgerService::VisibleRows(const Actor& actor,
                                                              const LedgerDefinition& d) {
  CITYGRID_ASSIGN_OR_RETURN(std::vector<LedgerRow> rows, store_.ledgers().ListRows(d.id));
  std::vector<LedgerRowView> out;
  out.reserve(rows.size());
  for (LedgerRow& r : rows) {
    if (MayView(actor, d, r)) out.push_back(View(d, std::move(r)));
  }
  return out;
}

// ---------------------------------------------------------------- definitions

Result<LedgerDefinition> LedgerService::CreateLedger(const Actor& actor, LedgerDefinition d) {
  if (actor.role != Role::kAdmin && (actor.unit.empty() || actor.unit != d.owner_unit)) {
    return LedgerDefinitionError(StatusCode::kPermissionDenied, "owner_unit",
                                 LedgerReason{"may_not_own", {actor.user, d.owner_unit}});
  }
  for (LedgerColumn& c : d.columns) c.since_version = 1;
  d.version = 1;
  d.created_at = d.updated_at = clock_.Now();
  CITYGRID_RETURN_IF_ERROR(ValidateDefinition(d));
  std::shared_ptr<const ReferenceData> ref = reference_.Get();
  if (ref->FindUnit(d.owner_unit) == nullptr) {
    return LedgerDefinitionError(StatusCode::kInvalidArgument, "owner_unit",
                                 LedgerReason{"unknown_owner_unit", {d.owner_unit}});
  }
  CITYGRID_RETURN_IF_ERROR(CheckCampaign(*ref, d));
  Result<storage::Document> put = store_.documents().Put(
      std::string(kDocumentKind), d.id, EncodeLedgerDefinition(d), /*expected_version=*/0);
  if (!put.ok()) {
    if (put.status().code() == StatusCode::kAlreadyExists) {
      return LedgerDefinitionError(StatusCode::kAlreadyExists, "id",
                                   LedgerReason{"ledger_exists", {d.id}});
    }
    return put.status();
  }
  d.version = put->version;
  return d;
}

Result<LedgerDefinition> LedgerService::UpdateLedger(const Actor& actor, const std::string& id,
                                                     int64_t expected_version,
                                                     LedgerDefinition next) {
  CITYGRID_ASSIGN_OR_RETURN(LedgerDefinition current, Load(id));
  CITYGRID_RETURN_IF_ERROR(DenyUnlessManages(actor, current, "edit the definition of"));
  if (expected_version != current.version) {
    return AbortedError("ledger '" + id + "' is at version " + std::to_string(current.version) +
                        ", not " + std::to_string(expected_version) +
                        ": someone else changed it first");
  }
  next.id = id;
  for (LedgerColumn& c : next.columns) {
    const LedgerColumn* old = current.FindColumn(c.key);
    c.since_version = old != nullptr ? old->since_version : current.version + 1;
  }
  next.version = current.version + 1;
  next.created_at = current.created_at;
  next.updated_at = clock_.Now();
  CITYGRID_RETURN_IF_ERROR(ValidateDefinition(next));
  CITYGRID_RETURN_IF_ERROR(ValidateDefinitionChange(current, next));
  std::shared_ptr<const ReferenceData> ref = reference_.Get();
  if (ref->FindUnit(next.owner_unit) == nullptr) {
    return LedgerDefinitionError(StatusCode::kInvalidArgument, "owner_unit",
                                 LedgerReason{"unknown_owner_unit", {next.owner_unit}});
  }
  CITYGRID_RETURN_IF_ERROR(CheckCampaign(*ref, next));
  // Values still in use must stay valid: choices, ranges, batches.
  CITYGRID_ASSIGN_OR_RETURN(std::vector<LedgerRow> rows, store_.ledgers().ListRows(id));
  for (const LedgerRow& row : rows) {
    for (const auto& [key, value] : row.values) {
      const LedgerColumn* c = next.FindColumn(key);
      if (c == nullptr) continue;
      LedgerReason why;
      Result<std::string> v = NormalizeLedgerValue(*c, value, &why);
      if (!v.ok()) {
        std::vector<std::string> args = {key, row.key, value, v.status().message(), why.code};
        args.insert(args.end(), why.args.begin(), why.args.end());
        return LedgerDefinitionError(StatusCode::kFailedPrecondition, LedgerColumnField(next, key),
                                     LedgerReason{"value_in_use", std::move(args)});
      }
    }
    if (!row.batch.empty() && next.FindBatch(row.batch) == nullptr) {
      return LedgerDefinitionError(StatusCode::kFailedPrecondition, "batches",
                                   LedgerReason{"batch_in_use", {row.batch, row.key}});
    }
  }
  CITYGRID_ASSIGN_OR_RETURN(storage::Document put,
                            store_.documents().Put(std::string(kDocumentKind), id,
                                                   EncodeLedgerDefinition(next), expected_version));
  next.version = put.version;
  return next;
}

Result<LedgerDefinition> LedgerService::GetLedger(const Actor&, const std::string& id) {
  return Load(id);
}

Result<std::vector<LedgerDefinition>> LedgerService::ListLedgers(const Actor&) {
  CITYGRID_ASSIGN_OR_RETURN(std::vector<storage::Document> docs,
                            store_.documents().List(std::string(kDocumentKind)));
  std::vector<LedgerDefinition> out;
  for (const storage::Document& doc : docs) {
    Result<LedgerDefinition> d = DecodeLedgerDefinition(doc.json);
    if (!d.ok()) return InternalError("stored ledger '" + doc.key + "': " + d.status().message());
    d->version = doc.version;
    out.push_back(std::move(*d));
  }
  return out;
}

// ---------------------------------------------------------------- rows

Result<std::vector<LedgerRowView>> LedgerService::ListRows(const Actor& actor,
                                                           const std::string& id,
                                                           const LedgerRowFilter& f) {
  CITYGRID_ASSIGN_OR_RETURN(LedgerDefinition d, Load(id));
  CITYGRID_ASSIGN_OR_RETURN(std::vector<LedgerRowView> rows, VisibleRows(actor, d));
  std::vector<LedgerRowView> out;
  for (LedgerRowView& v : rows) {
    const LedgerRow& r = v.row;
    if (!f.unit.empty() && r.unit != f.unit) continue;
    if (!f.batch.empty() && r.batch != f.batch) continue;
    if (!f.subdistrict.empty() && r.subdistrict != f.subdistrict) continue;
    if (f.state && r.state != *f.state) continue;
    if (f.behind && v.behind != *f.behind) continue;
    if (!f.text.empty() && r.key.find(f.text) == std::string::npos &&
        r.title.find(f.text) == std::string::npos) {
      continue;
    }
    out.push_back(std::move(v));
  }
  return out;
}

Result<LedgerRowView> LedgerService::GetRow(const Actor& actor, const std::string& id,
                                            const std::string& key) {
  CITYGRID_ASSIGN_OR_RETURN(LedgerDefinition d, Load(id));
  Result<LedgerRow> row = LoadVisibleRow(store_, actor, d, id, key);
  if (!row.ok()) return row.status();
  return View(d, std::move(*row));
}

Result<LedgerRowView> LedgerService::AddRow(const Actor& actor, const std::string& id,
                                            NewLedgerRow in) {
  CITYGRID_ASSIGN_OR_RETURN(LedgerDefinition d, Load(id));
  CITYGRID_RETURN_IF_ERROR(DenyUnlessManages(actor, d, "add rows to"));
  if (in.note.size() > options_.max_note_bytes) {
    return InvalidArgumentError("note is longer than " + std::to_string(options_.max_note_bytes) + " bytes");
  }
  CITYGRID_RETURN_IF_ERROR(CheckPhotos(store_.media(), in.photos, options_.max_photos));
  CITYGRID_ASSIGN_OR_RETURN(std::vector<LedgerRow> existing, store_.ledgers().ListRows(id));
  if (existing.size() >= options_.max_rows) {
    return ResourceExhaustedError("ledger '" + id + "' already has " +
                                  std::to_string(existing.size()) + " rows (the limit)");
  }
  const Timestamp now = clock_.Now();
  LedgerRow row;
  row.ledger_id = id;
  row.key = in.key.empty() ? NextRowKey(existing) : in.key;
  if (!IsKeyText(row.key)) {
    return InvalidArgumentError("row key '" + row.key +
                                "' must be 1-64 characters without / ? # % or control characters");
  }
  row.version = 1;
  row.title = in.title;
  row.unit = in.unit;
  row.subdistrict = in.subdistrict;
  row.batch = in.batch;
  row.deadline = in.deadline;
  row.state = in.state;
  row.progress = in.progress;
  row.values = std::move(in.values);
  row.created_at = row.updated_at = now;
  row.definition_version = d.version;
  std::vector<LedgerValueError> errors = ValidateRowValues(d, row.values, d.version);
  CheckFixedFields(*reference_.Get(), d, row, errors);
  CITYGRID_RETURN_IF_ERROR(ValueErrorsToStatus(errors, d));
  if (row.state == LedgerRowState::kAccepted) {
    return FailedPreconditionError("a new row cannot start as 已验收 (accepted)");
  }
  SettleState(row, nullptr, /*state_given=*/row.state != LedgerRowState::kNotStarted, now);
  storage::LedgerRowWrite w;
  w.next = row;
  w.expected_version = 0;
  w.events = {MakeEvent(LedgerEventType::kCreated, actor, now, in.note, in.photos,
                        LedgerChangePayload(nullptr, row))};
  Result<std::vector<LedgerEvent>> stored = store_.ledgers().Write(id, {std::move(w)});
  if (!stored.ok()) {
    if (stored.status().code() == StatusCode::kAlreadyExists) {
      return AlreadyExistsError("ledger '" + id + "' already has a row '" + row.key + "'");
    }
    return stored.status();
  }
  return View(d, std::move(row));
}

Result<LedgerRowView> LedgerService::UpdateRow(const Actor& actor, const std::string& id,
                                               const std::string& key,
                                               const LedgerRowUpdate& u) {
  CITYGRID_ASSIGN_OR_RETURN(LedgerDefinition d, Load(id));
  Result<LedgerRow> loaded = LoadVisibleRow(store_, actor, d, id, key);
  if (!loaded.ok()) return loaded.status();
  const LedgerRow before = std::move(*loaded);
  if (!MayUpdate(actor, d, before)) {
    return PermissionDeniedError("'" + actor.user + "' (" + std::string(Name(actor.role)) +
                                 ") may not update row " + key + " of ledger " + id +
                                 ": only its responsible unit " + before.unit +
                                 ", the owner unit " + d.owner_unit + " or an admin may");
  }
  const bool edits_fixed = u.title || u.unit || u.subdistrict || u.batch || u.deadline;
  if (edits_fixed) CITYGRID_RETURN_IF_ERROR(DenyUnlessManages(actor, d, "change the fixed fields of rows of"));
  if (u.state == LedgerRowState::kAccepted && before.state != LedgerRowState::kAccepted) {
    CITYGRID_RETURN_IF_ERROR(DenyUnlessManages(actor, d, "accept (验收) rows of"));
    if (before.state != LedgerRowState::kDone) {
      return FailedPreconditionError("row " + key + " is '" + std::string(ChineseName(before.state)) +
                                     "', not '已完成': only finished work can be accepted");
    }
  }
  if (before.state == LedgerRowState::kAccepted && u.state && *u.state != LedgerRowState::kAccepted) {
    CITYGRID_RETURN_IF_ERROR(DenyUnlessManages(actor, d, "reopen accepted rows of"));
  }
  if (u.note.size() > options_.max_note_bytes) {
    return InvalidArgumentError("note is longer than " + std::to_string(options_.max_note_bytes) + " bytes");
  }
  CITYGRID_RETURN_IF_ERROR(CheckPhotos(store_.media(), u.photos, options_.max_photos));
  if (u.expected_version != before.version) {
    return AbortedError("row " + key + " of ledger " + id + " is at version " +
                        std::to_string(before.version) + ", not " +
                        std::to_string(u.expected_version) + ": someone else changed it first");
  }
  const Timestamp now = clock_.Now();
  LedgerRow row = before;
  if (u.title) row.title = *u.title;
  if (u.unit) row.unit = *u.unit;
  if (u.subdistrict) row.subdistrict = *u.subdistrict;
  if (u.batch) row.batch = *u.batch;
  if (u.deadline) row.deadline = *u.deadline;
  if (u.state) row.state = *u.state;
  if (u.progress) row.progress = *u.progress;
  for (const auto& [k, v] : u.values) row.values[k] = v;
  // Required columns bind the rows created under a definition that had them.
  std::vector<LedgerValueError> errors =
      ValidateRowValues(d, row.values, std::max<int64_t>(row.definition_version, 1));
  CheckFixedFields(*reference_.Get(), d, row, errors);
  CITYGRID_RETURN_IF_ERROR(ValueErrorsToStatus(errors, d));
  SettleState(row, &before, u.state.has_value(), now);
  row.updated_at = before.updated_at;
  row.version = before.version;
  if (row == before && u.note.empty() && u.photos.empty()) {
    return FailedPreconditionError("the update changes nothing on row " + key);
  }
  row.updated_at = now;
  row.version = before.version + 1;
  LedgerEventType type = LedgerEventType::kProgress;
  if (row.state == LedgerRowState::kAccepted && before.state != LedgerRowState::kAccepted) {
    type = LedgerEventType::kAccepted;
  } else if (edits_fixed) {
    type = LedgerEventType::kEdited;
  }
  storage::LedgerRowWrite w;
  w.next = row;
  w.expected_version = before.version;
  w.events = {MakeEvent(type, actor, now, u.note, u.photos, LedgerChangePayload(&before, row))};
  CITYGRID_RETURN_IF_ERROR(store_.ledgers().Write(id, {std::move(w)}));
  return View(d, std::move(row));
}

Result<std::vector<std::string>> LedgerService::StorePhotos(const Actor& actor, const std::string& id,
                                                            const std::string& key,
                                                            const std::vector<std::string>& names,
                                                            const std::vector<std::string>& images) {
  CITYGRID_ASSIGN_OR_RETURN(LedgerDefinition d, Load(id));
  Result<LedgerRow> row = LoadVisibleRow(store_, actor, d, id, key);
  if (!row.ok()) return row.status();
  if (!MayUpdate(actor, d, *row)) {
    return PermissionDeniedError("'" + actor.user + "' (" + std::string(Name(actor.role)) +
                                 ") may not add photos to row " + key + " of ledger " + id +
                                 ": only its responsible unit " + row->unit +
                                 ", the owner unit " + d.owner_unit + " or an admin may");
  }
  if (images.empty()) return InvalidArgumentError("no photo in the request");
  if (images.size() > options_.max_photos) {
    return InvalidArgumentError("at most " + std::to_string(options_.max_photos) + " photos, got " +
                                std::to_string(images.size()));
  }
  for (size_t i = 0; i < images.size(); ++i) {
    if (SniffImageType(images[i]).empty()) {
      const std::string name = i < names.size() ? names[i] : "photo " + std::to_string(i + 1);
      return InvalidArgumentError("photo '" + name + "' is not a JPEG, PNG or WebP image");
    }
  }
  std::vector<std::string> hashes;
  for (const std::string& bytes : images) {
    CITYGRID_ASSIGN_OR_RETURN(std::string hash, store_.media().Put(bytes));
    hashes.push_back(std::move(hash));
  }
  return hashes;
}

Result<std::vector<LedgerEvent>> LedgerService::RowHistory(const Actor& actor,
                                                           const std::string& id,
                                                           const std::string& key) {
  CITYGRID_RETURN_IF_ERROR(GetRow(actor, id, key));
  return store_.ledgers().LoadRowHistory(id, key);
}

// ---------------------------------------------------------------- roll-ups

Result<LedgerSummary> LedgerService::Summarize(const Actor& actor, const std::string& id,
                                               LedgerGroupBy group_by) {
  CITYGRID_ASSIGN_OR_RETURN(LedgerDefinition d, Load(id));
  if (group_by == LedgerGroupBy::kType && d.type_column.empty()) {
    return InvalidArgumentError("ledger '" + id + "' has no type column to group by");
  }
  CITYGRID_ASSIGN_OR_RETURN(std::vector<LedgerRowView> rows, VisibleRows(actor, d));
  std::shared_ptr<const ReferenceData> ref = reference_.Get();
  LedgerSummary s;
  s.group_by = group_by;
  s.as_of = clock_.Now();
  s.total.key = "total";
  s.total.label = "合计";

  std::vector<const LedgerColumn*> summed;
  for (const LedgerColumn& c : d.columns) {
    if (c.type == LedgerColumnType::kNumber || c.type == LedgerColumnType::kPercent) summed.push_back(&c);
  }
  std::map<std::string, LedgerGroup> groups;
  std::vector<std::string> order;  // stable order of group keys
  auto group_of = [&](const std::string& key) -> LedgerGroup& {
    auto [it, inserted] = groups.try_emplace(key);
    if (inserted) {
      it->second.key = key;
      order.push_back(key);
    }
    return it->second;
  };
  // Pre-seed the groups whose order is defined by the ledger.
  if (group_by == LedgerGroupBy::kState) {
    for (int i = 0; i < kLedgerRowStateCount; ++i) {
      LedgerGroup& g = group_of(std::string(Name(static_cast<LedgerRowState>(i))));
      g.label = std::string(ChineseName(static_cast<LedgerRowState>(i)));
    }
  } else if (group_by == LedgerGroupBy::kBatch) {
    for (const LedgerBatch& b : d.batches) {
      LedgerGroup& g = group_of(b.name);
      g.label = b.name;
      g.deadline = b.deadline;
    }
  } else if (group_by == LedgerGroupBy::kType) {
    for (const std::string& choice : d.FindColumn(d.type_column)->choices) {
      group_of(choice).label = choice;
    }
  }
  auto add = [&](LedgerGroup& g, const LedgerRowView& v) {
    ++g.rows;
    ++g.by_state[static_cast<int>(v.row.state)];
    if (v.row.state == LedgerRowState::kDone || v.row.state == LedgerRowState::kAccepted) ++g.completed;
    if (v.behind) ++g.behind;
    if (v.overdue) ++g.overdue;
    g.progress_avg += v.row.progress;  // a sum until the end
    for (const LedgerColumn* c : summed) {
      auto it = v.row.values.find(c->key);
      if (it == v.row.values.end()) continue;
      g.sums[c->key] += std::strtod(it->second.c_str(), nullptr);
    }
  };
  std::map<std::string, int64_t> completed_by_day;
  for (const LedgerRowView& v : rows) {
    std::string key;
    switch (group_by) {
      case LedgerGroupBy::kState: key = std::string(Name(v.row.state)); break;
      case LedgerGroupBy::kBatch: key = v.row.batch; break;
      case LedgerGroupBy::kSubdistrict: key = v.row.subdistrict; break;
      case LedgerGroupBy::kUnit: key = v.row.unit; break;
      case LedgerGroupBy::kType: {
        auto it = v.row.values.find(d.type_column);
        key = it == v.row.values.end() ? "" : it->second;
        break;
      }
    }
    add(group_of(key), v);
    add(s.total, v);
    if (v.overdue) s.overdue_rows.push_back(v);
    if (v.row.completed_at) completed_by_day[FormatDate(ToCivil(*v.row.completed_at).date)]++;
  }
  for (const std::string& key : order) {
    LedgerGroup& g = groups[key];
    if (g.label.empty()) {
      switch (group_by) {
        case LedgerGroupBy::kSubdistrict:
          g.label = key.empty() ? "未指定街道" : SubdistrictName(*ref, key);
          break;
        case LedgerGroupBy::kUnit: {
          const Unit* u = ref->FindUnit(key);
          g.label = u != nullptr ? u->name : key;
          break;
        }
        case LedgerGroupBy::kBatch: g.label = key.empty() ? "未分批" : key; break;
        default: g.label = key.empty() ? "未填写" : key; break;
      }
    }
    if (g.rows > 0) g.progress_avg /= static_cast<double>(g.rows);
  }
  if (s.total.rows > 0) s.total.progress_avg /= static_cast<double>(s.total.rows);
  // Pre-seeded groups keep the ledger's order; the others follow by key.
  size_t seeded = group_by == LedgerGroupBy::kSubdistrict || group_by == LedgerGroupBy::kUnit
                      ? 0
                      : (group_by == LedgerGroupBy::kState ? kLedgerRowStateCount
                         : group_by == LedgerGroupBy::kBatch ? d.batches.size()
                                                             : d.FindColumn(d.type_column)->choices.size());
  std::sort(order.begin() + static_cast<std::ptrdiff_t>(std::min(seeded, order.size())), order.end());
  for (const std::string& key : order) s.groups.push_back(groups[key]);
  std::sort(s.overdue_rows.begin(), s.overdue_rows.end(),
            [](const LedgerRowView& a, const LedgerRowView& b) {
              auto da = std::chrono::sys_days(*a.effective_deadline);
              auto db = std::chrono::sys_days(*b.effective_deadline);
              return da != db ? da < db : a.row.key < b.row.key;
            });
  int64_t cumulative = 0;
  for (const auto& [day, n] : completed_by_day) {
    cumulative += n;
    s.curve.push_back({*ParseDate(day), n, cumulative});
  }
  return s;
}

// ---------------------------------------------------------------- campaigns

Result<CampaignReport> LedgerService::Campaign(const Actor& actor, const std::string& id) {
  CITYGRID_ASSIGN_OR_RETURN(LedgerDefinition d, Load(id));
  (void)actor;  // every role reads campaign figures (no case details leave the service)
  if (!d.campaign) return FailedPreconditionError("ledger '" + id + "' is not a campaign");
  const CampaignScope& scope = *d.campaign;
  const Timestamp now = clock_.Now();
  std::shared_ptr<const ReferenceData> ref = reference_.Get();

  struct Tally {
    double reported = 0, registered = 0, closed = 0, closed_on_time = 0, should_close = 0,
           overdue = 0, rework = 0;
    void Add(const Case& c, Timestamp now) {
      ++reported;
      if (c.registered_at) {
        ++registered;
        bool closed_now = c.state == CaseState::kClosed;
        bool due = closed_now || (c.handle_deadline && *c.handle_deadline <= now);
        if (due && c.state != CaseState::kCancelled && c.state != CaseState::kMerged) ++should_close;
        if (closed_now) {
          ++closed;
          if (!c.handle_overdue) ++closed_on_time;
        }
      }
      if (!IsTerminal(c.state) && (c.overdue || c.handle_overdue)) ++overdue;
      rework += c.rework_count;
    }
    std::vector<CampaignFigure> Figures() const {
      auto rate = [](double a, double b) { return b > 0 ? a / b : 0.0; };
      const double values[] = {reported, registered, closed, closed_on_time, should_close,
                               rate(closed, should_close), rate(closed_on_time, should_close),
                               overdue, rework};
      std::vector<CampaignFigure> out;
      const auto& names = CampaignFigureNames();
      for (size_t i = 0; i < names.size(); ++i) out.push_back({names[i], values[i], {}, false, {}});
      return out;
    }
  };
  Tally total;
  std::map<std::string, Tally> by_category, by_subdistrict;
  std::vector<std::string> subdistricts = scope.subdistricts;
  if (subdistricts.empty()) subdistricts.push_back("");
  for (const std::string& category : scope.categories) {
    by_category[category];
    for (const std::string& sd : subdistricts) {
      storage::CaseQuery q;
      q.category = category;
      q.subdistrict = sd;
      q.created_from = scope.from;
      q.created_to = scope.to;
      q.limit = 1000;
      q.sort = storage::CaseSort::kCreatedAsc;
      while (true) {
        CITYGRID_ASSIGN_OR_RETURN(storage::CasePage page, store_.cases().QueryCases(q));
        for (const Case& c : page.cases) {
          total.Add(c, now);
          by_category[category].Add(c, now);
          by_subdistrict[c.location.subdistrict_code].Add(c, now);
        }
        if (page.next_cursor.empty()) break;
        q.cursor = page.next_cursor;
      }
    }
  }
  CampaignReport r;
  r.scope = scope;
  r.as_of = now;
  r.figures = total.Figures();
  for (CampaignFigure& f : r.figures) {
    for (const CampaignTarget& t : scope.targets) {
      if (t.figure != f.name) continue;
      f.target = t.value;
      f.at_most = t.at_most;
      f.met = t.at_most ? f.value <= t.value : f.value >= t.value;
    }
  }
  for (const auto& [code, tally] : by_category) {
    const Category* c = ref->categories->Find(code);
    r.by_category.push_back({code, c != nullptr ? c->name : code, tally.Figures()});
  }
  for (const auto& [code, tally] : by_subdistrict) {
    r.by_subdistrict.push_back({code, SubdistrictName(*ref, code), tally.Figures()});
  }
  return r;
}

// ---------------------------------------------------------------- audit

Result<storage::LedgerChainReport> LedgerService::VerifyChains(const Actor& actor,
                                                              const std::string& id) {
  CITYGRID_ASSIGN_OR_RETURN(LedgerDefinition d, Load(id));
  if (!ReadsAllRows(actor, d)) {
    return PermissionDeniedError("'" + actor.user + "' may not audit ledger " + id);
  }
  CITYGRID_ASSIGN_OR_RETURN(std::vector<LedgerEvent> events, store_.ledgers().LoadLedgerEvents(id));
  CITYGRID_ASSIGN_OR_RETURN(std::vector<LedgerRow> rows, store_.ledgers().ListRows(id));
  return storage::VerifyLedgerChains(events, &rows);
}

}  // namespace citygrid::service
