#pragma once

// GridCode: a code anywhere in the grid hierarchy (DESIGN.md §2 Geography).
//
//   level          digits  example            中文
//   district          6    410103             区 (national admin code)
//   sub-district      9    410103001          街道/镇/乡
//   community        12    410103001002       社区
//   unit grid        15    410103001002003    单元网格
//
// Each level appends one 3-digit segment to its parent's code. A district code is 6 ASCII digits
// not starting with '0'; every appended segment is "001".."999" ("000" would mean "the parent
// itself" in national codes, so it is rejected). Unit grids are numbered inside their community
// north→south by rows, west→east within a row (see grid_generator.h for the exact rule).
//
// GridCode is a small immutable value type; copies are cheap (one short string).

#include <compare>
#include <optional>
#include <string>
#include <string_view>

#include "citygrid/common/status.h"

namespace citygrid::geo {

enum class AreaLevel {
  kDistrict = 0,     // 区
  kSubDistrict = 1,  // 街道/镇
  kCommunity = 2,    // 社区
  kGrid = 3,         // 单元网格
};

// "district", "sub-district", "community", "grid".
std::string_view AreaLevelName(AreaLevel level);

// Number of digits of a code at `level`: 6, 9, 12 or 15.
int CodeLength(AreaLevel level);

class GridCode {
 public:
  // Parses a 6-, 9-, 12- or 15-digit code. kInvalidArgument names the text and the rule broken
  // ("grid code '4101030010020' has 13 characters; expected 6, 9, 12 or 15 digits").
  static Result<GridCode> Parse(std::string_view text);

  // Like Parse, but also requires the code to be at `level`.
  static Result<GridCode> ParseAt(std::string_view text, AreaLevel level);

  // True iff Parse would succeed.
  static bool IsValid(std::string_view text);

  // The code of child number `sequence` (1..999) under this code. kInvalidArgument if the
  // sequence is out of range; kFailedPrecondition if this is already a unit-grid code.
  Result<GridCode> Child(int sequence) const;

  AreaLevel level() const { return level_; }
  const std::string& str() const { return code_; }
  std::string ToString() const { return code_; }

  // The enclosing code one level up; nullopt for a district code.
  std::optional<GridCode> Parent() const;

  // The prefix of this code at `level`. REQUIRES: level <= this->level().
  GridCode AncestorAt(AreaLevel level) const;

  // True iff `other` lies strictly below this code (this code is a proper prefix of it).
  bool IsAncestorOf(const GridCode& other) const;

  // The last 3-digit segment as a number (1..999); the whole 6-digit code for a district.
  int sequence() const;

  friend bool operator==(const GridCode&, const GridCode&) = default;
  friend std::strong_ordering operator<=>(const GridCode& a, const GridCode& b) {
    return a.code_ <=> b.code_;
  }

 private:
  GridCode(std::string code, AreaLevel level) : code_(std::move(code)), level_(level) {}

  std::string code_;
  AreaLevel level_ = AreaLevel::kDistrict;
};

}  // namespace citygrid::geo
