#pragma once

#include <string_view>

namespace citygrid {

// The media type of a photo judged by its first bytes (never by its name or a client's
// Content-Type): "image/jpeg", "image/png", "image/webp", or "" when `bytes` starts as none of
// them. The three formats every upload path (case photos, Open311 media, ledger progress photos)
// accepts.
std::string_view SniffImageType(std::string_view bytes);

}  // namespace citygrid
