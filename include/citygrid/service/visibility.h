#pragma once

// Who may see which case, and what of the reporter they see.
//
// Visibility: a handler (处置人员) sees only the cases assigned to its own unit (Case::unit, set
// by dispatch); a case routed to its unit but not yet dispatched is not yet its business, and a
// case returned (回退) leaves its view. Every other role sees every case. Callers answer an
// invisible case with kNotFound, exactly as for a missing one, so units cannot probe numbers.
//
// Reporter privacy: operators (受理员, who call reporters back), dispatchers, admins and the
// system see the reporter's name and phone; inspectors, handlers and leaders see them masked:
// "张三" → "张*", "13812341234" → "138****1234" (any phone: first 3 and last 4 characters kept,
// shorter ones fully starred).
//
// Pure functions; thread-safe.

#include <string>
#include <string_view>

#include "citygrid/domain/case.h"

namespace citygrid::service {

bool MayView(const Actor& viewer, const Case& c);
bool SeesReporter(Role role);

std::string MaskName(std::string_view name);    // first UTF-8 character, then one '*'
std::string MaskPhone(std::string_view phone);  // "138****1234"

// `c` with its reporter masked when `role` may not see it.
Case MaskCase(Case c, Role role);
// `event` with the reporter inside a kCreated payload masked when `role` may not see it.
CaseEvent MaskEvent(CaseEvent event, Role role);

}  // namespace citygrid::service
