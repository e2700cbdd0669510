#include "src/http/case_json.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "citygrid/common/time.h"
#include "src/http/json_util.h"
#include "tests/testing/paths.h"

namespace citygrid::http {
namespace {

namespace bj = boost::json;

// ---- the reference: the Boost.JSON documents the cases API built before the bodies were
// written directly (the encoding clients have seen since the endpoints exist) ----

bj::value OptionalTime(const std::optional<Timestamp>& t) {
  if (!t) return nullptr;
  return bj::value(FormatIso8601(*t));
}

bj::object LocationJson(const Case& c, const service::LocationNames& names) {
  bj::object loc;
  loc["lon"] = c.location.lon;
  loc["lat"] = c.location.lat;
  loc["address"] = c.location.address;
  loc["district"] = c.location.district_code;
  loc["district_name"] = names.district;
  loc["subdistrict"] = c.location.subdistrict_code;
  loc["subdistrict_name"] = names.subdistrict;
  loc["community"] = c.location.community_code;
  loc["community_name"] = names.community;
  loc["grid"] = c.location.grid_code;
  loc["road"] = c.location.road_id;
  loc["road_name"] = names.road;
  if (!names.road_chief.name.empty() || !names.road_chief.phone.empty()) {
    bj::object chief;
    chief["name"] = names.road_chief.name;
    chief["phone"] = names.road_chief.phone;
    loc["road_chief"] = std::move(chief);
  } else {
    loc["road_chief"] = nullptr;
  }
  return loc;
}

bj::object CaseJson(const service::ReferenceData& data, const Case& c,
                    const service::LocationNames& names) {
  bj::object o(40);
  o["number"] = c.number;
  o["state"] = std::string(Name(c.state));
  o["version"] = c.version;
  o["channel"] = std::string(Name(c.channel));
  o["category"] = c.category;
  const Category* category = data.categories->Find(c.category);
  o["category_name"] = category ? category->name : "";
  o["description"] = c.description;
  o["location"] = LocationJson(c, names);
  o["suggested_unit"] = c.suggested_unit;
  o["unit"] = c.unit;
  const service::Unit* unit = data.FindUnit(c.unit);
  o["unit_name"] = unit ? unit->name : "";
  o["stage"] = std::string(Name(c.stage));
  o["stage_started"] = OptionalTime(c.stage_started);
  o["stage_deadline"] = OptionalTime(c.stage_deadline);
  o["handle_deadline"] = OptionalTime(c.handle_deadline);
  o["overdue"] = c.overdue;
  o["handle_overdue"] = c.handle_overdue;
  bj::object counters;
  counters["rework"] = c.rework_count;
  counters["return"] = c.return_count;
  counters["supervise"] = c.supervise_count;
  o["counters"] = std::move(counters);
  o["postpone_requested_until"] = OptionalTime(c.postpone_requested_until);
  o["merged_into"] = c.merged_into;
  o["created_at"] = FormatIso8601(c.created_at);
  o["updated_at"] = FormatIso8601(c.updated_at);
  o["registered_at"] = OptionalTime(c.registered_at);
  o["dispatched_at"] = OptionalTime(c.dispatched_at);
  o["handled_at"] = OptionalTime(c.handled_at);
  o["closed_at"] = OptionalTime(c.closed_at);
  bj::object reporter;
  reporter["name"] = c.reporter.name;
  reporter["phone"] = c.reporter.phone;
  o["reporter"] = std::move(reporter);
  bj::array photos;
  for (const std::string& p : c.photos) photos.emplace_back(p);
  o["photos"] = std::move(photos);
  return o;
}

bj::object EventJson(const CaseEvent& e) {
  bj::object o;
  o["version"] = e.version;
  o["type"] = std::string(Name(e.type));
  o["action"] = e.action ? bj::value(std::string(Name(*e.action))) : bj::value(nullptr);
  bj::object actor;
  actor["user"] = e.actor.user;
  actor["role"] = std::string(Name(e.actor.role));
  actor["unit"] = e.actor.unit;
  o["actor"] = std::move(actor);
  o["at"] = FormatIso8601(e.at);
  o["note"] = e.note;
  bj::array photos;
  for (const std::string& p : e.photos) photos.emplace_back(p);
  o["photos"] = std::move(photos);
  boost::system::error_code ec;
  bj::value payload = bj::parse(e.payload_json.empty() ? "{}" : e.payload_json, ec);
  o["payload"] = ec ? bj::value(bj::object()) : std::move(payload);
  return o;
}

// DetailJson without "available_actions" (GET answers them from a cached head).
std::string DetailHeadDocument(const service::ReferenceData& data,
                               const service::CaseDetail& detail, const char* events_key) {
  bj::object o = CaseJson(data, detail.record, detail.names);
  bj::array history;
  for (const CaseEvent& e : detail.history) history.emplace_back(EventJson(e));
  o[events_key] = std::move(history);
  std::string text = bj::serialize(o);
  text.pop_back();  // the object's closing '}'
  return text;
}

// CreatedResponse (its stack arena left out: it changed no byte).
Response CreatedResponseDocument(const service::ReferenceData& data,
                                 const service::CreateCaseResult& result) {
  bj::object o = CaseJson(data, result.record, result.names);
  bj::object routing;
  routing["unit"] = result.routing.unit;
  routing["reason"] = std::string(service::Name(result.routing.reason));
  routing["matched"] = result.routing.matched;
  routing["explain"] = result.routing.Explain();
  o["routing"] = std::move(routing);
  bj::array duplicates;
  for (const service::DuplicateCandidate& d : result.duplicates) {
    bj::object dup;
    dup["number"] = d.number;
    dup["state"] = std::string(Name(d.state));
    dup["metres"] = d.metres;
    dup["created_at"] = FormatIso8601(d.created_at);
    duplicates.emplace_back(std::move(dup));
  }
  o["duplicates"] = std::move(duplicates);
  o["merged_into"] = result.record.merged_into;
  Response response = json::JsonResponse(result.created ? 201 : 200, o);
  response.headers.Set("Location", "/api/v1/cases/" + result.record.number);
  return response;
}

// ListCases.
Response ListResponseDocument(const service::ReferenceData& data, const storage::CasePage& page,
                              const std::vector<service::LocationNames>& names) {
  bj::array cases;
  for (size_t i = 0; i < page.cases.size(); ++i) {
    cases.emplace_back(CaseJson(data, page.cases[i], names[i]));
  }
  bj::object o;
  o["count"] = cases.size();
  o["cases"] = std::move(cases);
  o["next_cursor"] = page.next_cursor;
  return json::JsonResponse(200, o);
}

// AddPhotos.
Response PhotosResponseDocument(const service::ReferenceData& data,
                                const std::vector<std::string>& hashes,
                                const service::CaseDetail& detail) {
  bj::object o;
  bj::array added;
  for (const std::string& h : hashes) added.emplace_back(h);
  o["photos"] = std::move(added);
  o["case"] = CaseJson(data, detail.record, detail.names);
  return json::JsonResponse(201, o);
}

// ---- the cases compared ----

// The shipped categories and two units, one with a name that needs escaping.
service::ReferenceData Data() {
  service::ReferenceData data;
  std::ifstream in(testing::SourceDir() + "/data/categories.json");
  std::stringstream text;
  text << in.rdbuf();
  Result<CategoryCatalog> catalog = CategoryCatalog::Parse(text.str(), "categories.json");
  EXPECT_TRUE(catalog.ok()) << catalog.status().ToString();
  data.categories = std::make_shared<const CategoryCatalog>(std::move(*catalog));
  data.units = {{"410102001", "中原区市政管理局", service::UnitKind::kDepartment, "市政", ""},
                {"410102002", "Unit \"B\" \\ east\t1", service::UnitKind::kDepartment, "环卫", ""}};
  return data;
}

Timestamp At(int64_t unix_millis) { return FromUnixMillis(unix_millis); }

// Every optional member set, a road chief, text that needs escaping.
Case FullCase() {
  Case c;
  c.number = "20260412-000123";
  c.version = 9;
  c.state = CaseState::kHandling;
  c.channel = Channel::kVideoAi;
  c.category = "01001";
  c.description = "井盖 \"缺失\" at C:\\road\\5\nsecond line\x01\x1f end";
  c.location = {113.62345678901234, 34.7,           "中原路 \"12\" 号\\东", "410102",
                "410102001",        "410102001001", "410102001001001",      "road-17\t\b"};
  c.reporter = {"张三 \"Zhang\"", "138\\0013\r\n"};
  c.photos = {std::string(64, 'a'), std::string(64, 'b'), "c\"d"};
  c.suggested_unit = "410102001";
  c.unit = "410102002";
  c.stage = Stage::kHandle;
  c.stage_started = At(1775970000000);
  c.stage_deadline = At(1775977200123);
  c.handle_deadline = At(1775977200000);
  c.overdue = true;
  c.handle_overdue = true;
  c.rework_count = 2;
  c.return_count = 1;
  c.supervise_count = 7;
  c.postpone_requested_until = At(1776070000000);
  c.merged_into = "20260411-000007";
  c.created_at = At(1775960000001);
  c.updated_at = At(1775970000999);
  c.registered_at = At(1775961000000);
  c.dispatched_at = At(1775962000000);
  c.handled_at = At(1775969000000);
  c.closed_at = At(1775971000000);
  return c;
}

// Nothing optional set, unknown category and unit, odd coordinates.
Case BareCase() {
  Case c;
  c.number = "20260101-000001";
  c.version = 1;
  c.category = "99999";
  c.unit = "no-such-unit";
  c.location.lon = 0.0;
  c.location.lat = -0.0;
  c.created_at = c.updated_at = At(0);
  return c;
}

service::LocationNames FullNames() {
  service::LocationNames names;
  names.district = "中原区";
  names.subdistrict = "建中街\"街道\"";
  names.community = "社区\\1";
  names.road = "中原路\x7f";
  names.road_chief = {"李四", "0371-\"1234\""};
  return names;
}

std::vector<service::DuplicateCandidate> Duplicates() {
  return {{"20260412-000100", CaseState::kReported, 0.0, At(1775960000000)},
          {"20260412-000101", CaseState::kPending, -0.0, At(1775960000500)},
          {"20260412-000102", CaseState::kDispatched, 1e-7, At(1775960001000)},
          {"20260412-000103", CaseState::kHandling, 113.62345678901234, At(1775960002000)},
          {"20260412-000104", CaseState::kMerged, 34.7, At(1775960003000)}};
}

std::vector<service::CreateCaseResult> CreateResults() {
  std::vector<service::CreateCaseResult> results;
  service::CreateCaseResult full;
  full.record = FullCase();
  full.names = FullNames();
  full.routing = {"410102001", service::RoutingReason::kRoadRule, "rule \"7\""};
  full.duplicates = Duplicates();
  full.merged_into = full.record.merged_into;
  results.push_back(full);
  full.created = false;  // an idempotent retry: 200
  full.names.road_chief = {"", "110"};
  results.push_back(full);
  service::CreateCaseResult bare;
  bare.record = BareCase();
  results.push_back(bare);  // no names, no routing, no duplicates
  bare.created = false;
  bare.duplicates = {Duplicates()[2]};
  bare.names.road_chief = {"王五", ""};
  results.push_back(bare);
  return results;
}

std::vector<Headers::Field> HeaderFields(const Response& r) {
  return {r.headers.begin(), r.headers.end()};
}

// The whole response: status, headers, content type and every byte of the body.
void ExpectSameResponse(const Response& written, const Response& reference) {
  EXPECT_EQ(written.status, reference.status);
  EXPECT_EQ(written.content_type, reference.content_type);
  EXPECT_EQ(HeaderFields(written), HeaderFields(reference));
  EXPECT_EQ(written.body, reference.body);
}

TEST(CaseJsonTest, CreatedResponseIsByteForByteTheBoostJsonResponse) {
  const service::ReferenceData data = Data();
  for (const service::CreateCaseResult& result : CreateResults()) {
    const Response written = CreatedCaseResponse(result, data);
    ExpectSameResponse(written, CreatedResponseDocument(data, result));
    EXPECT_EQ(written.status, result.created ? 201 : 200);
  }
}

TEST(CaseJsonTest, CreatedBodyHasWhatTheComparisonCovers) {
  // Spot checks, in case both sides went wrong the same way.
  const service::ReferenceData data = Data();
  const std::vector<service::CreateCaseResult> results = CreateResults();
  const std::string full = CreatedCaseResponse(results[0], data).body;
  EXPECT_EQ(full.rfind(R"({"number":"20260412-000123","state":"handling","version":9,)", 0), 0u);
  EXPECT_NE(full.find(R"("category_name":"供水井盖")"), std::string::npos);
  EXPECT_NE(full.find(R"("location":{"lon":1.1362345678901234E2,"lat":3.47E1,)"),
            std::string::npos);
  EXPECT_NE(full.find(R"("road_chief":{"name":"李四","phone":"0371-\"1234\""}})"),
            std::string::npos);
  EXPECT_NE(full.find(R"("unit_name":"Unit \"B\" \\ east\t1")"), std::string::npos);
  EXPECT_NE(full.find(R"(second line\u0001\u001f end")"), std::string::npos);
  EXPECT_NE(full.find(R"("counters":{"rework":2,"return":1,"supervise":7})"), std::string::npos);
  EXPECT_NE(full.find(R"("overdue":true,"handle_overdue":true,)"), std::string::npos);
  EXPECT_NE(full.find(R"("stage_deadline":"2026-04-12T15:00:00.123+08:00")"), std::string::npos);
  // "merged_into" once, where the case object has it, though the old builder set it twice.
  EXPECT_NE(full.find(R"("merged_into":"20260411-000007","created_at":)"), std::string::npos);
  EXPECT_EQ(full.find("merged_into"), full.rfind("merged_into"));
  EXPECT_NE(full.find(R"("routing":{"unit":"410102001","reason":"road_rule","matched":)"
                      R"("rule \"7\"","explain":)"),
            std::string::npos);
  EXPECT_NE(full.find(R"("metres":0E0,)"), std::string::npos);
  EXPECT_NE(full.find(R"("metres":-0E0,)"), std::string::npos);
  EXPECT_NE(full.find(R"("metres":1E-7,)"), std::string::npos);
  EXPECT_NE(full.find(R"("metres":3.47E1,)"), std::string::npos);
  EXPECT_TRUE(full.ends_with(R"(+08:00"}]})")) << full;
  EXPECT_EQ(CreatedCaseResponse(results[0], data).headers.Get("Location"),
            "/api/v1/cases/20260412-000123");
  EXPECT_NE(CreatedCaseResponse(results[1], data).body.find(R"("road_chief":{"name":"",)"),
            std::string::npos);
  const std::string bare = CreatedCaseResponse(results[2], data).body;
  EXPECT_NE(bare.find(R"("location":{"lon":0E0,"lat":-0E0,)"), std::string::npos);
  EXPECT_NE(bare.find(R"("road_chief":null},)"), std::string::npos);
  EXPECT_NE(bare.find(R"("category_name":"",)"), std::string::npos);
  EXPECT_NE(bare.find(R"("unit_name":"",)"), std::string::npos);
  EXPECT_NE(bare.find(R"("stage_started":null,"stage_deadline":null,"handle_deadline":null,)"),
            std::string::npos);
  EXPECT_NE(bare.find(R"("reporter":{"name":"","phone":""},"photos":[],"routing":)"),
            std::string::npos);
  EXPECT_NE(bare.find(R"("reason":"none")"), std::string::npos);
  EXPECT_TRUE(bare.ends_with(R"("duplicates":[]})")) << bare;
}

