#include "pg_codec.h"

#include "citygrid/storage/case_codec.h"
#include "citygrid/storage/case_query.h"

namespace citygrid::storage::postgres {

const char* const kCaseRowColumns[] = {
    "version",  "state",   "channel",     "category",    "unit",       "district",
    "subdistrict", "community", "grid",   "lon",         "lat",        "description",
    "address",  "created_at", "updated_at", "deadline_key", "overdue", "body"};
const int kCaseRowColumnCount = std::size(kCaseRowColumns);
const char* const kCaseRowColumnTypes[] = {
    "bigint", "text", "text",   "text",   "text",   "text",   "text", "text",  "text",
    "float8", "float8", "text", "text",   "bigint", "bigint", "bigint", "bool", "bytea"};
static_assert(std::size(kCaseRowColumns) == std::size(kCaseRowColumnTypes));

void AddCaseRow(PgParams& p, const Case& c) {
  p.Add(c.version)
      .Add(Name(c.state))
      .Add(Name(c.channel))
      .Add(c.category)
      .Add(c.unit)
      .Add(c.location.district_code)
      .Add(c.location.subdistrict_code)
      .Add(c.location.community_code)
      .Add(c.location.grid_code)
      .Add(c.location.lon)
      .Add(c.location.lat)
      .Add(c.description)
      .Add(c.location.address)
      .Add(ToUnixMillis(c.created_at))
      .Add(ToUnixMillis(c.updated_at))
      .Add(SortKeyOf(c, CaseSort::kDeadlineAsc).key)
      .Add(c.overdue)
      .Add(ByteaLiteral(EncodeCase(c)));
}

Result<Case> DecodeCaseRow(const PgResult& r, int row, int f) {
  const int64_t id = r.Int(row, f);
  auto corrupt = [&](const Status& s) {
    return InternalError("case id " + std::to_string(id) + ": " + s.message());
  };
  Result<std::string> body = ParseBytea(r.Text(row, f + 4));
  if (!body.ok()) return corrupt(body.status());
  Result<Case> c = DecodeCase(*body);
  if (!c.ok()) return corrupt(c.status());
  c->id = id;
  c->number = r.String(row, f + 1);
  c->version = r.Int(row, f + 2);
  c->idempotency_key = r.String(row, f + 3);
  return c;
}

Result<CaseEvent> DecodeEvent(const PgResult& r, int row, int f) {
  CaseEvent e;
  e.global_seq = r.Int(row, f + 0);
  e.case_id = r.Int(row, f + 1);
  e.version = r.Int(row, f + 2);
  auto corrupt = [&](const Status& s) {
    return InternalError("event seq " + std::to_string(e.global_seq) + ": " + s.message());
  };
  auto type = ParseEventType(r.Text(row, f + 3));
  if (!type.ok()) return corrupt(type.status());
  e.type = *type;
  if (!r.Text(row, f + 4).empty()) {
    auto action = ParseAction(r.Text(row, f + 4));
    if (!action.ok()) return corrupt(action.status());
    e.action = *action;
  }
  e.actor.user = r.String(row, f + 5);
  auto role = ParseRole(r.Text(row, f + 6));
  if (!role.ok()) return corrupt(role.status());
  e.actor.role = *role;
  e.actor.unit = r.String(row, f + 7);
  e.at = FromUnixMillis(r.Int(row, f + 8));
  e.note = r.String(row, f + 9);
  Result<std::string> photo_bytes = ParseBytea(r.Text(row, f + 10));
  if (!photo_bytes.ok()) return corrupt(photo_bytes.status());
  auto photos = DecodeStringList(*photo_bytes);
  if (!photos.ok()) return corrupt(photos.status());
  e.photos = std::move(photos).value();
  e.payload_json = r.String(row, f + 11);
  e.prev_hash = r.String(row, f + 12);
  e.hash = r.String(row, f + 13);
  return e;
}

std::string ByteaLiteral(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 + 2 * bytes.size());
  out += "\\x";
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

Result<std::string> ParseBytea(std::string_view text) {
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0) {
    return InternalError("a BYTEA value is not in hex format (bytea_output must be 'hex')");
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 2 - 1);
  for (size_t i = 2; i < text.size(); i += 2) {
    int hi = nibble(text[i]), lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return InternalError("a BYTEA value has a non-hex digit");
    out += static_cast<char>(hi << 4 | lo);
  }
  return out;
}

}  // namespace citygrid::storage::postgres
