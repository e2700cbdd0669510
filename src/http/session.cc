#include "src/http/session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include <array>
#include <cstdio>
#include <ctime>
#include <exception>

#include "citygrid/http/error_mapping.h"

namespace citygrid::http::internal {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// The handle a StreamSource writes through. Holds the session weakly: a source that outlives
// its client writes into nothing.
class SessionStreamWriter final : public StreamWriter {
 public:
  explicit SessionStreamWriter(std::weak_ptr<Session> session) : session_(std::move(session)) {}

  bool Write(std::string data) override {
    if (!open_.load()) return false;
    std::shared_ptr<Session> session = session_.lock();
    if (!session) {
      open_.store(false);
      return false;
    }
    net::post(session->socket_.get_executor(),
              [session, data = std::move(data)]() mutable { session->QueueChunk(std::move(data)); });
    return true;
  }

  void Close() override {
    if (!open_.exchange(false)) return;
    if (std::shared_ptr<Session> session = session_.lock()) {
      net::post(session->socket_.get_executor(), [session] { session->EndStream(true); });
    }
  }

  bool open() const override { return open_.load(); }
  void MarkClosed() { open_.store(false); }

 private:
  std::weak_ptr<Session> session_;
  std::atomic<bool> open_{true};
};

namespace {

std::string FormatEndpoint(const tcp::endpoint& endpoint) {
  const net::ip::address address = endpoint.address();
  std::string host = address.to_string();
  if (address.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(endpoint.port());
}

// 408 for a request that began to arrive but did not finish within its timeout (RFC 9110
// §15.5.9); the connection closes after it.
std::string RequestTimeoutMessage(std::string_view part, std::chrono::milliseconds timeout) {
  return "request " + std::string(part) + " not received within the timeout of " +
         std::to_string(timeout.count()) + " ms";
}

bool IsConnectionGone(const beast::error_code& ec) {
  return ec == net::error::operation_aborted || ec == beast::error::timeout ||
         ec == net::error::eof || ec == bhttp::error::end_of_stream ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::error::bad_descriptor;
}

}  // namespace

Session::Registration::~Registration() { state.sessions.Remove(session); }

Session::Session(SessionSocket&& socket, ServerState& state)
    : registration_{state, this},
      socket_(std::move(socket)),
      deadline_timer_(socket_.get_executor()),
      state_(state) {
  beast::error_code ec;
  tcp::endpoint remote = socket_.remote_endpoint(ec);
  if (!ec) remote_ = FormatEndpoint(remote);
  socket_.set_option(tcp::no_delay(true), ec);
}

Session::~Session() {
  if (counted_) state_.metrics.RequestFinished();
  if (source_) {
    try {
      source_->Stop();
    } catch (...) {
      // A source's teardown must not take the server down.
    }
  }
}

void Session::Run() {
  state_.sessions.Add(shared_from_this());
  net::dispatch(socket_.get_executor(), [self = shared_from_this()] {
    if (self->state_.stopping.load()) {
      self->Close();
      return;
    }
    self->ReadHeader();
  });
}

void Session::Shutdown() {
  net::post(socket_.get_executor(), [self = shared_from_this()] {
    self->shutdown_requested_ = true;
    switch (self->phase_) {
      case Phase::kReading:
        // A connection between requests is closed now; a request already arriving is served.
        if (!self->parser_ || !self->parser_->got_some()) self->Close();
        break;
      case Phase::kStreaming:
        self->EndStream(true);
        break;
      case Phase::kHandling:
      case Phase::kWriting:
      case Phase::kLingering:
      case Phase::kClosed:
        break;
    }
  });
}

void Session::ForceClose() {
  net::post(socket_.get_executor(), [self = shared_from_this()] {
    if (self->phase_ == Phase::kStreaming) {
      self->EndStream(false);
    } else {
      self->Close();
    }
  });
}

void Session::ReadHeader() {
  phase_ = Phase::kReading;
  timed_out_ = false;
  is_head_ = false;
  keep_alive_ = true;
  version_ = 11;
  method_text_.clear();
  target_.clear();
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(state_.options.header_limit));
  parser_->body_limit(state_.options.body_limit);
  SetDeadline(first_request_ ? state_.options.header_timeout
                                       : state_.options.idle_timeout);
  bhttp::async_read_header(socket_, buffer_, *parser_,
                           [self = shared_from_this()](beast::error_code ec, size_t) {
                             self->OnHeader(ec);
                           });
}

void Session::OnHeader(beast::error_code ec) {
  if (phase_ == Phase::kClosed) return;
  if (ec) {
    if (ec == bhttp::error::body_limit) {
      // Content-Length above the limit is refused as soon as the header is parsed.
      SendReadError(413, "resource_exhausted", PayloadTooLargeMessage(state_.options.body_limit));
    } else if (ec == bhttp::error::header_limit) {
      SendReadError(431, "resource_exhausted",
                    "request header exceeds the limit of " +
                        std::to_string(state_.options.header_limit) + " bytes");
    } else if (timed_out_ && parser_->got_some()) {
      SendReadError(408, "deadline_exceeded",
                    RequestTimeoutMessage("header", first_request_ ? state_.options.header_timeout
                                                                   : state_.options.idle_timeout));
    } else if (IsConnectionGone(ec) || !parser_->got_some()) {
      Close();  // the client left, or sent nothing before the timeout
    } else {
      SendReadError(400, "invalid_argument", "malformed request: " + ec.message());
    }
    return;
  }
  started_ = Clock::now();
  auto& header = parser_->get();
  method_text_ = std::string(header.method_string());
  target_ = std::string(header.target());
  version_ = header.version();
  keep_alive_ = header.keep_alive();
  is_head_ = header.method() == bhttp::verb::head;
  state_.metrics.RequestStarted();
  counted_ = true;

  if (version_ >= 11 && header.find(bhttp::field::host) == header.end()) {
    // RFC 9112 §3.2: an HTTP/1.1 request without Host is answered 400.
    SendReadError(400, "invalid_argument", "HTTP/1.1 request without a Host header");
    return;
  }
  if (auto coding = header.find(bhttp::field::transfer_encoding);
      coding != header.end() && !beast::iequals(coding->value(), "chunked")) {
    // RFC 9112 §6.1: a transfer coding the server does not understand is 501. Beast would
    // remove the chunking and hand on, say, gzip bytes as if they were the body.
    SendReadError(501, "not_implemented",
                  "transfer coding '" + std::string(coding->value().substr(0, 60)) +
                      "' is not supported; send the body as is or chunked");
    return;
  }
  if (auto length = parser_->content_length();
      length && *length > state_.options.body_limit) {
    SendReadError(413, "resource_exhausted", PayloadTooLargeMessage(state_.options.body_limit));
    return;
  }
  if (parser_->is_done()) {
    Dispatch();
    return;
  }
  if (beast::iequals(header[bhttp::field::expect], "100-continue")) {
    SendContinue();
    return;
  }
  ReadBody();
}

void Session::SendContinue() {
  auto interim = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_,
                                                                      version_);
  in_flight_message_ = interim;
  SetDeadline(state_.options.write_timeout);
  bhttp::async_write(socket_, *interim,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->in_flight_message_.reset();
                       if (ec) {
                         self->Close();
                         return;
                       }
                       self->ReadBody();
                     });
}

