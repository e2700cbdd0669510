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

}  // namespace citygrid::testing
