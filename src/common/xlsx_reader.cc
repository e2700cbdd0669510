#include "citygrid/common/xlsx_reader.h"

#include <expat.h>
#include <zip.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "citygrid/common/time.h"

namespace citygrid {
namespace {

constexpr int kMaxRows = 1'048'576;
constexpr int kMaxColumns = 16'384;

// ---------------------------------------------------------------- zip

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};

class ZipArchive {
 public:
  static Result<ZipArchive> Open(std::string_view bytes) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (source == nullptr) {
      std::string why = zip_error_strerror(&error);
      zip_error_fini(&error);
      return InvalidArgumentError("not an xlsx file (zip: " + why + ")");
    }
    zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &error);
    if (archive == nullptr) {
      std::string why = zip_error_strerror(&error);
      zip_error_fini(&error);
      zip_source_free(source);
      return InvalidArgumentError("not an xlsx file (zip: " + why + ")");
    }
    zip_error_fini(&error);
    return ZipArchive(archive);
  }

  bool Has(const std::string& name) const {
    return zip_name_locate(archive_.get(), name.c_str(), 0) >= 0;
  }

  // The uncompressed bytes of `name`; kInvalidArgument when absent (a part the workbook names is
  // missing: the file is broken, not something the caller asked for that does not exist).
  Result<std::string> Read(const std::string& name, size_t limit) const {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat(archive_.get(), name.c_str(), 0, &st) != 0) {
      return InvalidArgumentError("not a complete xlsx file: part " + name + " is missing");
    }
    if ((st.valid & ZIP_STAT_SIZE) && st.size > limit) {
      return ResourceExhaustedError("xlsx part " + name + " is " + std::to_string(st.size) +
                                    " bytes uncompressed, more than the limit of " +
                                    std::to_string(limit));
    }
    zip_file_t* file = zip_fopen(archive_.get(), name.c_str(), 0);
    if (file == nullptr) {
      return InvalidArgumentError("xlsx part " + name +
                                  " cannot be opened: " + zip_strerror(archive_.get()));
    }
    std::string out;
    char buf[65536];
    while (true) {
      zip_int64_t n = zip_fread(file, buf, sizeof buf);
      if (n < 0) {
        std::string why = zip_file_strerror(file);
        zip_fclose(file);
        return InvalidArgumentError("xlsx part " + name + " is corrupt: " + why);
      }
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
      if (out.size() > limit) {
        zip_fclose(file);
        return ResourceExhaustedError("xlsx part " + name + " is larger than the limit of " +
                                      std::to_string(limit) + " bytes");
      }
    }
    zip_fclose(file);
    return out;
  }

 private:
  explicit ZipArchive(zip_t* archive) : archive_(archive) {}
  std::unique_ptr<zip_t, ZipCloser> archive_;
};

// ---------------------------------------------------------------- XML

// The local part of an expat namespace-qualified name "uri|local".
std::string_view Local(const XML_Char* name) {
  std::string_view s(name);
  size_t bar = s.rfind('|');
  return bar == std::string_view::npos ? s : s.substr(bar + 1);
}

// Attribute `local` of an element, or nullptr.
const char* Attr(const XML_Char** attrs, std::string_view local) {
  for (int i = 0; attrs[i] != nullptr; i += 2) {
    if (Local(attrs[i]) == local) return attrs[i + 1];
  }
  return nullptr;
}

// Event callbacks of one parse. `error` set by a callback stops the parse.
struct XmlHandler {
  std::function<void(std::string_view, const XML_Char**)> start;
  std::function<void(std::string_view)> end;
  std::function<void(std::string_view)> text;
  Status error;
};

void XMLCALL OnStart(void* data, const XML_Char* name, const XML_Char** attrs) {
  auto* h = static_cast<XmlHandler*>(data);
  if (h->start && h->error.ok()) h->start(Local(name), attrs);
}
void XMLCALL OnEnd(void* data, const XML_Char* name) {
  auto* h = static_cast<XmlHandler*>(data);
  if (h->end && h->error.ok()) h->end(Local(name));
}
void XMLCALL OnText(void* data, const XML_Char* s, int len) {
  auto* h = static_cast<XmlHandler*>(data);
  if (h->text && h->error.ok()) h->text(std::string_view(s, static_cast<size_t>(len)));
}

