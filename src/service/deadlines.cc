#include "citygrid/service/deadlines.h"

namespace citygrid::service {

Result<std::optional<Timestamp>> StageDeadline(const ReferenceData& data, std::string_view category,
                                               std::string_view condition, Stage stage,
                                               Timestamp start) {
  if (stage == Stage::kNone) return std::optional<Timestamp>();
  CITYGRID_ASSIGN_OR_RETURN(const DeadlineRow* row,
                            data.categories->SelectDeadline(category, condition));
  std::optional<WorkDuration> duration = row->For(stage);
  if (!duration) return std::optional<Timestamp>();
  return std::optional<Timestamp>(data.calendar->Deadline(start, *duration));
}

}  // namespace citygrid::service
