#pragma once

// A tiny blocking HTTP/1.1 client for tests against a server on loopback (plain POSIX sockets).
// One HttpClient is one connection, kept alive across requests; it reconnects when the server
// closed it. Responses with Content-Length, chunked encoding, or read-until-close bodies.
//
//   HttpClient client("127.0.0.1", server.port());
//   HttpResponse r = client.Post("/api/v1/cases", body, {{"Authorization", "Bearer " + token}});
//   EXPECT_EQ(r.status, 201) << r.body;
//
// Transport failures (refused, timed out, closed mid-response) give status 0 and `error`.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace citygrid::testing {

using HttpHeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;  // 0: no response (see error)
  HttpHeaderList headers;
  std::string body;
  std::string error;

  // The first header named `name` (case-insensitive), or "" .
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
};

class HttpClient {
 public:
  HttpClient(std::string host, uint16_t port,
             std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse Get(std::string_view target, const HttpHeaderList& headers = {});
  HttpResponse Head(std::string_view target, const HttpHeaderList& headers = {});
  HttpResponse Delete(std::string_view target, const HttpHeaderList& headers = {});
  // Content-Type defaults to application/json unless given in `headers`.
  HttpResponse Post(std::string_view target, std::string_view body,
                    const HttpHeaderList& headers = {});
  HttpResponse Put(std::string_view target, std::string_view body,
                   const HttpHeaderList& headers = {});
  HttpResponse Request(std::string_view method, std::string_view target, std::string_view body,
                       const HttpHeaderList& headers = {});

  // Low level, for protocol tests: connect (if needed), send bytes as they are, read one
  // response (`head_request`: the response has no body).
  bool Connect();
  bool SendRaw(std::string_view bytes);
  HttpResponse ReadResponse(bool head_request = false);
  // Reads the status line and headers only (e.g. of a server-sent event stream).
  HttpResponse ReadResponseHead();
  // Reads decoded body bytes of a chunked response until `needle` appears in what was read
  // since the head (or the timeout passes / the stream ends); returns everything read so far.
  std::string ReadStreamUntil(std::string_view needle, std::chrono::milliseconds timeout);
  // True when the server closed the connection (a read returns end-of-file) within `timeout`.
  bool WaitForClose(std::chrono::milliseconds timeout);
  void Disconnect();
  bool connected() const { return fd_ >= 0; }
  // Number of TCP connections opened so far (keep-alive tests).
  int connections_opened() const { return connections_opened_; }

 private:
  // Reads into buffer_ at least one more byte; false on EOF, error or timeout.
  bool Fill(std::chrono::steady_clock::time_point deadline);
  bool ReadLine(std::string* line, std::chrono::steady_clock::time_point deadline);
  bool ReadExactly(size_t n, std::string* out, std::chrono::steady_clock::time_point deadline);

  std::string host_;
  uint16_t port_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  int connections_opened_ = 0;
  std::string buffer_;  // received, not yet consumed
  bool last_eof_ = false;
  // Streaming state for ReadStreamUntil.
  std::string stream_data_;
  bool stream_chunked_ = false;
  bool stream_done_ = false;
};

}  // namespace citygrid::testing
