#include "citygrid/common/image_type.h"

#include <cstdint>

namespace citygrid {
namespace {

uint8_t Byte(std::string_view b, size_t i) { return static_cast<uint8_t>(b[i]); }
uint32_t Big32(std::string_view b, size_t i) {
  return (uint32_t{Byte(b, i)} << 24) | (uint32_t{Byte(b, i + 1)} << 16) |
         (uint32_t{Byte(b, i + 2)} << 8) | Byte(b, i + 3);
}
uint32_t Little32(std::string_view b, size_t i) {
  return Byte(b, i) | (uint32_t{Byte(b, i + 1)} << 8) | (uint32_t{Byte(b, i + 2)} << 16) |
         (uint32_t{Byte(b, i + 3)} << 24);
}

// PNG: the signature, an IHDR chunk first with a width and height, and the IEND chunk (a file
// cut short in transfer has none).
bool IsPng(std::string_view b) {
  static constexpr std::string_view kSignature("\x89PNG\r\n\x1a\n", 8);
  static constexpr std::string_view kEnd("\0\0\0\0IEND\xae\x42\x60\x82", 12);
  if (b.size() < 8 + 25 + 12 || b.substr(0, 8) != kSignature) return false;
  if (Big32(b, 8) != 13 || b.substr(12, 4) != "IHDR") return false;
  if (Big32(b, 16) == 0 || Big32(b, 20) == 0) return false;
  return b.find(kEnd, 33) != std::string_view::npos;
}

// JPEG: SOI, then marker segments up to a start-of-frame with a width and lines, then the
// entropy-coded data and an EOI marker somewhere after it (phones may append data after EOI).
bool IsJpeg(std::string_view b) {
  if (b.size() < 4 || Byte(b, 0) != 0xFF || Byte(b, 1) != 0xD8 || Byte(b, 2) != 0xFF) return false;
  size_t i = 2;
  while (i + 4 <= b.size()) {
    if (Byte(b, i) != 0xFF) return false;
    const uint8_t marker = Byte(b, i + 1);
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (marker == 0xD8 || marker == 0xD9 || (marker >= 0xD0 && marker <= 0xD7) ||
        marker == 0x01) {
      return false;  // no second SOI, EOI or restart marker before the frame
    }
    const size_t length = (size_t{Byte(b, i + 2)} << 8) | Byte(b, i + 3);
    if (length < 2 || i + 2 + length > b.size()) return false;
    const bool frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 &&
                       marker != 0xCC;
    if (frame) {
      if (length < 8) return false;
      const size_t lines = (size_t{Byte(b, i + 5)} << 8) | Byte(b, i + 6);
      const size_t width = (size_t{Byte(b, i + 7)} << 8) | Byte(b, i + 8);
      if (lines == 0 || width == 0) return false;
      return b.find("\xFF\xD9", i + 2 + length) != std::string_view::npos;
    }
    i += 2 + length;
  }
  return false;
}

// WebP: a RIFF container of type WEBP whose announced size the bytes hold, with a VP8, VP8L or
// VP8X chunk first.
bool IsWebp(std::string_view b) {
  if (b.size() < 20 || b.substr(0, 4) != "RIFF" || b.substr(8, 4) != "WEBP") return false;
  const uint64_t riff = Little32(b, 4);
  if (riff < 12 || riff + 8 > b.size()) return false;
  const std::string_view chunk = b.substr(12, 4);
  if (chunk != "VP8 " && chunk != "VP8L" && chunk != "VP8X") return false;
  return Little32(b, 16) > 0 && 20 + uint64_t{Little32(b, 16)} <= riff + 8;
}

}  // namespace

std::string_view SniffImageType(std::string_view bytes) {
  if (IsJpeg(bytes)) return "image/jpeg";
  if (IsPng(bytes)) return "image/png";
  if (IsWebp(bytes)) return "image/webp";
  return "";
}

}  // namespace citygrid
