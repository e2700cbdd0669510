#include "citygrid/domain/ledger.h"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

namespace citygrid {
namespace {

namespace bj = boost::json;
using std::chrono::year_month_day;

constexpr std::string_view kColumnTypeNames[] = {"text",   "number", "date",   "choice",
                                                 "multi_choice", "place", "unit", "person",
                                                 "photos", "percent"};
constexpr std::string_view kStateNames[] = {"not_started", "in_progress", "done", "accepted"};
constexpr std::string_view kStateChinese[] = {"未开始", "进行中", "已完成", "已验收"};
constexpr std::string_view kEventTypeNames[] = {"created", "progress", "edited", "accepted"};

std::string_view Trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  // Full-width spaces (U+3000) that Chinese spreadsheets carry.
  while (s.starts_with("\u3000")) s.remove_prefix(3);
  while (s.ends_with("\u3000")) s.remove_suffix(3);
  return s;
}

bool IsDigits(std::string_view s, size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsKey(std::string_view key) {
  if (key.empty() || key.size() > 40 || key[0] < 'a' || key[0] > 'z') return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool IsLedgerId(std::string_view id) {
  if (id.size() < 2 || id.size() > 64) return false;
  auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!ok(id[0])) return false;
  return std::all_of(id.begin(), id.end(), [&](char c) { return ok(c) || c == '-'; });
}

std::string FormatNumber(double v) {
  if (v == 0) v = 0;  // no "-0"
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, ptr) : std::to_string(v);
}

// The English sentence of each LedgerReason code; {0}, {1} are its arguments.
struct ReasonText {
  std::string_view code;
  std::string_view text;
};
constexpr ReasonText kReasonTexts[] = {
    {"too_long", "value is longer than {0} bytes"},
    {"not_a_number", "'{0}' is not a number"},
    {"below_minimum", "{0} is below the minimum {1}"},
    {"above_maximum", "{0} is above the maximum {1}"},
    {"not_a_date", "'{0}' is not a date (YYYY-MM-DD)"},
    {"not_a_choice", "'{0}' is not one of {1}"},
    {"not_a_place", "'{0}' is neither 'lon,lat' nor a 9/12/15-digit area code"},
    {"not_a_unit_code", "'{0}' is not a unit code"},
    {"not_a_photo_hash", "'{0}' is not a photo hash (64 lowercase hex digits)"},
    {"not_a_state", "'{0}' is not a row state (未开始, 进行中, 已完成, 已验收)"},
    {"unknown_column", "unknown column '{0}'"},
    {"required", "'{0}' is required"},
    {"unit_required", "a responsible unit (责任单位) is required"},
    {"unknown_unit", "unknown unit '{0}' (a unit code or name)"},
    {"unknown_subdistrict", "unknown sub-district '{0}' (a 9-digit code or name)"},
    {"not_a_batch", "'{0}' is not a batch of this ledger ({1})"},
    {"no_batches", "'{0}' is not a batch: this ledger has none"},
    {"progress_range", "progress must be within 0..100"},
    {"duplicate_header", "duplicate header '{0}'"},
    {"unknown_header", "unknown column '{0}': not a fixed header nor a column of ledger {1}"},
    {"duplicate_key", "编号 '{0}' appears twice in the file"},
    {"value_without_header", "a value under an empty header"},
    {"behind_is_derived", "滞后 is derived from the deadline, not a state: write 进行中 or 未开始"},
    // The definition of a ledger (ValidateDefinition, ValidateDefinitionChange, the service).
    // Column reasons name the column by number and key, batch reasons the batch by number.
    {"bad_ledger_id", "ledger id '{0}' must be 2-64 of [a-z0-9-], starting with a letter or digit"},
    {"ledger_name_required", "ledger name is required"},
    {"ledger_name_too_long", "ledger name is longer than {0} bytes"},
    {"owner_unit_required", "ledger owner_unit is required"},
    {"unknown_owner_unit", "owner_unit: unknown unit '{0}'"},
    {"may_not_own", "'{0}' may not create a ledger owned by '{1}': an admin may, or a member of "
                    "the owner unit"},
    {"ledger_exists", "ledger '{0}' already exists"},
    {"period_order", "period_start {0} is after period_end {1}"},
    {"too_many_columns", "a ledger has at most {0} columns"},
    {"column_key", "column {0} '{1}': key must be 1-40 of [a-z0-9_], starting with a letter"},
    {"column_name_required", "column {0} '{1}': name is required"},
    {"column_name_fixed", "column {0} '{1}': name '{2}' is a fixed row header (编号, 名称, 责任单位, "
                          "街道, 批次, 截止日期, 状态, 进度)"},
    {"column_duplicate_key", "column {0} '{1}': duplicate key (also column {2})"},
    {"column_duplicate_name", "column {0} '{1}': duplicate name '{2}' (also column {3})"},
    {"range_not_applicable", "column {0} '{1}': min/max apply only to number and percent columns, "
                             "not {2}"},
    {"range_not_finite", "column {0} '{1}': min/max must be finite numbers"},
    {"min_above_max", "column {0} '{1}': min {2} is above max {3}"},
    {"percent_range", "column {0} '{1}': a percent range must lie within 0..100"},
    {"measure_not_applicable", "column {0} '{1}': a measure unit applies only to number columns"},
    {"choices_required", "column {0} '{1}': a {2} column needs at least one choice"},
    {"choices_not_applicable", "column {0} '{1}': choices apply only to choice and multi_choice "
                               "columns, not {2}"},
    {"choice_blank", "column {0} '{1}': choice '{2}' is empty or has surrounding spaces"},
    {"choice_separator", "column {0} '{1}': choice '{2}' contains the separator '{3}'"},
    {"choice_duplicate", "column {0} '{1}': duplicate choice '{2}'"},
    {"since_version_min", "column {0} '{1}': since_version must be >= 1"},
    {"batch_name_required", "batch {0}: name is required"},
    {"batch_duplicate_name", "batch {0}: duplicate name '{1}'"},
    {"type_column_not_choice", "type_column '{0}' must name a choice column of the ledger"},
    {"id_unchangeable", "the ledger id cannot change ('{0}' → '{1}')"},
    {"column_removed", "column '{0}' cannot be removed: rows may hold values in it"},
    {"column_retyped", "column '{0}' cannot change type from {1} to {2}"},
    {"since_version_changed", "column '{0}': since_version cannot change"},
    {"new_column_since", "new column '{0}' must carry since_version {1}"},
    // {3} is the English reason of the value; the console words it from {4} (its code) and the
    // arguments after it.
    {"value_in_use", "column '{0}': row {1} holds '{2}', which the new definition rejects: {3}"},
    {"batch_in_use", "batch '{0}' cannot be removed: row {1} is in it"},
    {"other", "{0}"},  // a reason without a code of its own: its English text
};

// kInvalidArgument with `reason`'s text; `why` (optional) receives the reason.
Status Refuse(LedgerReason reason, LedgerReason* why) {
  Status s = InvalidArgumentError(reason.Text());
  if (why != nullptr) *why = std::move(reason);
  return s;
}

Status BadDefinition(std::string field, std::string code, std::vector<std::string> args = {}) {
  return LedgerDefinitionError(StatusCode::kInvalidArgument, std::move(field),
                         LedgerReason{std::move(code), std::move(args)});
}
Status BadChange(std::string field, std::string code, std::vector<std::string> args) {
  return LedgerDefinitionError(StatusCode::kFailedPrecondition, std::move(field),
                         LedgerReason{std::move(code), std::move(args)});
}

Result<double> ParseDouble(std::string_view text, LedgerReason* why = nullptr) {
  double v = 0;
  std::string_view t = text;
  if (t.starts_with('+')) t.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size() || !std::isfinite(v)) {
    return Refuse({"not_a_number", {std::string(text)}}, why);
  }
  return v;
}

