#include "citygrid/http/static_files.h"

#include <sys/stat.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "citygrid/http/error_mapping.h"

namespace citygrid::http {
namespace fs = std::filesystem;

namespace {

struct ExtensionType {
  std::string_view extension;
  std::string_view type;
};

constexpr ExtensionType kTypes[] = {
    {".html", "text/html; charset=utf-8"},
    {".htm", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".geojson", "application/geo+json"},
    {".webmanifest", "application/manifest+json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".webp", "image/webp"},
    {".ico", "image/x-icon"},
    {".woff", "font/woff"},
    {".woff2", "font/woff2"},
    {".ttf", "font/ttf"},
    {".txt", "text/plain; charset=utf-8"},
    {".csv", "text/csv; charset=utf-8"},
    {".xml", "application/xml"},
    {".pdf", "application/pdf"},
    {".wasm", "application/wasm"},
};

bool IsHashChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool IsHexOrBase64Hash(std::string_view s) {
  if (s.size() < 8) return false;
  bool has_digit = false;
  for (char c : s) {
    if (!IsHashChar(c)) return false;
    if (c >= '0' && c <= '9') has_digit = true;
  }
  // A real content hash of 8+ characters almost always has a digit; words ("-settings") do not.
  return has_digit;
}

Response NotFound(const std::string& path) {
  return ErrorResponse(NotFoundError("no such file: " + path));
}

bool ReadFile(const fs::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *out = std::move(buffer).str();
  return static_cast<bool>(in) || in.eof();
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string_view ContentTypeForPath(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  std::string ext(name.substr(dot));
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const ExtensionType& t : kTypes) {
    if (t.extension == ext) return t.type;
  }
  return "application/octet-stream";
}

bool IsHashedAssetName(std::string_view file_name) {
  // "index-3f9a7c2b.js" (Vite/Rollup), "logo.5d41402a.svg" (webpack): the part between the last
  // '-' or '.' before the extension and the extension.
  size_t dot = file_name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  std::string_view stem = file_name.substr(0, dot);
  size_t sep = stem.find_last_of("-.");
  if (sep == std::string_view::npos) return false;
  return IsHexOrBase64Hash(stem.substr(sep + 1));
}

Result<StaticFiles> StaticFiles::Open(const std::string& root) {
  std::error_code ec;
  fs::path canonical = fs::canonical(root, ec);
  if (ec || !fs::is_directory(canonical, ec)) {
    return InvalidArgumentError("static file root '" + root + "' is not a directory");
  }
  return StaticFiles(canonical.string());
}

Response StaticFiles::Serve(const Request& request) const {
  if (request.method != Method::kGet && request.method != Method::kHead) {
    Response r = ErrorResponse(InvalidArgumentError("static files answer only GET and HEAD"));
    r.status = 405;
    r.headers.Set("Allow", "GET, HEAD");
    return r;
  }
  for (const std::string& segment : request.path_segments) {
    if (segment == ".." || segment == "." || segment.find('\\') != std::string::npos ||
        segment.find('/') != std::string::npos || segment.find('\0') != std::string::npos) {
      return ErrorResponse(
          InvalidArgumentError("path '" + request.path + "' is not allowed: it leaves the "
                               "served directory or names it ambiguously"));
    }
  }
  std::string relative;
  for (const std::string& segment : request.path_segments) {
    if (!relative.empty()) relative += '/';
    relative += segment;
  }
  fs::path candidate = fs::path(root_) / relative;
  std::error_code ec;
  if (fs::is_directory(candidate, ec)) candidate /= "index.html";
  if (!fs::is_regular_file(candidate, ec)) {
    bool has_extension = !request.path_segments.empty() &&
                         request.path_segments.back().find('.') != std::string::npos;
    bool api_path = StartsWith(request.path, "/api/") || request.path == "/api" ||
                    StartsWith(request.path, "/open311/");
    if (has_extension || api_path) return NotFound(request.path);
    // A client-side route of the console: the app's entry page handles it.
    candidate = fs::path(root_) / "index.html";
    if (!fs::is_regular_file(candidate, ec)) return NotFound(request.path);
  }
  // Symlinks may point anywhere; only files that really live under the root are served.
  fs::path real = fs::canonical(candidate, ec);
  if (ec) return NotFound(request.path);
  std::string real_text = real.string();
  if (real_text.size() <= root_.size() || !StartsWith(real_text, root_) ||
      real_text[root_.size()] != '/') {
    return NotFound(request.path);
  }

  struct stat st {};
  if (::stat(real_text.c_str(), &st) != 0) return NotFound(request.path);
  char etag[64];
  std::snprintf(etag, sizeof etag, "\"%llx-%llx\"", static_cast<unsigned long long>(st.st_size),
                static_cast<unsigned long long>(st.st_mtim.tv_sec) * 1000000000ULL +
                    static_cast<unsigned long long>(st.st_mtim.tv_nsec));

  std::string file_name = real.filename().string();
  Response r;
  r.status = 200;
  r.content_type = std::string(ContentTypeForPath(file_name));
  r.headers.Set("ETag", etag);
  r.headers.Set("Cache-Control", IsHashedAssetName(file_name)
                                     ? "public, max-age=31536000, immutable"
                                     : "no-cache");
  r.headers.Set("X-Content-Type-Options", "nosniff");
  if (auto inm = request.headers.Get("If-None-Match"); inm) {
    // A list of tags, or "*"; weak comparison is what If-None-Match asks for.
    std::string_view tags = *inm;
    std::string_view mine(etag);
    if (tags == "*" || tags.find(mine) != std::string_view::npos) {
      r.status = 304;
      return r;
    }
  }
  if (request.method == Method::kHead) {
    r.headers.Set("Content-Length", std::to_string(st.st_size));
    return r;
  }
  if (!ReadFile(real, &r.body)) {
    return ErrorResponse(UnavailableError("cannot read " + request.path));
  }
  return r;
}

}  // namespace citygrid::http
