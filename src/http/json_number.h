#pragma once

// Numbers in JSON text written by hand (private to src/http), byte for byte as Boost.JSON 1.81's
// serializer writes them. With citygrid::AppendJsonString (citygrid/common/json_text.h) they
// let the hot paths write a body straight into one string instead of building a document.

#include <cstdint>
#include <string>

namespace citygrid::http {

// Appends `v` in decimal ("0", "-12", "9223372036854775807").
void AppendJsonInteger(std::string& out, int64_t v);

// Appends `v` as Boost.JSON 1.81's serializer writes a double: the shortest digits that read
// back as `v`, in scientific form with an upper-case 'E' and the exponent without '+' or
// leading zeros ("9.372E1", "1E0", "0E0", "-0E0", "5E-324"); "Infinity", "-Infinity" and "NaN"
// (any NaN) as it writes them.
void AppendJsonDouble(std::string& out, double v);

}  // namespace citygrid::http
