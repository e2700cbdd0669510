#pragma once

// Case numbers: readable, unique per deployment, in order within a day.
//
// Format "YYYYMMDD-NNNNNN": the civil date (Asia/Shanghai) the case was created and a sequence
// that starts at 1 each day, e.g. "20200412-000123". Past 999,999 cases a day the sequence simply
// grows to 7+ digits; numbers of one day still sort by sequence when compared as (date, seq).
// Storage allocates the sequence inside the transaction that creates the case, so several
// nodes sharing one database never hand out the same number.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "citygrid/common/status.h"
#include "citygrid/common/time.h"

namespace citygrid {

struct CaseNumber {
  std::chrono::year_month_day date;
  int64_t sequence = 0;  // >= 1

  // "20200412-000123"
  std::string ToString() const;

  friend auto operator<=>(const CaseNumber& a, const CaseNumber& b) {
    if (auto c = a.date <=> b.date; c != 0) return c;
    return a.sequence <=> b.sequence;
  }
  friend bool operator==(const CaseNumber&, const CaseNumber&) = default;
};

// The day key a case created at `created_at` numbers under: its Asia/Shanghai civil date.
std::chrono::year_month_day CaseNumberDay(Timestamp created_at);

// Parses "20200412-000123"; kInvalidArgument names the text when malformed.
Result<CaseNumber> ParseCaseNumber(std::string_view text);

}  // namespace citygrid
