// The intake record of a kCreated event (CaseIntake): written in the same event as the case,
// read back by DecodeIntake, ignored by the fold, absent from old events.

#include "citygrid/domain/case_state_machine.h"

#include <gtest/gtest.h>

#include <string>

namespace citygrid {
namespace {

Case Opened() {
  Case intake;
  intake.id = 7;
  intake.channel = Channel::kOpen311;
  intake.category = "09009";
  intake.description = "占用消防通道";
  intake.location.lon = 113.607;
  intake.location.lat = 34.703;
  Result<Case> c = OpenCase(intake, *ParseIso8601("2026-03-10T09:30:00+08:00"));
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return *c;
}

TEST(CaseIntakeTest, RoundTripsThroughTheCreatedEventAndLeavesTheFoldAlone) {
  const Case opened = Opened();
  CaseIntake intake;
  intake.attributes = {{"plate", "豫A12345"}, {"blocking", "sidewalk"}, {"blocking", "fire_lane"}};
  intake.media_urls = {"https://example.com/1.jpg", "https://example.com/2.jpg"};
  intake.address_id = "A-17";
  intake.token = "abc123";
  const Actor actor{"open311:fixmystreet", Role::kSystem, ""};
  CaseEvent e = MakeCreatedEvent(opened, actor, "", intake);
  EXPECT_NE(e.payload_json.find("\"intake\":{"), std::string::npos) << e.payload_json;

  Result<CaseIntake> back = DecodeIntake(e);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, intake);

  // The state folded from the event is the state without the intake record.
  Result<Case> folded = FoldHistory({e});
  ASSERT_TRUE(folded.ok()) << folded.status().ToString();
  Result<Case> plain = FoldHistory({MakeCreatedEvent(opened, actor)});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*folded, *plain);
}

TEST(CaseIntakeTest, ADetectorsConfidenceRoundTripsAlone) {
  CaseIntake intake;
  intake.confidence = 0.875;
  EXPECT_FALSE(intake.empty());
  CaseEvent e = MakeCreatedEvent(Opened(), Actor{"cam", Role::kOperator, ""}, "", intake);
  EXPECT_NE(e.payload_json.find("\"intake\":{\"confidence\":0.875}"), std::string::npos)
      << e.payload_json;
  Result<CaseIntake> back = DecodeIntake(e);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, intake);
  e.payload_json.replace(e.payload_json.find("0.875"), 5, "\"x\"");
  EXPECT_EQ(DecodeIntake(e).status().code(), StatusCode::kInvalidArgument);
}

TEST(CaseIntakeTest, EventsWithoutIntakeDecodeToAnEmptyRecordAndKeepTheirPayload) {
  const Case opened = Opened();
  CaseEvent e = MakeCreatedEvent(opened, Actor{"inspector", Role::kInspector, ""});
  EXPECT_EQ(e.payload_json.find("intake"), std::string::npos) << e.payload_json;
  Result<CaseIntake> back = DecodeIntake(e);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->empty());
}

TEST(CaseIntakeTest, UnknownKeysInsideIntakeAreSkipped) {
  CaseEvent e = MakeCreatedEvent(Opened(), Actor{});
  e.payload_json =
      R"({"category":"09009","channel":"open311","description":"x",)"
      R"("intake":{"media_urls":["https://e.com/a.jpg"],"colour":"red","later":{"a":1}}})";
  Result<CaseIntake> back = DecodeIntake(e);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->media_urls, std::vector<std::string>{"https://e.com/a.jpg"});
  EXPECT_TRUE(FoldHistory({e}).ok());
}

TEST(CaseIntakeTest, MalformedIntakeIsRefusedNamingTheField) {
  struct Bad {
    const char* payload;
    const char* expect;
  };
  const Bad bad[] = {
      {R"({"channel":"open311","intake":[1]})", "'intake' must be an object"},
      {R"({"channel":"open311","intake":{"media_urls":"x"}})", "intake.media_urls"},
      {R"({"channel":"open311","intake":{"attributes":[["a"]]}})", "[code, value]"},
      {R"({"channel":"open311","intake":{"token":5}})", "'token' must be a string"},
  };
  for (const Bad& b : bad) {
    CaseEvent e = MakeCreatedEvent(Opened(), Actor{});
    e.payload_json = b.payload;
    Result<CaseIntake> r = DecodeIntake(e);
    ASSERT_FALSE(r.ok()) << b.payload;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(b.expect), std::string::npos) << r.status().message();
  }
  CaseEvent action = MakeCreatedEvent(Opened(), Actor{});
  action.type = EventType::kOverdue;
  EXPECT_EQ(DecodeIntake(action).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace citygrid