void Session::ReadBody() {
  timed_out_ = false;
  SetDeadline(state_.options.read_timeout);
  bhttp::async_read(socket_, buffer_, *parser_,
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      self->OnBody(ec);
                    });
}

void Session::OnBody(beast::error_code ec) {
  if (phase_ == Phase::kClosed) return;
  if (ec == bhttp::error::body_limit) {
    SendReadError(413, "resource_exhausted", PayloadTooLargeMessage(state_.options.body_limit));
    return;
  }
  if (ec) {
    if (timed_out_) {
      SendReadError(408, "deadline_exceeded",
                    RequestTimeoutMessage("body", state_.options.read_timeout));
    } else if (IsConnectionGone(ec)) {
      Close();
    } else {
      SendReadError(400, "invalid_argument", "malformed request body: " + ec.message());
    }
    return;
  }
  Dispatch();
}

void Session::Dispatch() {
  phase_ = Phase::kHandling;
  ClearDeadline();  // no socket operation is pending while the handler runs
  try {
    auto& message = parser_->get();
    Request request;
    request.method = ParseMethod(method_text_);
    request.method_text = method_text_;
    if (Status s = request.SetTarget(target_); !s.ok()) {
      route_ = std::string(kUnmatchedRoute);
      SendWhole(state_.router.ErrorFor(target_, s.message(), ErrorResponse(s)), /*close=*/false);
      return;
    }
    for (const auto& field : message) {
      request.headers.Add(field.name_string(), field.value());
    }
    request.body = std::move(message.body());
    request.remote_address = remote_;
    request.connection = memo_;
    // The responder owns the session until it is called: an asynchronous handler is the only
    // thing keeping the connection alive meanwhile. Calling it hands that ownership to the event
    // loop, so a handler's thread that keeps its copy afterwards holds no session (the server,
    // which waits for its sessions when it shuts down, does not wait for that thread). During
    // the call, `keep` holds the session, and so the server, until the call's copy of the strand
    // is gone: the last copy of a strand released after the server's io_context touches freed
    // memory (found by ASan: the handler ran, the test destroyed the server, then the handler's
    // thread left this function).
    HandleRequestAsync(state_.router, request,
                       [self = shared_from_this()](Response response) mutable {
                         if (!self) return;  // called already
                         std::shared_ptr<Session> keep = self;
                         {
                           SessionExecutor executor = keep->socket_.get_executor();
                           net::dispatch(executor, [self = std::move(self),
                                                    response = std::move(response)]() mutable {
                             self->OnResponse(std::move(response));
                           });
                         }
                       });
  } catch (const std::exception& e) {
    // The session's one top-level catch: whatever escaped becomes a 500.
    OnResponse(ErrorResponse(InternalError(std::string("request failed: ") + e.what())));
  } catch (...) {
    OnResponse(ErrorResponse(InternalError("request failed: unknown exception")));
  }
}

