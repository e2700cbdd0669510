#include "citygrid/common/time.h"

#include <cstdint>

#include "citygrid/common/utf8.h"

namespace citygrid {
namespace {

using std::chrono::days;
using std::chrono::milliseconds;
using std::chrono::minutes;

// Reads exactly `width` digits at `pos` into `out`; advances pos.
bool ReadDigits(std::string_view s, size_t& pos, int width, int& out) {
  if (pos + width > s.size()) return false;
  int value = 0;
  for (int i = 0; i < width; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  pos += width;
  return true;
}

bool Expect(std::string_view s, size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

// Writes `value` (>= 0) in decimal, zero-padded to at least `width` digits; returns the end.
char* PutDigits(char* p, int64_t value, int width) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n < width) digits[n++] = '0';
  while (n > 0) *p++ = digits[--n];
  return p;
}

// Two digits of a value in [0, 100).
char* PutTwo(char* p, int value) {
  p[0] = static_cast<char>('0' + value / 10);
  p[1] = static_cast<char>('0' + value % 10);
  return p + 2;
}

// "YYYY-MM-DD" as printf's "%04d-%02u-%02u" writes it (a negative year's sign counts toward
// the four places, as there). Returns the end.
char* PutDate(char* p, std::chrono::year_month_day date) {
  const int year = static_cast<int>(date.year());
  if (year < 0) {
    *p++ = '-';
    p = PutDigits(p, -static_cast<int64_t>(year), 3);
  } else {
    p = PutDigits(p, year, 4);
  }
  *p++ = '-';
  p = PutDigits(p, static_cast<unsigned>(date.month()), 2);
  *p++ = '-';
  return PutDigits(p, static_cast<unsigned>(date.day()), 2);
}

Status BadTime(std::string_view text, std::string_view why) {
  std::string m = "bad ISO-8601 time '";
  m.append(Utf8Prefix(text, 64));
  m += "': ";
  m += why;
  return InvalidArgumentError(std::move(m));
}

}  // namespace

CivilTime ToCivil(Timestamp t, int offset_minutes) {
  auto local = t + minutes(offset_minutes);
  auto day = std::chrono::floor<days>(local);
  return CivilTime{std::chrono::year_month_day(day),
                   std::chrono::duration_cast<milliseconds>(local - day)};
}

Timestamp FromCivil(const CivilTime& civil, int offset_minutes) {
  std::chrono::sys_days day(civil.date);
  return Timestamp(day) + civil.time_of_day - minutes(offset_minutes);
}

Timestamp StartOfDay(std::chrono::year_month_day date, int offset_minutes) {
  return FromCivil(CivilTime{date, milliseconds(0)}, offset_minutes);
}

Result<std::chrono::year_month_day> ParseDate(std::string_view text) {
  size_t pos = 0;
  int y = 0, m = 0, d = 0;
  if (!ReadDigits(text, pos, 4, y) || !Expect(text, pos, '-') || !ReadDigits(text, pos, 2, m) ||
      !Expect(text, pos, '-') || !ReadDigits(text, pos, 2, d) || pos != text.size()) {
    return InvalidArgumentError("bad date '" + std::string(Utf8Prefix(text, 64)) +
                                "': expected YYYY-MM-DD");
  }
  std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(m),
                                  std::chrono::day(d)};
  if (!ymd.ok()) {
    return InvalidArgumentError("bad date '" + std::string(text) + "': no such day");
  }
  return ymd;
}

std::string FormatDate(std::chrono::year_month_day date) {
  char buf[24];
  return std::string(buf, PutDate(buf, date));
}

Result<Timestamp> ParseIso8601(std::string_view text) {
  if (text.size() < 10) return BadTime(text, "expected YYYY-MM-DDTHH:MM[:SS[.fff]]±HH:MM");
  auto date = ParseDate(Utf8Prefix(text, 10));  // a date is ASCII: whole characters only
  if (!date.ok()) return BadTime(text, date.status().message());
  size_t pos = 10;
  if (!(Expect(text, pos, 'T') || Expect(text, pos, 't') || Expect(text, pos, ' '))) {
    return BadTime(text, "expected 'T' after the date");
  }
  int hh = 0, mm = 0, ss = 0, ms = 0;
  if (!ReadDigits(text, pos, 2, hh) || !Expect(text, pos, ':') || !ReadDigits(text, pos, 2, mm)) {
    return BadTime(text, "expected HH:MM after the date");
  }
  if (Expect(text, pos, ':')) {
    if (!ReadDigits(text, pos, 2, ss)) return BadTime(text, "expected two digits of seconds");
    if (Expect(text, pos, '.') || Expect(text, pos, ',')) {
      // Fractions beyond milliseconds are accepted and truncated.
      int digits = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (digits < 3) ms = ms * 10 + (text[pos] - '0');
        ++digits;
        ++pos;
      }
      if (digits == 0) return BadTime(text, "empty fraction of a second");
      for (int i = digits; i < 3; ++i) ms *= 10;
    }
  }
  if (hh > 23 || mm > 59 || ss > 59) return BadTime(text, "time of day out of range");
  int offset = 0;
  if (Expect(text, pos, 'Z') || Expect(text, pos, 'z')) {
    offset = 0;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!ReadDigits(text, pos, 2, oh)) return BadTime(text, "bad UTC offset");
    Expect(text, pos, ':');
    if (!ReadDigits(text, pos, 2, om)) return BadTime(text, "bad UTC offset");
    if (oh > 18 || om > 59) return BadTime(text, "UTC offset out of range");
    offset = sign * (oh * 60 + om);
  } else {
    return BadTime(text, "a UTC offset (Z or ±HH:MM) is required");
  }
  if (pos != text.size()) return BadTime(text, "unexpected text after the offset");
  CivilTime civil{*date, std::chrono::hours(hh) + minutes(mm) + std::chrono::seconds(ss) +
                             milliseconds(ms)};
  return FromCivil(civil, offset);
}

std::string FormatIso8601(Timestamp t, int offset_minutes) {
  // Digits written straight into one buffer: this runs several times per case written or read.
  CivilTime c = ToCivil(t, offset_minutes);
  const int64_t tod = c.time_of_day.count();  // [0, 24h)
  char buf[64];
  char* p = PutDate(buf, c.date);
  *p++ = 'T';
  p = PutTwo(p, static_cast<int>(tod / 3600000));
  *p++ = ':';
  p = PutTwo(p, static_cast<int>(tod / 60000 % 60));
  *p++ = ':';
  p = PutTwo(p, static_cast<int>(tod / 1000 % 60));
  if (const int ms = static_cast<int>(tod % 1000); ms != 0) {
    *p++ = '.';
    *p++ = static_cast<char>('0' + ms / 100);
    p = PutTwo(p, ms % 100);
  }
  if (offset_minutes == 0) {
    *p++ = 'Z';
  } else {
    const int64_t a = offset_minutes < 0 ? -static_cast<int64_t>(offset_minutes) : offset_minutes;
    *p++ = offset_minutes < 0 ? '-' : '+';
    p = PutDigits(p, a / 60, 2);
    *p++ = ':';
    p = PutTwo(p, static_cast<int>(a % 60));
  }
  return std::string(buf, p);
}

}  // namespace citygrid
