#include "citygrid/storage/case_codec.h"

#include <charconv>
#include <optional>
#include <unordered_map>

namespace citygrid::storage {
namespace {

constexpr std::string_view kCaseMagic = "case-v1";

void PutField(std::string& out, std::string_view bytes) {
  out += std::to_string(bytes.size());
  out += ':';
  out.append(bytes.data(), bytes.size());
  out += ',';
}

// Reads one netstring from the front of `in`; false when malformed.
bool TakeField(std::string_view& in, std::string_view& field) {
  size_t colon = in.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 10) return false;
  size_t len = 0;
  auto [ptr, ec] = std::from_chars(in.data(), in.data() + colon, len);
  if (ec != std::errc() || ptr != in.data() + colon) return false;
  if (in.size() < colon + 1 + len + 1 || in[colon + 1 + len] != ',') return false;
  field = in.substr(colon + 1, len);
  in.remove_prefix(colon + 1 + len + 1);
  return true;
}

class CaseWriter {
 public:
  CaseWriter() { PutField(out_, kCaseMagic); }
  void Str(std::string_view name, std::string_view value) {
    if (value.empty()) return;
    PutField(out_, name);
    PutField(out_, value);
  }
  void Int(std::string_view name, int64_t value) {
    if (value != 0) Str(name, std::to_string(value));
  }
  void Bool(std::string_view name, bool value) {
    if (value) Str(name, "1");
  }
  void Double(std::string_view name, double value) {
    if (value == 0) return;
    char buf[64];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, value);
    Str(name, std::string_view(buf, ptr - buf));
  }
  void Time(std::string_view name, Timestamp t) {
    PutField(out_, name);
    PutField(out_, std::to_string(ToUnixMillis(t)));
  }
  void Time(std::string_view name, const std::optional<Timestamp>& t) {
    if (t) Time(name, *t);
  }
  void Enum(std::string_view name, std::string_view value) {
    PutField(out_, name);
    PutField(out_, value);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

bool ParseInt(std::string_view text, int64_t& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
}

}  // namespace

std::string EncodeCase(const Case& c) {
  CaseWriter w;
  w.Int("id", c.id);
  w.Str("number", c.number);
  w.Int("version", c.version);
  w.Enum("state", Name(c.state));
  w.Enum("channel", Name(c.channel));
  w.Str("category", c.category);
  w.Str("description", c.description);
  w.Double("lon", c.location.lon);
  w.Double("lat", c.location.lat);
  w.Str("address", c.location.address);
  w.Str("district", c.location.district_code);
  w.Str("subdistrict", c.location.subdistrict_code);
  w.Str("community", c.location.community_code);
  w.Str("grid", c.location.grid_code);
  w.Str("road", c.location.road_id);
  w.Str("reporter_name", c.reporter.name);
  w.Str("reporter_phone", c.reporter.phone);
  for (const std::string& p : c.photos) w.Enum("photo", p);  // kept even when empty
  w.Str("suggested_unit", c.suggested_unit);
  w.Str("unit", c.unit);
  w.Enum("stage", Name(c.stage));
  w.Time("stage_started", c.stage_started);
  w.Time("stage_deadline", c.stage_deadline);
  w.Time("handle_deadline", c.handle_deadline);
  w.Bool("overdue", c.overdue);
  w.Bool("handle_overdue", c.handle_overdue);
  w.Int("rework_count", c.rework_count);
  w.Int("return_count", c.return_count);
  w.Int("supervise_count", c.supervise_count);
  w.Time("postpone_requested_until", c.postpone_requested_until);
  w.Str("merged_into", c.merged_into);
  w.Time("created_at", c.created_at);
  w.Time("updated_at", c.updated_at);
  w.Time("registered_at", c.registered_at);
  w.Time("dispatched_at", c.dispatched_at);
  w.Time("handled_at", c.handled_at);
  w.Time("closed_at", c.closed_at);
  w.Str("idempotency_key", c.idempotency_key);
  return w.Take();
}

namespace {

enum class Field {
  kId, kNumber, kVersion, kState, kChannel, kCategory, kDescription, kLon, kLat, kAddress,
  kDistrict, kSubdistrict, kCommunity, kGrid, kRoad, kReporterName, kReporterPhone, kPhoto,
  kSuggestedUnit, kUnit, kStage, kStageStarted, kStageDeadline, kHandleDeadline, kOverdue,
  kHandleOverdue, kReworkCount, kReturnCount, kSuperviseCount, kPostponeRequestedUntil,
  kMergedInto, kCreatedAt, kUpdatedAt, kRegisteredAt, kDispatchedAt, kHandledAt, kClosedAt,
  kIdempotencyKey,
};

const std::unordered_map<std::string_view, Field>& FieldsByName() {
  static const auto* fields = new std::unordered_map<std::string_view, Field>{
      {"id", Field::kId},
      {"number", Field::kNumber},
      {"version", Field::kVersion},
      {"state", Field::kState},
      {"channel", Field::kChannel},
      {"category", Field::kCategory},
      {"description", Field::kDescription},
      {"lon", Field::kLon},
      {"lat", Field::kLat},
      {"address", Field::kAddress},
      {"district", Field::kDistrict},
      {"subdistrict", Field::kSubdistrict},
      {"community", Field::kCommunity},
      {"grid", Field::kGrid},
      {"road", Field::kRoad},
      {"reporter_name", Field::kReporterName},
      {"reporter_phone", Field::kReporterPhone},
      {"photo", Field::kPhoto},
      {"suggested_unit", Field::kSuggestedUnit},
      {"unit", Field::kUnit},
      {"stage", Field::kStage},
      {"stage_started", Field::kStageStarted},
      {"stage_deadline", Field::kStageDeadline},
      {"handle_deadline", Field::kHandleDeadline},
      {"overdue", Field::kOverdue},
      {"handle_overdue", Field::kHandleOverdue},
      {"rework_count", Field::kReworkCount},
      {"return_count", Field::kReturnCount},
      {"supervise_count", Field::kSuperviseCount},
      {"postpone_requested_until", Field::kPostponeRequestedUntil},
      {"merged_into", Field::kMergedInto},
      {"created_at", Field::kCreatedAt},
      {"updated_at", Field::kUpdatedAt},
      {"registered_at", Field::kRegisteredAt},
      {"dispatched_at", Field::kDispatchedAt},
      {"handled_at", Field::kHandledAt},
      {"closed_at", Field::kClosedAt},
      {"idempotency_key", Field::kIdempotencyKey},
  };
  return *fields;
}

bool SetField(Case& c, Field f, std::string_view v) {
  auto str = [&](std::string& dst) {
    dst = v;
    return true;
  };
  auto int64 = [&](int64_t& dst) { return ParseInt(v, dst); };
  auto int32 = [&](int& dst) {
    int64_t x;
    if (!ParseInt(v, x)) return false;
    dst = static_cast<int>(x);
    return true;
  };
  auto dbl = [&](double& dst) {
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), dst);
    return ec == std::errc() && ptr == v.data() + v.size();
  };
  auto boolean = [&](bool& dst) {
    dst = v == "1";
    return v == "1" || v == "0";
  };
  auto time = [&](Timestamp& dst) {
    int64_t ms;
    if (!ParseInt(v, ms)) return false;
    dst = FromUnixMillis(ms);
    return true;
  };
  auto otime = [&](std::optional<Timestamp>& dst) {
    Timestamp t;
    if (!time(t)) return false;
    dst = t;
    return true;
  };
  auto enumeration = [&](auto& dst, auto parsed) {
    if (!parsed.ok()) return false;
    dst = *parsed;
    return true;
  };
  switch (f) {
    case Field::kId: return int64(c.id);
    case Field::kNumber: return str(c.number);
    case Field::kVersion: return int64(c.version);
    case Field::kState: return enumeration(c.state, ParseCaseState(v));
    case Field::kChannel: return enumeration(c.channel, ParseChannel(v));
    case Field::kCategory: return str(c.category);
    case Field::kDescription: return str(c.description);
    case Field::kLon: return dbl(c.location.lon);
    case Field::kLat: return dbl(c.location.lat);
    case Field::kAddress: return str(c.location.address);
    case Field::kDistrict: return str(c.location.district_code);
    case Field::kSubdistrict: return str(c.location.subdistrict_code);
    case Field::kCommunity: return str(c.location.community_code);
    case Field::kGrid: return str(c.location.grid_code);
    case Field::kRoad: return str(c.location.road_id);
    case Field::kReporterName: return str(c.reporter.name);
    case Field::kReporterPhone: return str(c.reporter.phone);
    case Field::kPhoto: c.photos.emplace_back(v); return true;
    case Field::kSuggestedUnit: return str(c.suggested_unit);
    case Field::kUnit: return str(c.unit);
    case Field::kStage: return enumeration(c.stage, ParseStage(v));
    case Field::kStageStarted: return otime(c.stage_started);
    case Field::kStageDeadline: return otime(c.stage_deadline);
    case Field::kHandleDeadline: return otime(c.handle_deadline);
    case Field::kOverdue: return boolean(c.overdue);
    case Field::kHandleOverdue: return boolean(c.handle_overdue);
    case Field::kReworkCount: return int32(c.rework_count);
    case Field::kReturnCount: return int32(c.return_count);
    case Field::kSuperviseCount: return int32(c.supervise_count);
    case Field::kPostponeRequestedUntil: return otime(c.postpone_requested_until);
    case Field::kMergedInto: return str(c.merged_into);
    case Field::kCreatedAt: return time(c.created_at);
    case Field::kUpdatedAt: return time(c.updated_at);
    case Field::kRegisteredAt: return otime(c.registered_at);
    case Field::kDispatchedAt: return otime(c.dispatched_at);
    case Field::kHandledAt: return otime(c.handled_at);
    case Field::kClosedAt: return otime(c.closed_at);
    case Field::kIdempotencyKey: return str(c.idempotency_key);
  }
  return false;
}

}  // namespace

