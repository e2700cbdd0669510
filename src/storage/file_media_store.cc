#include "citygrid/storage/file_media_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "citygrid/storage/audit_chain.h"

namespace citygrid::storage {
namespace {

namespace fs = std::filesystem;

bool IsHexSha256(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Status Errno(const std::string& what) {
  return UnavailableError(what + ": " + std::strerror(errno));
}

Status FsyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Errno("opening " + path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("fsync " + path);
  return OkStatus();
}

}  // namespace

Result<std::string> FileMediaStore::Put(const std::string& bytes) {
  const std::string hash = Sha256Hex(bytes);
  const fs::path sub = fs::path(dir_) / hash.substr(0, 2);
  const fs::path final_path = sub / hash.substr(2);
  std::error_code ec;
  if (fs::exists(final_path, ec) && fs::file_size(final_path, ec) == bytes.size()) return hash;
  fs::create_directories(sub, ec);
  if (ec) return UnavailableError("cannot create " + sub.string() + ": " + ec.message());

  static std::atomic<uint64_t> counter{0};
  const std::string tmp = (sub / (".tmp-" + std::to_string(::getpid()) + "-" +
                                  std::to_string(counter.fetch_add(1)) + "-" + hash.substr(2, 8)))
                              .string();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("creating " + tmp);
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = Errno("writing " + tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status s = Errno("fsync " + tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    Status s = Errno("renaming " + tmp);
    ::unlink(tmp.c_str());
    return s;
  }
  // The rename is durable once its directory is synced (and the directory's own entry too).
  CITYGRID_RETURN_IF_ERROR(FsyncPath(sub.string(), O_RDONLY | O_DIRECTORY));
  CITYGRID_RETURN_IF_ERROR(FsyncPath(dir_, O_RDONLY | O_DIRECTORY));
  return hash;
}

Result<std::string> FileMediaStore::Get(const std::string& hash) {
  if (!IsHexSha256(hash)) {
    return InvalidArgumentError("'" + hash.substr(0, 80) +
                                "' is not a media hash (64 lowercase hex digits)");
  }
  const fs::path path = fs::path(dir_) / hash.substr(0, 2) / hash.substr(2);
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("media " + hash + " not found");
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return UnavailableError("reading " + path.string() + " failed");
  return out.str();
}

}  // namespace citygrid::storage
