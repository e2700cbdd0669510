#include "tests/testing/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/testing/paths.h"

namespace citygrid::testing {
namespace {

pid_t Spawn(const std::string& binary, const std::vector<std::string>& args,
            const std::string& log_path) {
  std::vector<std::string> argv_storage;
  argv_storage.push_back(binary);
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  // Child: only async-signal-safe calls until exec.
  int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd >= 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::close(fd);
  }
  int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) ::dup2(devnull, 0);
  ::execv(binary.c_str(), argv.data());
  ::_exit(127);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

ServerProcess::ServerProcess(const std::string& binary, const std::vector<std::string>& args)
    : log_dir_(MakeTempDir("citygrid-child")) {
  log_path_ = log_dir_ + "/output.log";
  pid_ = Spawn(binary, args, log_path_);
}

ServerProcess::~ServerProcess() {
  if (running()) {
    Signal(SIGKILL);
    Wait();
  }
  std::error_code ec;
  std::filesystem::remove_all(log_dir_, ec);
}

bool ServerProcess::WaitForListening(std::chrono::milliseconds timeout) {
  static const std::regex kAddress(R"(http://127\.0\.0\.1:([0-9]+))");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string out = ReadFile(log_path_);
    std::smatch m;
    if (std::regex_search(out, m, kAddress)) {
      port_ = static_cast<uint16_t>(std::stoi(m[1].str()));
      return true;
    }
    if (!running()) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void ServerProcess::Signal(int signal) {
  if (running()) ::kill(pid_, signal);
}

int ServerProcess::Wait(std::chrono::milliseconds timeout) {
  if (!running()) return -1;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (true) {
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      return status;
    }
    if (r < 0) {
      reaped_ = true;
      return -1;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      reaped_ = true;
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string ServerProcess::Output() const { return ReadFile(log_path_); }

int RunProcess(const std::string& binary, const std::vector<std::string>& args,
               std::string* output) {
  ServerProcess p(binary, args);
  if (!p.started()) return -1;
  int status = p.Wait(std::chrono::minutes(5));
  if (output != nullptr) *output += p.Output();
  return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace citygrid::testing
