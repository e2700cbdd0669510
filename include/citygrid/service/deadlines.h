#pragma once

// Stage deadlines (各阶段时限): the deadline row of a category (DeadlineRow, picked by condition)
// applied to the work calendar. Pure; thread-safe.

#include <optional>
#include <string_view>

#include "citygrid/common/status.h"
#include "citygrid/common/time.h"
#include "citygrid/domain/case.h"
#include "citygrid/service/reference_data.h"

namespace citygrid::service {

// The deadline of `stage` for a case of `category` that enters the stage at `start`, using the
// category's deadline row for `condition` ("" = the default, first row) and data.calendar.
// nullopt for Stage::kNone (no clock runs). kNotFound naming the category or condition when
// unknown.
Result<std::optional<Timestamp>> StageDeadline(const ReferenceData& data, std::string_view category,
                                               std::string_view condition, Stage stage,
                                               Timestamp start);

}  // namespace citygrid::service
