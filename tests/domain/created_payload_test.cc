// The kCreated event's payload is written as text directly (no Boost.JSON document). Its bytes
// are hashed into the audit chain, so they must stay exactly what the document-building writer
// produced; the decoders must still read them.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <charconv>
#include <string>
#include <vector>

#include "citygrid/common/json_text.h"
#include "citygrid/domain/case_state_machine.h"

namespace citygrid {
namespace {

namespace json = boost::json;

// ---- the payload as it was written before: a Boost.JSON object, then the canonical writer ----

void ReferenceWrite(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        AppendJsonString(out, std::string_view(kv.key().data(), kv.key().size()));
        out += ':';
        ReferenceWrite(kv.value(), out);
      }
      out += '}';
      break;
    }
    case json::kind::string: {
      const json::string& text = v.get_string();
      AppendJsonString(out, std::string_view(text.data(), text.size()));
      break;
    }
    case json::kind::double_: {
      char buf[64];
      auto res = std::to_chars(buf, buf + sizeof buf, v.get_double());
      out.append(buf, res.ptr);
      break;
    }
    default:
      out += json::serialize(v);
      break;
  }
}

void PutString(json::object& o, std::string_view key, const std::string& value) {
  if (!value.empty()) o[key] = value;
}

json::object ReferenceObject(const Case& c, const CaseIntake& intake) {
  json::object o;
  if (!intake.empty()) {
    json::object io;
    PutString(io, "address_id", intake.address_id);
    if (!intake.attributes.empty()) {
      json::array a;
      for (const auto& [code, value] : intake.attributes) a.push_back(json::array{code, value});
      io["attributes"] = std::move(a);
    }
    if (!intake.media_urls.empty()) {
      json::array m;
      for (const std::string& url : intake.media_urls) m.emplace_back(url);
      io["media_urls"] = std::move(m);
    }
    PutString(io, "token", intake.token);
    o["intake"] = std::move(io);
  }
  PutString(o, "category", c.category);
  o["channel"] = Name(c.channel);
  if (c.stage_deadline) o["deadline"] = FormatIso8601(*c.stage_deadline);
  PutString(o, "description", c.description);
  const CaseLocation& l = c.location;
  if (!(l == CaseLocation{})) {
    json::object lo;
    PutString(lo, "address", l.address);
    PutString(lo, "community", l.community_code);
    PutString(lo, "district", l.district_code);
    PutString(lo, "grid", l.grid_code);
    lo["lat"] = l.lat;
    lo["lon"] = l.lon;
    PutString(lo, "road", l.road_id);
    PutString(lo, "subdistrict", l.subdistrict_code);
    o["location"] = std::move(lo);
  }
  if (!(c.reporter == Reporter{})) {
    json::object ro;
    PutString(ro, "name", c.reporter.name);
    PutString(ro, "phone", c.reporter.phone);
    o["reporter"] = std::move(ro);
  }
  PutString(o, "suggested_unit", c.suggested_unit);
  return o;
}

std::string ReferencePayload(const Case& c, const CaseIntake& intake) {
  std::string out;
  ReferenceWrite(ReferenceObject(c, intake), out);
  return out;
}

// ---- cases ----

const Timestamp kAt = *ParseIso8601("2026-03-10T09:30:00.125+08:00");

Case RichCase() {
  Case c;
  c.id = 42;
  c.channel = Channel::kHotline;
  c.category = "06010";
  c.description = "路边\"暴露\"垃圾\n第二行\t制表\\反斜杠 \x01 控制符 and ünïcödé 🚮";
  c.location.lon = 113.6071234;
  c.location.lat = 34.7031;
  c.location.address = "大学路 \"12号\"\r\n后门";
  c.location.district_code = "410103";
  c.location.subdistrict_code = "410103001";
  c.location.community_code = "410103001002";
  c.location.grid_code = "410103001002007";
  c.location.road_id = "R17";
  c.reporter = {"张\"三\"\n", "13800000000"};
  c.photos = {"aa11", "bb22"};
  c.suggested_unit = "U-HW";
  Result<Case> opened = OpenCase(c, kAt, kAt + std::chrono::hours(2));
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  return *opened;
}

