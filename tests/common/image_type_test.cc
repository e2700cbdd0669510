#include "citygrid/common/image_type.h"

#include <gtest/gtest.h>

#include <string>

namespace citygrid {
namespace {

TEST(SniffImageTypeTest, RecognisesJpegPngAndWebpByTheirFirstBytes) {
  EXPECT_EQ(SniffImageType(std::string("\xFF\xD8\xFF\xE0rest", 8)), "image/jpeg");
  EXPECT_EQ(SniffImageType(std::string("\x89PNG\r\n\x1a\n\0\0", 10)), "image/png");
  EXPECT_EQ(SniffImageType(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16)), "image/webp");
}

TEST(SniffImageTypeTest, RefusesOtherFormatsAndTruncatedHeaders) {
  EXPECT_EQ(SniffImageType(""), "");
  EXPECT_EQ(SniffImageType(std::string("\xFF\xD8", 2)), "");           // JPEG start cut short
  EXPECT_EQ(SniffImageType(std::string("\x89PNG\r\n", 6)), "");        // PNG signature cut short
  EXPECT_EQ(SniffImageType(std::string("RIFF\x10\0\0\0WAVE", 12)), "");  // a RIFF sound file
  EXPECT_EQ(SniffImageType("GIF89a......"), "");
  EXPECT_EQ(SniffImageType("<svg xmlns='http://www.w3.org/2000/svg'/>"), "");
  EXPECT_EQ(SniffImageType("photo.jpg"), "");  // a name is not content
}

}  // namespace
}  // namespace citygrid
