#pragma once

// Where tests find files: the repository's own data, and ../shared/data (real public data).

#include <string>

namespace citygrid::testing {

// The repository root.
std::string SourceDir();

// ../shared/data beside the repository (or $CITYGRID_SHARED_DATA); "" when absent. Tests that
// need it call GTEST_SKIP() with a message naming the missing directory.
std::string SharedDataDir();

// A fresh empty directory under the system temp dir; removed by the caller or left for triage.
std::string MakeTempDir(const std::string& prefix);

// A fresh empty directory, removed with everything in it when this goes out of scope. With
// `prefer_memory` it is made on tmpfs (/dev/shm) when the machine has one: for tests that commit
// often and do not test durability. path() is "" when no directory could be made.
class ScopedTempDir {
 public:
  explicit ScopedTempDir(const std::string& prefix, bool prefer_memory = false);
  ~ScopedTempDir();
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace citygrid::testing
