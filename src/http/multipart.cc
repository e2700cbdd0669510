#include "src/http/multipart.h"

#include <cctype>

namespace citygrid::http {
namespace {

// The value of `param="..."` (or unquoted, up to ';') in a Content-Disposition header line.
std::string DispositionParam(std::string_view headers, std::string_view param) {
  size_t line = 0;
  while (line < headers.size()) {
    size_t end = headers.find("\r\n", line);
    if (end == std::string_view::npos) end = headers.size();
    std::string_view h = headers.substr(line, end - line);
    std::string lower;
    for (char c : h) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.rfind("content-disposition:", 0) == 0) {
      const std::string key = "; " + std::string(param) + "=";
      size_t at = lower.find(key);
      if (at == std::string::npos) {
        const std::string tight = ";" + std::string(param) + "=";
        at = lower.find(tight);
        if (at == std::string::npos) return "";
        at += tight.size();
      } else {
        at += key.size();
      }
      if (at < h.size() && h[at] == '"') {
        size_t close = h.find('"', at + 1);
        if (close == std::string_view::npos) return std::string(h.substr(at + 1));
        return std::string(h.substr(at + 1, close - at - 1));
      }
      size_t semi = h.find(';', at);
      return std::string(h.substr(at, semi == std::string_view::npos ? std::string_view::npos
                                                                     : semi - at));
    }
    line = end + 2;
  }
  return "";
}

std::string HeaderValue(std::string_view headers, std::string_view name) {
  size_t line = 0;
  while (line < headers.size()) {
    size_t end = headers.find("\r\n", line);
    if (end == std::string_view::npos) end = headers.size();
    std::string_view h = headers.substr(line, end - line);
    if (h.size() > name.size() && h[name.size()] == ':') {
      bool same = true;
      for (size_t i = 0; i < name.size(); ++i) {
        same = same && std::tolower(static_cast<unsigned char>(h[i])) ==
                           std::tolower(static_cast<unsigned char>(name[i]));
      }
      if (same) {
        std::string_view v = h.substr(name.size() + 1);
        while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
        return std::string(v);
      }
    }
    line = end + 2;
  }
  return "";
}

}  // namespace

Result<std::vector<MultipartPart>> ParseMultipart(std::string_view content_type,
                                                  std::string_view body) {
  size_t b = content_type.find("boundary=");
  if (b == std::string_view::npos) {
    return InvalidArgumentError("multipart/form-data without a boundary parameter");
  }
  std::string_view boundary = content_type.substr(b + 9);
  if (size_t semi = boundary.find(';'); semi != std::string_view::npos) {
    boundary = boundary.substr(0, semi);
  }
  if (boundary.size() >= 2 && boundary.front() == '"' && boundary.back() == '"') {
    boundary = boundary.substr(1, boundary.size() - 2);
  }
  if (boundary.empty()) return InvalidArgumentError("multipart boundary is empty");
  const std::string delimiter = "--" + std::string(boundary);
  size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) {
    return InvalidArgumentError("multipart body does not contain its boundary");
  }
  std::vector<MultipartPart> parts;
  int index = 0;
  while (true) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") break;  // closing delimiter
    if (body.substr(pos, 2) != "\r\n") {
      return InvalidArgumentError("multipart part " + std::to_string(index + 1) +
                                  ": malformed boundary line");
    }
    pos += 2;
    size_t header_end = body.find("\r\n\r\n", pos);
    if (header_end == std::string_view::npos) {
      return InvalidArgumentError("multipart part " + std::to_string(index + 1) +
                                  ": headers not terminated");
    }
    std::string_view headers = body.substr(pos, header_end - pos);
    size_t data_start = header_end + 4;
    size_t next = body.find("\r\n" + delimiter, data_start);
    if (next == std::string_view::npos) {
      return InvalidArgumentError("multipart part " + std::to_string(index + 1) +
                                  ": no closing boundary");
    }
    ++index;
    MultipartPart part;
    part.name = DispositionParam(headers, "name");
    part.filename = DispositionParam(headers, "filename");
    part.content_type = HeaderValue(headers, "Content-Type");
    part.bytes = std::string(body.substr(data_start, next - data_start));
    parts.push_back(std::move(part));
    pos = next + 2;
  }
  if (parts.empty()) return InvalidArgumentError("multipart body has no parts");
  return parts;
}

}  // namespace citygrid::http