std::vector<std::string> Split(std::string_view s, std::string_view seps) {
  std::vector<std::string> out;
  std::string current;
  size_t i = 0;
  while (i <= s.size()) {
    bool at_sep = false;
    size_t sep_len = 0;
    if (i < s.size()) {
      for (std::string_view sep : {std::string_view(";"), std::string_view("；"),
                                   std::string_view(","), std::string_view("，"),
                                   std::string_view("、")}) {
        if (seps.find(sep) != std::string_view::npos && s.substr(i).starts_with(sep)) {
          at_sep = true;
          sep_len = sep.size();
          break;
        }
      }
    }
    if (i == s.size() || at_sep) {
      std::string_view piece = Trim(current);
      if (!piece.empty()) out.emplace_back(piece);
      current.clear();
      if (i == s.size()) break;
      i += sep_len;
    } else {
      current.push_back(s[i]);
      ++i;
    }
  }
  return out;
}

std::string JoinChoices(const std::vector<std::string>& choices) {
  std::string out;
  for (size_t i = 0; i < choices.size(); ++i) out += (i ? ", " : "") + choices[i];
  return out;
}

// The instant the deadline day ends (next midnight, Asia/Shanghai).
Timestamp EndOfDay(year_month_day day) {
  return StartOfDay(year_month_day(std::chrono::sys_days(day) + std::chrono::days(1)));
}

// ---- JSON helpers

std::string OptDate(const std::optional<year_month_day>& d) { return d ? FormatDate(*d) : ""; }

Result<std::optional<year_month_day>> ReadOptDate(const bj::object& o, std::string_view key) {
  const bj::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null() || (v->is_string() && v->as_string().empty())) {
    return std::optional<year_month_day>();
  }
  if (!v->is_string()) return InvalidArgumentError("field '" + std::string(key) + "' must be a date string");
  Result<year_month_day> d = ParseDate(v->as_string());
  if (!d.ok()) return d.status().WithContext("field '" + std::string(key) + "'");
  return std::optional<year_month_day>(*d);
}

