#include "citygrid/common/case_number.h"

#include <cstdio>

namespace citygrid {

std::string CaseNumber::ToString() const {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d%02u%02u-%06lld", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<long long>(sequence));
  return buf;
}

std::chrono::year_month_day CaseNumberDay(Timestamp created_at) {
  return ToCivil(created_at, kShanghaiOffsetMinutes).date;
}

Result<CaseNumber> ParseCaseNumber(std::string_view text) {
  auto bad = [&](const char* why) {
    return InvalidArgumentError("bad case number '" + std::string(text.substr(0, 40)) +
                                "': " + why);
  };
  if (text.size() < 15 || text.size() > 20 || text[8] != '-') {
    return bad("expected YYYYMMDD-NNNNNN");
  }
  for (size_t i = 0; i < text.size(); ++i) {
    if (i != 8 && (text[i] < '0' || text[i] > '9')) return bad("expected YYYYMMDD-NNNNNN");
  }
  auto num = [&](size_t from, size_t len) {
    long long v = 0;
    for (size_t i = from; i < from + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  std::chrono::year_month_day date{std::chrono::year(static_cast<int>(num(0, 4))),
                                   std::chrono::month(static_cast<unsigned>(num(4, 2))),
                                   std::chrono::day(static_cast<unsigned>(num(6, 2)))};
  if (!date.ok()) return bad("no such day");
  CaseNumber n{date, num(9, text.size() - 9)};
  if (n.sequence < 1) return bad("sequence starts at 1");
  return n;
}

}  // namespace citygrid
