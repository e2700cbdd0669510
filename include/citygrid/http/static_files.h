#pragma once

// Serves a directory of files (the console's built assets) for GET and HEAD:
// - Content-Type from the extension (unknown: application/octet-stream);
// - ETag from size and modification time, If-None-Match → 304;
// - Cache-Control "public, max-age=31536000, immutable" for content-hashed names
//   ("index-3f9a7c2b.js", "logo.5d41402a.svg"), "no-cache" (revalidate) for the rest;
// - a path without an extension that names no file answers the root's index.html, so the
//   console's client-side routes ("/cases/20200412-000123") load the app;
// - paths under /api/ or /open311/ are never answered with index.html (404 JSON instead);
// - no path traversal: ".." segments, backslashes and NUL bytes are refused with 400, and a
//   symlink leading outside the root is refused with 404;
// - files of up to kMaxCachedFileBytes named directly by the path are kept in memory with
//   their headers (at most kMaxCachedBytes / kMaxCachedFiles in all); every request re-checks
//   such a file with one stat() (device, inode, size, modification and change time) and reads
//   it again when anything differs, so a deployed change is served at once.
//
// Thread-safe: Serve may be called concurrently; copies share the cache.

#include <memory>
#include <string>

#include "citygrid/http/request.h"
#include "citygrid/http/response.h"

namespace citygrid::http {

class StaticFiles {
 public:
  // `root` must be an existing directory (checked by Open).
  static Result<StaticFiles> Open(const std::string& root);

  // Answers a GET/HEAD request for request.path.
  Response Serve(const Request& request) const;

  const std::string& root() const { return root_; }

  static constexpr size_t kMaxCachedFileBytes = 256 << 10;
  static constexpr size_t kMaxCachedBytes = 32 << 20;
  static constexpr size_t kMaxCachedFiles = 4096;

 private:
  class Cache;
  explicit StaticFiles(std::string root);
  std::string root_;  // canonical, no trailing '/'
  std::shared_ptr<Cache> cache_;
};

// The Content-Type for a file name's extension.
std::string_view ContentTypeForPath(std::string_view path);
// True for file names carrying a content hash (8+ hex/base64url characters after '-' or '.').
bool IsHashedAssetName(std::string_view file_name);

}  // namespace citygrid::http