CaseIntake RichIntake() {
  CaseIntake intake;
  intake.attributes = {{"plate", "豫A12345"}, {"note", "a \"quoted\"\nvalue"}, {"empty", ""}};
  intake.media_urls = {"https://example.com/1.jpg?a=1&b=\"2\"", "https://例子.测试/2.png"};
  intake.address_id = "A-17\\x";
  intake.token = "tok\x7f";
  return intake;
}

TEST(CreatedPayloadTest, RichCaseIsByteForByteWhatTheDocumentWriterWrote) {
  const Case c = RichCase();
  const CaseIntake intake = RichIntake();
  const CaseEvent e = MakeCreatedEvent(c, Actor{"hotline1", Role::kOperator, ""}, "", intake);
  EXPECT_EQ(e.payload_json, ReferencePayload(c, intake));
  // And it is the same JSON value as the document (parsed back; doubles exactly).
  EXPECT_EQ(json::parse(e.payload_json), json::value(ReferenceObject(c, intake)));
  EXPECT_EQ(e.payload_json.substr(0, 11), R"({"intake":{)");
  EXPECT_NE(e.payload_json.find(R"("lon":113.6071234,)"), std::string::npos) << e.payload_json;
  EXPECT_NE(e.payload_json.find(R"(\"暴露\"垃圾\n第二行\t制表\\反斜杠 \u0001 控制符)"),
            std::string::npos)
      << e.payload_json;
}

TEST(CreatedPayloadTest, SparseCasesMatchTheDocumentWriterToo) {
  // Each optional part left out in turn: no intake, no reporter, no location, no deadline, an
  // intake with a single field, a reporter with only a phone.
  std::vector<std::pair<Case, CaseIntake>> cases;
  Case c = RichCase();
  cases.push_back({c, {}});
  c.reporter = {};
  cases.push_back({c, {}});
  c.location = {};
  cases.push_back({c, {}});
  c.stage_deadline.reset();
  c.description.clear();
  c.suggested_unit.clear();
  cases.push_back({c, {}});
  CaseIntake token_only;
  token_only.token = "t";
  cases.push_back({c, token_only});
  c.reporter.phone = "110";
  CaseIntake media_only;
  media_only.media_urls = {"https://example.com/x"};
  cases.push_back({c, media_only});
  c.location.lon = -0.5;  // a location with only coordinates
  c.location.lat = 1e-7;
  cases.push_back({c, {}});
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& [one, intake] = cases[i];
    EXPECT_EQ(MakeCreatedEvent(one, Actor{}, "", intake).payload_json,
              ReferencePayload(one, intake))
        << i;
  }
  EXPECT_EQ(MakeCreatedEvent(c, Actor{}).payload_json,
            R"({"category":"06010","channel":"hotline","location":{"lat":1e-07,"lon":-0.5},)"
            R"("reporter":{"phone":"110"}})");
}

TEST(CreatedPayloadTest, DecodersReadTheWrittenPayload) {
  const Case c = RichCase();
  const CaseIntake intake = RichIntake();
  const CaseEvent e = MakeCreatedEvent(c, Actor{"hotline1", Role::kOperator, ""}, "", intake);
  Result<Case> folded = FoldHistory({e});
  ASSERT_TRUE(folded.ok()) << folded.status().ToString();
  EXPECT_EQ(*folded, c);
  Result<Case> decoded = DecodeCreatedEvent(e);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, c);
  Result<CaseIntake> back = DecodeIntake(e);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, intake);
}

TEST(CreatedPayloadTest, DecodeCreatedEventRefusesOtherEvents) {
  const Case c = RichCase();
  CaseEvent comment = MakePhotoAddedEvent(c, Actor{}, kAt, {"cc33"});
  Result<Case> r = DecodeCreatedEvent(comment);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "event version 2 is 'photo_added', not 'created'");
  CaseEvent broken = MakeCreatedEvent(c, Actor{});
  broken.payload_json = R"({"category":"06010"})";
  EXPECT_EQ(DecodeCreatedEvent(broken).status().message(), "created payload has no 'channel'");
}

}  // namespace
}  // namespace citygrid