void Session::OnResponse(Response response) {
  if (phase_ != Phase::kHandling) return;  // the connection was cut meanwhile
  route_ = response.route.empty() ? std::string(kUnmatchedRoute) : response.route;
  try {
    if (response.stream && !is_head_) {
      StartStream(std::move(response));
    } else {
      if (response.stream) {
        // HEAD of a stream: headers only; the source never starts.
        response.stream->Stop();
        response.stream.reset();
      }
      SendWhole(std::move(response), /*close=*/false);
    }
  } catch (const std::exception& e) {
    SendWhole(ErrorResponse(InternalError(std::string("response failed: ") + e.what())), true);
  }
}

namespace {

// "Sat, 28 Nov 2026 07:08:30 GMT" for the current second, formatted once per second per thread.
std::string_view HttpDate() {
  thread_local std::time_t cached_second = -1;
  thread_local char text[40];
  thread_local size_t length = 0;
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm {};
    gmtime_r(&now, &tm);
    length = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_second = now;
  }
  return std::string_view(text, length);
}

// Appends a header field; CR and LF in either part become spaces, so no value can split the
// response.
void AppendField(std::string& out, std::string_view name, std::string_view value) {
  size_t start = out.size();
  out += name;
  out += ": ";
  out += value;
  for (size_t i = start; i < out.size(); ++i) {
    if (out[i] == '\r' || out[i] == '\n') out[i] = ' ';
  }
  out += "\r\n";
}

}  // namespace

