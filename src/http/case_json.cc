#include "src/http/case_json.h"

#include <boost/json.hpp>
#include <optional>
#include <vector>

#include "citygrid/common/json_text.h"
#include "citygrid/common/time.h"
#include "citygrid/domain/category.h"
#include "src/http/json_number.h"

namespace citygrid::http {
namespace {

void AppendBool(std::string& out, bool v) { out += v ? "true" : "false"; }

void AppendTime(std::string& out, Timestamp t) { AppendJsonString(out, FormatIso8601(t)); }

void AppendOptionalTime(std::string& out, const std::optional<Timestamp>& t) {
  if (t) {
    AppendTime(out, *t);
  } else {
    out += "null";
  }
}

void AppendStringArray(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonString(out, items[i]);
  }
  out += ']';
}

// The road chief (路长) object, or null when the road has none.
void AppendRoadChief(std::string& out, const geo::RoadChief& chief) {
  if (chief.name.empty() && chief.phone.empty()) {
    out += "null";
    return;
  }
  out += "{\"name\":";
  AppendJsonString(out, chief.name);
  out += ",\"phone\":";
  AppendJsonString(out, chief.phone);
  out += '}';
}

void AppendLocation(std::string& out, const CaseLocation& loc,
                    const service::LocationNames& names) {
  out += "{\"lon\":";
  AppendJsonDouble(out, loc.lon);
  out += ",\"lat\":";
  AppendJsonDouble(out, loc.lat);
  out += ",\"address\":";
  AppendJsonString(out, loc.address);
  out += ",\"district\":";
  AppendJsonString(out, loc.district_code);
  out += ",\"district_name\":";
  AppendJsonString(out, names.district);
  out += ",\"subdistrict\":";
  AppendJsonString(out, loc.subdistrict_code);
  out += ",\"subdistrict_name\":";
  AppendJsonString(out, names.subdistrict);
  out += ",\"community\":";
  AppendJsonString(out, loc.community_code);
  out += ",\"community_name\":";
  AppendJsonString(out, names.community);
  out += ",\"grid\":";
  AppendJsonString(out, loc.grid_code);
  out += ",\"road\":";
  AppendJsonString(out, loc.road_id);
  out += ",\"road_name\":";
  AppendJsonString(out, names.road);
  out += ",\"road_chief\":";
  AppendRoadChief(out, names.road_chief);
  out += '}';
}

// The members from "suggested_unit" to "counters": who handles the case and how its deadlines
// stand.
void AppendHandling(std::string& out, const Case& c, const service::ReferenceData& data) {
  out += ",\"suggested_unit\":";
  AppendJsonString(out, c.suggested_unit);
  out += ",\"unit\":";
  AppendJsonString(out, c.unit);
  out += ",\"unit_name\":";
  const service::Unit* unit = data.FindUnit(c.unit);
  AppendJsonString(out, unit ? std::string_view(unit->name) : std::string_view());
  out += ",\"stage\":";
  AppendJsonString(out, Name(c.stage));
  out += ",\"stage_started\":";
  AppendOptionalTime(out, c.stage_started);
  out += ",\"stage_deadline\":";
  AppendOptionalTime(out, c.stage_deadline);
  out += ",\"handle_deadline\":";
  AppendOptionalTime(out, c.handle_deadline);
  out += ",\"overdue\":";
  AppendBool(out, c.overdue);
  out += ",\"handle_overdue\":";
  AppendBool(out, c.handle_overdue);
  out += ",\"counters\":{\"rework\":";
  AppendJsonInteger(out, c.rework_count);
  out += ",\"return\":";
  AppendJsonInteger(out, c.return_count);
  out += ",\"supervise\":";
  AppendJsonInteger(out, c.supervise_count);
  out += '}';
}

// The members from "postpone_requested_until" to "closed_at".
void AppendTimeline(std::string& out, const Case& c) {
  out += ",\"postpone_requested_until\":";
  AppendOptionalTime(out, c.postpone_requested_until);
  out += ",\"merged_into\":";
  AppendJsonString(out, c.merged_into);
  out += ",\"created_at\":";
  AppendTime(out, c.created_at);
  out += ",\"updated_at\":";
  AppendTime(out, c.updated_at);
  out += ",\"registered_at\":";
  AppendOptionalTime(out, c.registered_at);
  out += ",\"dispatched_at\":";
  AppendOptionalTime(out, c.dispatched_at);
  out += ",\"handled_at\":";
  AppendOptionalTime(out, c.handled_at);
  out += ",\"closed_at\":";
  AppendOptionalTime(out, c.closed_at);
}

void AppendRouting(std::string& out, const service::RoutingDecision& routing) {
  out += "{\"unit\":";
  AppendJsonString(out, routing.unit);
  out += ",\"reason\":";
  AppendJsonString(out, service::Name(routing.reason));
  out += ",\"matched\":";
  AppendJsonString(out, routing.matched);
  out += ",\"explain\":";
  AppendJsonString(out, routing.Explain());
  out += '}';
}

void AppendDuplicates(std::string& out, const std::vector<service::DuplicateCandidate>& dups) {
  out += '[';
  for (size_t i = 0; i < dups.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"number\":";
    AppendJsonString(out, dups[i].number);
    out += ",\"state\":";
    AppendJsonString(out, Name(dups[i].state));
    out += ",\"metres\":";
    AppendJsonDouble(out, dups[i].metres);
    out += ",\"created_at\":";
    AppendTime(out, dups[i].created_at);
    out += '}';
  }
  out += ']';
}

// An event's payload as Boost.JSON writes it after parsing the stored text ({} when that does not
// parse). The stored text is canonical, not Boost.JSON's output (doubles are "113.6", not
// "1.136E2"), so it is parsed and serialized again; only the empty payload is written directly.
void AppendPayload(std::string& out, const std::string& payload_json) {
  if (payload_json.empty() || payload_json == "{}") {
    out += "{}";
    return;
  }
  boost::system::error_code ec;
  boost::json::value payload = boost::json::parse(payload_json, ec);
  if (ec) {
    out += "{}";
    return;
  }
  out += boost::json::serialize(payload);
}

void AppendEvent(std::string& out, const CaseEvent& e) {
  out += "{\"version\":";
  AppendJsonInteger(out, e.version);
  out += ",\"type\":";
  AppendJsonString(out, Name(e.type));
  out += ",\"action\":";
  if (e.action) {
    AppendJsonString(out, Name(*e.action));
  } else {
    out += "null";
  }
  out += ",\"actor\":{\"user\":";
  AppendJsonString(out, e.actor.user);
  out += ",\"role\":";
  AppendJsonString(out, Name(e.actor.role));
  out += ",\"unit\":";
  AppendJsonString(out, e.actor.unit);
  out += "},\"at\":";
  AppendTime(out, e.at);
  out += ",\"note\":";
  AppendJsonString(out, e.note);
  out += ",\"photos\":";
  AppendStringArray(out, e.photos);
  out += ",\"payload\":";
  AppendPayload(out, e.payload_json);
  out += '}';
}

// The case object (see the header) without its closing '}', so that callers can add members.
void AppendCaseMembers(std::string& out, const Case& c, const service::LocationNames& names,
                       const service::ReferenceData& data) {
  out += "{\"number\":";
  AppendJsonString(out, c.number);
  out += ",\"state\":";
  AppendJsonString(out, Name(c.state));
  out += ",\"version\":";
  AppendJsonInteger(out, c.version);
  out += ",\"channel\":";
  AppendJsonString(out, Name(c.channel));
  out += ",\"category\":";
  AppendJsonString(out, c.category);
  out += ",\"category_name\":";
  const Category* category = data.categories->Find(c.category);
  AppendJsonString(out, category ? std::string_view(category->name) : std::string_view());
  out += ",\"description\":";
  AppendJsonString(out, c.description);
  out += ",\"location\":";
  AppendLocation(out, c.location, names);
  AppendHandling(out, c, data);
  AppendTimeline(out, c);
  out += ",\"reporter\":{\"name\":";
  AppendJsonString(out, c.reporter.name);
  out += ",\"phone\":";
  AppendJsonString(out, c.reporter.phone);
  out += "},\"photos\":";
  AppendStringArray(out, c.photos);
}

void AppendCaseJson(std::string& out, const Case& c, const service::LocationNames& names,
                    const service::ReferenceData& data) {
  AppendCaseMembers(out, c, names, data);
  out += '}';
}

}  // namespace

