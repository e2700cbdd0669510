#pragma once

// The meaning of a CaseQuery, written once as plain C++ so every backend (SQLite, PostgreSQL,
// the in-memory fake) and the conformance suite agree on it:
//
//  - states: c.state is one of them (empty = any); category, unit: exact match on c.category,
//    c.unit; district/subdistrict/community/grid: exact match on c.location's *_code;
//    channel: c.channel.
//  - created_from <= c.created_at < created_to.
//  - overdue: c.overdue equals it. deadline_before: c.stage_deadline is set and earlier.
//  - bbox: min_lon <= lon <= max_lon and min_lat <= lat <= max_lat (inclusive).
//  - text: a bytewise, case-sensitive substring of c.description or c.location.address.
//  - order: by the sort key, then by id, both in the sort's direction: kCreatedDesc
//    (created_at, descending), kCreatedAsc (created_at, ascending), kDeadlineAsc
//    (stage_deadline ascending, cases without one last), kUpdatedDesc (updated_at, descending).
//  - keyset pagination: a cursor holds the (sort key, id) of the last case of a page; the next
//    page holds the cases strictly after it in the order. Rows inserted while a client pages
//    never cause duplicates or gaps among the rows that were there (a row whose sort key
//    changes may of course move across the cursor).
//
// Backends translate this to SQL; MatchesCaseQuery/SortsBefore are the executable reference.

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "citygrid/common/status.h"
#include "citygrid/storage/store.h"

namespace citygrid::storage {

inline constexpr int kMaxCaseQueryLimit = 1000;
// The sort key of a case without a stage deadline under kDeadlineAsc (sorts last).
inline constexpr int64_t kNoDeadlineSortKey = std::numeric_limits<int64_t>::max();

// The position of a case in a sort order.
struct CaseSortKey {
  int64_t key = 0;  // Unix milliseconds of the sorted field (kNoDeadlineSortKey for none)
  int64_t id = 0;

  friend bool operator==(const CaseSortKey&, const CaseSortKey&) = default;
};

// kInvalidArgument naming the problem: limit outside 1..1000, created_from >= created_to,
// an inverted bbox, or a cursor that does not decode for query.sort.
Status ValidateCaseQuery(const CaseQuery& query);

// Whether `c` passes every filter of `query` (cursor, sort and limit ignored).
bool MatchesCaseQuery(const Case& c, const CaseQuery& query);

// Whether the sort is descending (kCreatedDesc, kUpdatedDesc).
bool IsDescending(CaseSort sort);
std::string_view Name(CaseSort sort);  // "created_desc", "created_asc", ...

CaseSortKey SortKeyOf(const Case& c, CaseSort sort);

// Whether `a` comes strictly before `b` in `sort`'s order.
bool SortsBefore(const CaseSortKey& a, const CaseSortKey& b, CaseSort sort);

// The opaque cursor text for "after `last`" ("v1.created_desc.1586650000000.42").
std::string EncodeCaseCursor(CaseSort sort, const CaseSortKey& last);
// Decodes a cursor made by EncodeCaseCursor for the same sort; kInvalidArgument otherwise.
Result<CaseSortKey> DecodeCaseCursor(std::string_view cursor, CaseSort sort);

}  // namespace citygrid::storage
