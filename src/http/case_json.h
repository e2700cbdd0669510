#pragma once

// The bodies of the cases API that carry a case (create, list, read, action, photos), written
// straight into one string (private to src/http). POST /api/v1/cases is the hot path: building
// a Boost.JSON document of the case and serializing it cost about a sixth of the HTTP thread's
// CPU. The bytes are those Boost.JSON's serializer wrote for the documents the handlers built
// before (tests/http/case_json_test.cc compares the two), so clients see no change.

#include <string>
#include <string_view>
#include <vector>

#include "citygrid/domain/case.h"
#include "citygrid/http/response.h"
#include "citygrid/service/case_service.h"
#include "citygrid/service/reference_data.h"
#include "citygrid/storage/store.h"

namespace citygrid::http {

// Each body below holds the case object:
//   {"number","state","version","channel","category","category_name","description",
//    "location":{"lon","lat","address","district","district_name","subdistrict",
//                "subdistrict_name","community","community_name","grid","road","road_name",
//                "road_chief":{"name","phone"} or null},
//    "suggested_unit","unit","unit_name","stage","stage_started","stage_deadline",
//    "handle_deadline","overdue","handle_overdue","counters":{"rework","return","supervise"},
//    "postpone_requested_until","merged_into","created_at","updated_at","registered_at",
//    "dispatched_at","handled_at","closed_at","reporter":{"name","phone"},"photos":[..]}
// Category and unit names come from `data` ("" when unknown); an absent time is null.

// The answer to POST /api/v1/cases: 201 with the new case (200 for an idempotent retry) and
// its Location, the body the case object followed by "routing":{"unit","reason","matched",
// "explain"} and "duplicates":[{"number","state","metres","created_at"}..].
Response CreatedCaseResponse(const service::CreateCaseResult& result,
                             const service::ReferenceData& data);

// The answer to GET /api/v1/cases: 200, {"count","cases":[..],"next_cursor"}; `names[i]` are
// the place names of page.cases[i].
Response CaseListResponse(const storage::CasePage& page,
                          const std::vector<service::LocationNames>& names,
                          const service::ReferenceData& data);

// The answer to POST /api/v1/cases/{number}/photos: 201, {"photos":[the added hashes],"case"}.
Response PhotosAddedResponse(const std::vector<std::string>& hashes,
                             const service::CaseDetail& detail, const service::ReferenceData& data);

// The case object of `detail` with its events as the member `events_key` ("history" for GET
// /api/v1/cases/{number}, "events" after an action), each
// {"version","type","action","actor":{"user","role","unit"},"at","note","photos","payload"},
// without the closing '}': the caller adds "available_actions", which depend on who asks.
std::string CaseDetailJsonHead(const service::CaseDetail& detail,
                               const service::ReferenceData& data, std::string_view events_key);

}  // namespace citygrid::http
