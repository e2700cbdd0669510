#include "tests/testing/paths.h"

#include <cstdlib>
#include <filesystem>

namespace citygrid::testing {

std::string SourceDir() { return CITYGRID_SOURCE_DIR; }

std::string SharedDataDir() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("CITYGRID_SHARED_DATA"); env && *env) {
    return fs::is_directory(env) ? std::string(env) : std::string();
  }
  fs::path p = fs::path(CITYGRID_SOURCE_DIR) / ".." / "shared" / "data";
  return fs::is_directory(p) ? fs::canonical(p).string() : std::string();
}

std::string MakeTempDir(const std::string& prefix) {
  namespace fs = std::filesystem;
  std::string tmpl = (fs::temp_directory_path() / (prefix + ".XXXXXX")).string();
  char* made = mkdtemp(tmpl.data());
  return made ? std::string(made) : std::string();
}

ScopedTempDir::ScopedTempDir(const std::string& prefix, bool prefer_memory) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (prefer_memory && fs::is_directory("/dev/shm", ec)) {
    std::string tmpl = "/dev/shm/" + prefix + ".XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  if (path_.empty()) path_ = MakeTempDir(prefix);
}

ScopedTempDir::~ScopedTempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

}  // namespace citygrid::testing
