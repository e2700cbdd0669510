#pragma once

// Ledgers (台账): planned work that is not a reported problem — a project or campaign tracked
// row by row (老旧小区改造, 学校复学检查, 序化洁化专项整治). Pure: definitions, typed values,
// row states, the derived 滞后 flag and the JSON encodings storage keeps. No I/O.
//
// A definition has typed columns with constraints. Definitions are versioned: every change
// bumps `version`, and a column added later carries `since_version`, so rows written before it
// stay valid (a required column is enforced only on rows created or edited after it existed —
// see ValidateRowValues). Columns are never removed or retyped while rows exist
// (ValidateDefinitionChange).
//
// Values are kept as canonical text, the same text CSV/XLSX export writes and import reads:
//   text, person   the text (trimmed)
//   number         shortest decimal that reads back exactly: "264", "12.5"
//   percent        a number 0..100 (a trailing "%" is accepted on input)
//   date           "2020-12-31"
//   choice         one of the column's choices
//   multi_choice   choices in the column's order joined by ";"
//   place          "lon,lat" (WGS84) or a 9/12/15-digit sub-district/community/grid code
//   unit           a unit code (the service maps names to codes before validating)
//   photos         64-hex media hashes joined by ";"
//
// Thread safety: values only.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/common/time.h"
#include "citygrid/domain/case.h"

namespace citygrid {

enum class LedgerColumnType {
  kText,
  kNumber,       // with an optional measure unit ("个", "m²", "瓶")
  kDate,
  kChoice,       // single choice
  kMultiChoice,
  kPlace,        // a point or a grid/community/sub-district code
  kUnit,         // a responsible unit
  kPerson,
  kPhotos,       // photo list
  kPercent,
};
std::string_view Name(LedgerColumnType type);  // "text", "number", ..., "multi_choice"
Result<LedgerColumnType> ParseLedgerColumnType(std::string_view name);

struct LedgerColumn {
  std::string key;    // [a-z][a-z0-9_]{0,39}; unique in the ledger
  std::string name;   // display name (表头), unique, e.g. "改造类型"
  LedgerColumnType type = LedgerColumnType::kText;
  bool required = false;
  std::optional<double> min;  // number, percent: inclusive range
  std::optional<double> max;
  std::string measure;        // number: the unit of measure ("个")
  std::vector<std::string> choices;  // choice, multi_choice: non-empty, unique
  int64_t since_version = 1;  // the definition version that added the column

  friend bool operator==(const LedgerColumn&, const LedgerColumn&) = default;
};

// A batch (批次) and its deadline.
struct LedgerBatch {
  std::string name;  // "第一批"
  std::optional<std::chrono::year_month_day> deadline;

  friend bool operator==(const LedgerBatch&, const LedgerBatch&) = default;
};

// A campaign target: a case figure the campaign must reach.
struct CampaignTarget {
  std::string figure;  // one of CampaignFigureNames(): "closing_rate", "on_time_closing_rate", ...
  double value = 0;    // rates as fractions (0.9 = 90%), counts as counts
  bool at_most = false;  // true: the figure must not exceed `value` (e.g. overdue)

  friend bool operator==(const CampaignTarget&, const CampaignTarget&) = default;
};

// The cases a campaign ledger (专项整治) groups: categories, area and time window.
struct CampaignScope {
  std::vector<std::string> categories;    // 5-digit codes; non-empty
  std::vector<std::string> subdistricts;  // 9-digit codes; empty = the whole district
  Timestamp from{};                       // created_at window [from, to)
  Timestamp to{};
  std::vector<CampaignTarget> targets;

  friend bool operator==(const CampaignScope&, const CampaignScope&) = default;
};

// The figures a campaign reports, in this order.
const std::vector<std::string>& CampaignFigureNames();

struct LedgerDefinition {
  std::string id;          // [a-z0-9][a-z0-9-]{1,63}, e.g. "old-compounds-2020"
  std::string name;        // "老旧小区改造"
  std::string description;
  std::string owner_unit;  // unit code of the unit that owns (edits) the definition
  std::optional<std::chrono::year_month_day> period_start;
  std::optional<std::chrono::year_month_day> period_end;
  std::vector<LedgerColumn> columns;
  std::vector<LedgerBatch> batches;
  std::string type_column;  // key of the choice column summaries group by for "type"; "" none
  std::optional<CampaignScope> campaign;
  int64_t version = 0;      // set by the service: 1 on create, +1 per change
  Timestamp created_at{};
  Timestamp updated_at{};

  const LedgerColumn* FindColumn(std::string_view key) const;
  const LedgerColumn* FindColumnByName(std::string_view name) const;
  const LedgerBatch* FindBatch(std::string_view name) const;

