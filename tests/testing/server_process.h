#pragma once

// The real `citygrid` binary as a child process, for tests that must kill it (SIGKILL, SIGTERM)
// and start it again: crash safety, graceful shutdown, `citygrid demo` re-runs.
//
//   ServerProcess server(CITYGRID_BINARY, {"serve", "--data", dir, "--listen", "127.0.0.1:0"});
//   ASSERT_TRUE(server.WaitForListening()) << server.Output();
//   HttpClient client("127.0.0.1", server.port());
//   server.Signal(SIGKILL);
//   int status = server.Wait();  // waitpid status
//
// stdout and stderr go to one log file in a temp directory; WaitForListening reads the first
// "http://127.0.0.1:PORT" the child prints (the serve and demo banners). The destructor kills
// a child that is still running. Not thread-safe.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace citygrid::testing {

class ServerProcess {
 public:
  // Starts `binary args...` at once; started() is false when fork/exec failed.
  ServerProcess(const std::string& binary, const std::vector<std::string>& args);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  // Waits until the child printed its listening address (true, port() set), exited, or
  // `timeout` passed (false).
  bool WaitForListening(std::chrono::milliseconds timeout = std::chrono::seconds(120));
  uint16_t port() const { return port_; }

  // Sends `signal` (no-op once the child was reaped).
  void Signal(int signal);
  // Reaps the child: its waitpid status, or -1 if none / after `timeout` (then it is killed).
  int Wait(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  bool running() const { return pid_ > 0 && !reaped_; }

  // What the child printed so far (stdout and stderr interleaved).
  std::string Output() const;

 private:
  std::string log_dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  uint16_t port_ = 0;
};

// Runs `binary args...` to completion; returns its exit code (-1 if it did not exit normally)
// and appends its output to *output when given.
int RunProcess(const std::string& binary, const std::vector<std::string>& args,
               std::string* output = nullptr);

}  // namespace citygrid::testing