Result<Case> DecodeCase(std::string_view bytes) {
  std::string_view in = bytes, field;
  if (!TakeField(in, field) || field != kCaseMagic) {
    return InternalError("stored case is not in the case-v1 encoding");
  }
  Case c;
  const auto& fields = FieldsByName();
  while (!in.empty()) {
    std::string_view name, value;
    if (!TakeField(in, name) || !TakeField(in, value)) {
      return InternalError("stored case is truncated or malformed at byte " +
                           std::to_string(bytes.size() - in.size()));
    }
    auto it = fields.find(name);
    if (it == fields.end()) continue;  // a field from a newer citygrid
    if (!SetField(c, it->second, value)) {
      return InternalError("stored case has a bad value for '" + std::string(name) + "': '" +
                           std::string(value.substr(0, 40)) + "'");
    }
  }
  return c;
}

std::string EncodeStringList(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) PutField(out, s);
  return out;
}

Result<std::vector<std::string>> DecodeStringList(std::string_view bytes) {
  std::vector<std::string> out;
  std::string_view in = bytes, field;
  while (!in.empty()) {
    if (!TakeField(in, field)) {
      return InternalError("stored string list is malformed at byte " +
                           std::to_string(bytes.size() - in.size()));
    }
    out.emplace_back(field);
  }
  return out;
}

}  // namespace citygrid::storage
