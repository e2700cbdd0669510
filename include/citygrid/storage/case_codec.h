#pragma once

// Byte encodings storage backends share for values they keep whole: the full Case of a
// current-state row, and the photo list of an event row.
//
// A Case encodes as netstrings ("<len>:<bytes>,"): first "case-v1", then (name, value) pairs,
// one per set field: strings verbatim, integers and timestamps (Unix ms) in decimal, doubles in
// shortest round-trip form, bools "0"/"1", enums by Name(), one "photo" pair per photo, unset
// optionals omitted. Decoding ignores names it does not know, so a newer citygrid may add
// fields without a data migration; a field missing from old data keeps its default.

#include <string>
#include <string_view>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/domain/case.h"

namespace citygrid::storage {

std::string EncodeCase(const Case& c);
// kInternal naming the problem when `bytes` is not an encoded case (a corrupt row).
Result<Case> DecodeCase(std::string_view bytes);

// A list of strings as consecutive netstrings ("" for an empty list).
std::string EncodeStringList(const std::vector<std::string>& items);
// kInternal when `bytes` is not such a list.
Result<std::vector<std::string>> DecodeStringList(std::string_view bytes);

}  // namespace citygrid::storage
