#include "citygrid/common/utf8.h"

#include <string>

#include <gtest/gtest.h>

namespace citygrid {
namespace {

TEST(Utf8Test, ControlCharactersAreC0DelAndC1) {
  EXPECT_FALSE(HasControlCharacter("路边垃圾 é ¡ 🚧", false));
  EXPECT_TRUE(HasControlCharacter(std::string("a\0b", 3), false));
  EXPECT_TRUE(HasControlCharacter("a\x1b[31m", false));
  EXPECT_TRUE(HasControlCharacter("a\x7f", false));
  EXPECT_TRUE(HasControlCharacter("a\u0085b", false));  // NEL, C2 85
  EXPECT_TRUE(HasControlCharacter("a\u009f", true));
  EXPECT_FALSE(HasControlCharacter("\u00a0", false));   // no-break space, C2 A0: not a control
  EXPECT_TRUE(HasControlCharacter("one\ntwo", false));
  EXPECT_FALSE(HasControlCharacter("one\r\ntwo\tthree", true));
}

TEST(Utf8Test, SequenceLengthsOfWellFormedCharacters) {
  EXPECT_EQ(Utf8SequenceLength("a", 0), 1u);
  EXPECT_EQ(Utf8SequenceLength("é", 0), 2u);
  EXPECT_EQ(Utf8SequenceLength("中", 0), 3u);
  EXPECT_EQ(Utf8SequenceLength("🚧", 0), 4u);
  EXPECT_EQ(Utf8SequenceLength("\xF4\x8F\xBF\xBF", 0), 4u);  // U+10FFFF, the last code point
  EXPECT_EQ(Utf8SequenceLength("\xEF\xBF\xBF", 0), 3u);      // U+FFFF is UTF-8 (XML refuses it)
}

TEST(Utf8Test, MalformedSequencesHaveNoLength) {
  const char* bad[] = {
      "\x80",              // a continuation byte alone
      "\xE4\xB8",          // a character cut short
      "\xC0\xAF",          // overlong '/'
      "\xE0\x80\xAF",      // overlong, three bytes
      "\xF0\x80\x80\xAF",  // overlong, four bytes
      "\xED\xA0\x80",      // a surrogate (U+D800)
      "\xF4\x90\x80\x80",  // above U+10FFFF
      "\xFF",
      "\xE4" "a" "\xAD",   // a lead byte followed by ASCII
  };
  for (const char* s : bad) {
    EXPECT_EQ(Utf8SequenceLength(s, 0), 0u) << testing::PrintToString(std::string(s));
    EXPECT_FALSE(IsValidUtf8(s)) << testing::PrintToString(std::string(s));
  }
}

TEST(Utf8Test, ValidTextIsKeptAndEveryBadByteIsOneReplacement) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("二七区 road 🚧"));
  EXPECT_EQ(ToValidUtf8("二七区 road 🚧"), "二七区 road 🚧");
  EXPECT_EQ(ToValidUtf8("中\xE4\xB8"), "中\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(ToValidUtf8("a\xFF" "b\xC0\xAF"), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_TRUE(IsValidUtf8(ToValidUtf8("\xED\xA0\x80\xF4\x90\x80\x80\x80")));
}

TEST(Utf8Test, LengthCountsCharacters) {
  EXPECT_EQ(Utf8Length(""), 0u);
  EXPECT_EQ(Utf8Length("abc"), 3u);
  EXPECT_EQ(Utf8Length("中文 ok 🚧"), 7u);
}

TEST(Utf8Test, PrefixNeverCutsACharacter) {
  const std::string text = "中文中文中文";  // 18 bytes
  EXPECT_EQ(Utf8Prefix(text, 100), text);
  EXPECT_EQ(Utf8Prefix(text, 18), text);
  EXPECT_EQ(Utf8Prefix(text, 10), "中文中");  // 9 bytes: the 4th character would be cut
  EXPECT_EQ(Utf8Prefix(text, 9), "中文中");
  EXPECT_EQ(Utf8Prefix(text, 2), "");
  EXPECT_EQ(Utf8Prefix("abcdef", 4), "abcd");
  for (size_t n = 0; n <= text.size(); ++n) EXPECT_TRUE(IsValidUtf8(Utf8Prefix(text, n))) << n;
}

}  // namespace
}  // namespace citygrid