  friend bool operator==(const LedgerDefinition&, const LedgerDefinition&) = default;
};

// Checks a definition on its own: id, name, owner unit present; column keys well-formed and
// unique, names non-empty and unique (and not one of the fixed row headers of
// LedgerFixedHeaders()), types known, ranges only on number/percent with min <= max, percent
// within 0..100, choices only and always on (multi_)choice columns, non-empty, unique and free
// of ';'; batch names non-empty and unique; type_column naming a choice column; period start
// <= end; campaign: categories 5 digits, sub-districts 9 digits, from < to, targets naming known
// figures. kInvalidArgument naming the column (by key and index) or field and the problem, e.g.
// "column 3 'area': duplicate key (also column 1)".
Status ValidateDefinition(const LedgerDefinition& definition);

// Checks that `next` may replace `current` while rows exist: every column of `current` is still
// there with the same key and type (names, constraints and choices may change; a choice still
// used cannot be removed — the service checks use), columns added carry since_version =
// current.version + 1. kFailedPrecondition naming the column otherwise.
Status ValidateDefinitionChange(const LedgerDefinition& current, const LedgerDefinition& next);

// Row states (进度状态). 滞后 (behind) is derived, not stored: see IsBehind.
enum class LedgerRowState {
  kNotStarted,  // 未开始
  kInProgress,  // 进行中
  kDone,        // 已完成
  kAccepted,    // 已验收
};
inline constexpr int kLedgerRowStateCount = 4;
std::string_view Name(LedgerRowState state);       // "not_started", "in_progress", ...
std::string_view ChineseName(LedgerRowState state);  // "未开始", "进行中", "已完成", "已验收"
// Accepts either name.
Result<LedgerRowState> ParseLedgerRowState(std::string_view name);
// 滞后
inline constexpr std::string_view kBehindChineseName = "滞后";

// One row of a ledger: its current state, a fold of its events.
struct LedgerRow {
  std::string ledger_id;
  std::string key;     // row id within the ledger, e.g. "R0001" (编号)
  int64_t version = 0; // number of events applied
  std::string title;   // 名称: "建中街 3 号院"
  std::string unit;    // responsible unit code (责任单位)
  std::string subdistrict;  // 9-digit code, "" when not tied to one
  std::string batch;   // a LedgerBatch name, "" for none
  std::optional<std::chrono::year_month_day> deadline;  // the row's own; else its batch's
  LedgerRowState state = LedgerRowState::kNotStarted;
  double progress = 0;  // percent 0..100
  std::map<std::string, std::string> values;  // column key → canonical text; empty = unset
  Timestamp created_at{};
  Timestamp updated_at{};
  std::optional<Timestamp> completed_at;  // when it last reached done (or accepted)
  int64_t definition_version = 0;  // the definition version the row was created under


  friend bool operator==(const LedgerRow&, const LedgerRow&) = default;
};

// The deadline that applies: the row's own, else its batch's, else none.
std::optional<std::chrono::year_month_day> EffectiveDeadline(const LedgerDefinition& definition,
                                                             const LedgerRow& row);

// 滞后: the row is not done or accepted and its effective deadline day (Asia/Shanghai) is over
// at `now`; or it was completed after the end of its deadline day (completed late).
bool IsBehind(const LedgerDefinition& definition, const LedgerRow& row, Timestamp now);
// Open and past its deadline at `now` (the overdue list: 逾期未完成).
bool IsOverdue(const LedgerDefinition& definition, const LedgerRow& row, Timestamp now);

// Why a value or a row of a ledger is refused: a code and its arguments, which the Chinese
// console words itself (web/src/pages/ledger_i18n.ts, keys "lr_" + code), and Text(), the
// English sentence of the API's messages, the CLI and the English console. The codes, with
// their arguments:
//   too_long (limit), not_a_number (value), below_minimum (value, minimum),
//   above_maximum (value, maximum), not_a_date (value), not_a_choice (value, choices),
//   not_a_place (value), not_a_unit_code (value), not_a_photo_hash (value),
//   not_a_state (value), unknown_column (key), required (column name), unit_required (),
//   unknown_unit (value), unknown_subdistrict (value), not_a_batch (value, batches),
//   no_batches (value), progress_range (), duplicate_header (header),
//   unknown_header (header, ledger id), duplicate_key (key), value_without_header (),
//   behind_is_derived (), other (the English text: a reason without a code of its own).
struct LedgerReason {
  std::string code;
  std::vector<std::string> args;

