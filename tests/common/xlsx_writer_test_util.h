#pragma once

// Test helpers that read back an .xlsx with libzip and expat directly (independent of the
// code under test): one part of the zip, the shared strings, and a sheet's cells by reference.

#include <expat.h>
#include <gtest/gtest.h>
#include <zip.h>

#include <map>
#include <string>
#include <vector>

namespace citygrid::testing {

// Reads one part of a zip held in memory; "" with a test failure when missing.
inline std::string ZipPart(const std::string& bytes, const std::string& name) {
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
inline std::vector<std::string> SharedStrings(const std::string& xml) {
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
inline std::map<std::string, std::string> SheetCells(const std::string& xml,
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

}  // namespace citygrid::testing