// Events of every shape: with and without an action, photos, and payloads that Boost.JSON
// writes differently from the stored canonical text (doubles, escapes), an empty payload, one
// that does not parse and one that is not an object.
std::vector<CaseEvent> History() {
  std::vector<CaseEvent> events(7);
  events[0].version = 1;
  events[0].actor = {"public", Role::kSystem, ""};
  events[0].at = At(1775960000001);
  events[0].payload_json =
      R"({"category":"01001","channel":"video_ai","lat":34.7,"lon":113.62345678901234,)"
      R"("tiny":1e-7,"zero":-0.0,"n":12,"big":18446744073709551615,"list":[1.5,"x",null],)"
      R"("text":"\u00e9\"q\"\\ \u0001 中文"})";
  events[1].version = 2;
  events[1].type = EventType::kAction;
  events[1].action = Action::kDispatch;
  events[1].actor = {"dispatcher \"1\"", Role::kDispatcher, ""};
  events[1].at = At(1775962000000);
  events[1].note = "请处理\n\t\"尽快\"\\";
  events[1].payload_json = R"({"unit":"410102002"})";
  events[2].version = 3;
  events[2].type = EventType::kPhotoAdded;
  events[2].actor = {"handler", Role::kHandler, "410102002"};
  events[2].at = At(1775963000500);
  events[2].photos = {std::string(64, 'e'), std::string(64, 'f')};
  events[2].payload_json = "";
  events[3].version = 4;
  events[3].type = EventType::kOverdue;
  events[3].at = At(1775964000000);
  events[3].payload_json = "{}";
  events[4].version = 5;
  events[4].type = EventType::kAction;
  events[4].action = Action::kComment;
  events[4].at = At(1775965000000);
  events[4].payload_json = "{not json";
  events[5].version = 6;
  events[5].at = At(1775966000000);
  events[5].payload_json = "[1, 2.5e3, {\"a\" : true}]";
  events[6].version = 7;
  events[6].at = At(1775967000000);
  events[6].payload_json = R"({"a":1,"a":2, "b" : { } })";
  return events;
}