  std::string Text() const;
  friend bool operator==(const LedgerReason&, const LedgerReason&) = default;
};
// Every code a LedgerReason may carry (the list above and the definition's below), for
// whoever words them.
std::vector<std::string_view> LedgerReasonCodes();

// Why a definition is refused (ValidateDefinition, ValidateDefinitionChange, LedgerService): a
// status of `code` whose message is reason.Text() and whose detail names `field`, the member of
// the definition's JSON at fault ("id", "name", "owner_unit", "period_start", "columns",
// "columns[i]", "batches[i]", "type_column"; i from 0), with the reason's code and arguments.
// The codes, with their arguments (column numbers and batch numbers from 1):
//   bad_ledger_id (id), ledger_name_required (), ledger_name_too_long (limit),
//   owner_unit_required (), unknown_owner_unit (unit), may_not_own (user, unit),
//   ledger_exists (id), period_order (start, end), too_many_columns (limit);
//   per column (number, key, ...): column_key, column_name_required, column_name_fixed (name),
//   column_duplicate_key (other number), column_duplicate_name (name, other number),
//   range_not_applicable (type), range_not_finite, min_above_max (min, max), percent_range,
//   measure_not_applicable, choices_required (type), choices_not_applicable (type),
//   choice_blank (choice), choice_separator (choice, separator), choice_duplicate (choice),
//   since_version_min;
//   batch_name_required (number), batch_duplicate_name (number, name),
//   type_column_not_choice (key);
//   changes (kFailedPrecondition): id_unchangeable (old, new), column_removed (key),
//   column_retyped (key, old type, new type), since_version_changed (key),
//   new_column_since (key, version), value_in_use (key, row, value, the value's English reason,
//   then that reason's code and arguments), batch_in_use (batch, row).
// A campaign's scope, set through the API only, is refused with English messages and no detail.
Status LedgerDefinitionError(StatusCode code, std::string field, LedgerReason reason);
// The field of column `key` of `d` for LedgerDefinitionError: "columns[i]", or "columns" when
// `d` has no such column.
std::string LedgerColumnField(const LedgerDefinition& d, std::string_view key);

// Normalizes `text` for `column` into its canonical text (see the header comment). "" stays ""
// (unset). kInvalidArgument with the reason only (the caller adds row and column): "'abc' is
// not a number", "120 is above the maximum 100", "'大修' is not one of 品质型, 改善型"; `why`
// (optional) receives that reason as a LedgerReason.
Result<std::string> NormalizeLedgerValue(const LedgerColumn& column, std::string_view text,
                                         LedgerReason* why = nullptr);

// A problem with one value of a row.
struct LedgerValueError {
  std::string column;  // column key, or a fixed field ("unit", "batch", "deadline", ...)
  std::string value;
  LedgerReason reason;

  friend bool operator==(const LedgerValueError&, const LedgerValueError&) = default;
};

// Normalizes every value of `values` in place against `definition` and returns every problem:
// unknown column keys, bad values, and required columns left empty (only columns whose
// since_version <= `required_since`; pass definition.version for rows created or edited now,
// so rows written before a required column was added are not forced to have it).
std::vector<LedgerValueError> ValidateRowValues(const LedgerDefinition& definition,
                                                std::map<std::string, std::string>& values,
                                                int64_t required_since);

// Fixed row headers of import/export files, before the definition's columns:
// 编号, 名称, 责任单位, 街道, 批次, 截止日期, 状态, 进度.
const std::vector<std::string>& LedgerFixedHeaders();

// One change to a row, as kept in its history.
enum class LedgerEventType {
  kCreated,   // the row was added (by hand or by import)
  kProgress,  // a progress update (state, progress, values, photos)
  kEdited,    // fixed fields changed (unit, batch, deadline, title) or an import updated it
  kAccepted,  // 验收
};
std::string_view Name(LedgerEventType type);
Result<LedgerEventType> ParseLedgerEventType(std::string_view name);

// One entry of a row's history. Immutable once stored; chained like case events
// (storage/ledger_store.h: SealLedgerEvent).
struct LedgerEvent {
  std::string ledger_id;
  std::string row_key;
  int64_t version = 0;  // the row's version after this event; 1 for kCreated
  int64_t seq = 0;      // position in the store's ledger event log; set by storage
  LedgerEventType type = LedgerEventType::kCreated;
  Actor actor;
  Timestamp at{};
  std::string note;
  std::vector<std::string> photos;  // media hashes
  std::string payload_json;  // what changed: {"state":..,"progress":..,"values":{..},...}
  std::string prev_hash;
  std::string hash;

  friend bool operator==(const LedgerEvent&, const LedgerEvent&) = default;
};

// JSON encodings (what storage keeps and the API builds on). Decode returns kInvalidArgument
// naming the field.
std::string EncodeLedgerDefinition(const LedgerDefinition& definition);
Result<LedgerDefinition> DecodeLedgerDefinition(std::string_view json);
std::string EncodeLedgerRow(const LedgerRow& row);
Result<LedgerRow> DecodeLedgerRow(std::string_view json);

// The payload of an event that moves `before` to `after` (only what changed; `before` null for
// kCreated: every set field). Canonical: keys sorted, so the same change hashes the same.
std::string LedgerChangePayload(const LedgerRow* before, const LedgerRow& after);

}  // namespace citygrid
