#pragma once

// Server-sent events (text/event-stream): event formatting and a fan-out hub. A handler answers
// with hub.Subscribe(filter); the server pumps the stream, writes ": keep-alive" comments every
// ~15 s, and tears the subscription down when the client goes away or the server stops.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "citygrid/common/status.h"
#include "citygrid/http/response.h"

namespace citygrid::http {

struct SseEvent {
  std::string id;     // "" = no id line
  std::string event;  // "" = the default "message" event
  std::string data;   // may contain newlines: each line becomes one "data:" line
};

// "id: 7\nevent: case\ndata: {...}\n\n". Carriage returns in fields are dropped, newlines in id
// and event are replaced by spaces, so an event can never inject another.
std::string FormatSseEvent(const SseEvent& event);

// Fans published events out to every subscribed stream. Thread-safe. Subscriptions hold the
// hub's state, so a hub may be destroyed while streams are open (they then receive nothing).
// An event-stream response fed by a blocking pull function, for event sources that are read
// rather than pushed (e.g. service::FeedSubscription::Next). A pump thread of its own calls
// `next(wait)` until the stream ends; each call returns SSE text to send ("" = nothing yet; use
// FormatSseEvent), or an error, which ends the stream. When the stream ends for another reason
// (client gone, server stopping), `close` is called once, from a server thread, and must make a
// pending `next` return soon (e.g. FeedSubscription::Close). `next` and `close` may be called
// concurrently.
using PullNext = std::function<Result<std::string>(std::chrono::milliseconds wait)>;
Response PulledEventStream(PullNext next, std::function<void()> close,
                           std::chrono::milliseconds heartbeat = std::chrono::seconds(15));

class EventHub {
 public:
  // Returns true when the subscriber should receive `event` (e.g. the caller may see the case).
  using Filter = std::function<bool(const SseEvent&)>;

  EventHub();
  ~EventHub();
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // Sends `event` to every subscriber whose filter accepts it. Does not block on clients: the
  // server disconnects a stream that falls too far behind (ServerOptions::max_stream_backlog).
  void Publish(const SseEvent& event);

  // A streaming text/event-stream response subscribed to this hub; `filter` null = everything.
  // The stream starts with "retry: <ms>" so clients reconnect after that delay.
  Response Subscribe(Filter filter = nullptr,
                     std::chrono::milliseconds heartbeat = std::chrono::seconds(15)) const;

  // Open subscriptions (started and not yet stopped).
  size_t subscriber_count() const;

 private:
  friend class Subscription;  // defined in sse.cc
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace citygrid::http