struct ParserCloser {
  void operator()(XML_Parser p) const { XML_ParserFree(p); }
};

Status ParseXml(const std::string& part, std::string_view xml, XmlHandler& handler) {
  std::unique_ptr<XML_ParserStruct, ParserCloser> parser(XML_ParserCreateNS(nullptr, '|'));
  if (!parser) return InternalError("expat: cannot create a parser");
  XML_SetUserData(parser.get(), &handler);
  XML_SetElementHandler(parser.get(), OnStart, OnEnd);
  XML_SetCharacterDataHandler(parser.get(), OnText);
  // Parse in chunks so a callback's error stops the work early.
  constexpr size_t kChunk = 1 << 20;
  size_t pos = 0;
  do {
    size_t n = std::min(kChunk, xml.size() - pos);
    bool last = pos + n == xml.size();
    if (XML_Parse(parser.get(), xml.data() + pos, static_cast<int>(n), last) ==
        XML_STATUS_ERROR) {
      return InvalidArgumentError(
          part + ": malformed XML at line " +
          std::to_string(XML_GetCurrentLineNumber(parser.get())) + ", column " +
          std::to_string(XML_GetCurrentColumnNumber(parser.get())) + ": " +
          XML_ErrorString(XML_GetErrorCode(parser.get())));
    }
    if (!handler.error.ok()) return handler.error.WithContext(part);
    pos += n;
  } while (pos < xml.size());
  return OkStatus();
}

// ---------------------------------------------------------------- parts

// "worksheets/sheet1.xml" relative to xl/, or "/xl/worksheets/sheet1.xml" absolute.
std::string ResolveTarget(std::string_view target) {
  if (!target.empty() && target.front() == '/') return std::string(target.substr(1));
  std::string base = "xl/";
  while (target.starts_with("../")) {
    target.remove_prefix(3);
    base.clear();
  }
  return base + std::string(target);
}

bool IsBuiltinDateFormat(int id) {
  return (id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) ||
         (id >= 50 && id <= 58);
}

bool IsDateFormatCode(std::string_view code) {
  bool quoted = false;
  int bracket = 0;
  for (size_t i = 0; i < code.size(); ++i) {
    char c = code[i];
    if (quoted) {
      if (c == '"') quoted = false;
      continue;
    }
    if (c == '"') {
      quoted = true;
    } else if (c == '\\' || c == '_' || c == '*') {
      ++i;  // the next character is literal (or padding)
    } else if (c == '[') {
      ++bracket;
    } else if (c == ']') {
      if (bracket > 0) --bracket;
    } else if (bracket == 0) {
      switch (c) {
        case 'd': case 'D': case 'm': case 'M': case 'y': case 'Y':
        case 'h': case 'H': case 's': case 'S':
          return true;
        default:
          break;
      }
    }
  }
  return false;
}

Result<double> ParseNumber(std::string_view text) {
  while (!text.empty() && (text.front() == ' ')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ')) text.remove_suffix(1);
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v)) {
    return InvalidArgumentError("'" + std::string(text) + "' is not a number");
  }
  return v;
}

// Parses "B7" into zero-based (row, column).
bool ParseCellRef(std::string_view ref, int* row, int* col) {
  size_t i = 0;
  while (i < ref.size() && ref[i] >= 'A' && ref[i] <= 'Z') ++i;
  int c = XlsxColumnIndex(ref.substr(0, i));
  if (c < 0 || i == ref.size()) return false;
  int r = 0;
  for (size_t j = i; j < ref.size(); ++j) {
    if (ref[j] < '0' || ref[j] > '9') return false;
    r = r * 10 + (ref[j] - '0');
    if (r > kMaxRows) return false;
  }
  if (r < 1) return false;
  *row = r - 1;
  *col = c;
  return true;
}

std::string CellName(int row, int col) { return XlsxColumnName(col) + std::to_string(row + 1); }

class WorkbookReader {
 public:
  WorkbookReader(const ZipArchive& zip, const XlsxReadOptions& options)
      : zip_(zip), options_(options) {}