void Session::SendWhole(Response response, bool close) {
  phase_ = Phase::kWriting;
  const int status = response.status;
  const bool bodiless = status == 204 || status == 304 || (status >= 100 && status < 200);
  const bool keep_alive =
      keep_alive_ && !close && !shutdown_requested_ && !state_.stopping.load();

  // The header is written by hand into a buffer the session keeps between requests (no
  // per-field allocation); the body goes out beside it in the same gathered write.
  std::string& head = write_head_;
  head.clear();
  head += version_ == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  char code[8];
  int code_length = std::snprintf(code, sizeof code, "%03d", status);
  head.append(code, static_cast<size_t>(code_length));
  head += ' ';
  std::string_view reason = ReasonPhrase(status);
  if (reason.empty()) {
    auto obsolete = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
    reason = std::string_view(obsolete.data(), obsolete.size());
  }
  head += reason;
  head += "\r\nServer: citygrid\r\n";
  AppendField(head, "Date", HttpDate());
  if (!bodiless && !response.content_type.empty()) {
    AppendField(head, "Content-Type", response.content_type);
  }
  bool has_length = false;
  for (const auto& [name, value] : response.headers) {
    if (EqualsIgnoreCase(name, "Content-Length")) {
      if (!is_head_) continue;  // computed below
      has_length = true;
    }
    if (EqualsIgnoreCase(name, "Connection") || EqualsIgnoreCase(name, "Transfer-Encoding")) {
      continue;  // the session decides these
    }
    AppendField(head, name, value);
  }
  uint64_t bytes = 0;
  write_body_.clear();
  if (is_head_) {
    // The router kept the length the GET body would have; no body is sent.
    if (!has_length && !bodiless) head += "Content-Length: 0\r\n";
  } else if (!bodiless) {
    write_body_ = std::move(response.body);
    bytes = write_body_.size();
    head += "Content-Length: ";
    head += std::to_string(bytes);
    head += "\r\n";
  }
  if (!keep_alive && version_ != 10) head += "Connection: close\r\n";
  if (keep_alive && version_ == 10) head += "Connection: keep-alive\r\n";
  head += "\r\n";

  SetDeadline(state_.options.write_timeout);
  std::array<net::const_buffer, 2> buffers{net::buffer(write_head_), net::buffer(write_body_)};
  net::async_write(socket_, buffers,
                   [self = shared_from_this(), keep_alive, status, bytes](beast::error_code ec,
                                                                          size_t) {
                     self->OnWritten(keep_alive, status, bytes, ec);
                   });
}

void Session::OnWritten(bool keep_alive, int status, uint64_t bytes, beast::error_code ec) {
  in_flight_message_.reset();
  Finish(status, bytes);
  if (phase_ == Phase::kClosed) return;
  if (ec) {
    Close();
    return;
  }
  if (phase_ == Phase::kLingering) {
    LingeringClose();
    return;
  }
  if (!keep_alive || shutdown_requested_ || state_.stopping.load()) {
    Close();
    return;
  }
  first_request_ = false;
  ReadHeader();
}

void Session::SendReadError(int status, std::string_view code, const std::string& message) {
  // The request may be unread (a body over the limit): answer, then close without reading it.
  if (!counted_) {
    started_ = Clock::now();
    state_.metrics.RequestStarted();
    counted_ = true;
    if (method_text_.empty() && parser_) {  // the start line, when it was parsed
      method_text_ = std::string(parser_->get().method_string());
      target_ = std::string(parser_->get().target());
    }
  }
  route_ = RouteLabel();
  Response json = Response::Json(status, ErrorBody(code, message));
  SendWhole(state_.router.ErrorFor(target_, message, std::move(json)), /*close=*/true);
  phase_ = Phase::kLingering;
}

std::string Session::RouteLabel() const {
  Request request;
  if (target_.empty() || !request.SetTarget(target_).ok()) return std::string(kUnmatchedRoute);
  Router::Match match = state_.router.Find(ParseMethod(method_text_), request.path_segments);
  return match.route.empty() ? std::string(kUnmatchedRoute) : match.route;
}

void Session::Finish(int status, uint64_t bytes) {
  if (!counted_) return;
  auto elapsed = Clock::now() - started_;
  state_.metrics.Observe(route_, ParseMethod(method_text_), status, elapsed);
  state_.metrics.RequestFinished();
  counted_ = false;
  state_.access_log.Write(remote_, method_text_.empty() ? "-" : method_text_,
                          target_.empty() ? "-" : target_, status, bytes, elapsed);
  method_text_.clear();
  target_.clear();
}

