#pragma once

// What the listener and every session of one Server share (private to src/http; no Boost).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/http/metrics.h"
#include "citygrid/http/router.h"
#include "citygrid/http/server.h"

namespace citygrid::http::internal {

class Session;

// `target` with the value of every ?access_token= / &access_token= query parameter replaced by
// "REDACTED" (the live feed's EventSource sends its bearer token there); other targets as they
// are.
std::string RedactAccessToken(std::string_view target);

// One line per request: "<time> <remote> <method> <target> <status> <bytes> <ms>ms".
// Lines are buffered and written in batches: when 64 KiB are pending, every 200 ms by a
// background thread, and at Close/destruction (so a stopped server has written every line).
// Thread-safe.
class AccessLog {
 public:
  ~AccessLog();
  // `spec`: "-" = stderr, "" = off, else a file to append to (kUnavailable if it cannot be
  // opened).
  Status Open(const std::string& spec);
  bool enabled() const { return out_ != nullptr; }
  void Write(std::string_view remote, std::string_view method, std::string_view target,
             int status, uint64_t bytes, std::chrono::nanoseconds duration);
  // Writes what is pending and stops the background writer; later lines are written at once.
  void Close();

 private:
  void FlushLocked();  // REQUIRES(mu_)
  void RunFlusher();

  std::mutex mu_;
  std::condition_variable wake_;
  std::FILE* out_ = nullptr;
  bool owned_ = false;
  std::string pending_;    // GUARDED_BY(mu_)
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread flusher_;
};

// The live sessions, so a shutdown can reach each of them. Thread-safe.
class SessionRegistry {
 public:
  void Add(const std::shared_ptr<Session>& session);
  void Remove(const Session* session);
  std::vector<std::shared_ptr<Session>> Snapshot() const;
  size_t size() const;
  // Waits until no session is left or `timeout` passed; true when empty.
  bool WaitEmpty(std::chrono::milliseconds timeout) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable empty_;
  std::unordered_map<const Session*, std::weak_ptr<Session>> sessions_;  // GUARDED_BY(mu_)
};

struct ServerState {
  ServerState(const Router& r, const ServerOptions& o, Metrics& m)
      : router(r), options(o), metrics(m) {}

  const Router& router;
  const ServerOptions options;
  Metrics& metrics;
  AccessLog access_log;
  SessionRegistry sessions;
  std::atomic<bool> stopping{false};
};

}  // namespace citygrid::http::internal
