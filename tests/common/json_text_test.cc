#include "citygrid/common/json_text.h"

#include <gtest/gtest.h>

#include <string>

namespace citygrid {
namespace {

std::string Quote(std::string_view text) {
  std::string out = "prefix:";
  AppendJsonString(out, text);
  return out;
}

TEST(AppendJsonStringTest, EscapesExactlyWhatBoostJsonEscapes) {
  struct Case {
    std::string in;
    std::string want;
  };
  const Case cases[] = {
      {"", "prefix:\"\""},
      {"plain text", "prefix:\"plain text\""},
      {"say \"hi\"", "prefix:\"say \\\"hi\\\"\""},
      {"a\\b", "prefix:\"a\\\\b\""},
      {"\b\t\n\f\r", "prefix:\"\\b\\t\\n\\f\\r\""},
      {std::string("\0", 1), "prefix:\"\\u0000\""},
      {"\x01\x0b\x1f", "prefix:\"\\u0001\\u000b\\u001f\""},
      {"/ and \x7f stay", "prefix:\"/ and \x7f stay\""},
      {"暴露垃圾 near 航海路", "prefix:\"暴露垃圾 near 航海路\""},
      {"\xff\xfe", "prefix:\"\xff\xfe\""},  // not UTF-8: passed through like Boost does
  };
  for (const Case& c : cases) EXPECT_EQ(Quote(c.in), c.want) << c.in;
}

}  // namespace
}  // namespace citygrid