  Result<XlsxWorkbook> Read() {
    if (!zip_.Has("xl/workbook.xml")) {
      return InvalidArgumentError("not an xlsx file: xl/workbook.xml is missing");
    }
    CITYGRID_RETURN_IF_ERROR(ReadRelationships());
    CITYGRID_RETURN_IF_ERROR(ReadWorkbook());
    CITYGRID_RETURN_IF_ERROR(ReadSharedStrings());
    CITYGRID_RETURN_IF_ERROR(ReadStyles());
    for (const auto& [name, rid] : sheet_refs_) {
      auto target = rels_.find(rid);
      if (target == rels_.end()) {
        return InvalidArgumentError("xl/workbook.xml: sheet '" + name +
                                    "' refers to unknown relationship '" + rid + "'");
      }
      XlsxSheet sheet;
      sheet.name = name;
      CITYGRID_RETURN_IF_ERROR(ReadSheet(ResolveTarget(target->second), sheet));
      book_.sheets.push_back(std::move(sheet));
    }
    return std::move(book_);
  }

 private:
  Result<std::string> Part(const std::string& name) {
    return zip_.Read(name, options_.max_uncompressed_bytes);
  }

  Status ReadRelationships() {
    const std::string part = "xl/_rels/workbook.xml.rels";
    CITYGRID_ASSIGN_OR_RETURN(std::string xml, Part(part));
    XmlHandler h;
    h.start = [&](std::string_view name, const XML_Char** attrs) {
      if (name != "Relationship") return;
      const char* id = Attr(attrs, "Id");
      const char* target = Attr(attrs, "Target");
      const char* type = Attr(attrs, "Type");
      if (id == nullptr || target == nullptr) return;
      rels_[id] = target;
      if (type != nullptr && std::string_view(type).ends_with("/sharedStrings")) {
        shared_strings_part_ = ResolveTarget(target);
      }
      if (type != nullptr && std::string_view(type).ends_with("/styles")) {
        styles_part_ = ResolveTarget(target);
      }
    };
    return ParseXml(part, xml, h);
  }

  Status ReadWorkbook() {
    const std::string part = "xl/workbook.xml";
    CITYGRID_ASSIGN_OR_RETURN(std::string xml, Part(part));
    XmlHandler h;
    h.start = [&](std::string_view name, const XML_Char** attrs) {
      if (name == "workbookPr") {
        const char* d = Attr(attrs, "date1904");
        book_.date1904 = d != nullptr && (std::string_view(d) == "1" ||
                                          std::string_view(d) == "true");
      } else if (name == "sheet") {
        const char* sheet_name = Attr(attrs, "name");
        const char* rid = Attr(attrs, "id");
        if (sheet_name == nullptr || rid == nullptr) {
          h.error = InvalidArgumentError("a <sheet> lacks its name or r:id");
          return;
        }
        sheet_refs_.emplace_back(sheet_name, rid);
      }
    };
    return ParseXml(part, xml, h);
  }

  Status ReadSharedStrings() {
    if (shared_strings_part_.empty()) shared_strings_part_ = "xl/sharedStrings.xml";
    if (!zip_.Has(shared_strings_part_)) return OkStatus();
    CITYGRID_ASSIGN_OR_RETURN(std::string xml, Part(shared_strings_part_));
    XmlHandler h;
    bool in_si = false, in_t = false;
    int phonetic = 0;
    std::string current;
    h.start = [&](std::string_view name, const XML_Char**) {
      if (name == "si") {
        in_si = true;
        current.clear();
      } else if (name == "rPh") {
        ++phonetic;
      } else if (name == "t" && in_si && phonetic == 0) {
        in_t = true;
      }
    };
    h.end = [&](std::string_view name) {
      if (name == "si") {
        in_si = false;
        shared_strings_.push_back(std::move(current));
        current.clear();
      } else if (name == "rPh") {
        --phonetic;
      } else if (name == "t") {
        in_t = false;
      }
    };
    h.text = [&](std::string_view s) {
      if (in_t) current.append(s);
    };
    return ParseXml(shared_strings_part_, xml, h);
  }