// ---- streaming ----

void Session::StartStream(Response response) {
  phase_ = Phase::kStreaming;
  source_ = std::move(response.stream);
  heartbeat_ = std::move(response.heartbeat);
  heartbeat_interval_ = response.heartbeat_interval;
  stream_status_ = response.status;
  auto message = std::make_shared<bhttp::response<bhttp::empty_body>>(
      static_cast<bhttp::status>(response.status), version_);
  message->set(bhttp::field::server, "citygrid");
  if (!response.content_type.empty()) {
    message->set(bhttp::field::content_type, response.content_type);
  }
  for (const auto& [name, value] : response.headers) {
    if (EqualsIgnoreCase(name, "Content-Length")) continue;
    message->insert(name, value);
  }
  message->chunked(true);
  message->keep_alive(false);  // the connection ends with the stream
  auto serializer = std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*message);
  in_flight_message_ = std::make_shared<std::pair<decltype(message), decltype(serializer)>>(
      message, serializer);
  SetDeadline(state_.options.write_timeout);
  bhttp::async_write_header(socket_, *serializer,
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              self->OnStreamHeader(ec);
                            });
}

void Session::OnStreamHeader(beast::error_code ec) {
  in_flight_message_.reset();
  // The latency of a stream is its time to headers; the access log line comes at its end.
  state_.metrics.Observe(route_, ParseMethod(method_text_), stream_status_,
                         Clock::now() - started_);
  if (ec || phase_ != Phase::kStreaming) {
    EndStream(false);
    return;
  }
  ClearDeadline();
  writer_ = std::make_shared<SessionStreamWriter>(weak_from_this());
  heartbeat_timer_.emplace(socket_.get_executor());
  WatchStreamClient();
  ArmHeartbeat();
  if (shutdown_requested_ || state_.stopping.load()) {
    EndStream(true);
    return;
  }
  try {
    source_->Start(writer_);
  } catch (const std::exception&) {
    EndStream(true);
  }
}

void Session::WatchStreamClient() {
  // A streaming client sends nothing more; any completion (EOF, reset, stray bytes) ends it.
  socket_.async_read_some(net::buffer(watch_buffer_),
                          [self = shared_from_this()](beast::error_code, size_t) {
                            if (self->phase_ == Phase::kStreaming) self->EndStream(false);
                          });
}

void Session::ArmHeartbeat() {
  heartbeat_timer_->expires_after(heartbeat_interval_);
  heartbeat_timer_->async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->phase_ != Phase::kStreaming || self->stream_ending_) return;
    if (!self->wrote_since_tick_) self->QueueChunk(self->heartbeat_);
    self->wrote_since_tick_ = false;
    self->ArmHeartbeat();
  });
}

void Session::QueueChunk(std::string data) {
  if (phase_ != Phase::kStreaming || stream_ending_ || data.empty()) return;
  queued_bytes_ += data.size();
  if (queued_bytes_ > state_.options.max_stream_backlog) {
    state_.metrics.StreamDropped();
    EndStream(false);  // the client reads too slowly to keep up
    return;
  }
  chunks_.push_back(std::move(data));
  if (!chunk_in_flight_) WriteNextChunk();
}

void Session::WriteNextChunk() {
  if (phase_ != Phase::kStreaming) return;
  if (chunks_.empty()) {
    if (!stream_ending_) {
      // The write timeout covers a chunk in flight; a quiet stream has no deadline (the
      // heartbeat keeps it alive and the client watch sees it leave).
      ClearDeadline();
      return;
    }
    // Everything sent: the last chunk, then the connection closes.
    chunk_in_flight_ = true;
    SetDeadline(state_.options.write_timeout);
    net::async_write(socket_, bhttp::make_chunk_last(),
                     [self = shared_from_this()](beast::error_code, size_t) {
                       self->chunk_in_flight_ = false;
                       self->Close();
                     });
    return;
  }
  writing_chunk_ = std::move(chunks_.front());
  chunks_.pop_front();
  queued_bytes_ -= writing_chunk_.size();
  chunk_in_flight_ = true;
  wrote_since_tick_ = true;
  SetDeadline(state_.options.write_timeout);
  net::async_write(socket_, bhttp::make_chunk(net::buffer(writing_chunk_)),
                   [self = shared_from_this()](beast::error_code ec, size_t) {
                     self->chunk_in_flight_ = false;
                     if (ec) {
                       self->EndStream(false);
                       return;
                     }
                     self->streamed_bytes_ += self->writing_chunk_.size();
                     self->WriteNextChunk();
                   });
}

