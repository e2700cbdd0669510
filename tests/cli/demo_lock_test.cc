// `citygrid demo` on a data directory that another demo is still seeding: the second one stops
// with the owner's pid and leaves the first one's seed alone (it used to take the unfinished-seed
// marker for an interrupted seed and empty the directory under the running one).

#include <signal.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "tests/testing/paths.h"
#include "tests/testing/server_process.h"

namespace {

using citygrid::testing::RunProcess;
using citygrid::testing::ServerProcess;

TEST(DemoLockTest, SecondDemoWhileTheFirstSeedsStopsAndTakesNothing) {
  const citygrid::testing::ScopedTempDir dir("citygrid-demo-lock");  // goes after the servers
  const std::string data = dir.path() + "/data";
  ServerProcess first(CITYGRID_BINARY, {"demo", "--data", data, "--cases", "2000", "--listen",
                                        "127.0.0.1:0", "--access-log", "off"});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (first.Output().find("cases over the last") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline && first.running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(std::filesystem::exists(data + "/demo-seed.incomplete")) << first.Output();

  std::string second;
  EXPECT_EQ(RunProcess(CITYGRID_BINARY,
                       {"demo", "--data", data, "--listen", "127.0.0.1:0", "--access-log", "off"},
                       &second),
            1)
      << second;
  EXPECT_NE(second.find("is in use by another citygrid server (pid " +
                        std::to_string(first.pid()) + ")"),
            std::string::npos)
      << second;
  EXPECT_EQ(second.find("unfinished demo seed"), std::string::npos) << second;

  // The first seed goes on undisturbed: it finishes, serves, and its store checks clean.
  ASSERT_TRUE(first.WaitForListening()) << first.Output();
  EXPECT_NE(first.Output().find("overdue marks in"), std::string::npos) << first.Output();
  EXPECT_FALSE(std::filesystem::exists(data + "/demo-seed.incomplete"));
  first.Signal(SIGTERM);
  EXPECT_EQ(first.Wait(), 0) << first.Output();
  std::string check;
  EXPECT_EQ(RunProcess(CITYGRID_BINARY, {"check", "--data", data}, &check), 0) << check;
}

}  // namespace