TEST(CaseJsonTest, DetailHeadIsByteForByteTheBoostJsonDocument) {
  const service::ReferenceData data = Data();
  service::CaseDetail full{FullCase(), History(), {Action::kFeedback}, FullNames()};
  service::CaseDetail bare{BareCase(), {}, {}, {}};
  for (const service::CaseDetail* detail : {&full, &bare}) {
    for (const char* key : {"history", "events"}) {
      EXPECT_EQ(CaseDetailJsonHead(*detail, data, key), DetailHeadDocument(data, *detail, key));
    }
  }
  // Spot checks of what the comparison covers.
  const std::string head = CaseDetailJsonHead(full, data, "history");
  EXPECT_NE(head.find(R"(,"photos":[],"payload":{}})"), std::string::npos);
  EXPECT_NE(head.find(R"("lat":3.47E1,"lon":1.1362345678901234E2,"tiny":1E-7,"zero":-0E0,)"),
            std::string::npos);
  EXPECT_NE(head.find(R"("text":"é\"q\"\\ \u0001 中文")"), std::string::npos);
  EXPECT_NE(head.find(R"("payload":[1,2.5E3,{"a":true}])"), std::string::npos);
  EXPECT_NE(head.find(R"("action":"dispatch","actor":{"user":"dispatcher \"1\"",)"),
            std::string::npos);
  EXPECT_EQ(head.back(), ']');
  EXPECT_TRUE(CaseDetailJsonHead(bare, data, "events").ends_with(R"("photos":[],"events":[])"));
}

TEST(CaseJsonTest, ListAndPhotoAnswersAreByteForByteTheBoostJsonResponses) {
  const service::ReferenceData data = Data();
  storage::CasePage page;
  std::vector<service::LocationNames> names;
  ExpectSameResponse(CaseListResponse(page, names, data), ListResponseDocument(data, page, names));
  EXPECT_EQ(CaseListResponse(page, names, data).body, R"({"count":0,"cases":[],"next_cursor":""})");
  page.cases = {FullCase(), BareCase(), FullCase()};
  names = {FullNames(), {}, {}};
  page.next_cursor = "opaque \"cursor\"";
  ExpectSameResponse(CaseListResponse(page, names, data), ListResponseDocument(data, page, names));

  service::CaseDetail detail{FullCase(), History(), {}, FullNames()};
  for (const std::vector<std::string>& hashes :
       {std::vector<std::string>{}, std::vector<std::string>{std::string(64, '0')},
        std::vector<std::string>{std::string(64, '1'), "x\"y\\z"}}) {
    ExpectSameResponse(PhotosAddedResponse(hashes, detail, data),
                       PhotosResponseDocument(data, hashes, detail));
  }
}

}  // namespace
}  // namespace citygrid::http
