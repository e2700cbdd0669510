#pragma once

// Private to src/http: a multipart/form-data body (RFC 7578) split into its parts. Used by the
// photo upload (POST /api/v1/cases/{number}/photos) and Open311 POSTs that carry files.

#include <string>
#include <string_view>
#include <vector>

#include "citygrid/common/status.h"

namespace citygrid::http {

struct MultipartPart {
  std::string name;          // the form field name (Content-Disposition name="..."), may be ""
  std::string filename;      // Content-Disposition filename="...", "" for a plain field
  std::string content_type;  // the part's Content-Type, "" when absent
  std::string bytes;
};

// Splits `body` by the boundary of `content_type` ("multipart/form-data; boundary=...").
// kInvalidArgument naming the problem and the part (1-based): no or empty boundary, a body
// without its boundary, a malformed boundary line, unterminated headers, a missing closing
// boundary, or no parts at all.
Result<std::vector<MultipartPart>> ParseMultipart(std::string_view content_type,
                                                  std::string_view body);

}  // namespace citygrid::http
