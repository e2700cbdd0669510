#pragma once

// Reads the cell values of an Office Open XML workbook (.xlsx), as Excel, WPS and LibreOffice
// write it: the zip container through libzip, the XML parts through expat (both from Debian;
// neither header leaks out of src/common/xlsx_reader.cc).
//
// What is read: every worksheet in workbook order with its name; per cell its value as
//   - shared strings (t="s", including rich-text runs, concatenated),
//   - inline strings (t="inlineStr") and formula strings (t="str"),
//   - numbers (no t, or t="n"), booleans (t="b"), error values (t="e", e.g. "#DIV/0!"),
//   - dates: a number whose cell style has a date/time number format (built-in formats 14-22,
//     27-36, 45-47, 50-58, or a custom format code containing d, m, y, h or s outside quotes
//     and brackets) becomes a kDate cell, converted from the 1900 date system (or 1904 when the
//     workbook says so).
// Formulas are not evaluated: the cached value the writing program stored is read. Cell
// addresses ("C7") place the values; rows and columns that are missing are empty cells.
//
// Limits: at most 1,048,576 rows and 16,384 columns (the format's own), and `max_cells`
// non-empty cells in all (kResourceExhausted beyond), so a hostile file cannot exhaust memory.
// Errors are kInvalidArgument naming the part and, where known, the cell: "not an xlsx file (zip:
// Not a zip archive)", "xl/worksheets/sheet1.xml: cell B7: shared string index 99 out of range
// (12 strings)".
//
// Thread safety: ReadXlsx is a pure function of its input.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "citygrid/common/status.h"

namespace citygrid {

struct XlsxCell {
  enum class Type { kEmpty, kString, kNumber, kBool, kDate, kError };
  Type type = Type::kEmpty;
  std::string text;   // kString, kError: the text; kBool: "TRUE"/"FALSE"
  double number = 0;  // kNumber, kBool (0/1), kDate (the serial day number as stored)

  // The value as text: strings as they are; numbers in the shortest form that reads back
  // exactly ("264", "12.5", "0.1"); dates as "2020-12-31", or "2020-12-31 08:30:00" with a
  // time of day; booleans "TRUE"/"FALSE"; "" for empty cells.
  std::string ToText() const;

  friend bool operator==(const XlsxCell&, const XlsxCell&) = default;
};

struct XlsxSheet {
  std::string name;
  // rows[r][c] is the cell at row r+1, column c+1 ("A1" is rows[0][0]). Trailing empty cells of
  // a row and trailing empty rows are dropped; empty rows in between are kept (as empty vectors).
  std::vector<std::vector<XlsxCell>> rows;
};

struct XlsxWorkbook {
  std::vector<XlsxSheet> sheets;  // workbook order
  bool date1904 = false;
};

struct XlsxReadOptions {
  size_t max_cells = 5'000'000;
  size_t max_uncompressed_bytes = 512u << 20;  // per part
};

// Reads the workbook in `bytes` (the whole .xlsx file).
Result<XlsxWorkbook> ReadXlsx(std::string_view bytes, const XlsxReadOptions& options = {});

// "A" → 0, "Z" → 25, "AA" → 26 ...; -1 unless 1-3 upper-case letters within XFD.
int XlsxColumnIndex(std::string_view letters);
// 0 → "A", 26 → "AA".
std::string XlsxColumnName(int index);

}  // namespace citygrid
