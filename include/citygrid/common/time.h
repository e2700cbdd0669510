#pragma once

// Instants, civil (local) times and ISO-8601 text with a mandatory UTC offset.
//
// Every instant inside citygrid is a Timestamp (UTC, millisecond precision). Text crosses the
// boundary only as ISO-8601 with an explicit offset; display defaults to Asia/Shanghai (+08:00),
// which has had no daylight saving time since 1991, so a fixed offset is exact.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "citygrid/common/status.h"

namespace citygrid {

using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;
using Duration = std::chrono::milliseconds;

// Asia/Shanghai, China Standard Time.
inline constexpr int kShanghaiOffsetMinutes = 8 * 60;

// Milliseconds since the Unix epoch, and back.
inline int64_t ToUnixMillis(Timestamp t) { return t.time_since_epoch().count(); }
inline Timestamp FromUnixMillis(int64_t ms) { return Timestamp(Duration(ms)); }

// A wall-clock reading at a fixed UTC offset.
struct CivilTime {
  std::chrono::year_month_day date;
  std::chrono::milliseconds time_of_day{0};  // [0, 24h)

  friend bool operator==(const CivilTime&, const CivilTime&) = default;
};

// The civil time of `t` at `offset_minutes` east of UTC.
CivilTime ToCivil(Timestamp t, int offset_minutes = kShanghaiOffsetMinutes);
// The instant whose civil time at `offset_minutes` is `civil`.
Timestamp FromCivil(const CivilTime& civil, int offset_minutes = kShanghaiOffsetMinutes);
// Midnight starting the civil day `date` at `offset_minutes`.
Timestamp StartOfDay(std::chrono::year_month_day date,
                     int offset_minutes = kShanghaiOffsetMinutes);

// Parses "2020-04-30T17:00:00+08:00", "2020-04-30T09:00Z", "2020-04-30 17:00:00.250+0800".
// The offset is mandatory: a time without one is ambiguous and returns kInvalidArgument.
Result<Timestamp> ParseIso8601(std::string_view text);

// Formats as "2020-04-30T17:00:00+08:00" (milliseconds only when non-zero; "Z" for offset 0).
std::string FormatIso8601(Timestamp t, int offset_minutes = kShanghaiOffsetMinutes);

// Parses "2020-04-30" into a date; kInvalidArgument names the text when it is not a real date.
Result<std::chrono::year_month_day> ParseDate(std::string_view text);
// Formats a date as "2020-04-30".
std::string FormatDate(std::chrono::year_month_day date);

}  // namespace citygrid