  Status ReadStyles() {
    if (styles_part_.empty()) styles_part_ = "xl/styles.xml";
    if (!zip_.Has(styles_part_)) return OkStatus();
    CITYGRID_ASSIGN_OR_RETURN(std::string xml, Part(styles_part_));
    std::map<int, bool> custom_is_date;
    std::vector<int> xf_formats;
    bool in_cell_xfs = false;
    XmlHandler h;
    h.start = [&](std::string_view name, const XML_Char** attrs) {
      if (name == "numFmt") {
        const char* id = Attr(attrs, "numFmtId");
        const char* code = Attr(attrs, "formatCode");
        if (id != nullptr && code != nullptr) custom_is_date[std::atoi(id)] = IsDateFormatCode(code);
      } else if (name == "cellXfs") {
        in_cell_xfs = true;
      } else if (name == "xf" && in_cell_xfs) {
        const char* id = Attr(attrs, "numFmtId");
        xf_formats.push_back(id != nullptr ? std::atoi(id) : 0);
      }
    };
    h.end = [&](std::string_view name) {
      if (name == "cellXfs") in_cell_xfs = false;
    };
    CITYGRID_RETURN_IF_ERROR(ParseXml(styles_part_, xml, h));
    for (int id : xf_formats) {
      auto custom = custom_is_date.find(id);
      style_is_date_.push_back(custom != custom_is_date.end() ? custom->second
                                                              : IsBuiltinDateFormat(id));
    }
    return OkStatus();
  }

  Status ReadSheet(const std::string& part, XlsxSheet& sheet) {
    CITYGRID_ASSIGN_OR_RETURN(std::string xml, Part(part));
    XmlHandler h;
    int row = -1, col = -1;
    std::string type;
    int style = 0;
    bool in_value = false, in_inline_text = false, in_inline = false;
    int phonetic = 0;
    std::string value;
    bool has_value = false;

    h.start = [&](std::string_view name, const XML_Char** attrs) {
      if (name == "row") {
        const char* r = Attr(attrs, "r");
        int next = row + 1;
        if (r != nullptr) {
          next = std::atoi(r) - 1;
          if (next < 0 || next >= kMaxRows || next <= row) {
            h.error = InvalidArgumentError(std::string("row number '") + r +
                                           "' is out of range or out of order");
            return;
          }
        }
        if (next >= kMaxRows) {
          h.error = InvalidArgumentError("more than 1048576 rows");
          return;
        }
        row = next;
        col = -1;
      } else if (name == "c") {
        if (row < 0) row = 0;
        const char* r = Attr(attrs, "r");
        if (r != nullptr) {
          int rr = 0, cc = 0;
          if (!ParseCellRef(r, &rr, &cc)) {
            h.error = InvalidArgumentError(std::string("bad cell reference '") + r + "'");
            return;
          }
          row = rr;
          col = cc;
        } else {
          ++col;
        }
        if (col >= kMaxColumns) {
          h.error = InvalidArgumentError("more than 16384 columns in row " +
                                         std::to_string(row + 1));
          return;
        }
        const char* t = Attr(attrs, "t");
        type = t != nullptr ? t : "n";
        const char* s = Attr(attrs, "s");
        style = s != nullptr ? std::atoi(s) : 0;
        value.clear();
        has_value = false;
      } else if (name == "v") {
        in_value = true;
        has_value = true;
      } else if (name == "is") {
        in_inline = true;
        has_value = true;
      } else if (name == "rPh") {
        ++phonetic;
      } else if (name == "t" && in_inline && phonetic == 0) {
        in_inline_text = true;
      }
    };
    h.text = [&](std::string_view s) {
      if (in_value || in_inline_text) value.append(s);
    };
    h.end = [&](std::string_view name) {
      if (name == "v") {
        in_value = false;
      } else if (name == "t") {
        in_inline_text = false;
      } else if (name == "rPh") {
        --phonetic;
      } else if (name == "is") {
        in_inline = false;
      } else if (name == "c") {
        if (!has_value) return;
        Result<XlsxCell> cell = MakeCell(type, style, value);
        if (!cell.ok()) {
          h.error = cell.status().WithContext("cell " + CellName(row, col));
          return;
        }
        if (cell->type == XlsxCell::Type::kEmpty) return;
        if (++cells_ > options_.max_cells) {
          h.error = ResourceExhaustedError("more than " + std::to_string(options_.max_cells) +
                                           " non-empty cells");
          return;
        }
        if (sheet.rows.size() <= static_cast<size_t>(row)) sheet.rows.resize(row + 1);
        auto& cells = sheet.rows[row];
        if (cells.size() <= static_cast<size_t>(col)) cells.resize(col + 1);
        cells[col] = std::move(*cell);
      }
    };
    return ParseXml(part, xml, h);
  }

