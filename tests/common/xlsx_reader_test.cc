#include "citygrid/common/xlsx_reader.h"

#include <gtest/gtest.h>
#include <zip.h>

#include <map>
#include <string>

namespace citygrid {
namespace {

// Builds an .xlsx (zip) in memory from part name → content, with libzip.
std::string MakeZip(const std::map<std::string, std::string>& parts) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_source_keep(buffer);
  zip_t* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
  EXPECT_NE(archive, nullptr);
  for (const auto& [name, content] : parts) {
    char* copy = static_cast<char*>(malloc(content.size() + 1));
    memcpy(copy, content.data(), content.size());
    zip_source_t* s = zip_source_buffer(archive, copy, content.size(), 1);
    EXPECT_GE(zip_file_add(archive, name.c_str(), s, ZIP_FL_ENC_UTF_8), 0);
  }
  EXPECT_EQ(zip_close(archive), 0);
  zip_stat_t st;
  zip_source_stat(buffer, &st);
  std::string out(st.size, '\0');
  zip_source_open(buffer);
  zip_source_read(buffer, out.data(), st.size);
  zip_source_close(buffer);
  zip_source_free(buffer);
  zip_error_fini(&error);
  return out;
}

constexpr char kRels[] =
    R"(<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">)"
    R"(<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>)"
    R"(<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet2.xml"/>)"
    R"(<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>)"
    R"(<Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>)"
    R"(</Relationships>)";

constexpr char kWorkbook[] =
    R"(<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">)"
    R"(<workbookPr/><sheets><sheet name="台账" sheetId="1" r:id="rId1"/><sheet name="Second" sheetId="2" r:id="rId2"/></sheets></workbook>)";

constexpr char kShared[] =
    R"(<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3">)"
    R"(<si><t>编号</t></si><si><r><t>品质</t></r><r><rPr><b/></rPr><t>型</t></r><rPh><t>ピン</t></rPh></si><si><t xml:space="preserve"> a&amp;b </t></si></sst>)";

// cellXfs: 0 General, 1 built-in date (14), 2 custom "yyyy/m/d" (164), 3 custom "0.00" (165),
// 4 custom quoted text with a 'd' ("\"days\" 0").
constexpr char kStyles[] =
    R"(<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">)"
    R"(<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy/m/d"/><numFmt numFmtId="165" formatCode="0.00"/><numFmt numFmtId="166" formatCode="&quot;days&quot; 0"/></numFmts>)"
    R"(<cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>)"
    R"(<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="166"/></cellXfs></styleSheet>)";

constexpr char kSheet1[] =
    R"(<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>)"
    R"(<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>)"
    R"(<row r="3"><c r="A3"><v>264</v></c><c r="B3" s="1"><v>44196</v></c><c r="C3" s="2"><v>44377.5</v></c>)"
    R"(<c r="D3" s="3"><v>0.1</v></c><c r="E3" t="inlineStr"><is><t>内联</t></is></c><c r="F3" t="b"><v>1</v></c>)"
    R"(<c r="G3" t="e"><v>#DIV/0!</v></c><c r="H3" t="str"><f>A3*2</f><v>528</v></c><c r="I3" s="4"><v>7</v></c><c r="J3" t="s"><v>2</v></c></row>)"
    R"(</sheetData></worksheet>)";

constexpr char kSheet2[] =
    R"(<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>)"
    R"(<x:row><x:c><x:v>1</x:v></x:c><x:c><x:v>2</x:v></x:c></x:row><x:row><x:c r="B2"><x:v>3</x:v></x:c></x:row>)"
    R"(</x:sheetData></x:worksheet>)";

std::map<std::string, std::string> GoodParts() {
  return {{"xl/workbook.xml", kWorkbook},       {"xl/_rels/workbook.xml.rels", kRels},
          {"xl/sharedStrings.xml", kShared},    {"xl/styles.xml", kStyles},
          {"xl/worksheets/sheet1.xml", kSheet1}, {"xl/worksheets/sheet2.xml", kSheet2},
          {"[Content_Types].xml", "<Types/>"}};
}

TEST(XlsxReaderTest, ReadsSheetsStringsNumbersDatesAndPlacesCellsByAddress) {
  Result<XlsxWorkbook> book = ReadXlsx(MakeZip(GoodParts()));
  ASSERT_TRUE(book.ok()) << book.status().ToString();
  ASSERT_EQ(book->sheets.size(), 2u);
  EXPECT_EQ(book->sheets[0].name, "台账");
  EXPECT_EQ(book->sheets[1].name, "Second");
  const auto& rows = book->sheets[0].rows;
  ASSERT_EQ(rows.size(), 3u);
  ASSERT_EQ(rows[0].size(), 3u);
  EXPECT_EQ(rows[0][0].ToText(), "编号");
  EXPECT_EQ(rows[0][1].type, XlsxCell::Type::kEmpty);
  EXPECT_EQ(rows[0][2].ToText(), "品质型");  // rich text runs joined, phonetic run skipped
  EXPECT_TRUE(rows[1].empty());
  const auto& r3 = rows[2];
  ASSERT_EQ(r3.size(), 10u);
  EXPECT_EQ(r3[0].type, XlsxCell::Type::kNumber);
  EXPECT_EQ(r3[0].ToText(), "264");
  EXPECT_EQ(r3[1].type, XlsxCell::Type::kDate);
  EXPECT_EQ(r3[1].ToText(), "2020-12-31");
  EXPECT_EQ(r3[2].ToText(), "2021-06-30 12:00:00");
  EXPECT_EQ(r3[3].type, XlsxCell::Type::kNumber);  // "0.00" is not a date format
  EXPECT_EQ(r3[3].ToText(), "0.1");
  EXPECT_EQ(r3[4].ToText(), "内联");
  EXPECT_EQ(r3[5].type, XlsxCell::Type::kBool);
  EXPECT_EQ(r3[5].ToText(), "TRUE");
  EXPECT_EQ(r3[6].type, XlsxCell::Type::kError);
  EXPECT_EQ(r3[6].ToText(), "#DIV/0!");
  EXPECT_EQ(r3[7].ToText(), "528");  // the formula's cached value
  EXPECT_EQ(r3[8].type, XlsxCell::Type::kNumber);  // 'd' inside quotes is literal text
  EXPECT_EQ(r3[9].ToText(), " a&b ");
  // Prefixed namespace, rows and cells without addresses.
  const auto& s2 = book->sheets[1].rows;
  ASSERT_EQ(s2.size(), 2u);
  EXPECT_EQ(s2[0][0].ToText(), "1");
  EXPECT_EQ(s2[0][1].ToText(), "2");
  EXPECT_EQ(s2[1][1].ToText(), "3");
}

