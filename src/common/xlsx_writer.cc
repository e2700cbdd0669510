#include "citygrid/common/xlsx_writer.h"

#include <unistd.h>
#include <xlsxwriter.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>

#include "citygrid/common/utf8.h"

namespace citygrid {
namespace {

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// Closes a libxlsxwriter workbook that was not closed normally (on an error path), removing
// the half-written file.
class TempFile {
 public:
  TempFile() {
    const char* tmp = std::getenv("TMPDIR");
    std::string dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    path_ = dir + "/citygrid-xlsx-XXXXXX";
    int fd = mkstemp(path_.data());
    if (fd < 0) {
      path_.clear();
    } else {
      close(fd);
    }
  }
  ~TempFile() {
    if (!path_.empty()) std::remove(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

Result<int> XlsxWriter::AddSheet(const std::string& name) {
  if (name.empty() || Utf8Length(name) > 31) {
    return InvalidArgumentError("sheet name " + Quoted(name) + " must have 1 to 31 characters");
  }
  if (name.find_first_of("[]:*?/\\") != std::string::npos) {
    return InvalidArgumentError("sheet name " + Quoted(name) +
                                " must not contain any of [ ] : * ? / \\");
  }
  if (name.front() == '\'' || name.back() == '\'') {
    return InvalidArgumentError("sheet name " + Quoted(name) +
                                " must not start or end with an apostrophe");
  }
  for (const Sheet& s : sheets_) {
    if (AsciiLower(s.name) == AsciiLower(name)) {
      return InvalidArgumentError("sheet name " + Quoted(name) + " is used twice");
    }
  }
  sheets_.push_back(Sheet{name, {}, {}});
  return static_cast<int>(sheets_.size()) - 1;
}

Status XlsxWriter::AddRow(int sheet, std::vector<XlsxOut> cells, bool bold) {
  if (sheet < 0 || sheet >= sheet_count()) {
    return InvalidArgumentError("no sheet " + std::to_string(sheet) + " (the workbook has " +
                                std::to_string(sheet_count()) + ")");
  }
  Sheet& s = sheets_[sheet];
  const std::string where = "sheet " + Quoted(s.name) + " row " + std::to_string(s.rows.size() + 1);
  if (s.rows.size() >= static_cast<size_t>(kMaxRows)) {
    return InvalidArgumentError(where + ": a sheet holds at most 1048576 rows");
  }
  if (cells.size() > static_cast<size_t>(kMaxColumns)) {
    return InvalidArgumentError(where + ": a row holds at most 16384 cells, got " +
                                std::to_string(cells.size()));
  }
  for (size_t c = 0; c < cells.size(); ++c) {
    const XlsxOut& cell = cells[c];
    if (cell.type == XlsxOut::Type::kNumber && !std::isfinite(cell.number)) {
      return InvalidArgumentError(where + " column " + std::to_string(c + 1) +
                                  ": a number cell must be finite");
    }
    if (cell.type == XlsxOut::Type::kText && cell.text.size() > kMaxTextBytes) {
      return InvalidArgumentError(where + " column " + std::to_string(c + 1) +
                                  ": text of " + std::to_string(cell.text.size()) +
                                  " bytes exceeds 32767");
    }
  }
  s.rows.push_back(Row{std::move(cells), bold});
  return OkStatus();
}

Status XlsxWriter::SetColumnWidth(int sheet, int first, int last, double width) {
  if (sheet < 0 || sheet >= sheet_count()) {
    return InvalidArgumentError("no sheet " + std::to_string(sheet));
  }
  if (first < 0 || last < first || last >= kMaxColumns || !(width >= 0 && width <= 255)) {
    return InvalidArgumentError("column width: columns must satisfy 0 <= first <= last < 16384 "
                                "and width 0..255");
  }
  sheets_[sheet].widths.push_back(Width{first, last, width});
  return OkStatus();
}

Result<std::string> XlsxWriter::Finish() const {
  if (sheets_.empty()) return InvalidArgumentError("a workbook needs at least one sheet");
  TempFile file;
  if (file.path().empty()) return InternalError("xlsx: cannot create a temporary file");
  lxw_workbook* book = workbook_new(file.path().c_str());
  if (book == nullptr) return InternalError("xlsx: libxlsxwriter could not create a workbook");
  lxw_format* bold = workbook_add_format(book);
  format_set_bold(bold);
  auto fail = [&](std::string_view what, lxw_error err) -> Status {
    // Closing writes what there is; the temp file is removed by TempFile anyway.
    workbook_close(book);
    return InternalError("xlsx: " + std::string(what) + ": " + lxw_strerror(err));
  };
  for (const Sheet& s : sheets_) {
    lxw_worksheet* ws = workbook_add_worksheet(book, s.name.c_str());
    if (ws == nullptr) {
      workbook_close(book);
      return InternalError("xlsx: libxlsxwriter refused sheet " + Quoted(s.name));
    }
    for (const Width& w : s.widths) {
      lxw_error err = worksheet_set_column(ws, static_cast<lxw_col_t>(w.first),
                                           static_cast<lxw_col_t>(w.last), w.width, nullptr);
      if (err != LXW_NO_ERROR) return fail("column width", err);
    }
    for (size_t r = 0; r < s.rows.size(); ++r) {
      const Row& row = s.rows[r];
      lxw_format* format = row.bold ? bold : nullptr;
      for (size_t c = 0; c < row.cells.size(); ++c) {
        const XlsxOut& cell = row.cells[c];
        lxw_error err = LXW_NO_ERROR;
        const auto rr = static_cast<lxw_row_t>(r);
        const auto cc = static_cast<lxw_col_t>(c);
        switch (cell.type) {
          case XlsxOut::Type::kEmpty:
            if (format != nullptr) err = worksheet_write_blank(ws, rr, cc, format);
            break;
          case XlsxOut::Type::kText:
            err = cell.text.empty() ? worksheet_write_blank(ws, rr, cc, format)
                                    : worksheet_write_string(ws, rr, cc, cell.text.c_str(),
                                                             format);
            break;
          case XlsxOut::Type::kNumber:
            err = worksheet_write_number(ws, rr, cc, cell.number, format);
            break;
        }
        if (err != LXW_NO_ERROR) return fail("sheet " + Quoted(s.name) + " cell", err);
      }
    }
  }
  lxw_error err = workbook_close(book);
  if (err != LXW_NO_ERROR) {
    return InternalError(std::string("xlsx: writing the workbook failed: ") + lxw_strerror(err));
  }
  std::ifstream in(file.path(), std::ios::binary);
  if (!in) return InternalError("xlsx: cannot read back " + file.path());
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace citygrid