  Result<XlsxCell> MakeCell(const std::string& type, int style, const std::string& value) {
    XlsxCell cell;
    if (type == "s") {
      CITYGRID_ASSIGN_OR_RETURN(double index, ParseNumber(value));
      if (index < 0 || index >= static_cast<double>(shared_strings_.size()) ||
          index != std::floor(index)) {
        return InvalidArgumentError("shared string index " + value + " out of range (" +
                                    std::to_string(shared_strings_.size()) + " strings)");
      }
      cell.type = XlsxCell::Type::kString;
      cell.text = shared_strings_[static_cast<size_t>(index)];
    } else if (type == "str" || type == "inlineStr") {
      cell.type = XlsxCell::Type::kString;
      cell.text = value;
    } else if (type == "b") {
      cell.type = XlsxCell::Type::kBool;
      cell.number = (value == "1" || value == "true") ? 1 : 0;
      cell.text = cell.number != 0 ? "TRUE" : "FALSE";
    } else if (type == "e") {
      cell.type = XlsxCell::Type::kError;
      cell.text = value;
    } else if (type == "n" || type == "d") {
      if (value.empty()) return cell;
      if (type == "d") {  // ISO 8601 date cell (rare; strict OOXML)
        cell.type = XlsxCell::Type::kString;
        cell.text = value;
        return cell;
      }
      CITYGRID_ASSIGN_OR_RETURN(cell.number, ParseNumber(value));
      bool is_date = style >= 0 && static_cast<size_t>(style) < style_is_date_.size() &&
                     style_is_date_[style];
      cell.type = is_date ? XlsxCell::Type::kDate : XlsxCell::Type::kNumber;
      if (is_date && book_.date1904) cell.number += 1462;  // to the 1900 system
    } else {
      return InvalidArgumentError("unknown cell type '" + type + "'");
    }
    return cell;
  }

  const ZipArchive& zip_;
  const XlsxReadOptions& options_;
  XlsxWorkbook book_;
  std::map<std::string, std::string> rels_;
  std::vector<std::pair<std::string, std::string>> sheet_refs_;  // name, r:id
  std::string shared_strings_part_;
  std::string styles_part_;
  std::vector<std::string> shared_strings_;
  std::vector<bool> style_is_date_;  // by cellXfs index
  size_t cells_ = 0;
};

std::string ShortestNumber(double v) {
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return std::to_string(v);
  return std::string(buf, ptr);
}

}  // namespace

std::string XlsxCell::ToText() const {
  switch (type) {
    case Type::kEmpty:
      return "";
    case Type::kString:
    case Type::kError:
    case Type::kBool:
      return text;
    case Type::kNumber:
      return ShortestNumber(number);
    case Type::kDate: {
      using namespace std::chrono;
      double whole = std::floor(number);
      // Serial 60 is Excel's phantom 1900-02-29; serials before it count from 1899-12-31.
      sys_days base = whole < 60 ? sys_days(year(1899) / December / 31)
                                 : sys_days(year(1899) / December / 30);
      sys_days day = base + days(static_cast<int64_t>(whole));
      std::string out = FormatDate(year_month_day(day));
      int64_t secs = std::llround((number - whole) * 86400.0);
      if (secs >= 86400) {
        secs = 0;
        out = FormatDate(year_month_day(day + days(1)));
      }
      if (secs > 0) {
        char buf[16];
        std::snprintf(buf, sizeof buf, " %02d:%02d:%02d", static_cast<int>(secs / 3600),
                      static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
        out += buf;
      }
      return out;
    }
  }
  return "";
}

int XlsxColumnIndex(std::string_view letters) {
  if (letters.empty() || letters.size() > 3) return -1;
  int index = 0;
  for (char c : letters) {
    if (c < 'A' || c > 'Z') return -1;
    index = index * 26 + (c - 'A' + 1);
  }
  return index <= kMaxColumns ? index - 1 : -1;
}

std::string XlsxColumnName(int index) {
  std::string out;
  for (int n = index + 1; n > 0; n = (n - 1) / 26) {
    out.insert(out.begin(), static_cast<char>('A' + (n - 1) % 26));
  }
  return out;
}

Result<XlsxWorkbook> ReadXlsx(std::string_view bytes, const XlsxReadOptions& options) {
  CITYGRID_ASSIGN_OR_RETURN(ZipArchive zip, ZipArchive::Open(bytes));
  WorkbookReader reader(zip, options);
  return reader.Read();
}

}  // namespace citygrid
