#include "citygrid/http/sse.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace citygrid::http {
namespace {

// Appends "<field>: <value>\n" with CR removed and, for single-line fields, LF replaced.
void AppendField(std::string& out, std::string_view field, std::string_view value,
                 bool single_line) {
  out += field;
  out += ": ";
  for (char c : value) {
    if (c == '\r') continue;
    out += (c == '\n' && single_line) ? ' ' : c;
  }
  out += '\n';
}

}  // namespace

std::string FormatSseEvent(const SseEvent& event) {
  std::string out;
  out.reserve(event.data.size() + 32);
  if (!event.id.empty()) AppendField(out, "id", event.id, true);
  if (!event.event.empty()) AppendField(out, "event", event.event, true);
  size_t start = 0;
  while (true) {
    size_t end = event.data.find('\n', start);
    std::string_view line(event.data.data() + start,
                          (end == std::string::npos ? event.data.size() : end) - start);
    AppendField(out, "data", line, true);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  out += '\n';
  return out;
}

class Subscription;

struct EventHub::State {
  std::mutex mu;
  std::vector<std::shared_ptr<Subscription>> subscribers;  // GUARDED_BY(mu)
};

// One client's subscription: registered in the hub between Start and Stop.
class Subscription final : public StreamSource,
                           public std::enable_shared_from_this<Subscription> {
 public:
  Subscription(std::shared_ptr<EventHub::State> hub, EventHub::Filter filter)
      : hub_(std::move(hub)), filter_(std::move(filter)) {}

  void Start(std::shared_ptr<StreamWriter> writer) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) return;
      writer_ = writer;
    }
    writer->Write("retry: 3000\n\n");
    std::lock_guard<std::mutex> lock(hub_->mu);
    hub_->subscribers.push_back(shared_from_this());
  }

  void Stop() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopped_ = true;
      writer_.reset();
    }
    std::lock_guard<std::mutex> lock(hub_->mu);
    std::erase(hub_->subscribers, shared_from_this());
  }

  // Returns false when the stream is gone.
  bool Deliver(const SseEvent& event, const std::string& text) {
    std::shared_ptr<StreamWriter> writer;
    {
      std::lock_guard<std::mutex> lock(mu_);
      writer = writer_;
    }
    if (!writer) return false;
    if (filter_ && !filter_(event)) return true;
    return writer->Write(text);
  }

 private:
  std::shared_ptr<EventHub::State> hub_;
  EventHub::Filter filter_;
  std::mutex mu_;
  std::shared_ptr<StreamWriter> writer_;  // GUARDED_BY(mu_)
  bool stopped_ = false;                  // GUARDED_BY(mu_)
};

namespace {

// The pump thread is detached: Stop must not block, so it only asks `next` to return and the
// thread ends on its own, keeping the shared state alive until then.
class PulledSource final : public StreamSource {
 public:
  PulledSource(PullNext next, std::function<void()> close)
      : shared_(std::make_shared<Shared>()) {
    shared_->next = std::move(next);
    shared_->close = std::move(close);
  }

  void Start(std::shared_ptr<StreamWriter> writer) override {
    writer->Write("retry: 3000\n\n");
    std::thread([shared = shared_, writer = std::move(writer)] {
      while (!shared->stopped.load() && writer->open()) {
        Result<std::string> text = shared->next(std::chrono::milliseconds(1000));
        if (!text.ok()) {
          writer->Close();
          break;
        }
        if (!text->empty() && !writer->Write(std::move(*text))) break;
      }
    }).detach();
  }

  void Stop() override {
    if (shared_->stopped.exchange(true)) return;
    if (shared_->close) shared_->close();
  }

 private:
  struct Shared {
    PullNext next;
    std::function<void()> close;
    std::atomic<bool> stopped{false};
  };
  std::shared_ptr<Shared> shared_;
};

Response EventStreamResponse(std::shared_ptr<StreamSource> source,
                             std::chrono::milliseconds heartbeat) {
  Response r;
  r.status = 200;
  r.content_type = "text/event-stream; charset=utf-8";
  r.headers.Set("Cache-Control", "no-cache");
  r.headers.Set("X-Accel-Buffering", "no");  // ask reverse proxies not to buffer the stream
  r.stream = std::move(source);
  r.heartbeat_interval = heartbeat;
  return r;
}

}  // namespace

Response PulledEventStream(PullNext next, std::function<void()> close,
                           std::chrono::milliseconds heartbeat) {
  return EventStreamResponse(std::make_shared<PulledSource>(std::move(next), std::move(close)),
                             heartbeat);
}

EventHub::EventHub() : state_(std::make_shared<State>()) {}

EventHub::~EventHub() {
  // Open streams keep the state alive; they simply receive nothing more.
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->subscribers.clear();
}

void EventHub::Publish(const SseEvent& event) {
  std::vector<std::shared_ptr<Subscription>> subscribers;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    subscribers = state_->subscribers;
  }
  if (subscribers.empty()) return;
  const std::string text = FormatSseEvent(event);
  std::vector<std::shared_ptr<Subscription>> gone;
  for (const auto& s : subscribers) {
    if (!s->Deliver(event, text)) gone.push_back(s);
  }
  if (!gone.empty()) {
    std::lock_guard<std::mutex> lock(state_->mu);
    std::erase_if(state_->subscribers, [&](const std::shared_ptr<Subscription>& s) {
      return std::find(gone.begin(), gone.end(), s) != gone.end();
    });
  }
}

Response EventHub::Subscribe(Filter filter, std::chrono::milliseconds heartbeat) const {
  return EventStreamResponse(std::make_shared<Subscription>(state_, std::move(filter)), heartbeat);
}

size_t EventHub::subscriber_count() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->subscribers.size();
}

}  // namespace citygrid::http
