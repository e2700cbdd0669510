#pragma once

// A small RFC 4180 CSV reader: comma-separated fields, optional double-quoted fields that may
// hold commas, doubled quotes ("") and line breaks; records end with LF or CRLF. A trailing
// line break at the end of the text does not start an empty record; an empty line in the middle
// is a record with one empty field. Bytes are passed through untouched (no encoding checks).
//
// The reader does not own the text: `text` must outlive the reader and the returned views.
// Not thread-safe; one reader per thread.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "citygrid/common/status.h"

namespace citygrid {

class CsvReader {
 public:
  explicit CsvReader(std::string_view text) : text_(text) {}

  // Reads the next record into `fields` (cleared first). Returns true when a record was read,
  // false at the end of the text. Errors are kInvalidArgument naming the line: an unterminated
  // quoted field, or a character other than a comma or line break after a closing quote.
  Result<bool> Next(std::vector<std::string>* fields);

  // 1-based line number where the record last returned by Next() starts.
  std::size_t record_line() const { return record_line_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;  // line of text_[pos_]
  std::size_t record_line_ = 0;
};

// Returns the index of `name` in `header`, or -1.
int CsvColumn(const std::vector<std::string>& header, std::string_view name);

// Appends `s` as one RFC 4180 field: quoted (inner quotes doubled) when it holds a comma, quote
// or line break, else as it is.
inline void AppendCsvField(std::string& out, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

// `s` as one RFC 4180 field (see AppendCsvField).
inline std::string CsvField(const std::string& s) {
  std::string out;
  AppendCsvField(out, s);
  return out;
}

}  // namespace citygrid
