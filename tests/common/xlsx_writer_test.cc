#include "citygrid/common/xlsx_writer.h"

#include <expat.h>
#include <gtest/gtest.h>
#include <zip.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace citygrid {
namespace {

// Reads one part of a zip held in memory; "" with a test failure when missing.
std::string ZipPart(const std::string& bytes, const std::string& name) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (src == nullptr) {
    ADD_FAILURE() << "zip source: " << zip_error_strerror(&error);
    return "";
  }
  zip_t* zip = zip_open_from_source(src, ZIP_RDONLY, &error);
  if (zip == nullptr) {
    zip_source_free(src);
    ADD_FAILURE() << "not a zip: " << zip_error_strerror(&error);
    return "";
  }
  std::string out;
  zip_stat_t st;
  if (zip_stat(zip, name.c_str(), 0, &st) != 0) {
    ADD_FAILURE() << "no part " << name;
  } else if (zip_file_t* f = zip_fopen(zip, name.c_str(), 0)) {
    out.resize(st.size);
    zip_int64_t n = zip_fread(f, out.data(), st.size);
    EXPECT_EQ(n, static_cast<zip_int64_t>(st.size));
    zip_fclose(f);
  }
  zip_close(zip);
  return out;
}

// Character data of every <t> element (shared strings, in order).
std::vector<std::string> SharedStrings(const std::string& xml) {
  struct State {
    std::vector<std::string> strings;
    bool in_t = false;
  } state;
  XML_Parser p = XML_ParserCreate("UTF-8");
  XML_SetUserData(p, &state);
  XML_SetElementHandler(
      p,
      [](void* d, const XML_Char* name, const XML_Char**) {
        auto* s = static_cast<State*>(d);
        if (std::string(name) == "si") s->strings.emplace_back();
        if (std::string(name) == "t") s->in_t = true;
      },
      [](void* d, const XML_Char* name) {
        if (std::string(name) == "t") static_cast<State*>(d)->in_t = false;
      });
  XML_SetCharacterDataHandler(p, [](void* d, const XML_Char* text, int len) {
    auto* s = static_cast<State*>(d);
    if (s->in_t && !s->strings.empty()) s->strings.back().append(text, len);
  });
  EXPECT_EQ(XML_Parse(p, xml.data(), static_cast<int>(xml.size()), 1), XML_STATUS_OK)
      << XML_ErrorString(XML_GetErrorCode(p));
  XML_ParserFree(p);
  return state.strings;
}

// Cell reference ("B2") → displayed value; shared strings resolved.
std::map<std::string, std::string> SheetCells(const std::string& xml,
                                              const std::vector<std::string>& shared) {
  struct State {
    std::map<std::string, std::string> cells;
    std::string ref, type, value;
    bool in_v = false;
  } state;
  XML_Parser p = XML_ParserCreate("UTF-8");
  XML_SetUserData(p, &state);
  XML_SetElementHandler(
      p,
      [](void* d, const XML_Char* name, const XML_Char** attrs) {
        auto* s = static_cast<State*>(d);
        std::string n = name;
        if (n == "c") {
          s->ref.clear();
          s->type.clear();
          s->value.clear();
          for (int i = 0; attrs[i] != nullptr; i += 2) {
            if (std::string(attrs[i]) == "r") s->ref = attrs[i + 1];
            if (std::string(attrs[i]) == "t") s->type = attrs[i + 1];
          }
        } else if (n == "v") {
          s->in_v = true;
        }
      },
      [](void* d, const XML_Char* name) {
        auto* s = static_cast<State*>(d);
        std::string n = name;
        if (n == "v") s->in_v = false;
        if (n == "c") s->cells[s->ref] = (s->type == "s" ? "#" : "") + s->value;
      });
  XML_SetCharacterDataHandler(p, [](void* d, const XML_Char* text, int len) {
    auto* s = static_cast<State*>(d);
    if (s->in_v) s->value.append(text, len);
  });
  EXPECT_EQ(XML_Parse(p, xml.data(), static_cast<int>(xml.size()), 1), XML_STATUS_OK)
      << XML_ErrorString(XML_GetErrorCode(p));
  XML_ParserFree(p);
  for (auto& [ref, v] : state.cells) {
    if (!v.empty() && v[0] == '#') {
      size_t i = std::stoul(v.substr(1));
      v = i < shared.size() ? shared[i] : "<bad shared string index>";
    }
  }
  return state.cells;
}

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