std::string Str(const bj::object& o, std::string_view key) {
  const bj::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

Result<double> Num(const bj::object& o, std::string_view key, double fallback) {
  const bj::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return fallback;
  if (v->is_double()) return v->as_double();
  if (v->is_int64()) return static_cast<double>(v->as_int64());
  if (v->is_uint64()) return static_cast<double>(v->as_uint64());
  return InvalidArgumentError("field '" + std::string(key) + "' must be a number");
}

Result<int64_t> Int(const bj::object& o, std::string_view key, int64_t fallback) {
  const bj::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return fallback;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  if (v->is_double() && v->as_double() == std::floor(v->as_double())) {
    return static_cast<int64_t>(v->as_double());
  }
  return InvalidArgumentError("field '" + std::string(key) + "' must be an integer");
}

Result<std::vector<std::string>> StrArray(const bj::object& o, std::string_view key) {
  std::vector<std::string> out;
  const bj::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return out;
  if (!v->is_array()) return InvalidArgumentError("field '" + std::string(key) + "' must be an array of strings");
  for (const bj::value& e : v->as_array()) {
    if (!e.is_string()) return InvalidArgumentError("field '" + std::string(key) + "' must be an array of strings");
    out.emplace_back(e.as_string());
  }
  return out;
}

Result<Timestamp> ReadTime(const bj::object& o, std::string_view key) {
  const bj::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return Timestamp{};
  if (!v->is_string()) return InvalidArgumentError("field '" + std::string(key) + "' must be an ISO-8601 time");
  Result<Timestamp> t = ParseIso8601(v->as_string());
  if (!t.ok()) return t.status().WithContext("field '" + std::string(key) + "'");
  return *t;
}

Result<bj::object> ParseObject(std::string_view json, std::string_view what) {
  boost::system::error_code ec;
  bj::value v = bj::parse(json, ec);
  if (ec || !v.is_object()) {
    return InvalidArgumentError(std::string(what) + " is not a JSON object" +
                                (ec ? ": " + ec.message() : std::string()));
  }
  return std::move(v.as_object());
}

bj::array ToArray(const std::vector<std::string>& v) {
  bj::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

// Whole numbers as JSON integers ("50", not "5E1"), others as doubles.
bj::value JsonNumber(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9e15) return bj::value(static_cast<int64_t>(v));
  return bj::value(v);
}

bj::value RowField(const LedgerRow& row, std::string_view field) {
  if (field == "title") return bj::value(row.title);
  if (field == "unit") return bj::value(row.unit);
  if (field == "subdistrict") return bj::value(row.subdistrict);
  if (field == "batch") return bj::value(row.batch);
  if (field == "deadline") return bj::value(OptDate(row.deadline));
  if (field == "state") return bj::value(Name(row.state));
  return JsonNumber(row.progress);
}

}  // namespace

std::string LedgerColumnField(const LedgerDefinition& d, std::string_view key) {
  for (size_t i = 0; i < d.columns.size(); ++i) {
    if (d.columns[i].key == key) return "columns[" + std::to_string(i) + "]";
  }
  return "columns";
}

Status LedgerDefinitionError(StatusCode code, std::string field, LedgerReason reason) {
  std::string text = reason.Text();
  return Status(code, std::move(text))
      .WithDetail({std::move(field), std::move(reason.code), std::move(reason.args)});
}

std::vector<std::string_view> LedgerReasonCodes() {
  std::vector<std::string_view> out;
  for (const ReasonText& r : kReasonTexts) out.push_back(r.code);
  return out;
}

std::string LedgerReason::Text() const {
  for (const ReasonText& r : kReasonTexts) {
    if (r.code != code) continue;
    std::string out;
    for (size_t i = 0; i < r.text.size(); ++i) {
      if (r.text[i] == '{' && i + 2 < r.text.size() && r.text[i + 2] == '}') {
        const size_t arg = static_cast<size_t>(r.text[i + 1] - '0');
        if (arg < args.size()) out += args[arg];
        i += 2;
      } else {
        out += r.text[i];
      }
    }
    return out;
  }
  std::string out = code;  // not in the table: the code and its arguments as they are
  for (const std::string& a : args) out += " " + a;
  return out;
}

std::string_view Name(LedgerColumnType type) { return kColumnTypeNames[static_cast<int>(type)]; }

Result<LedgerColumnType> ParseLedgerColumnType(std::string_view name) {
  for (size_t i = 0; i < std::size(kColumnTypeNames); ++i) {
    if (kColumnTypeNames[i] == name) return static_cast<LedgerColumnType>(i);
  }
  std::string all;
  for (auto n : kColumnTypeNames) all += (all.empty() ? "" : ", ") + std::string(n);
  return InvalidArgumentError("unknown column type '" + std::string(name) + "' (one of " + all + ")");
}

std::string_view Name(LedgerRowState state) { return kStateNames[static_cast<int>(state)]; }
std::string_view ChineseName(LedgerRowState state) {
  return kStateChinese[static_cast<int>(state)];
}
Result<LedgerRowState> ParseLedgerRowState(std::string_view name) {
  name = Trim(name);
  for (int i = 0; i < kLedgerRowStateCount; ++i) {
    if (kStateNames[i] == name || kStateChinese[i] == name) return static_cast<LedgerRowState>(i);
  }
  return InvalidArgumentError(LedgerReason{"not_a_state", {std::string(name)}}.Text());
}

std::string_view Name(LedgerEventType type) { return kEventTypeNames[static_cast<int>(type)]; }
Result<LedgerEventType> ParseLedgerEventType(std::string_view name) {
  for (size_t i = 0; i < std::size(kEventTypeNames); ++i) {
    if (kEventTypeNames[i] == name) return static_cast<LedgerEventType>(i);
  }
  return InvalidArgumentError("unknown ledger event type '" + std::string(name) + "'");
}

const std::vector<std::string>& CampaignFigureNames() {
  static const std::vector<std::string> names = {
      "reported",      "registered",  "closed",       "closed_on_time", "should_close",
      "closing_rate",  "on_time_closing_rate", "overdue", "rework"};
  return names;
}

