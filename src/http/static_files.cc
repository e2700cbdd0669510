#include "citygrid/http/static_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

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

// Reads the whole file at `path`; `st` receives the status of the file actually read (fstat of
// the open descriptor), so the validators describe these bytes.
bool ReadFile(const std::string& path, std::string* out, struct stat* st) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::fstat(fd, st) == 0 && S_ISREG(st->st_mode);
  if (ok) {
    out->resize(static_cast<size_t>(st->st_size));
    size_t done = 0;
    while (ok && done < out->size()) {
      ssize_t n = ::read(fd, out->data() + done, out->size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ok = n == 0;  // the file shrank meanwhile: serve what is there
        out->resize(done);
        break;
      }
      done += static_cast<size_t>(n);
    }
  }
  ::close(fd);
  return ok;
}

// What identifies one version of a file: a change to any of these re-reads it.
struct FileIdentity {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;

  static FileIdentity Of(const struct stat& st) {
    return FileIdentity{st.st_dev, st.st_ino, st.st_size,
                        int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec,
                        int64_t{st.st_ctim.tv_sec} * 1000000000 + st.st_ctim.tv_nsec};
  }
  friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
};

std::string ETagOf(const struct stat& st) {
  char etag[64];
  std::snprintf(etag, sizeof etag, "\"%llx-%llx\"", static_cast<unsigned long long>(st.st_size),
                static_cast<unsigned long long>(st.st_mtim.tv_sec) * 1000000000ULL +
                    static_cast<unsigned long long>(st.st_mtim.tv_nsec));
  return etag;
}

// A list of tags, or "*"; weak comparison is what If-None-Match asks for.
bool MatchesIfNoneMatch(const Request& request, std::string_view etag) {
  std::optional<std::string_view> tags = request.headers.Get("If-None-Match");
  return tags && (*tags == "*" || tags->find(etag) != std::string_view::npos);
}

// The answer for a file whose 200 response (headers and body) is `full`.
Response Answer(const Request& request, const Response& full, std::string_view etag) {
  Response r;
  r.status = full.status;
  r.content_type = full.content_type;
  r.headers = full.headers;
  if (MatchesIfNoneMatch(request, etag)) {
    r.status = 304;
    return r;
  }
  if (request.method == Method::kHead) {
    r.headers.Set("Content-Length", std::to_string(full.body.size()));
    return r;
  }
  r.body = full.body;
  return r;
}

}  // namespace

// Files read before, by their path relative to the root. Thread-safe.
class StaticFiles::Cache {
 public:
  struct Entry {
    std::string file;       // the path that was opened (root/relative)
    FileIdentity identity;  // of the bytes in `response`
    std::string etag;
    Response response;      // the whole 200 answer
  };

  std::shared_ptr<const Entry> Find(const std::string& relative) const {
    std::shared_lock lock(mu_);
    auto it = entries_.find(relative);
    return it == entries_.end() ? nullptr : it->second;
  }

  void Put(const std::string& relative, std::shared_ptr<const Entry> entry) {
    std::unique_lock lock(mu_);
    auto it = entries_.find(relative);
    if (it != entries_.end()) {
      bytes_ -= it->second->response.body.size();
      entries_.erase(it);
    }
    size_t size = entry->response.body.size();
    if (bytes_ + size > kMaxCachedBytes || entries_.size() >= kMaxCachedFiles) {
      // A deployment that outgrows the cache starts over; the working set refills it.
      entries_.clear();
      bytes_ = 0;
    }
    bytes_ += size;
    entries_.emplace(relative, std::move(entry));
  }

  void Remove(const std::string& relative) {
    std::unique_lock lock(mu_);
    auto it = entries_.find(relative);
    if (it == entries_.end()) return;
    bytes_ -= it->second->response.body.size();
    entries_.erase(it);
  }

 private:
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const Entry>> entries_;  // GUARDED_BY(mu_)
  size_t bytes_ = 0;                                                       // GUARDED_BY(mu_)
};

namespace {

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

StaticFiles::StaticFiles(std::string root)
    : root_(std::move(root)), cache_(std::make_shared<Cache>()) {}


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
  std::string direct = root_ + "/" + relative;
  if (std::shared_ptr<const Cache::Entry> hit = cache_->Find(relative)) {
    // One stat tells whether the file is still the one read: any change re-reads it below.
    struct stat now {};
    if (::stat(hit->file.c_str(), &now) == 0 && S_ISREG(now.st_mode) &&
        FileIdentity::Of(now) == hit->identity) {
      return Answer(request, hit->response, hit->etag);
    }
    cache_->Remove(relative);
  }
  fs::path candidate = direct;
  bool is_direct = true;  // the file is the request path itself (not an index page)
  std::error_code ec;
  if (fs::is_directory(candidate, ec)) {
    candidate /= "index.html";
    is_direct = false;
  }
  if (!fs::is_regular_file(candidate, ec)) {
    is_direct = false;
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
  std::string body;
  if (request.method == Method::kHead) {
    if (::stat(real_text.c_str(), &st) != 0) return NotFound(request.path);
  } else if (!ReadFile(real_text, &body, &st)) {
    if (errno == ENOENT) return NotFound(request.path);
    return ErrorResponse(UnavailableError("cannot read " + request.path));
  }
  std::string etag = ETagOf(st);
  std::string file_name = real.filename().string();
  Response full;
  full.status = 200;
  full.content_type = std::string(ContentTypeForPath(file_name));
  full.headers.Set("ETag", etag);
  full.headers.Set("Cache-Control", IsHashedAssetName(file_name)
                                        ? "public, max-age=31536000, immutable"
                                        : "no-cache");
  full.headers.Set("X-Content-Type-Options", "nosniff");
  if (request.method == Method::kHead) {
    Response r = std::move(full);
    if (MatchesIfNoneMatch(request, etag)) {
      r.status = 304;
    } else {
      r.headers.Set("Content-Length", std::to_string(st.st_size));
    }
    return r;
  }
  full.body = std::move(body);
  Response answer = Answer(request, full, etag);
  if (is_direct && full.body.size() <= kMaxCachedFileBytes) {
    auto entry = std::make_shared<Cache::Entry>();
    entry->file = std::move(direct);
    entry->identity = FileIdentity::Of(st);
    entry->etag = std::move(etag);
    entry->response = std::move(full);
    cache_->Put(relative, std::move(entry));
  }
  return answer;
}

}  // namespace citygrid::http
