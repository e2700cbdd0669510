#pragma once

// Writes an Office Open XML workbook (.xlsx): sheets of rows of text and number cells, the
// first row of each sheet optionally bold (a header). A thin wrapper over Debian's
// libxlsxwriter (libxlsxwriter-dev); its header does not leak out of src/common/xlsx_writer.cc.
//
//   XlsxWriter book;
//   CITYGRID_ASSIGN_OR_RETURN(int sheet, book.AddSheet("按单位"));
//   book.AddRow(sheet, {XlsxOut::Text("单位"), XlsxOut::Text("结案率")}, /*bold=*/true);
//   book.AddRow(sheet, {XlsxOut::Text("环卫"), XlsxOut::Number(93.72)});
//   CITYGRID_ASSIGN_OR_RETURN(std::string bytes, book.Finish());  // the .xlsx file's bytes
//
// Cells are kept in memory until Finish(), which writes the workbook through libxlsxwriter to a
// temporary file (in $TMPDIR or /tmp), reads it back and removes it: libxlsxwriter 1.1.4 cannot
// write to memory. No formulas, no dates (write dates as text "2020-04-30").
//
// Limits (the format's own): sheet names 1-31 characters (UTF-8 code points), none of []:*?/\,
// unique ignoring ASCII case; at most 1,048,576 rows and 16,384 columns per sheet; text cells at
// most 32,767 bytes. Violations are kInvalidArgument naming the sheet, row and column.
//
// Thread safety: one writer per thread; distinct writers are independent.

#include <cstdint>
#include <string>
#include <vector>

#include "citygrid/common/status.h"

namespace citygrid {

// One cell to write: empty, text or a number.
struct XlsxOut {
  enum class Type { kEmpty, kText, kNumber };
  Type type = Type::kEmpty;
  std::string text;
  double number = 0;

  static XlsxOut Empty() { return {}; }
  static XlsxOut Text(std::string text) { return {Type::kText, std::move(text), 0}; }
  static XlsxOut Number(double number) { return {Type::kNumber, "", number}; }
};

class XlsxWriter {
 public:
  static constexpr int kMaxRows = 1'048'576;
  static constexpr int kMaxColumns = 16'384;
  static constexpr size_t kMaxTextBytes = 32'767;

  // Adds an empty sheet and returns its index (0, 1, ...). kInvalidArgument for a bad or
  // duplicate name.
  Result<int> AddSheet(const std::string& name);

  // Appends a row to `sheet`. `bold` formats the row's cells bold (for a header row).
  // kInvalidArgument for an unknown sheet, a full sheet, too many cells, a non-finite number
  // or an over-long text; nothing is added then.
  Status AddRow(int sheet, std::vector<XlsxOut> cells, bool bold = false);

  // Sets the width of columns [first, last] of `sheet` in characters (display only).
  Status SetColumnWidth(int sheet, int first, int last, double width);

  // The workbook's bytes. kInvalidArgument when there is no sheet; kInternal when
  // libxlsxwriter fails (its message included). The writer may be finished more than once.
  Result<std::string> Finish() const;

  int sheet_count() const { return static_cast<int>(sheets_.size()); }

 private:
  struct Row {
    std::vector<XlsxOut> cells;
    bool bold = false;
  };
  struct Width {
    int first = 0, last = 0;
    double width = 0;
  };
  struct Sheet {
    std::string name;
    std::vector<Row> rows;
    std::vector<Width> widths;
  };
  std::vector<Sheet> sheets_;
};

}  // namespace citygrid
