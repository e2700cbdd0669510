#pragma once

// The JSON bodies of GET /api/v1/evaluation and of the weights, written straight into one string
// (private to src/http). The table for group_by=grid has about 4,900 rows of some 40 members each;
// building a Boost.JSON document of it first cost more than the table itself. The bytes are those
// Boost.JSON's serializer writes for the same document (tests/http/evaluation_json_test.cc
// compares the two), so clients see no change.

#include <string>

#include "citygrid/service/evaluation_service.h"

namespace citygrid::http {

// {"weights":{"on_time_close_rate":4E1,...},"version":3}: GET/PUT /api/v1/evaluation/weights.
std::string EvaluationWeightsJson(const service::EvaluationWeights& weights);

// {"from","to","previous":{"from","to"},"last_year":{"from","to"},"weights":{"weights":{..},
// "version"},"tables":[{"group_by","rows":[..],"total":{..}}]}; a rate, hour figure or score is
// rounded to 2 decimals and null when undefined; a row's rank is null when it has none. The
// total has no score members. docs/evaluation.md and docs/openapi.json describe the members.
std::string EvaluationReportJson(const service::EvaluationReport& report);

}  // namespace citygrid::http
