#pragma once

// The response a handler returns: a plain value. Either a whole body (`body`), or a streaming
// body (`stream`) that the server pumps until it ends, the client leaves or the server stops —
// used for server-sent events (see sse.h).

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "citygrid/http/headers.h"

namespace citygrid::http {

inline constexpr std::string_view kJsonContentType = "application/json";
inline constexpr std::string_view kTextContentType = "text/plain; charset=utf-8";

// The server side of a streaming response, handed to StreamSource::Start. Thread-safe: Write
// and Close may be called from any thread, also after the stream ended (then they do nothing).
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Queues `data` for the client. Returns false once the stream has ended (client gone, server
  // stopping, Close called, or the client fell too far behind); the source should then stop
  // producing.
  virtual bool Write(std::string data) = 0;
  // Ends the response after the queued data is sent.
  virtual void Close() = 0;
  // True until the stream ended.
  virtual bool open() const = 0;
};

// The handler side of a streaming response.
class StreamSource {
 public:
  virtual ~StreamSource() = default;
  // Called once, after the response headers are sent. The source keeps `writer` and writes
  // when it has data. Called on a server thread: must not block.
  virtual void Start(std::shared_ptr<StreamWriter> writer) = 0;
  // Called exactly once when the stream ends for any reason (after Start, or instead of it when
  // the headers could not be sent). Releases subscriptions; must not block.
  virtual void Stop() = 0;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string content_type{kTextContentType};
  std::string body;

  // Non-null: a streaming response; `body` is ignored. The server sends it with chunked
  // transfer encoding and writes `heartbeat` whenever nothing was written for
  // `heartbeat_interval` (an SSE comment keeps proxies and clients from timing out).
  std::shared_ptr<StreamSource> stream;
  std::chrono::milliseconds heartbeat_interval{15000};
  std::string heartbeat = ": keep-alive\n\n";

  // Set by the router: the matched route's name for metrics and logs
  // ("/api/v1/cases/{number}"), or a fixed label for unmatched requests.
  std::string route;

  static Response Json(int status, std::string json);
  static Response Text(int status, std::string text);
};

// The standard reason phrase of `status` ("Not Found"); "" for unknown codes.
std::string_view ReasonPhrase(int status);

}  // namespace citygrid::http
