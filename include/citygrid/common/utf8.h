#pragma once

// UTF-8 checks shared by the layers: what the JSON and XML answers may carry, and lengths in
// characters for limits stated in characters (Open311's 4,000, column widths).

#include <cstddef>
#include <string>
#include <string_view>

namespace citygrid {

// Length in bytes of the well-formed UTF-8 sequence that starts at s[i] (1 to 4), or 0 when
// none does there: a stray continuation byte, a truncated sequence, an overlong form, a
// surrogate (U+D800..U+DFFF) or a code point above U+10FFFF. Requires i < s.size().
size_t Utf8SequenceLength(std::string_view s, size_t i);

// Whether all of `s` is well-formed UTF-8 (as Utf8SequenceLength defines it).
bool IsValidUtf8(std::string_view s);

// `s` with every byte that does not begin a well-formed sequence replaced by U+FFFD (one
// replacement per such byte); `s` unchanged when it is valid.
std::string ToValidUtf8(std::string_view s);

// The number of characters of `s`: bytes that are not continuation bytes (10xxxxxx). For valid
// UTF-8 that is the number of code points.
size_t Utf8Length(std::string_view s);

// Whether `s` holds a control character: C0 (U+0000-U+001F), DEL (U+007F) or C1 (U+0080-U+009F,
// e.g. NEL). With `allow_line_breaks`, tab, line feed and carriage return are allowed
// (multi-line free text).
bool HasControlCharacter(std::string_view s, bool allow_line_breaks);

// The longest prefix of `s` of at most `max_bytes` bytes that does not cut a character: for
// shortening a value quoted in a message.
std::string_view Utf8Prefix(std::string_view s, size_t max_bytes);

}  // namespace citygrid
