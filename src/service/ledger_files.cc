// LedgerService import and export: CSV (common/csv.h) and XLSX (common/xlsx_reader.h to read,
// common/xlsx_writer.h to write). Both formats carry the same table: LedgerFixedHeaders(), the
// definition's column names, then 滞后 (derived, ignored on import).

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "citygrid/common/csv.h"
#include "citygrid/common/xlsx_reader.h"
#include "citygrid/common/xlsx_writer.h"
#include "citygrid/service/ledger_service.h"
#include "ledger_rules.h"

namespace citygrid::service {
namespace {

using namespace ledger_rules;

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::string_view kBehindHeader = "滞后";

enum class Fixed { kKey, kTitle, kUnit, kSubdistrict, kBatch, kDeadline, kState, kProgress };

// One row of a file as text, with where it came from.
struct FileRow {
  int64_t number = 0;  // CSV line / XLSX row
  std::vector<std::string> cells;
};

struct Table {
  bool xlsx = false;
  std::vector<FileRow> rows;  // the first is the header
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool AllEmpty(const std::vector<std::string>& cells) {
  return std::all_of(cells.begin(), cells.end(), [](const std::string& c) { return Trim(c).empty(); });
}

Result<Table> ReadTable(std::string_view bytes, LedgerFileFormat format) {
  Table t;
  if (format == LedgerFileFormat::kCsv) {
    if (bytes.starts_with(kBom)) bytes.remove_prefix(kBom.size());
    CsvReader reader(bytes);
    std::vector<std::string> fields;
    while (true) {
      Result<bool> more = reader.Next(&fields);
      if (!more.ok()) return more.status().WithContext("CSV");
      if (!*more) break;
      if (t.rows.empty() && AllEmpty(fields)) continue;
      t.rows.push_back({static_cast<int64_t>(reader.record_line()), fields});
    }
  } else {
    t.xlsx = true;
    CITYGRID_ASSIGN_OR_RETURN(XlsxWorkbook book, ReadXlsx(bytes));
    if (book.sheets.empty()) return InvalidArgumentError("the workbook has no sheet");
    const XlsxSheet& sheet = book.sheets.front();
    for (size_t r = 0; r < sheet.rows.size(); ++r) {
      FileRow row{static_cast<int64_t>(r + 1), {}};
      for (const XlsxCell& c : sheet.rows[r]) row.cells.push_back(c.ToText());
      if (t.rows.empty() && AllEmpty(row.cells)) continue;
      t.rows.push_back(std::move(row));
    }
  }
  if (t.rows.empty()) return InvalidArgumentError("the file has no header row");
  return t;
}

std::string FormatProgress(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", p);
  return buf;
}

}  // namespace

Result<LedgerFileFormat> ParseLedgerFileFormat(std::string_view name) {
  if (name == "csv") return LedgerFileFormat::kCsv;
  if (name == "xlsx") return LedgerFileFormat::kXlsx;
  return InvalidArgumentError("format '" + std::string(name) + "' is not csv or xlsx");
}

// ---------------------------------------------------------------- export

namespace {

// The table of what `actor` sees of `d`, as text, with a flag per cell whether it is numeric.
struct ExportTable {
  std::vector<std::string> header;
  std::vector<bool> numeric;  // per column
  std::vector<std::vector<std::string>> rows;
};

ExportTable BuildExport(const LedgerDefinition& d, const std::vector<LedgerRowView>& rows) {
  ExportTable t;
  for (const std::string& h : LedgerFixedHeaders()) t.header.push_back(h);
  t.numeric.assign(t.header.size(), false);
  t.numeric[static_cast<int>(Fixed::kProgress)] = true;
  for (const LedgerColumn& c : d.columns) {
    t.header.push_back(c.name);
    t.numeric.push_back(c.type == LedgerColumnType::kNumber || c.type == LedgerColumnType::kPercent);
  }
  t.header.emplace_back(kBehindHeader);
  t.numeric.push_back(false);
  for (const LedgerRowView& v : rows) {
    const LedgerRow& r = v.row;
    std::vector<std::string> cells = {r.key,   r.title,
                                      r.unit,  r.subdistrict,
                                      r.batch, r.deadline ? FormatDate(*r.deadline) : "",
                                      std::string(ChineseName(r.state)), FormatProgress(r.progress)};
    for (const LedgerColumn& c : d.columns) {
      auto it = r.values.find(c.key);
      cells.push_back(it == r.values.end() ? "" : it->second);
    }
    cells.push_back(v.behind ? "是" : "");
    t.rows.push_back(std::move(cells));
  }
  return t;
}

}  // namespace

Result<std::string> LedgerService::ExportCsv(const Actor& actor, const std::string& id) {
  CITYGRID_ASSIGN_OR_RETURN(LedgerDefinition d, Load(id));
  CITYGRID_ASSIGN_OR_RETURN(std::vector<LedgerRowView> rows, VisibleRows(actor, d));
  ExportTable t = BuildExport(d, rows);
  std::string out(kBom);
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + CsvField(cells[i]);
    out += "\r\n";
  };
  line(t.header);
  for (const auto& r : t.rows) line(r);
  return out;
}

Result<std::string> LedgerService::ExportXlsx(const Actor& actor, const std::string& id) {
  CITYGRID_ASSIGN_OR_RETURN(LedgerDefinition d, Load(id));
  CITYGRID_ASSIGN_OR_RETURN(std::vector<LedgerRowView> rows, VisibleRows(actor, d));
  ExportTable t = BuildExport(d, rows);
  XlsxWriter book;
  CITYGRID_ASSIGN_OR_RETURN(int sheet, book.AddSheet("台账"));
  std::vector<XlsxOut> header;
  for (const auto& h : t.header) header.push_back(XlsxOut::Text(h));
  CITYGRID_RETURN_IF_ERROR(book.AddRow(sheet, std::move(header), /*bold=*/true));
  for (const auto& r : t.rows) {
    std::vector<XlsxOut> cells;
    for (size_t i = 0; i < r.size(); ++i) {
      if (r[i].empty()) {
        cells.push_back(XlsxOut::Empty());
      } else if (t.numeric[i]) {
        cells.push_back(XlsxOut::Number(std::strtod(r[i].c_str(), nullptr)));
      } else {
        cells.push_back(XlsxOut::Text(r[i]));
      }
    }
    CITYGRID_RETURN_IF_ERROR(book.AddRow(sheet, std::move(cells)));
  }
  CITYGRID_RETURN_IF_ERROR(book.SetColumnWidth(sheet, 0, static_cast<int>(t.header.size()) - 1, 14));
  return book.Finish();
}

// ---------------------------------------------------------------- import

Result<LedgerImportReport> LedgerService::Import(const Actor& actor, const std::string& id,
                                                 std::string_view bytes,
                                                 const LedgerImportOptions& options) {
  CITYGRID_ASSIGN_OR_RETURN(LedgerDefinition d, Load(id));
  CITYGRID_RETURN_IF_ERROR(DenyUnlessManages(actor, d, "import rows into"));
  CITYGRID_ASSIGN_OR_RETURN(Table table, ReadTable(bytes, options.format));
  if (table.rows.size() - 1 > options_.max_rows) {
    return ResourceExhaustedError("the file has " + std::to_string(table.rows.size() - 1) +
                                  " rows; at most " + std::to_string(options_.max_rows) + " per import");
  }
  std::shared_ptr<const ReferenceData> ref = reference_.Get();
  LedgerImportReport report;
  auto cell_name = [&](int64_t row, size_t col) {
    return table.xlsx ? XlsxColumnName(static_cast<int>(col)) + std::to_string(row) : std::string();
  };

  // Header → fixed field or column.
  const FileRow& header = table.rows.front();
  std::vector<std::optional<Fixed>> fixed(header.cells.size());
  std::vector<const LedgerColumn*> columns(header.cells.size(), nullptr);
  std::vector<bool> ignored(header.cells.size(), false);
  std::set<std::string> seen;
  const std::vector<std::string>& fixed_headers = LedgerFixedHeaders();
  for (size_t i = 0; i < header.cells.size(); ++i) {
    std::string h(Trim(header.cells[i]));
    auto err = [&](LedgerReason reason) {
      report.errors.push_back({header.number, h, cell_name(header.number, i), h, std::move(reason)});
    };
    if (h.empty()) {
      ignored[i] = true;  // an unnamed column must stay empty (checked per row)
      continue;
    }
    if (!seen.insert(h).second) {
      err({"duplicate_header", {h}});
      continue;
    }
    auto f = std::find(fixed_headers.begin(), fixed_headers.end(), h);
    if (f != fixed_headers.end()) {
      fixed[i] = static_cast<Fixed>(f - fixed_headers.begin());
    } else if (const LedgerColumn* c = d.FindColumnByName(h)) {
      columns[i] = c;
    } else if (const LedgerColumn* c = d.FindColumn(h)) {
      columns[i] = c;
    } else if (h == kBehindHeader) {
      ignored[i] = true;
    } else {
      err({"unknown_header", {h, d.id}});
    }
  }
  if (!report.errors.empty()) return report;  // nothing can be read reliably

  CITYGRID_ASSIGN_OR_RETURN(std::vector<LedgerRow> existing_rows, store_.ledgers().ListRows(id));
  std::map<std::string, LedgerRow> existing;
  for (LedgerRow& r : existing_rows) existing.emplace(r.key, std::move(r));
  const Timestamp now = clock_.Now();
  std::vector<storage::LedgerRowWrite> writes;
  std::set<std::string> keys_in_file;
  std::vector<LedgerRow> all_for_next_key;  // existing + new, for key allocation
  for (const auto& [k, r] : existing) all_for_next_key.push_back(r);
  int64_t created = 0, updated = 0, unchanged = 0;

  for (size_t ri = 1; ri < table.rows.size(); ++ri) {
    const FileRow& fr = table.rows[ri];
    if (AllEmpty(fr.cells)) continue;
    ++report.rows_read;
    const size_t errors_before = report.errors.size();
    auto err = [&](size_t col, std::string value, LedgerReason reason) {
      report.errors.push_back({fr.number, col < header.cells.size() ? std::string(Trim(header.cells[col])) : "",
                               col < header.cells.size() ? cell_name(fr.number, col) : "",
                               std::move(value), std::move(reason)});
    };
    // Find the key first: it decides between create and update.
    std::string key;
    size_t key_col = header.cells.size();
    for (size_t i = 0; i < header.cells.size(); ++i) {
      if (fixed[i] == Fixed::kKey && i < fr.cells.size()) {
        key = std::string(Trim(fr.cells[i]));
        key_col = i;
      }
    }
    auto ex = key.empty() ? existing.end() : existing.find(key);
    const bool is_update = ex != existing.end();
    LedgerRow row;
    if (is_update) {
      row = ex->second;
    } else {
      row.ledger_id = id;
      row.key = key;
      row.created_at = now;
      row.definition_version = d.version;
    }
    if (!key.empty() && !keys_in_file.insert(key).second) {
      err(key_col, key, {"duplicate_key", {key}});
    }
    bool state_given = false;
    std::map<std::string, size_t> col_of_key;
    for (size_t i = 0; i < header.cells.size(); ++i) {
      std::string text = i < fr.cells.size() ? std::string(Trim(fr.cells[i])) : "";
      if (ignored[i]) {
        if (!text.empty() && Trim(header.cells[i]).empty()) err(i, text, {"value_without_header", {}});
        continue;
      }
      if (columns[i] != nullptr) {
        col_of_key[columns[i]->key] = i;
        if (text.empty()) {
          row.values.erase(columns[i]->key);
        } else {
          row.values[columns[i]->key] = text;
        }
        continue;
      }
      if (!fixed[i]) continue;
      switch (*fixed[i]) {
        case Fixed::kKey:
          break;
        case Fixed::kTitle:
          row.title = text;
          break;
        case Fixed::kUnit: {
          if (text.empty()) {
            err(i, text, {"unit_required", {}});
            break;
          }
          std::string code = ResolveUnit(*ref, text);
          if (code.empty()) {
            err(i, text, {"unknown_unit", {text}});
          } else {
            row.unit = code;
          }
          break;
        }
        case Fixed::kSubdistrict: {
          if (text.empty()) {
            row.subdistrict.clear();
            break;
          }
          std::string code = ResolveSubdistrict(*ref, text);
          if (code.empty()) {
            err(i, text, {"unknown_subdistrict", {text}});
          } else {
            row.subdistrict = code;
          }
          break;
        }
        case Fixed::kBatch:
          if (!text.empty() && d.FindBatch(text) == nullptr) {
            err(i, text, NotABatch(d, text));
          } else {
            row.batch = text;
          }
          break;
        case Fixed::kDeadline: {
          if (text.empty()) {
            row.deadline.reset();
            break;
          }
          LedgerColumn date_column;
          date_column.type = LedgerColumnType::kDate;
          LedgerReason why;
          Result<std::string> v = NormalizeLedgerValue(date_column, text, &why);
          if (!v.ok()) {
            err(i, text, std::move(why));
          } else {
            row.deadline = *ParseDate(*v);
          }
          break;
        }
        case Fixed::kState: {
          if (text.empty()) break;
          if (text == kBehindHeader) {
            err(i, text, {"behind_is_derived", {}});
            break;
          }
          Result<LedgerRowState> s = ParseLedgerRowState(text);
          if (!s.ok()) {
            err(i, text, {"not_a_state", {text}});
          } else {
            row.state = *s;
            state_given = true;
          }
          break;
        }
        case Fixed::kProgress: {
          if (text.empty()) break;
          LedgerColumn pct;
          pct.type = LedgerColumnType::kPercent;
          LedgerReason why;
          Result<std::string> v = NormalizeLedgerValue(pct, text, &why);
          if (!v.ok()) {
            err(i, text, std::move(why));
          } else {
            row.progress = std::strtod(v->c_str(), nullptr);
          }
          break;
        }
      }
    }
    const int64_t required_since = is_update ? std::max<int64_t>(row.definition_version, 1) : d.version;
    std::vector<LedgerValueError> value_errors = ValidateRowValues(d, row.values, required_since);
    for (const LedgerValueError& e : value_errors) {
      auto c = col_of_key.find(e.column);
      const LedgerColumn* column = d.FindColumn(e.column);
      if (c != col_of_key.end()) {
        err(c->second, e.value, e.reason);
      } else {
        report.errors.push_back({fr.number, column != nullptr ? column->name : e.column, "",
                                 e.value, e.reason});
      }
    }
    if (row.unit.empty() && report.errors.size() == errors_before) {
      report.errors.push_back({fr.number, "责任单位", "", "", {"unit_required", {}}});
    }
    if (report.errors.size() != errors_before) continue;
    std::vector<LedgerValueError> fixed_errors;
    CheckFixedFields(*ref, d, row, fixed_errors);
    for (const LedgerValueError& e : fixed_errors) {
      report.errors.push_back({fr.number, e.column, "", e.value, e.reason});
    }
    if (report.errors.size() != errors_before) continue;
    if (!is_update && row.key.empty()) {
      row.key = [&] {
        int64_t max = 0;
        for (const LedgerRow& r : all_for_next_key) {
          if (r.key.size() >= 2 && r.key[0] == 'R' &&
              std::all_of(r.key.begin() + 1, r.key.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            max = std::max<int64_t>(max, std::stoll(r.key.substr(1)));
          }
        }
        std::string n = std::to_string(max + 1);
        return "R" + std::string(n.size() < 4 ? 4 - n.size() : 0, '0') + n;
      }();
    }
    ++report.rows_valid;
    if (is_update) {
      const LedgerRow& before = ex->second;
      SettleState(row, &before, state_given, now);
      LedgerRow compare = row;
      compare.updated_at = before.updated_at;
      compare.version = before.version;
      if (compare == before) {
        ++unchanged;
        continue;
      }
      row.version = before.version + 1;
      row.updated_at = now;
      storage::LedgerRowWrite w;
      w.expected_version = before.version;
      LedgerEvent e;
      e.type = LedgerEventType::kEdited;
      e.actor = actor;
      e.at = now;
      e.note = "导入";
      e.payload_json = LedgerChangePayload(&before, row);
      w.events.push_back(std::move(e));
      w.next = std::move(row);
      writes.push_back(std::move(w));
      ++updated;
    } else {
      row.version = 1;
      row.updated_at = now;
      SettleState(row, nullptr, state_given, now);
      storage::LedgerRowWrite w;
      w.expected_version = 0;
      LedgerEvent e;
      e.type = LedgerEventType::kCreated;
      e.actor = actor;
      e.at = now;
      e.note = "导入";
      e.payload_json = LedgerChangePayload(nullptr, row);
      w.events.push_back(std::move(e));
      all_for_next_key.push_back(row);
      keys_in_file.insert(row.key);
      w.next = std::move(row);
      writes.push_back(std::move(w));
      ++created;
    }
  }
  if (existing.size() + static_cast<size_t>(created) > options_.max_rows) {
    return ResourceExhaustedError("ledger '" + id + "' would exceed " +
                                  std::to_string(options_.max_rows) + " rows");
  }
  report.rows_created = created;
  report.rows_updated = updated;
  report.rows_unchanged = unchanged;
  const bool blocked = !report.errors.empty() && !options.valid_rows_only;
  if (blocked) {
    report.rows_created = report.rows_updated = 0;
    return report;
  }
  if (options.dry_run || writes.empty()) return report;
  CITYGRID_RETURN_IF_ERROR(store_.ledgers().Write(id, std::move(writes)));
  report.applied = true;
  return report;
}

}  // namespace citygrid::service
