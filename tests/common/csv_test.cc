#include "citygrid/common/csv.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace citygrid {
namespace {

using Records = std::vector<std::vector<std::string>>;

Records ReadAll(std::string_view text) {
  CsvReader reader(text);
  Records out;
  std::vector<std::string> fields;
  while (true) {
    Result<bool> r = reader.Next(&fields);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || !*r) break;
    out.push_back(fields);
  }
  return out;
}

struct CsvCase {
  const char* name;
  std::string text;
  Records want;
};

TEST(CsvReaderTest, ParsesRfc4180Records) {
  const CsvCase cases[] = {
      {"simple", "a,b,c\n1,2,3\n", {{"a", "b", "c"}, {"1", "2", "3"}}},
      {"no final newline", "a,b\n1,2", {{"a", "b"}, {"1", "2"}}},
      {"crlf", "a,b\r\n1,2\r\n", {{"a", "b"}, {"1", "2"}}},
      {"empty fields", ",a,,\n", {{"", "a", "", ""}}},
      {"quoted comma", "\"x, y\",z\n", {{"x, y", "z"}}},
      {"doubled quote", "\"say \"\"hi\"\"\",2\n", {{"say \"hi\"", "2"}}},
      {"newline in quotes", "\"a\nb\",c\n", {{"a\nb", "c"}}},
      {"empty line is one empty field", "a\n\nb\n", {{"a"}, {""}, {"b"}}},
      {"empty quoted", "\"\",x\n", {{"", "x"}}},
      {"nyc location", "1,\"(40.7, -74.0)\",12\n", {{"1", "(40.7, -74.0)", "12"}}},
  };
  for (const CsvCase& c : cases) {
    EXPECT_EQ(ReadAll(c.text), c.want) << c.name;
  }
}

TEST(CsvReaderTest, ReportsRecordStartLine) {
  CsvReader reader("a\n\"b\nc\"\nd\n");
  std::vector<std::string> f;
  ASSERT_TRUE(*reader.Next(&f));
  EXPECT_EQ(reader.record_line(), 1u);
  ASSERT_TRUE(*reader.Next(&f));
  EXPECT_EQ(reader.record_line(), 2u);
  ASSERT_TRUE(*reader.Next(&f));
  EXPECT_EQ(reader.record_line(), 4u);
  EXPECT_EQ(f, std::vector<std::string>{"d"});
  EXPECT_FALSE(*reader.Next(&f));
}

TEST(CsvReaderTest, RejectsUnterminatedQuoteWithLine) {
  CsvReader reader("a,b\nc,\"open\n");
  std::vector<std::string> f;
  ASSERT_TRUE(*reader.Next(&f));
  Result<bool> r = reader.Next(&f);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("line 2"), std::string::npos) << r.status().message();
}

TEST(CsvReaderTest, RejectsTextAfterClosingQuote) {
  CsvReader reader("\"a\"b,c\n");
  std::vector<std::string> f;
  Result<bool> r = reader.Next(&f);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST(CsvColumnTest, FindsHeaderColumn) {
  std::vector<std::string> header{"Unique Key", "Community Board", "Latitude"};
  EXPECT_EQ(CsvColumn(header, "Community Board"), 1);
  EXPECT_EQ(CsvColumn(header, "Longitude"), -1);
}

TEST(CsvFieldTest, QuotesOnlyWhenNeededAndReadsBack) {
  EXPECT_EQ(CsvField("二七区"), "二七区");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  // What CsvField writes, the reader gives back.
  std::string line = CsvField("a,\"b\"\nc") + "," + CsvField("d") + "\n";
  CsvReader reader(line);
  std::vector<std::string> fields;
  Result<bool> more = reader.Next(&fields);
  ASSERT_TRUE(more.ok());
  ASSERT_TRUE(*more);
  EXPECT_EQ(fields, (std::vector<std::string>{"a,\"b\"\nc", "d"}));
}

}  // namespace
}  // namespace citygrid
