#include "citygrid/http/sse.h"

#include <gtest/gtest.h>

#include <vector>

namespace citygrid::http {
namespace {

TEST(SseTest, FormatsFieldsAndSplitsDataLines) {
  EXPECT_EQ(FormatSseEvent({"7", "case", "{\"a\":1}"}), "id: 7\nevent: case\ndata: {\"a\":1}\n\n");
  EXPECT_EQ(FormatSseEvent({"", "", "one\ntwo"}), "data: one\ndata: two\n\n");
  EXPECT_EQ(FormatSseEvent({"", "", ""}), "data: \n\n");
}

TEST(SseTest, FieldsCannotInjectAnotherEvent) {
  EXPECT_EQ(FormatSseEvent({"1\n\ndata: evil", "x\r\ny", "ok\r"}),
            "id: 1  data: evil\nevent: x y\ndata: ok\n\n");
}

// A writer that records what a source writes, standing in for the server's side.
class RecordingWriter final : public StreamWriter {
 public:
  bool Write(std::string data) override {
    if (!open_) return false;
    written.push_back(std::move(data));
    return true;
  }
  void Close() override { open_ = false; }
  bool open() const override { return open_; }
  std::vector<std::string> written;
  bool open_ = true;
};

TEST(EventHubTest, DeliversToStartedSubscribersUntilStopped) {
  EventHub hub;
  Response r = hub.Subscribe([](const SseEvent& e) { return e.event != "secret"; });
  ASSERT_TRUE(r.stream);
  EXPECT_EQ(r.content_type, "text/event-stream; charset=utf-8");
  EXPECT_EQ(hub.subscriber_count(), 0u);  // not before the server starts the stream

  auto writer = std::make_shared<RecordingWriter>();
  r.stream->Start(writer);
  EXPECT_EQ(hub.subscriber_count(), 1u);
  hub.Publish({"1", "case", "a"});
  hub.Publish({"2", "secret", "b"});
  ASSERT_EQ(writer->written.size(), 2u);
  EXPECT_EQ(writer->written[0], "retry: 3000\n\n");
  EXPECT_EQ(writer->written[1], "id: 1\nevent: case\ndata: a\n\n");

  r.stream->Stop();
  EXPECT_EQ(hub.subscriber_count(), 0u);
  hub.Publish({"3", "case", "c"});
  EXPECT_EQ(writer->written.size(), 2u);
}

TEST(EventHubTest, DropsSubscribersWhoseStreamEnded) {
  EventHub hub;
  Response r = hub.Subscribe();
  auto writer = std::make_shared<RecordingWriter>();
  r.stream->Start(writer);
  writer->open_ = false;  // the client left
  hub.Publish({"1", "", "x"});
  EXPECT_EQ(hub.subscriber_count(), 0u);
  r.stream->Stop();
}

}  // namespace
}  // namespace citygrid::http
