#pragma once

// Small real images for tests of the upload paths (case photos, Open311 media, ledger photos,
// video-AI snapshots): 2 × 2 pixels, drawn on a canvas and encoded by Chromium. SniffImageType
// (common/image_type.h) accepts them; it refuses a signature followed by anything.

#include <string>

namespace citygrid::testing {

std::string TinyPng();   // 98 bytes
std::string TinyJpeg();  // 774 bytes (JFIF with an ICC profile)
std::string TinyWebp();  // 548 bytes (VP8X, lossy)

}  // namespace citygrid::testing
