#include "citygrid/common/image_type.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/testing/images.h"

namespace citygrid {
namespace {

using citygrid::testing::TinyJpeg;
using citygrid::testing::TinyPng;
using citygrid::testing::TinyWebp;

TEST(SniffImageTypeTest, RecognisesRealJpegPngAndWebp) {
  EXPECT_EQ(SniffImageType(TinyJpeg()), "image/jpeg");
  EXPECT_EQ(SniffImageType(TinyPng()), "image/png");
  EXPECT_EQ(SniffImageType(TinyWebp()), "image/webp");
  // Data after a JPEG's EOI (some phones append their own) is allowed.
  EXPECT_EQ(SniffImageType(TinyJpeg() + "trailer"), "image/jpeg");
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

// A signature followed by anything is not an image; nor is a real one cut short in transfer.
TEST(SniffImageTypeTest, RefusesMagicBytesAloneAndFilesCutShort) {
  EXPECT_EQ(SniffImageType(std::string("\xFF\xD8\xFF", 3) + std::string(10, '\0')), "");
  EXPECT_EQ(SniffImageType(std::string("\xFF\xD8\xFF\xE0", 4) + "jpeg-data"), "");
  EXPECT_EQ(SniffImageType(std::string("RIFF\0\0\0\0WEBP", 12)), "");
  EXPECT_EQ(SniffImageType(std::string("\x89PNG\r\n\x1a\n", 8) + std::string(64, '\x01')), "");
  EXPECT_EQ(SniffImageType(TinyPng().substr(0, 20)), "");
  for (const std::string& image : {TinyJpeg(), TinyPng(), TinyWebp()}) {
    for (size_t keep : {image.size() / 4, image.size() / 2, image.size() - 3}) {
      EXPECT_EQ(SniffImageType(image.substr(0, keep)), "")
          << SniffImageType(image) << " cut to " << keep << " of " << image.size() << " bytes";
    }
  }
  // A PNG without width, a JPEG frame without lines.
  std::string flat = TinyPng();
  flat.replace(16, 4, std::string(4, '\0'));
  EXPECT_EQ(SniffImageType(flat), "");
}

}  // namespace
}  // namespace citygrid
