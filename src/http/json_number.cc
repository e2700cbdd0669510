#include "src/http/json_number.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace citygrid::http {

void AppendJsonInteger(std::string& out, int64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

void AppendJsonDouble(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v < 0 ? "-Infinity" : "Infinity";
    return;
  }
  // std::to_chars without a precision gives the shortest round-trip digits, as Ryu (Boost.JSON's
  // formatter) does: "9.372e+01" → "9.372E1", "5e-324" → "5E-324".
  char buf[40];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  const char* end = res.ptr;
  const char* e = static_cast<const char*>(std::memchr(buf, 'e', static_cast<size_t>(end - buf)));
  out.append(buf, static_cast<size_t>(e - buf));
  out += 'E';
  const char* p = e + 1;
  if (*p == '-') out += '-';
  if (*p == '+' || *p == '-') ++p;
  while (p + 1 < end && *p == '0') ++p;
  out.append(p, static_cast<size_t>(end - p));
}

}  // namespace citygrid::http
