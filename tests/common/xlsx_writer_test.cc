#include "citygrid/common/xlsx_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "tests/common/xlsx_writer_test_util.h"

namespace citygrid {
namespace {

using testing::SharedStrings;
using testing::SheetCells;
using testing::ZipPart;

TEST(XlsxWriterTest, WritesSheetsWithChineseHeaderAndNumbers) {
  XlsxWriter book;
  Result<int> units = book.AddSheet("按单位");
  ASSERT_TRUE(units.ok()) << units.status().ToString();
  Result<int> grids = book.AddSheet("按网格");
  ASSERT_TRUE(grids.ok());
  ASSERT_TRUE(book.AddRow(*units, {XlsxOut::Text("单位"), XlsxOut::Text("结案率")}, true).ok());
  ASSERT_TRUE(book.AddRow(*units, {XlsxOut::Text("环卫中心"), XlsxOut::Number(93.72)}).ok());
  ASSERT_TRUE(book.AddRow(*units, {XlsxOut::Text("市政所"), XlsxOut::Empty()}).ok());
  ASSERT_TRUE(book.AddRow(*grids, {XlsxOut::Text("网格"), XlsxOut::Number(7)}).ok());
  Result<std::string> bytes = book.Finish();
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  ASSERT_GT(bytes->size(), 100u);
  EXPECT_EQ(bytes->substr(0, 2), "PK");

  std::string workbook = ZipPart(*bytes, "xl/workbook.xml");
  EXPECT_NE(workbook.find("name=\"按单位\""), std::string::npos) << workbook;
  EXPECT_NE(workbook.find("name=\"按网格\""), std::string::npos) << workbook;
  std::vector<std::string> shared = SharedStrings(ZipPart(*bytes, "xl/sharedStrings.xml"));
  std::map<std::string, std::string> cells =
      SheetCells(ZipPart(*bytes, "xl/worksheets/sheet1.xml"), shared);
  EXPECT_EQ(cells["A1"], "单位");
  EXPECT_EQ(cells["B1"], "结案率");
  EXPECT_EQ(cells["A2"], "环卫中心");
  EXPECT_EQ(cells["B2"], "93.72");
  EXPECT_EQ(cells["A3"], "市政所");
  EXPECT_EQ(cells.count("B3"), 0u);
  std::map<std::string, std::string> second =
      SheetCells(ZipPart(*bytes, "xl/worksheets/sheet2.xml"), shared);
  EXPECT_EQ(second["A1"], "网格");
  EXPECT_EQ(second["B1"], "7");
}

TEST(XlsxWriterTest, RejectsBadSheetNamesAndKeepsTheWorkbookUnchanged) {
  XlsxWriter book;
  ASSERT_TRUE(book.AddSheet("Units").ok());
  const std::string bad[] = {"", "a/b", "x[1]", "what?", "units",
                             "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二"};
  for (const std::string& name : bad) {
    Result<int> r = book.AddSheet(name);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << name;
  }
  EXPECT_EQ(book.sheet_count(), 1);
  // 31 Chinese characters are fine (the limit counts characters, not bytes).
  EXPECT_TRUE(book.AddSheet("一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一").ok());
}

TEST(XlsxWriterTest, RejectsBadRowsNamingSheetRowAndColumn) {
  XlsxWriter book;
  int sheet = *book.AddSheet("S");
  Status s = book.AddRow(sheet, {XlsxOut::Text("ok"), XlsxOut::Number(std::nan(""))});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("sheet 'S' row 1 column 2"), std::string::npos) << s.message();
  s = book.AddRow(sheet, {XlsxOut::Text(std::string(40000, 'x'))});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(book.AddRow(7, {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(XlsxWriter().Finish().status().code(), StatusCode::kInvalidArgument);
  // The refused rows were not added: the sheet is still empty.
  ASSERT_TRUE(book.AddRow(sheet, {XlsxOut::Text("first")}).ok());
  Result<std::string> bytes = book.Finish();
  ASSERT_TRUE(bytes.ok());
  std::vector<std::string> shared = SharedStrings(ZipPart(*bytes, "xl/sharedStrings.xml"));
  std::map<std::string, std::string> cells =
      SheetCells(ZipPart(*bytes, "xl/worksheets/sheet1.xml"), shared);
  EXPECT_EQ(cells["A1"], "first");
  EXPECT_EQ(cells.size(), 1u);
}

}  // namespace
}  // namespace citygrid
