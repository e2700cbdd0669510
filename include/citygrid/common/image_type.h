#pragma once

#include <string_view>

namespace citygrid {

// The media type of a photo judged by its content (never by its name or a client's
// Content-Type): "image/jpeg", "image/png", "image/webp", or "" when `bytes` is none of them.
// Beyond the format's signature it checks the structure a decoder needs first, so that a few
// magic bytes or a file cut short in transfer are refused: PNG: an IHDR chunk with a width and
// height, and the IEND chunk; JPEG: well-formed marker segments up to a frame header with a
// width and height, then an EOI marker; WebP: a RIFF size the bytes hold and a VP8/VP8L/VP8X
// chunk. It does not decode the pixels. The three formats every upload path (case photos,
// Open311 media, ledger progress photos, video-AI snapshots) accepts.
std::string_view SniffImageType(std::string_view bytes);

}  // namespace citygrid