Response CreatedCaseResponse(const service::CreateCaseResult& result,
                             const service::ReferenceData& data) {
  std::string body;
  body.reserve(2048 + result.duplicates.size() * 128);  // room for the case and its routing
  AppendCaseMembers(body, result.record, result.names, data);
  body += ",\"routing\":";
  AppendRouting(body, result.routing);
  body += ",\"duplicates\":";
  AppendDuplicates(body, result.duplicates);
  body += '}';
  // The document this replaced assigned "merged_into" (record.merged_into) a second time here;
  // a Boost.JSON object keeps a re-assigned key where it first was, so it changed no byte.
  Response response = Response::Json(result.created ? 201 : 200, std::move(body));
  response.headers.Set("Location", "/api/v1/cases/" + result.record.number);
  return response;
}

Response CaseListResponse(const storage::CasePage& page,
                          const std::vector<service::LocationNames>& names,
                          const service::ReferenceData& data) {
  std::string body;
  body.reserve(64 + page.cases.size() * 1536);
  body += "{\"count\":";
  AppendJsonInteger(body, static_cast<int64_t>(page.cases.size()));
  body += ",\"cases\":[";
  for (size_t i = 0; i < page.cases.size(); ++i) {
    if (i > 0) body += ',';
    AppendCaseJson(body, page.cases[i], names[i], data);
  }
  body += "],\"next_cursor\":";
  AppendJsonString(body, page.next_cursor);
  body += '}';
  return Response::Json(200, std::move(body));
}

Response PhotosAddedResponse(const std::vector<std::string>& hashes,
                             const service::CaseDetail& detail,
                             const service::ReferenceData& data) {
  std::string body = "{\"photos\":";
  AppendStringArray(body, hashes);
  body += ",\"case\":";
  AppendCaseJson(body, detail.record, detail.names, data);
  body += '}';
  return Response::Json(201, std::move(body));
}

std::string CaseDetailJsonHead(const service::CaseDetail& detail,
                               const service::ReferenceData& data, std::string_view events_key) {
  std::string out;
  out.reserve(2048 + detail.history.size() * 512);
  AppendCaseMembers(out, detail.record, detail.names, data);
  out += ',';
  AppendJsonString(out, events_key);
  out += ":[";
  for (size_t i = 0; i < detail.history.size(); ++i) {
    if (i > 0) out += ',';
    AppendEvent(out, detail.history[i]);
  }
  out += ']';
  return out;
}

}  // namespace citygrid::http