void Session::EndStream(bool graceful) {
  if (phase_ != Phase::kStreaming) return;
  if (!stream_ended_) {
    stream_ended_ = true;
    if (writer_) writer_->MarkClosed();
    if (heartbeat_timer_) heartbeat_timer_->cancel();
    if (source_) {
      std::shared_ptr<StreamSource> source = std::move(source_);
      try {
        source->Stop();
      } catch (...) {
        // A source's teardown must not take the server down.
      }
    }
    state_.access_log.Write(remote_, method_text_, target_, stream_status_, streamed_bytes_,
                            Clock::now() - started_);
    if (counted_) {
      state_.metrics.RequestFinished();
      counted_ = false;
    }
  }
  if (!graceful) {
    Close();
    return;
  }
  if (stream_ending_) return;
  stream_ending_ = true;
  if (!chunk_in_flight_) WriteNextChunk();
}

// ---- closing ----

void Session::LingeringClose() {
  // Close our side for writing, then read and discard what the client still sends for a short
  // while, so the kernel does not answer its unread body with a reset that would destroy the
  // error response before the client reads it.
  if (!linger_timer_) {
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) {
      Close();
      return;
    }
    linger_timer_.emplace(socket_.get_executor());
    linger_timer_->expires_after(std::chrono::seconds(2));
    linger_timer_->async_wait([self = shared_from_this()](beast::error_code timer_ec) {
      if (!timer_ec) self->Close();
    });
  }
  ClearDeadline();
  socket_.async_read_some(net::buffer(watch_buffer_),
                          [self = shared_from_this()](beast::error_code read_ec, size_t) {
                            if (self->phase_ == Phase::kClosed) return;
                            if (read_ec) {
                              self->Close();
                            } else {
                              self->LingeringClose();
                            }
                          });
}

void Session::Close() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  if (heartbeat_timer_) heartbeat_timer_->cancel();
  if (linger_timer_) linger_timer_->cancel();
  if (writer_) writer_->MarkClosed();
  ClearDeadline();
  ++timer_generation_;
  deadline_timer_.cancel();
  beast::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

void Session::SetDeadline(std::chrono::milliseconds timeout) {
  deadline_ = Clock::now() + timeout;
  ArmDeadlineTimer();
}

void Session::ArmDeadlineTimer() {
  if (phase_ == Phase::kClosed) return;
  // A pending wait that fires no later than the deadline re-checks it then.
  if (timer_waiting_ && timer_at_ <= deadline_) return;
  timer_at_ = deadline_;
  timer_waiting_ = true;
  uint64_t generation = ++timer_generation_;
  deadline_timer_.expires_at(deadline_);  // cancels an earlier wait: its handler is stale
  // Held weakly: a pending wait never keeps a finished connection alive.
  deadline_timer_.async_wait([weak = weak_from_this(), generation](beast::error_code ec) {
    std::shared_ptr<Session> self = weak.lock();
    if (!self || generation != self->timer_generation_) return;
    self->timer_waiting_ = false;
    if (!ec) self->OnDeadlineTimer();
  });
}

void Session::OnDeadlineTimer() {
  if (phase_ == Phase::kClosed || deadline_ == Clock::time_point::max()) return;
  if (Clock::now() < deadline_) {
    ArmDeadlineTimer();  // the deadline moved on meanwhile
    return;
  }
  ClearDeadline();
  timed_out_ = true;
  beast::error_code ec;
  socket_.cancel(ec);  // the operation completes with operation_aborted
}

}  // namespace citygrid::http::internal