const std::vector<std::string>& LedgerFixedHeaders() {
  static const std::vector<std::string> headers = {"编号", "名称", "责任单位", "街道",
                                                   "批次", "截止日期", "状态", "进度"};
  return headers;
}

const LedgerColumn* LedgerDefinition::FindColumn(std::string_view key) const {
  for (const auto& c : columns) {
    if (c.key == key) return &c;
  }
  return nullptr;
}
const LedgerColumn* LedgerDefinition::FindColumnByName(std::string_view name) const {
  for (const auto& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}
const LedgerBatch* LedgerDefinition::FindBatch(std::string_view name) const {
  for (const auto& b : batches) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

Status ValidateDefinition(const LedgerDefinition& d) {
  if (!IsLedgerId(d.id)) return BadDefinition("id", "bad_ledger_id", {d.id});
  if (Trim(d.name).empty()) return BadDefinition("name", "ledger_name_required");
  if (d.name.size() > 200) return BadDefinition("name", "ledger_name_too_long", {"200"});
  if (d.owner_unit.empty()) return BadDefinition("owner_unit", "owner_unit_required");
  if (d.period_start && d.period_end &&
      std::chrono::sys_days(*d.period_start) > std::chrono::sys_days(*d.period_end)) {
    return BadDefinition("period_start", "period_order",
                         {FormatDate(*d.period_start), FormatDate(*d.period_end)});
  }
  if (d.columns.size() > 200) return BadDefinition("columns", "too_many_columns", {"200"});
  const std::vector<std::string>& fixed = LedgerFixedHeaders();
  for (size_t i = 0; i < d.columns.size(); ++i) {
    const LedgerColumn& c = d.columns[i];
    const std::string field = "columns[" + std::to_string(i) + "]";
    // A reason about column i: its number and key come first.
    auto bad = [&](std::string code, std::vector<std::string> more = {}) {
      std::vector<std::string> args = {std::to_string(i + 1), c.key};
      for (std::string& m : more) args.push_back(std::move(m));
      return BadDefinition(field, std::move(code), std::move(args));
    };
    if (!IsKey(c.key)) return bad("column_key");
    if (Trim(c.name).empty()) return bad("column_name_required");
    if (std::find(fixed.begin(), fixed.end(), c.name) != fixed.end()) {
      return bad("column_name_fixed", {c.name});
    }
    for (size_t j = 0; j < i; ++j) {
      if (d.columns[j].key == c.key) return bad("column_duplicate_key", {std::to_string(j + 1)});
      if (d.columns[j].name == c.name) {
        return bad("column_duplicate_name", {c.name, std::to_string(j + 1)});
      }
    }
    const std::string type(Name(c.type));
    const bool ranged = c.type == LedgerColumnType::kNumber || c.type == LedgerColumnType::kPercent;
    if (!ranged && (c.min || c.max)) return bad("range_not_applicable", {type});
    if ((c.min && !std::isfinite(*c.min)) || (c.max && !std::isfinite(*c.max))) {
      return bad("range_not_finite");
    }
    if (c.min && c.max && *c.min > *c.max) {
      return bad("min_above_max", {FormatNumber(*c.min), FormatNumber(*c.max)});
    }
    if (c.type == LedgerColumnType::kPercent &&
        ((c.min && (*c.min < 0 || *c.min > 100)) || (c.max && (*c.max < 0 || *c.max > 100)))) {
      return bad("percent_range");
    }
    if (!c.measure.empty() && c.type != LedgerColumnType::kNumber) {
      return bad("measure_not_applicable");
    }
    const bool choice = c.type == LedgerColumnType::kChoice || c.type == LedgerColumnType::kMultiChoice;
    if (choice && c.choices.empty()) return bad("choices_required", {type});
    if (!choice && !c.choices.empty()) return bad("choices_not_applicable", {type});
    std::set<std::string> seen;
    for (const std::string& ch : c.choices) {
      if (Trim(ch).empty() || Trim(ch).size() != ch.size()) return bad("choice_blank", {ch});
      for (std::string_view sep : {";", "；", ",", "，", "、"}) {
        if (ch.find(sep) != std::string::npos) {
          return bad("choice_separator", {ch, std::string(sep)});
        }
      }
      if (!seen.insert(ch).second) return bad("choice_duplicate", {ch});
    }
    if (c.since_version < 1) return bad("since_version_min");
  }
  std::set<std::string> batch_names;
  for (size_t i = 0; i < d.batches.size(); ++i) {
    const std::string field = "batches[" + std::to_string(i) + "]";
    if (Trim(d.batches[i].name).empty()) {
      return BadDefinition(field, "batch_name_required", {std::to_string(i + 1)});
    }
    if (!batch_names.insert(d.batches[i].name).second) {
      return BadDefinition(field, "batch_duplicate_name",
                           {std::to_string(i + 1), d.batches[i].name});
    }
  }
  if (!d.type_column.empty()) {
    const LedgerColumn* c = d.FindColumn(d.type_column);
    if (c == nullptr || c->type != LedgerColumnType::kChoice) {
      return BadDefinition("type_column", "type_column_not_choice", {d.type_column});
    }
  }
  if (d.campaign) {
    // Set through the API only (the console has no editor for it): English reasons.
    const CampaignScope& s = *d.campaign;
    if (s.categories.empty()) return InvalidArgumentError("campaign.categories must not be empty");
    for (const auto& code : s.categories) {
      if (!IsDigits(code, 5)) {
        return InvalidArgumentError("campaign.categories: '" + code + "' is not a 5-digit category code");
      }
    }
    for (const auto& code : s.subdistricts) {
      if (!IsDigits(code, 9)) {
        return InvalidArgumentError("campaign.subdistricts: '" + code +
                                    "' is not a 9-digit sub-district code");
      }
    }
    if (s.from >= s.to) {
      return InvalidArgumentError("campaign window: from " + FormatIso8601(s.from) +
                                  " is not before to " + FormatIso8601(s.to));
    }
    const auto& figures = CampaignFigureNames();
    for (const auto& t : s.targets) {
      if (std::find(figures.begin(), figures.end(), t.figure) == figures.end()) {
        return InvalidArgumentError("campaign target '" + t.figure + "' is not a known figure");
      }
      if (!std::isfinite(t.value) || t.value < 0) {
        return InvalidArgumentError("campaign target '" + t.figure + "' must be a number >= 0");
      }
    }
  }
  return OkStatus();
}

Status ValidateDefinitionChange(const LedgerDefinition& current, const LedgerDefinition& next) {
  if (next.id != current.id) return BadChange("id", "id_unchangeable", {current.id, next.id});
  for (const LedgerColumn& old : current.columns) {
    const LedgerColumn* now = next.FindColumn(old.key);
    if (now == nullptr) return BadChange("columns", "column_removed", {old.key});
    if (now->type != old.type) {
      return BadChange(LedgerColumnField(next, old.key), "column_retyped",
                       {old.key, std::string(Name(old.type)), std::string(Name(now->type))});
    }
    if (now->since_version != old.since_version) {
      return BadChange(LedgerColumnField(next, old.key), "since_version_changed", {old.key});
    }
  }
  for (const LedgerColumn& c : next.columns) {
    if (current.FindColumn(c.key) == nullptr && c.since_version != current.version + 1) {
      return BadChange(LedgerColumnField(next, c.key), "new_column_since",
                       {c.key, std::to_string(current.version + 1)});
    }
  }
  return OkStatus();
}

std::optional<year_month_day> EffectiveDeadline(const LedgerDefinition& definition,
                                                const LedgerRow& row) {
  if (row.deadline) return row.deadline;
  const LedgerBatch* batch = definition.FindBatch(row.batch);
  return batch != nullptr ? batch->deadline : std::nullopt;
}

bool IsOverdue(const LedgerDefinition& definition, const LedgerRow& row, Timestamp now) {
  if (row.state == LedgerRowState::kDone || row.state == LedgerRowState::kAccepted) return false;
  std::optional<year_month_day> deadline = EffectiveDeadline(definition, row);
  return deadline && now >= EndOfDay(*deadline);
}

bool IsBehind(const LedgerDefinition& definition, const LedgerRow& row, Timestamp now) {
  if (IsOverdue(definition, row, now)) return true;
  std::optional<year_month_day> deadline = EffectiveDeadline(definition, row);
  return deadline && row.completed_at && *row.completed_at >= EndOfDay(*deadline);
}

namespace {

Result<std::string> Normalize(const LedgerColumn& c, std::string_view raw, LedgerReason* why) {
  std::string_view text = Trim(raw);
  if (text.empty()) return std::string();
  if (text.size() > 4000) return Refuse({"too_long", {"4000"}}, why);
  switch (c.type) {
    case LedgerColumnType::kText:
    case LedgerColumnType::kPerson:
      return std::string(text);
    case LedgerColumnType::kNumber:
    case LedgerColumnType::kPercent: {
      std::string_view t = text;
      if (c.type == LedgerColumnType::kPercent && (t.ends_with("%") || t.ends_with("％"))) {
        t.remove_suffix(t.ends_with("%") ? 1 : 3);
        t = Trim(t);
      }
      CITYGRID_ASSIGN_OR_RETURN(double v, ParseDouble(t, why));
      std::optional<double> min = c.min, max = c.max;
      if (c.type == LedgerColumnType::kPercent) {
        if (!min) min = 0;
        if (!max) max = 100;
      }
      if (min && v < *min) {
        return Refuse({"below_minimum", {FormatNumber(v), FormatNumber(*min)}}, why);
      }
      if (max && v > *max) {
        return Refuse({"above_maximum", {FormatNumber(v), FormatNumber(*max)}}, why);
      }
      return FormatNumber(v);
    }
    case LedgerColumnType::kDate: {
      std::string s(text);
      // Accept 2020/12/31 and 2020.12.31 as Chinese spreadsheets write them; a time after the
      // date (as XLSX dates may carry) must be midnight.
      for (char& ch : s) {
        if (ch == '/' || ch == '.') ch = '-';
      }
      if (s.size() > 10 && (s.substr(10) == " 00:00:00" || s.substr(10) == "T00:00:00")) s.resize(10);
      // Pad single-digit month/day: 2020-1-5.
      size_t d1 = s.find('-'), d2 = d1 == std::string::npos ? d1 : s.find('-', d1 + 1);
      if (d1 != std::string::npos && d2 != std::string::npos) {
        std::string y = s.substr(0, d1), m = s.substr(d1 + 1, d2 - d1 - 1), d = s.substr(d2 + 1);
        if (m.size() == 1) m = "0" + m;
        if (d.size() == 1) d = "0" + d;
        s = y + "-" + m + "-" + d;
      }
      Result<year_month_day> date = ParseDate(s);
      if (!date.ok()) return Refuse({"not_a_date", {std::string(text)}}, why);
      return FormatDate(*date);
    }
    case LedgerColumnType::kChoice: {
      if (std::find(c.choices.begin(), c.choices.end(), text) == c.choices.end()) {
        return Refuse({"not_a_choice", {std::string(text), JoinChoices(c.choices)}}, why);
      }
      return std::string(text);
    }
    case LedgerColumnType::kMultiChoice: {
      std::vector<std::string> picked = Split(text, ";；,，、");
      std::set<std::string> set;
      for (const std::string& p : picked) {
        if (std::find(c.choices.begin(), c.choices.end(), p) == c.choices.end()) {
          return Refuse({"not_a_choice", {p, JoinChoices(c.choices)}}, why);
        }
        set.insert(p);
      }
      std::string out;
      for (const std::string& ch : c.choices) {
        if (set.count(ch)) out += (out.empty() ? "" : ";") + ch;
      }
      return out;
    }
    case LedgerColumnType::kPlace: {
      if (IsDigits(text, 9) || IsDigits(text, 12) || IsDigits(text, 15)) return std::string(text);
      std::vector<std::string> parts = Split(text, ",，");
      if (parts.size() == 2) {
        Result<double> lon = ParseDouble(parts[0]);
        Result<double> lat = ParseDouble(parts[1]);
        if (lon.ok() && lat.ok() && *lon >= -180 && *lon <= 180 && *lat >= -90 && *lat <= 90) {
          return FormatNumber(*lon) + "," + FormatNumber(*lat);
        }
      }
      return Refuse({"not_a_place", {std::string(text)}}, why);
    }
    case LedgerColumnType::kUnit: {
      if (text.find_first_of(" \t;,") != std::string_view::npos) {
        return Refuse({"not_a_unit_code", {std::string(text)}}, why);
      }
      return std::string(text);
    }
    case LedgerColumnType::kPhotos: {
      std::vector<std::string> hashes = Split(text, ";；,，");
      std::string out;
      for (const std::string& h : hashes) {
        bool hex = h.size() == 64 && std::all_of(h.begin(), h.end(), [](char ch) {
                     return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
                   });
        if (!hex) return Refuse({"not_a_photo_hash", {h}}, why);
        out += (out.empty() ? "" : ";") + h;
      }
      return out;
    }
  }
  return InternalError("unhandled column type");
}

}  // namespace

Result<std::string> NormalizeLedgerValue(const LedgerColumn& c, std::string_view raw,
                                         LedgerReason* why) {
  LedgerReason reason;
  Result<std::string> v = Normalize(c, raw, &reason);
  if (!v.ok() && why != nullptr) {
    *why = reason.code.empty() ? LedgerReason{"other", {v.status().message()}} : std::move(reason);
  }
  return v;
}

std::vector<LedgerValueError> ValidateRowValues(const LedgerDefinition& definition,
                                                std::map<std::string, std::string>& values,
                                                int64_t required_since) {
  std::vector<LedgerValueError> errors;
  for (auto it = values.begin(); it != values.end();) {
    const LedgerColumn* c = definition.FindColumn(it->first);
    if (c == nullptr) {
      errors.push_back({it->first, it->second, {"unknown_column", {it->first}}});
      ++it;
      continue;
    }
    LedgerReason why;
    Result<std::string> v = NormalizeLedgerValue(*c, it->second, &why);
    if (!v.ok()) {
      errors.push_back({c->key, it->second, std::move(why)});
      ++it;
      continue;
    }
    if (v->empty()) {
      it = values.erase(it);
    } else {
      it->second = std::move(*v);
      ++it;
    }
  }
  for (const LedgerColumn& c : definition.columns) {
    if (c.required && c.since_version <= required_since && !values.count(c.key)) {
      bool reported = std::any_of(errors.begin(), errors.end(),
                                  [&](const LedgerValueError& e) { return e.column == c.key; });
      if (!reported) errors.push_back({c.key, "", {"required", {c.name}}});
    }
  }
  return errors;
}

// ---------------------------------------------------------------- JSON

std::string EncodeLedgerDefinition(const LedgerDefinition& d) {
  bj::object o;
  o["id"] = d.id;
  o["name"] = d.name;
  o["description"] = d.description;
  o["owner_unit"] = d.owner_unit;
  o["period_start"] = OptDate(d.period_start);
  o["period_end"] = OptDate(d.period_end);
  bj::array columns;
  for (const LedgerColumn& c : d.columns) {
    bj::object col;
    col["key"] = c.key;
    col["name"] = c.name;
    col["type"] = Name(c.type);
    col["required"] = c.required;
    if (c.min) col["min"] = *c.min;
    if (c.max) col["max"] = *c.max;
    if (!c.measure.empty()) col["measure"] = c.measure;
    if (!c.choices.empty()) col["choices"] = ToArray(c.choices);
    col["since_version"] = c.since_version;
    columns.push_back(std::move(col));
  }
  o["columns"] = std::move(columns);
  bj::array batches;
  for (const LedgerBatch& b : d.batches) {
    batches.push_back(bj::object{{"name", b.name}, {"deadline", OptDate(b.deadline)}});
  }
  o["batches"] = std::move(batches);
  o["type_column"] = d.type_column;
  if (d.campaign) {
    bj::object c;
    c["categories"] = ToArray(d.campaign->categories);
    c["subdistricts"] = ToArray(d.campaign->subdistricts);
    c["from"] = FormatIso8601(d.campaign->from);
    c["to"] = FormatIso8601(d.campaign->to);
    bj::array targets;
    for (const CampaignTarget& t : d.campaign->targets) {
      targets.push_back(bj::object{{"figure", t.figure}, {"value", t.value}, {"at_most", t.at_most}});
    }
    c["targets"] = std::move(targets);
    o["campaign"] = std::move(c);
  }
  o["version"] = d.version;
  o["created_at"] = FormatIso8601(d.created_at);
  o["updated_at"] = FormatIso8601(d.updated_at);
  return bj::serialize(o);
}

Result<LedgerDefinition> DecodeLedgerDefinition(std::string_view json) {
  CITYGRID_ASSIGN_OR_RETURN(bj::object o, ParseObject(json, "ledger definition"));
  LedgerDefinition d;
  d.id = Str(o, "id");
  d.name = Str(o, "name");
  d.description = Str(o, "description");
  d.owner_unit = Str(o, "owner_unit");
  CITYGRID_ASSIGN_OR_RETURN(d.period_start, ReadOptDate(o, "period_start"));
  CITYGRID_ASSIGN_OR_RETURN(d.period_end, ReadOptDate(o, "period_end"));
  if (const bj::value* cols = o.if_contains("columns"); cols != nullptr && !cols->is_null()) {
    if (!cols->is_array()) return InvalidArgumentError("field 'columns' must be an array");
    for (size_t i = 0; i < cols->as_array().size(); ++i) {
      const bj::value& cv = cols->as_array()[i];
      const std::string where = "columns[" + std::to_string(i) + "]";
      if (!cv.is_object()) return InvalidArgumentError(where + " must be an object");
      const bj::object& co = cv.as_object();
      LedgerColumn c;
      c.key = Str(co, "key");
      c.name = Str(co, "name");
      Result<LedgerColumnType> type = ParseLedgerColumnType(Str(co, "type"));
      if (!type.ok()) return type.status().WithContext(where + " '" + c.key + "'");
      c.type = *type;
      if (const bj::value* r = co.if_contains("required"); r != nullptr && !r->is_null()) {
        if (!r->is_bool()) return InvalidArgumentError(where + ".required must be true or false");
        c.required = r->as_bool();
      }
      if (co.contains("min") && !co.at("min").is_null()) {
        Result<double> min = Num(co, "min", 0);
        if (!min.ok()) return min.status().WithContext(where);
        c.min = *min;
      }
      if (co.contains("max") && !co.at("max").is_null()) {
        Result<double> max = Num(co, "max", 0);
        if (!max.ok()) return max.status().WithContext(where);
        c.max = *max;
      }
      c.measure = Str(co, "measure");
      Result<std::vector<std::string>> choices = StrArray(co, "choices");
      if (!choices.ok()) return choices.status().WithContext(where);
      c.choices = std::move(*choices);
      Result<int64_t> since = Int(co, "since_version", 1);
      if (!since.ok()) return since.status().WithContext(where);
      c.since_version = *since;
      d.columns.push_back(std::move(c));
    }
  }
  if (const bj::value* bs = o.if_contains("batches"); bs != nullptr && !bs->is_null()) {
    if (!bs->is_array()) return InvalidArgumentError("field 'batches' must be an array");
    for (size_t i = 0; i < bs->as_array().size(); ++i) {
      const bj::value& bv = bs->as_array()[i];
      if (!bv.is_object()) return InvalidArgumentError("batches[" + std::to_string(i) + "] must be an object");
      LedgerBatch b;
      b.name = Str(bv.as_object(), "name");
      Result<std::optional<year_month_day>> dl = ReadOptDate(bv.as_object(), "deadline");
      if (!dl.ok()) return dl.status().WithContext("batches[" + std::to_string(i) + "]");
      b.deadline = *dl;
      d.batches.push_back(std::move(b));
    }
  }
  d.type_column = Str(o, "type_column");
  if (const bj::value* cv = o.if_contains("campaign"); cv != nullptr && !cv->is_null()) {
    if (!cv->is_object()) return InvalidArgumentError("field 'campaign' must be an object");
    const bj::object& co = cv->as_object();
    CampaignScope s;
    Result<std::vector<std::string>> cats = StrArray(co, "categories");
    if (!cats.ok()) return cats.status().WithContext("campaign");
    s.categories = std::move(*cats);
    Result<std::vector<std::string>> subs = StrArray(co, "subdistricts");
    if (!subs.ok()) return subs.status().WithContext("campaign");
    s.subdistricts = std::move(*subs);
    Result<Timestamp> from = ReadTime(co, "from");
    if (!from.ok()) return from.status().WithContext("campaign");
    s.from = *from;
    Result<Timestamp> to = ReadTime(co, "to");
    if (!to.ok()) return to.status().WithContext("campaign");
    s.to = *to;
    if (const bj::value* tv = co.if_contains("targets"); tv != nullptr && !tv->is_null()) {
      if (!tv->is_array()) return InvalidArgumentError("campaign.targets must be an array");
      for (const bj::value& t : tv->as_array()) {
        if (!t.is_object()) return InvalidArgumentError("campaign.targets entries must be objects");
        CampaignTarget target;
        target.figure = Str(t.as_object(), "figure");
        Result<double> v = Num(t.as_object(), "value", 0);
        if (!v.ok()) return v.status().WithContext("campaign.targets");
        target.value = *v;
        if (const bj::value* am = t.as_object().if_contains("at_most"); am && am->is_bool()) {
          target.at_most = am->as_bool();
        }
        s.targets.push_back(std::move(target));
      }
    }
    d.campaign = std::move(s);
  }
  CITYGRID_ASSIGN_OR_RETURN(d.version, Int(o, "version", 0));
  CITYGRID_ASSIGN_OR_RETURN(d.created_at, ReadTime(o, "created_at"));
  CITYGRID_ASSIGN_OR_RETURN(d.updated_at, ReadTime(o, "updated_at"));
  return d;
}

std::string EncodeLedgerRow(const LedgerRow& row) {
  bj::object o;
  o["ledger_id"] = row.ledger_id;
  o["key"] = row.key;
  o["version"] = row.version;
  o["title"] = row.title;
  o["unit"] = row.unit;
  o["subdistrict"] = row.subdistrict;
  o["batch"] = row.batch;
  o["deadline"] = OptDate(row.deadline);
  o["state"] = Name(row.state);
  o["progress"] = JsonNumber(row.progress);
  bj::object values;
  for (const auto& [k, v] : row.values) values[k] = v;
  o["values"] = std::move(values);
  o["created_at"] = FormatIso8601(row.created_at);
  o["updated_at"] = FormatIso8601(row.updated_at);
  o["completed_at"] = row.completed_at ? FormatIso8601(*row.completed_at) : "";
  o["definition_version"] = row.definition_version;
  return bj::serialize(o);
}

Result<LedgerRow> DecodeLedgerRow(std::string_view json) {
  CITYGRID_ASSIGN_OR_RETURN(bj::object o, ParseObject(json, "ledger row"));
  LedgerRow row;
  row.ledger_id = Str(o, "ledger_id");
  row.key = Str(o, "key");
  CITYGRID_ASSIGN_OR_RETURN(row.version, Int(o, "version", 0));
  row.title = Str(o, "title");
  row.unit = Str(o, "unit");
  row.subdistrict = Str(o, "subdistrict");
  row.batch = Str(o, "batch");
  CITYGRID_ASSIGN_OR_RETURN(row.deadline, ReadOptDate(o, "deadline"));
  CITYGRID_ASSIGN_OR_RETURN(row.state, ParseLedgerRowState(Str(o, "state")));
  CITYGRID_ASSIGN_OR_RETURN(row.progress, Num(o, "progress", 0));
  if (const bj::value* v = o.if_contains("values"); v != nullptr && v->is_object()) {
    for (const auto& kv : v->as_object()) {
      if (!kv.value().is_string()) return InvalidArgumentError("row values must be strings");
      row.values[std::string(kv.key())] = std::string(kv.value().as_string());
    }
  }
  CITYGRID_ASSIGN_OR_RETURN(row.created_at, ReadTime(o, "created_at"));
  CITYGRID_ASSIGN_OR_RETURN(row.updated_at, ReadTime(o, "updated_at"));
  if (!Str(o, "completed_at").empty()) {
    CITYGRID_ASSIGN_OR_RETURN(Timestamp t, ReadTime(o, "completed_at"));
    row.completed_at = t;
  }
  CITYGRID_ASSIGN_OR_RETURN(row.definition_version, Int(o, "definition_version", 0));
  return row;
}

std::string LedgerChangePayload(const LedgerRow* before, const LedgerRow& after) {
  // bj::object keeps insertion order; insert in sorted key order for a canonical text.
  std::map<std::string, bj::value> fields;
  for (std::string_view f : {"batch", "deadline", "progress", "state", "subdistrict", "title", "unit"}) {
    bj::value now = RowField(after, f);
    if (before == nullptr) {
      bool unset = (now.is_string() && now.as_string().empty()) ||
                   (f == "progress" && now.is_number() && now.to_number<double>() == 0);
      if (!unset || f == "state") fields[std::string(f)] = std::move(now);
    } else if (RowField(*before, f) != now) {
      fields[std::string(f)] = std::move(now);
    }
  }
  std::map<std::string, std::string> changed;
  for (const auto& [k, v] : after.values) {
    if (before == nullptr) {
      changed[k] = v;
      continue;
    }
    auto it = before->values.find(k);
    if (it == before->values.end() || it->second != v) changed[k] = v;
  }
  if (before != nullptr) {
    for (const auto& [k, v] : before->values) {
      if (!after.values.count(k)) changed[k] = "";  // cleared
    }
  }
  if (!changed.empty()) {
    bj::object values;
    for (const auto& [k, v] : changed) values[k] = v;
    fields["values"] = std::move(values);
  }
  bj::object o;
  for (auto& [k, v] : fields) o[k] = std::move(v);
  return bj::serialize(o);
}

}  // namespace citygrid
