#pragma once

// One HTTP/1.1 connection (private to src/http). Reads a request with the header timeout, the
// header and body limits, runs it through the router, writes the response, and repeats while
// keep-alive holds. Streaming responses are pumped here. All work of a session runs on its
// strand, so members need no lock; Shutdown and the stream writer post onto it.

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "citygrid/http/response.h"
#include "src/http/server_state.h"

namespace citygrid::http::internal {

class SessionStreamWriter;

// A connection's handlers run on its own strand; the concrete executor type (not
// any_io_executor) spares the type erasure on every operation.
using SessionExecutor = boost::asio::strand<boost::asio::io_context::executor_type>;
using SessionSocket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, SessionExecutor>;
using SessionTimer =
    boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                      boost::asio::wait_traits<std::chrono::steady_clock>,
                                      SessionExecutor>;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(SessionSocket&& socket, ServerState& state);
  ~Session();

  // Registers with the server and starts reading. Call once, right after construction.
  void Run();

  // Graceful stop: an idle connection closes now; a request being read, handled or written
  // finishes first (its response says Connection: close); a stream ends. Thread-safe.
  void Shutdown();

  // Hard stop after the shutdown grace: closes the socket. Thread-safe.
  void ForceClose();

 private:
  friend class SessionStreamWriter;
  using Clock = std::chrono::steady_clock;
  enum class Phase { kReading, kHandling, kWriting, kStreaming, kLingering, kClosed };

  void ReadHeader();
  void OnHeader(boost::beast::error_code ec);
  void SendContinue();
  void ReadBody();
  void OnBody(boost::beast::error_code ec);
  void Dispatch();
  void OnResponse(Response response);

  // Writes a whole response; `close` forces Connection: close (errors produced here).
  void SendWhole(Response response, bool close);
  void OnWritten(bool keep_alive, int status, uint64_t bytes, boost::beast::error_code ec);
  // Answers an error found while reading, then closes (lingering so the client sees it).
  // Answers an error found while reading the request (the JSON error, or the format the router
  // keeps for the target's API), then closes.
  void SendReadError(int status, std::string_view code, const std::string& message);

  void StartStream(Response response);
  void OnStreamHeader(boost::beast::error_code ec);
  void WatchStreamClient();
  void ArmHeartbeat();
  void QueueChunk(std::string data);
  void WriteNextChunk();
  // Ends the stream: `graceful` sends what is queued and the last chunk, else closes at once.
  void EndStream(bool graceful);

  // The deadline of the socket operation in progress: when it passes, the operation is
  // cancelled (it completes with operation_aborted and the connection closes). One timer per
  // connection is armed lazily and re-checks the current deadline when it fires, so moving the
  // deadline on every request costs no timer operation.
  void SetDeadline(std::chrono::milliseconds timeout);
  void ClearDeadline() { deadline_ = Clock::time_point::max(); }
  void ArmDeadlineTimer();
  void OnDeadlineTimer();

  void LingeringClose();
  void Close();
  void Finish(int status, uint64_t bytes);  // access log + metrics for the current request
  std::string RouteLabel() const;

  // Declared first, so destroyed last: it leaves the server's registry only once every member
  // below is gone. The server destroys its event loop (which the socket and timers belong to)
  // as soon as the registry is empty, so leaving it any earlier raced with that.
  struct Registration {
    ServerState& state;
    const Session* session;
    ~Registration();
  };
  Registration registration_;

  SessionSocket socket_;
  SessionTimer deadline_timer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point timer_at_ = Clock::time_point::max();  // when the pending wait fires
  bool timer_waiting_ = false;
  uint64_t timer_generation_ = 0;
  boost::beast::flat_buffer buffer_;
  ServerState& state_;
  std::string remote_;
  const std::shared_ptr<ConnectionMemo> memo_ = std::make_shared<ConnectionMemo>();
  Phase phase_ = Phase::kReading;
  bool shutdown_requested_ = false;
  bool timed_out_ = false;  // the deadline timer cancelled the pending read
  bool first_request_ = true;

  // The request being served.
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::string method_text_;
  std::string target_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool is_head_ = false;
  Clock::time_point started_;
  bool counted_ = false;  // RequestStarted was called for the current request
  std::string route_;
  std::shared_ptr<void> in_flight_message_;  // kept alive while written
  std::string write_head_;  // the response header being written (capacity kept across requests)
  std::string write_body_;  // the response body being written

  // Streaming.
  std::shared_ptr<StreamSource> source_;
  std::shared_ptr<SessionStreamWriter> writer_;
  std::deque<std::string> chunks_;
  size_t queued_bytes_ = 0;
  std::string writing_chunk_;
  bool chunk_in_flight_ = false;
  bool stream_ending_ = false;
  bool stream_ended_ = false;
  bool wrote_since_tick_ = false;
  std::string heartbeat_;
  std::chrono::milliseconds heartbeat_interval_{15000};
  std::optional<boost::asio::steady_timer> heartbeat_timer_;
  uint64_t streamed_bytes_ = 0;
  int stream_status_ = 200;
  char watch_buffer_[512];

  // Lingering close.
  std::optional<boost::asio::steady_timer> linger_timer_;
};

}  // namespace citygrid::http::internal
