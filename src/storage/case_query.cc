#include "citygrid/storage/case_query.h"

#include <algorithm>
#include <charconv>

namespace citygrid::storage {
namespace {

bool ParseInt64(std::string_view text, int64_t& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

std::string_view Name(CaseSort sort) {
  switch (sort) {
    case CaseSort::kCreatedDesc:
      return "created_desc";
    case CaseSort::kCreatedAsc:
      return "created_asc";
    case CaseSort::kDeadlineAsc:
      return "deadline_asc";
    case CaseSort::kUpdatedDesc:
      return "updated_desc";
  }
  return "unknown";
}

bool IsDescending(CaseSort sort) {
  return sort == CaseSort::kCreatedDesc || sort == CaseSort::kUpdatedDesc;
}

Status ValidateCaseQuery(const CaseQuery& q) {
  if (q.limit < 1 || q.limit > kMaxCaseQueryLimit) {
    return InvalidArgumentError("limit " + std::to_string(q.limit) + " is outside 1.." +
                                std::to_string(kMaxCaseQueryLimit));
  }
  if (q.created_from && q.created_to && *q.created_from >= *q.created_to) {
    return InvalidArgumentError("created_from " + FormatIso8601(*q.created_from) +
                                " is not before created_to " + FormatIso8601(*q.created_to));
  }
  if (q.bbox && (q.bbox->min_lon > q.bbox->max_lon || q.bbox->min_lat > q.bbox->max_lat)) {
    return InvalidArgumentError("bbox has min > max");
  }
  if (!q.cursor.empty()) {
    CITYGRID_RETURN_IF_ERROR(DecodeCaseCursor(q.cursor, q.sort));
  }
  return OkStatus();
}

bool MatchesCaseQuery(const Case& c, const CaseQuery& q) {
  if (!q.states.empty() && std::find(q.states.begin(), q.states.end(), c.state) == q.states.end())
    return false;
  if (!q.category.empty() && c.category != q.category) return false;
  if (!q.unit.empty() && c.unit != q.unit) return false;
  if (!q.district.empty() && c.location.district_code != q.district) return false;
  if (!q.subdistrict.empty() && c.location.subdistrict_code != q.subdistrict) return false;
  if (!q.community.empty() && c.location.community_code != q.community) return false;
  if (!q.grid.empty() && c.location.grid_code != q.grid) return false;
  if (q.channel && c.channel != *q.channel) return false;
  if (q.created_from && c.created_at < *q.created_from) return false;
  if (q.created_to && c.created_at >= *q.created_to) return false;
  if (q.overdue && c.overdue != *q.overdue) return false;
  if (q.deadline_before && !(c.stage_deadline && *c.stage_deadline < *q.deadline_before))
    return false;
  if (q.bbox && !(q.bbox->min_lon <= c.location.lon && c.location.lon <= q.bbox->max_lon &&
                  q.bbox->min_lat <= c.location.lat && c.location.lat <= q.bbox->max_lat))
    return false;
  if (!q.text.empty() && c.description.find(q.text) == std::string::npos &&
      c.location.address.find(q.text) == std::string::npos)
    return false;
  return true;
}

CaseSortKey SortKeyOf(const Case& c, CaseSort sort) {
  switch (sort) {
    case CaseSort::kCreatedDesc:
    case CaseSort::kCreatedAsc:
      return {ToUnixMillis(c.created_at), c.id};
    case CaseSort::kDeadlineAsc:
      return {c.stage_deadline ? ToUnixMillis(*c.stage_deadline) : kNoDeadlineSortKey, c.id};
    case CaseSort::kUpdatedDesc:
      return {ToUnixMillis(c.updated_at), c.id};
  }
  return {0, c.id};
}

bool SortsBefore(const CaseSortKey& a, const CaseSortKey& b, CaseSort sort) {
  if (IsDescending(sort)) return a.key != b.key ? a.key > b.key : a.id > b.id;
  return a.key != b.key ? a.key < b.key : a.id < b.id;
}

std::string EncodeCaseCursor(CaseSort sort, const CaseSortKey& last) {
  return "v1." + std::string(Name(sort)) + "." + std::to_string(last.key) + "." +
         std::to_string(last.id);
}

Result<CaseSortKey> DecodeCaseCursor(std::string_view cursor, CaseSort sort) {
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError("bad cursor '" + std::string(cursor.substr(0, 80)) + "': " + why);
  };
  std::string prefix = "v1." + std::string(Name(sort)) + ".";
  if (cursor.substr(0, 3) != "v1.") return bad("not a case cursor");
  if (cursor.substr(0, prefix.size()) != prefix) {
    return bad("made for another sort order than " + std::string(Name(sort)));
  }
  std::string_view rest = cursor.substr(prefix.size());
  size_t dot = rest.find('.');
  CaseSortKey key;
  if (dot == std::string_view::npos || !ParseInt64(rest.substr(0, dot), key.key) ||
      !ParseInt64(rest.substr(dot + 1), key.id)) {
    return bad("expected <key>.<id>");
  }
  return key;
}

}  // namespace citygrid::storage