TEST(XlsxReaderTest, Date1904SystemConvertsToTheSameDay) {
  auto parts = GoodParts();
  std::string wb = kWorkbook;
  wb.replace(wb.find("<workbookPr/>"), 13, R"(<workbookPr date1904="1"/>)");
  parts["xl/workbook.xml"] = wb;
  Result<XlsxWorkbook> book = ReadXlsx(MakeZip(parts));
  ASSERT_TRUE(book.ok()) << book.status().ToString();
  EXPECT_EQ(book->sheets[0].rows[2][1].ToText(), "2025-01-01");  // 44196 + 1462 days
}

TEST(XlsxReaderTest, EarlySerialsUseExcelsPhantomLeapDay) {
  XlsxCell cell{XlsxCell::Type::kDate, "", 1};
  EXPECT_EQ(cell.ToText(), "1900-01-01");
  cell.number = 59;
  EXPECT_EQ(cell.ToText(), "1900-02-28");
  cell.number = 61;
  EXPECT_EQ(cell.ToText(), "1900-03-01");
}

TEST(XlsxReaderTest, ColumnNamesRoundTrip) {
  EXPECT_EQ(XlsxColumnIndex("A"), 0);
  EXPECT_EQ(XlsxColumnIndex("Z"), 25);
  EXPECT_EQ(XlsxColumnIndex("AA"), 26);
  EXPECT_EQ(XlsxColumnIndex("XFD"), 16383);
  EXPECT_EQ(XlsxColumnIndex("XFE"), -1);
  EXPECT_EQ(XlsxColumnIndex("a"), -1);
  for (int i : {0, 25, 26, 701, 702, 16383}) EXPECT_EQ(XlsxColumnIndex(XlsxColumnName(i)), i);
}

struct BadCase {
  const char* name;
  std::map<std::string, std::string> overrides;  // "" content removes the part
  StatusCode code;
  const char* message_part;
};

TEST(XlsxReaderTest, RejectsBadFilesNamingThePartAndCell) {
  std::string sheet_bad_index = kSheet1;
  sheet_bad_index.replace(sheet_bad_index.find("<v>1</v>"), 8, "<v>99</v>");
  std::string sheet_bad_ref = kSheet1;
  sheet_bad_ref.replace(sheet_bad_ref.find("r=\"A3\""), 6, "r=\"3A\"");
  const BadCase cases[] = {
      {"no workbook", {{"xl/workbook.xml", ""}}, StatusCode::kInvalidArgument, "xl/workbook.xml is missing"},
      {"bad xml", {{"xl/worksheets/sheet1.xml", "<worksheet><row>"}}, StatusCode::kInvalidArgument,
       "xl/worksheets/sheet1.xml: malformed XML"},
      {"shared index", {{"xl/worksheets/sheet1.xml", sheet_bad_index}}, StatusCode::kInvalidArgument,
       "cell C1: shared string index 99 out of range (3 strings)"},
      {"bad ref", {{"xl/worksheets/sheet1.xml", sheet_bad_ref}}, StatusCode::kInvalidArgument,
       "bad cell reference '3A'"},
      {"missing sheet", {{"xl/worksheets/sheet2.xml", ""}}, StatusCode::kInvalidArgument,
       "part xl/worksheets/sheet2.xml is missing"},
      {"missing rels", {{"xl/_rels/workbook.xml.rels", ""}}, StatusCode::kInvalidArgument,
       "part xl/_rels/workbook.xml.rels is missing"},
  };
  for (const BadCase& c : cases) {
    auto parts = GoodParts();
    for (const auto& [k, v] : c.overrides) {
      if (v.empty()) {
        parts.erase(k);
      } else {
        parts[k] = v;
      }
    }
    Result<XlsxWorkbook> book = ReadXlsx(MakeZip(parts));
    ASSERT_FALSE(book.ok()) << c.name;
    EXPECT_EQ(book.status().code(), c.code) << c.name << ": " << book.status().ToString();
    EXPECT_NE(book.status().message().find(c.message_part), std::string::npos)
        << c.name << ": " << book.status().ToString();
  }
}

TEST(XlsxReaderTest, RejectsNonZipInput) {
  Result<XlsxWorkbook> book = ReadXlsx("编号,名称\nR1,x\n");
  ASSERT_FALSE(book.ok());
  EXPECT_EQ(book.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(book.status().message().find("not an xlsx file"), std::string::npos);
}

TEST(XlsxReaderTest, CellLimitIsEnforced) {
  XlsxReadOptions options;
  options.max_cells = 5;
  Result<XlsxWorkbook> book = ReadXlsx(MakeZip(GoodParts()), options);
  ASSERT_FALSE(book.ok());
  EXPECT_EQ(book.status().code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace citygrid
