#pragma once

// Writing JSON text by hand, for the hot paths that do not build a document first.

#include <string>
#include <string_view>

namespace citygrid {

// Appends `text` as a JSON string, quotes included, escaped exactly as Boost.JSON's serializer
// does: '"' and '\\' escaped, \b \t \n \f \r by name, the other control characters below 0x20
// as \u00xx (lowercase hex); everything else, UTF-8 included, unchanged. Byte-for-byte equality
// with Boost.JSON matters: canonical event payloads are hashed into the audit chain.
void AppendJsonString(std::string& out, std::string_view text);

}  // namespace citygrid
