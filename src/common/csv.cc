#include "citygrid/common/csv.h"

namespace citygrid {

Result<bool> CsvReader::Next(std::vector<std::string>* fields) {
  fields->clear();
  if (pos_ >= text_.size()) return false;
  record_line_ = line_;
  std::string field;
  while (true) {
    if (pos_ < text_.size() && text_[pos_] == '"') {
      // Quoted field: runs to the matching quote; "" is a literal quote.
      std::size_t start_line = line_;
      ++pos_;
      while (true) {
        if (pos_ >= text_.size()) {
          return InvalidArgumentError("CSV line " + std::to_string(start_line) +
                                      ": unterminated quoted field");
        }
        char c = text_[pos_++];
        if (c == '"') {
          if (pos_ < text_.size() && text_[pos_] == '"') {
            field += '"';
            ++pos_;
            continue;
          }
          break;
        }
        if (c == '\n') ++line_;
        field += c;
      }
      if (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' &&
          !(text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') &&
          text_[pos_] != '\r') {
        return InvalidArgumentError("CSV line " + std::to_string(line_) +
                                    ": unexpected character after closing quote in field " +
                                    std::to_string(fields->size() + 1));
      }
    } else {
      std::size_t end = text_.find_first_of(",\r\n", pos_);
      if (end == std::string_view::npos) end = text_.size();
      // A lone CR inside an unquoted field is data; only CRLF ends a record.
      while (end < text_.size() && text_[end] == '\r' &&
             !(end + 1 >= text_.size() || text_[end + 1] == '\n')) {
        end = text_.find_first_of(",\r\n", end + 1);
        if (end == std::string_view::npos) end = text_.size();
      }
      field.append(text_.substr(pos_, end - pos_));
      pos_ = end;
    }
    fields->push_back(std::move(field));
    field.clear();
    if (pos_ >= text_.size()) return true;
    char c = text_[pos_];
    if (c == ',') {
      ++pos_;
      continue;
    }
    // End of record: LF, CRLF or a final CR.
    if (c == '\r') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
    ++line_;
    return true;
  }
}

int CsvColumn(const std::vector<std::string>& header, std::string_view name) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace citygrid
