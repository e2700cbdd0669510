#include "citygrid/geo/grid_code.h"

#include <cstdio>
#include <utility>

namespace citygrid::geo {
namespace {

std::string Quote(std::string_view text) {
  std::string out = "'";
  out.append(text.substr(0, 40));
  if (text.size() > 40) out += "...";
  out += "'";
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string_view AreaLevelName(AreaLevel level) {
  switch (level) {
    case AreaLevel::kDistrict:
      return "district";
    case AreaLevel::kSubDistrict:
      return "sub-district";
    case AreaLevel::kCommunity:
      return "community";
    case AreaLevel::kGrid:
      return "grid";
  }
  return "unknown";
}

int CodeLength(AreaLevel level) { return 6 + 3 * static_cast<int>(level); }

Result<GridCode> GridCode::Parse(std::string_view text) {
  AreaLevel level;
  switch (text.size()) {
    case 6:
      level = AreaLevel::kDistrict;
      break;
    case 9:
      level = AreaLevel::kSubDistrict;
      break;
    case 12:
      level = AreaLevel::kCommunity;
      break;
    case 15:
      level = AreaLevel::kGrid;
      break;
    default:
      return InvalidArgumentError("code " + Quote(text) + " has " + std::to_string(text.size()) +
                                  " characters; expected 6, 9, 12 or 15 digits");
  }
  for (size_t i = 0; i < text.size(); ++i) {
    if (!IsDigit(text[i])) {
      return InvalidArgumentError("code " + Quote(text) + " has a non-digit at position " +
                                  std::to_string(i + 1));
    }
  }
  if (text[0] == '0') {
    return InvalidArgumentError("code " + Quote(text) + ": a district code cannot start with 0");
  }
  for (size_t start = 6; start < text.size(); start += 3) {
    if (text.substr(start, 3) == "000") {
      return InvalidArgumentError("code " + Quote(text) + ": segment at digits " +
                                  std::to_string(start + 1) + "-" + std::to_string(start + 3) +
                                  " is 000; segments run 001..999");
    }
  }
  return GridCode(std::string(text), level);
}

Result<GridCode> GridCode::ParseAt(std::string_view text, AreaLevel level) {
  CITYGRID_ASSIGN_OR_RETURN(GridCode code, Parse(text));
  if (code.level() != level) {
    return InvalidArgumentError("code " + Quote(text) + " is a " +
                                std::string(AreaLevelName(code.level())) + " code; expected a " +
                                std::string(AreaLevelName(level)) + " code of " +
                                std::to_string(CodeLength(level)) + " digits");
  }
  return code;
}

bool GridCode::IsValid(std::string_view text) { return Parse(text).ok(); }

Result<GridCode> GridCode::Child(int sequence) const {
  if (level_ == AreaLevel::kGrid) {
    return FailedPreconditionError("grid code " + code_ + " has no children");
  }
  if (sequence < 1 || sequence > 999) {
    return InvalidArgumentError("child sequence " + std::to_string(sequence) + " under " + code_ +
                                " is outside 1..999");
  }
  char segment[4];
  std::snprintf(segment, sizeof segment, "%03d", sequence);
  return GridCode(code_ + segment, static_cast<AreaLevel>(static_cast<int>(level_) + 1));
}

std::optional<GridCode> GridCode::Parent() const {
  if (level_ == AreaLevel::kDistrict) return std::nullopt;
  return AncestorAt(static_cast<AreaLevel>(static_cast<int>(level_) - 1));
}

GridCode GridCode::AncestorAt(AreaLevel level) const {
  if (static_cast<int>(level) > static_cast<int>(level_)) level = level_;
  return GridCode(code_.substr(0, CodeLength(level)), level);
}

bool GridCode::IsAncestorOf(const GridCode& other) const {
  return other.code_.size() > code_.size() && other.code_.compare(0, code_.size(), code_) == 0;
}

int GridCode::sequence() const {
  std::string_view tail = level_ == AreaLevel::kDistrict
                              ? std::string_view(code_)
                              : std::string_view(code_).substr(code_.size() - 3);
  int value = 0;
  for (char c : tail) value = value * 10 + (c - '0');
  return value;
}

}  // namespace citygrid::geo
