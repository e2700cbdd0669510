// The owner lock of a SQLite data directory (sqlite_store.h LockSqliteDataDir).

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "citygrid/storage/sqlite_store.h"

namespace citygrid::storage {

Result<int> LockSqliteDataDir(const std::string& data_dir) {
  const std::string path = (std::filesystem::path(data_dir) / kSqliteLockFile).string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return UnavailableError("cannot open " + path + ": " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char text[32] = {};
    const ssize_t n = ::pread(fd, text, sizeof(text) - 1, 0);
    ::close(fd);
    if (err != EWOULDBLOCK) {
      return UnavailableError("cannot lock " + path + ": " + std::strerror(err));
    }
    std::string holder(text, n > 0 ? static_cast<size_t>(n) : 0);
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    return FailedPreconditionError(
        "data directory " + data_dir + " is in use by another citygrid server" +
        (holder.empty() ? std::string() : " (pid " + holder + ")") +
        ": one server process owns a SQLite data directory; stop that one first, or run "
        "several servers on one PostgreSQL database (--db)");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int err = errno;
    ::close(fd);
    return UnavailableError("cannot write " + path + ": " + std::strerror(err));
  }
  return fd;
}

}  // namespace citygrid::storage
