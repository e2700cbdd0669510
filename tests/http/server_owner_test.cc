// `citygrid serve` and `citygrid demo` own their SQLite data directory
// (SqliteStoreOptions::own_data_dir): a second server on the same --data exits at once with a
// message naming the directory and the running server's pid, and changes nothing; other
// commands (citygrid user list) still open the directory; once the first server stopped, the
// directory serves again.

#include <signal.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/testing/http_client.h"
#include "tests/testing/paths.h"
#include "tests/testing/server_process.h"

namespace citygrid::http {
namespace {

using citygrid::testing::HttpClient;
using citygrid::testing::RunProcess;
using citygrid::testing::ServerProcess;

std::vector<std::string> Serve(const std::string& data) {
  return {"serve", "--data", data, "--listen", "127.0.0.1:0", "--access-log", "off"};
}

TEST(ServerOwnerTest, ASecondServerOnTheSameDataDirectoryFailsNamingTheFirst) {
  const std::string dir = citygrid::testing::MakeTempDir("citygrid-serve-owner");
  const std::string data = dir + "/data";
  ServerProcess first(CITYGRID_BINARY, Serve(data));
  ASSERT_TRUE(first.WaitForListening()) << first.Output();
  const std::string expected = "data directory " + data +
                               " is in use by another citygrid server (pid " +
                               std::to_string(first.pid()) + ")";

  std::string out;
  EXPECT_EQ(RunProcess(CITYGRID_BINARY, Serve(data), &out), 1);
  EXPECT_NE(out.find("citygrid serve: "), std::string::npos) << out;
  EXPECT_NE(out.find(expected), std::string::npos) << out;

  out.clear();
  EXPECT_EQ(RunProcess(CITYGRID_BINARY,
                       {"demo", "--data", data, "--cases", "0", "--listen", "127.0.0.1:0",
                        "--access-log", "off"},
                       &out),
            1);
  EXPECT_NE(out.find(expected), std::string::npos) << out;

  // Commands that do not serve still open the directory beside the server.
  out.clear();
  EXPECT_EQ(RunProcess(CITYGRID_BINARY, {"user", "list", "--data", data}, &out), 0) << out;

  // The refused servers left the first one alone.
  HttpClient client("127.0.0.1", first.port());
  EXPECT_EQ(client.Get("/healthz").status, 200);

  first.Signal(SIGTERM);
  first.Wait();
  ServerProcess again(CITYGRID_BINARY, Serve(data));
  EXPECT_TRUE(again.WaitForListening()) << again.Output();
  again.Signal(SIGTERM);
  again.Wait();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace citygrid::http
