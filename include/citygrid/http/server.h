#pragma once

// The HTTP/1.1 server (Boost.Beast + Asio, kept out of this header): a listener, one session per
// connection, N threads. Every request is answered by HandleRequestAsync on the Router.
//
// Per connection: keep-alive, a body limit (413 with a JSON error, then the connection is closed
// after the client's body is drained), a header timeout (a client that does not send a whole
// header in time is disconnected), a body read timeout, an idle timeout between keep-alive
// requests, and one top-level catch answering 500. Streaming responses (SSE) are pumped with
// heartbeats and torn down when the client leaves or the server stops.
//
// Graceful shutdown (Shutdown(), or SIGTERM/SIGINT under RunUntilSignal): stop accepting, close
// idle connections, let in-flight requests finish and their responses be written, end streams,
// then run the drain hooks ("flush what is acknowledged") and return from Wait().
//
// Thread safety: Start, Wait and RunUntilSignal from one controlling thread; Shutdown from any
// thread (also from a handler).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "citygrid/common/status.h"
#include "citygrid/http/metrics.h"
#include "citygrid/http/router.h"

namespace citygrid::http {

struct ServerOptions {
  std::string host = "127.0.0.1";  // an IPv4 or IPv6 address to bind
  uint16_t port = 8080;             // 0 = an ephemeral port (see Server::port())
  int threads = 0;                  // 0 = std::thread::hardware_concurrency()

  size_t body_limit = 8 * 1024 * 1024;  // bytes; a larger body gets 413
  size_t header_limit = 16 * 1024;      // bytes of request line + header fields; larger: 431
  std::chrono::milliseconds header_timeout{10000};  // to receive a whole request header
  std::chrono::milliseconds read_timeout{30000};    // to receive the body after the header
  std::chrono::milliseconds write_timeout{30000};   // to send a response
  std::chrono::milliseconds idle_timeout{60000};    // keep-alive wait for the next request
  std::chrono::milliseconds shutdown_grace{30000};  // in-flight limit before a hard stop
  size_t max_stream_backlog = 4 * 1024 * 1024;  // queued bytes before a slow stream is dropped

  // Access log: one line per request (time, remote, method, target, status, bytes, duration).
  // "-" = stderr, "" = off, else a file appended to.
  std::string access_log = "-";
};

class Server {
 public:
  // `metrics` null: the server keeps its own (see metrics()).
  Server(Router router, ServerOptions options, std::shared_ptr<Metrics> metrics = nullptr);
  ~Server();  // shuts down and waits if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the threads. kInvalidArgument for a bad host, kUnavailable when
  // the address cannot be bound (naming it and the reason), kFailedPrecondition if started.
  Status Start();

  // The bound port (after Start; the real one when options.port was 0), and "host:port".
  uint16_t port() const;
  std::string address() const;

  // Begins the graceful shutdown; returns at once. Idempotent.
  void Shutdown();

  // Blocks until Shutdown was called and the server has drained (or shutdown_grace passed and
  // the remaining connections were cut), then runs the drain hooks in order.
  void Wait();

  // Start, then serve until SIGTERM or SIGINT (or Shutdown), then Wait. `on_listening` is
  // called once the port is bound (e.g. to print the address).
  Status RunUntilSignal(const std::function<void(const Server&)>& on_listening = nullptr);

  // Adds a hook run by Wait after the last request finished: e.g. the service flushes what it
  // acknowledged and closes the store. Call before Start.
  void AddDrainHook(std::function<void()> hook);

  // Runs `job` on one of the server's threads (e.g. the rest of a request whose store write
  // completed on another thread); from any thread. A job posted once the threads stopped is
  // destroyed unrun with the server; none may be posted after the server is destroyed.
  void Post(std::function<void()> job);

  Metrics& metrics();
  const ServerOptions& options() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace citygrid::http
