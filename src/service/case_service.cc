#include "citygrid/service/case_service.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include <sodium.h>

#include "citygrid/common/case_number.h"
#include "citygrid/common/image_type.h"
#include "citygrid/common/utf8.h"
#include "citygrid/geo/coordinates.h"
#include "citygrid/service/deadlines.h"
#include "citygrid/service/visibility.h"
#include "citygrid/storage/audit_chain.h"
#include "citygrid/storage/case_query.h"

namespace citygrid::service {
namespace {

constexpr CaseState kOpenStates[] = {
    CaseState::kReported, CaseState::kPending,  CaseState::kRegistered, CaseState::kDispatched,
    CaseState::kHandling, CaseState::kSuspended, CaseState::kChecking,  CaseState::kChecked};

// States whose stage has a clock (StageOf != kNone).
constexpr CaseState kTimedStates[] = {CaseState::kReported,   CaseState::kPending,
                                      CaseState::kRegistered, CaseState::kDispatched,
                                      CaseState::kHandling,   CaseState::kChecking};

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// Decodes base64 (RFC 4648 §4, with or without padding; whitespace ignored) through libsodium.
// kInvalidArgument naming `what` when it is not base64 or decodes to more than `max_bytes`.
Result<std::string> DecodeBase64(std::string_view text, size_t max_bytes, std::string_view what) {
  auto too_big = [&] {
    return InvalidArgumentError(std::string(what) + " is over the limit of " +
                                std::to_string(max_bytes) + " bytes");
  };
  const size_t bound = text.size() / 4 * 3 + 3;  // what the text could decode to, at most
  std::string out(std::min(bound, max_bytes + 1), '\0');
  for (int variant : {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING}) {
    size_t length = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                          text.size(), " \t\r\n", &length, nullptr, variant) == 0) {
      if (length > max_bytes) return too_big();
      out.resize(length);
      return out;
    }
  }
  // Past the buffer (one byte over the limit) libsodium fails as it does for bad text.
  if (bound > max_bytes + 3) return too_big();
  return InvalidArgumentError(std::string(what) + " is not base64 (RFC 4648)");
}

std::string FormatCoordinate(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

Status TooLong(std::string_view field, size_t size, size_t max) {
  return InvalidArgumentError(std::string(field) + " is too long (" + std::to_string(size) +
                              " bytes; at most " + std::to_string(max) + ")");
}

// The key the store keeps for a create: a client's key is its own, so two users sending the same
// key (and even the same body) get two cases, and neither is answered with the other's case.
std::string ScopedIdempotencyKey(const Actor& actor, const std::string& key) {
  if (key.empty() || actor.role == Role::kSystem) return key;
  return "user:" + actor.user + ":" + key;
}

// The store's refusal of a key already used for another request speaks of its rows (the scoped
// key, an internal case id); the client hears what to do instead.
Status ClientFacing(Status s) {
  if (s.code() != StatusCode::kAlreadyExists) return s;
  return AlreadyExistsError(
      "this Idempotency-Key was already used for a different report: a retry must repeat the "
      "first request's body, a new report needs a new key");
}

// Free text may break lines (a description, a note); names and addresses are one line. Other
// control characters (NUL, escape, ...) have no place in either and would reach every export.
Status CheckText(std::string_view field, std::string_view text, bool multi_line) {
  if (!HasControlCharacter(text, multi_line)) return OkStatus();
  return InvalidArgumentError(std::string(field) + " holds a control character" +
                              (multi_line ? " (only tab and line breaks are allowed)" : ""));
}

bool IsMediaHash(std::string_view h) {
  return h.size() == 64 && std::all_of(h.begin(), h.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// A deadline lookup error caused by the caller's condition becomes kInvalidArgument.
Status ConditionError(const Status& s, std::string_view condition) {
  if (s.code() == StatusCode::kNotFound && !condition.empty()) {
    return InvalidArgumentError("condition " + Quoted(condition) + ": " + s.message());
  }
  return s;
}

std::string Fingerprint(const CreateCaseRequest& r) {
  std::string text;
  auto add = [&text](std::string_view s) {
    text += std::to_string(s.size());
    text += ':';
    text += s;
  };
  add(r.channel);
  add(r.category);
  add(r.condition);
  add(r.description);
  // As printf's "%.17g,%.17g" (to_chars with a precision is specified so), without printf's
  // cost: fingerprints stored with earlier keys still match.
  char coordinates[64];
  char* end = std::to_chars(coordinates, coordinates + 30, r.lon, std::chars_format::general, 17).ptr;
  *end++ = ',';
  end = std::to_chars(end, coordinates + sizeof coordinates, r.lat, std::chars_format::general, 17)
            .ptr;
  add(std::string_view(coordinates, static_cast<size_t>(end - coordinates)));
  add(r.crs);
  add(r.address);
  add(r.reporter.name);
  add(r.reporter.phone);
  for (const auto& p : r.photos) add(p);
  // Intake fields count when present (plain requests keep their fingerprints); the token does
  // not: a retry is given a new one and must still match.
  if (!r.intake.attributes.empty() || !r.intake.media_urls.empty() ||
      !r.intake.address_id.empty()) {
    add("intake");
    for (const auto& [code, value] : r.intake.attributes) {
      add(code);
      add(value);
    }
    for (const auto& url : r.intake.media_urls) add(url);
    add(r.intake.address_id);
  }
  if (r.intake.confidence) {
    char confidence[32];
    char* last = std::to_chars(confidence, confidence + sizeof confidence, *r.intake.confidence,
                               std::chars_format::general, 17)
                     .ptr;
    add("confidence");
    add(std::string_view(confidence, static_cast<size_t>(last - confidence)));
  }
  return storage::Sha256Hex(text);
}

const Actor& SystemActor() {
  static const Actor actor{"system", Role::kSystem, ""};
  return actor;
}

}  // namespace

CaseService::CaseService(storage::Store& store, ReferenceDataService& reference, const Clock& clock,
                         CaseServiceOptions options)
    : store_(store), reference_(reference), clock_(clock), options_(options) {}

void CaseService::SetWriteListener(std::function<void(int64_t)> listener) {
  listener_.store(std::make_shared<const std::function<void(int64_t)>>(std::move(listener)));
}

void CaseService::Notify(int64_t last_seq) {
  std::shared_ptr<const std::function<void(int64_t)>> l = listener_.load();
  if (l && *l) (*l)(last_seq);
}

Status CaseService::CheckPhotos(const std::vector<std::string>& photos) const {
  if (photos.size() > options_.max_photos) {
    return InvalidArgumentError("photos: " + std::to_string(photos.size()) + " given, at most " +
                                std::to_string(options_.max_photos));
  }
  for (size_t i = 0; i < photos.size(); ++i) {
    if (!IsMediaHash(photos[i])) {
      return InvalidArgumentError("photos[" + std::to_string(i) + "] " + Quoted(photos[i]) +
                                  " is not a media id (64 lowercase hex digits)");
    }
    Result<std::string> bytes = store_.media().Get(photos[i]);
    if (!bytes.ok()) {
      if (bytes.status().code() == StatusCode::kNotFound) {
        return InvalidArgumentError("photos[" + std::to_string(i) + "] " + photos[i] +
                                    " has not been uploaded");
      }
      return bytes.status();
    }
  }
  return OkStatus();
}

Status CaseService::ValidateCreate(const CreateCaseRequest& r, const std::string& key,
                                   const ReferenceData& data) const {
  if (!ParseChannel(r.channel).ok()) {
    return InvalidArgumentError("unknown channel " + Quoted(r.channel) +
                                " (expected inspector, public, hotline, open311, video_ai, leader "
                                "or media)");
  }
  if (r.category.empty()) return InvalidArgumentError("category is missing");
  if (data.categories->Find(r.category) == nullptr) {
    return InvalidArgumentError("unknown category " + Quoted(r.category));
  }
  if (r.description.empty()) return InvalidArgumentError("description is empty");
  if (r.intake.confidence) {
    if (r.channel != Name(Channel::kVideoAi)) {
      return InvalidArgumentError("confidence is for channel video_ai only, not " +
                                  Quoted(r.channel));
    }
    const double c = *r.intake.confidence;
    if (!std::isfinite(c) || c < 0 || c > 1) {
      return InvalidArgumentError("confidence " + FormatCoordinate(c) + " is out of range [0, 1]");
    }
  }
  const size_t max_description = r.channel == Name(Channel::kOpen311)
                                     ? options_.max_open311_description_bytes
                                     : options_.max_description_bytes;
  if (r.description.size() > max_description) {
    return TooLong("description", r.description.size(), max_description);
  }
  if (!std::isfinite(r.lon) || r.lon < -180 || r.lon > 180) {
    return InvalidArgumentError("lon " + FormatCoordinate(r.lon) + " is out of range [-180, 180]");
  }
  if (!std::isfinite(r.lat) || r.lat < -90 || r.lat > 90) {
    return InvalidArgumentError("lat " + FormatCoordinate(r.lat) + " is out of range [-90, 90]");
  }
  if (!r.crs.empty() && !geo::ParseCrs(r.crs)) {
    return InvalidArgumentError("unknown crs " + Quoted(r.crs) + " (expected wgs84, gcj02 or bd09)");
  }
  if (r.address.size() > options_.max_address_bytes) {
    return TooLong("address", r.address.size(), options_.max_address_bytes);
  }
  if (r.condition.size() > options_.max_condition_bytes) {
    return TooLong("condition", r.condition.size(), options_.max_condition_bytes);
  }
  if (r.reporter.name.size() > options_.max_reporter_name_bytes) {
    return TooLong("reporter.name", r.reporter.name.size(), options_.max_reporter_name_bytes);
  }
  if (r.reporter.phone.size() > options_.max_reporter_phone_bytes) {
    return TooLong("reporter.phone", r.reporter.phone.size(), options_.max_reporter_phone_bytes);
  }
  CITYGRID_RETURN_IF_ERROR(CheckText("description", r.description, true));
  CITYGRID_RETURN_IF_ERROR(CheckText("address", r.address, false));
  CITYGRID_RETURN_IF_ERROR(CheckText("condition", r.condition, false));
  CITYGRID_RETURN_IF_ERROR(CheckText("reporter.name", r.reporter.name, false));
  if (!r.reporter.phone.empty() && !geo::IsPlausiblePhone(r.reporter.phone)) {
    return InvalidArgumentError("reporter.phone " + Quoted(r.reporter.phone) +
                                " is not a phone number");
  }
  if (key.size() > options_.max_idempotency_key_bytes) {
    return TooLong("idempotency key", key.size(), options_.max_idempotency_key_bytes);
  }
  return CheckPhotos(r.photos);
}

LocationNames CaseService::NamesFor(const Case& c) const {
  LocationNames names;
  std::shared_ptr<const ReferenceData> data = reference_.Get();
  if (!data->geography) return names;
  const geo::Geography& g = *data->geography;
  if (g.district.code == c.location.district_code) names.district = g.district.name;
  for (const auto& s : g.subdistricts) {
    if (s.code == c.location.subdistrict_code) names.subdistrict = s.name;
  }
  for (const auto& m : g.communities) {
    if (m.code == c.location.community_code) names.community = m.name;
  }
  if (!c.location.road_id.empty()) {
    for (const auto& r : g.roads) {
      if (r.id == c.location.road_id) {
        names.road = r.name;
        names.road_chief = r.chief;
        break;
      }
    }
  }
  return names;
}

Result<CaseService::PreparedCreate> CaseService::PrepareCreate(
    const Actor& actor, const CreateCaseRequest& request, const std::string& idempotency_key) {
  std::shared_ptr<const ReferenceData> data = reference_.Get();
  CITYGRID_RETURN_IF_ERROR(ValidateCreate(request, idempotency_key, *data));
  if (!data->index) {
    return FailedPreconditionError("no geography is loaded; import the district first");
  }
  Channel channel = *ParseChannel(request.channel);
  CITYGRID_RETURN_IF_ERROR(CheckIntake(actor, channel));
  geo::Crs crs = request.crs.empty() ? geo::Crs::kWgs84 : *geo::ParseCrs(request.crs);
  geo::LonLat wgs84 = geo::Convert({request.lon, request.lat}, crs, geo::Crs::kWgs84);
  LocatedPoint at = LocatePoint(*data, wgs84);
  const std::string& district = data->geography->district.code;
  if (!at.placement.in_district) {
    return InvalidArgumentError("point (" + FormatCoordinate(request.lon) + ", " +
                                FormatCoordinate(request.lat) + ") is outside district " +
                                district);
  }
  RoutingDecision routing = Route(*data, request.category, at);

  Timestamp now = clock_.Now();
  Stage first = StageOf(InitialState(channel));
  Result<std::optional<Timestamp>> deadline =
      StageDeadline(*data, request.category, request.condition, first, now);
  if (!deadline.ok()) return ConditionError(deadline.status(), request.condition);

  Case intake;
  intake.channel = channel;
  intake.category = request.category;
  intake.description = request.description;
  intake.location.lon = wgs84.lon;
  intake.location.lat = wgs84.lat;
  intake.location.address = request.address;
  intake.location.district_code = district;
  intake.location.subdistrict_code = at.subdistrict_code;
  intake.location.community_code = at.community_code;
  intake.location.grid_code = at.grid_code;
  if (at.road_segment != nullptr) intake.location.road_id = at.road_segment->id;
  intake.reporter = request.reporter;
  intake.photos = request.photos;
  intake.suggested_unit = routing.unit;
  intake.idempotency_key = idempotency_key;
  CITYGRID_ASSIGN_OR_RETURN(Case opened, OpenCase(std::move(intake), now, *deadline));

  PreparedCreate prepared;
  prepared.new_case.created = MakeCreatedEvent(opened, actor, "", request.intake);
  prepared.new_case.initial = std::move(opened);
  prepared.new_case.idempotency_key = ScopedIdempotencyKey(actor, idempotency_key);
  prepared.new_case.request_fingerprint = Fingerprint(request);
  prepared.data = std::move(data);
  prepared.actor = actor;
  prepared.channel = channel;
  prepared.wgs84 = wgs84;
  prepared.now = now;
  prepared.routing = std::move(routing);
  return prepared;
}

Result<CreateCaseResult> CaseService::FinishCreate(const PreparedCreate& prepared,
                                                   storage::CreateResult stored) {
  CreateCaseResult result;
  result.created = stored.created;
  result.routing = prepared.routing;
  Case record = std::move(stored.created_case);
  if (stored.created) RecordForDuplicates(record, stored.created_seq);
  CITYGRID_ASSIGN_OR_RETURN(
      result.duplicates,
      FindDuplicates(record.category, prepared.wgs84, record.created_at, record.id));
  if (stored.created) {
    Notify(stored.created_seq);
    if (prepared.channel == Channel::kVideoAi && !result.duplicates.empty()) {
      // Machine reports of a known problem are merged at once (DESIGN.md §2 Duplicates). The
      // case exists already; if the merge loses a race, the report stays open as a duplicate
      // candidate for a person to merge.
      ActionRequest merge;
      merge.action = Action::kMerge;
      merge.actor = SystemActor();
      merge.at = prepared.now;
      merge.params.into = result.duplicates.front().number;
      merge.note = "automatic merge of a video_ai duplicate";
      Case next;
      Result<std::vector<CaseEvent>> merged =
          ApplyAndAppend(*prepared.data, record, merge, "", &next);
      if (merged.ok()) {
        next.number = record.number;
        next.idempotency_key = record.idempotency_key;
        RecordForDuplicates(next, merged->empty() ? 0 : merged->back().global_seq);
        record = std::move(next);
        result.merged_into = merge.params.into;
        Notify(merged->empty() ? 0 : merged->back().global_seq);
      }
    }
  } else if (record.state == CaseState::kMerged) {
    result.merged_into = record.merged_into;
  }
  result.names = NamesFor(record);
  result.record = MaskCase(std::move(record), prepared.actor.role);
  return result;
}

Result<CreateCaseResult> CaseService::Create(const Actor& actor, const CreateCaseRequest& request,
                                             const std::string& idempotency_key) {
  CITYGRID_ASSIGN_OR_RETURN(PreparedCreate prepared,
                            PrepareCreate(actor, request, idempotency_key));
  Result<storage::CreateResult> stored = store_.cases().CreateCase(prepared.new_case);
  if (!stored.ok()) return ClientFacing(stored.status());
  return FinishCreate(prepared, std::move(*stored));
}

void CaseService::SetCompletionExecutor(Executor executor) {
  executor_.store(executor ? std::make_shared<const Executor>(std::move(executor)) : nullptr);
}

void CaseService::CreateAsync(const Actor& actor, const CreateCaseRequest& request,
                              const std::string& idempotency_key,
                              std::function<void(Result<CreateCaseResult>)> done) {
  Result<PreparedCreate> prepared = PrepareCreate(actor, request, idempotency_key);
  if (!prepared.ok()) {
    done(prepared.status());
    return;
  }
  // The store takes the new case; what step 5 needs stays here, shared with the completion.
  storage::NewCase new_case = std::move(prepared->new_case);
  auto kept = std::make_shared<PreparedCreate>(std::move(*prepared));
  store_.cases().CreateCaseAsync(
      std::move(new_case), {},
      [this, kept, done = std::move(done)](Result<storage::CreateResult> stored) mutable {
        auto finish = [this, kept, done = std::move(done),
                       stored = std::move(stored)]() mutable {
          if (!stored.ok()) {
            done(ClientFacing(stored.status()));
            return;
          }
          done(FinishCreate(*kept, std::move(*stored)));
        };
        std::shared_ptr<const Executor> executor = executor_.load();
        if (executor) {
          (*executor)(std::move(finish));
        } else {
          finish();
        }
      });
}

struct CaseService::BatchState {
  Actor actor;
  std::vector<BatchReport> reports;
  std::vector<Result<CreateCaseResult>> results;
  size_t max_snapshot_bytes = 0;
  BatchDone done;
};

void CaseService::CreateBatchAsync(const Actor& actor, std::vector<BatchReport> reports,
                                   size_t max_snapshot_bytes, BatchDone done) {
  if (reports.empty()) {
    done(InvalidArgumentError("reports is empty: a batch has 1 to " +
                              std::to_string(options_.max_batch_reports) + " reports"));
    return;
  }
  if (reports.size() > options_.max_batch_reports) {
    done(InvalidArgumentError("reports has " + std::to_string(reports.size()) +
                              " reports, at most " + std::to_string(options_.max_batch_reports)));
    return;
  }
  auto state = std::make_shared<BatchState>();
  state->actor = actor;
  state->reports = std::move(reports);
  state->results.reserve(state->reports.size());
  state->max_snapshot_bytes = max_snapshot_bytes;
  state->done = std::move(done);
  CreateNextOfBatch(std::move(state));
}

void CaseService::CreateNextOfBatch(std::shared_ptr<BatchState> state) {
  // A report refused before the store is answered at once: loop over those rather than recurse.
  while (state->results.size() < state->reports.size()) {
    const BatchReport& report = state->reports[state->results.size()];
    Result<CreateCaseRequest> request =
        report.problem.ok() ? WithSnapshot(state->actor, report, state->max_snapshot_bytes)
                            : report.problem;
    if (!request.ok()) {
      state->results.push_back(request.status());
      continue;
    }
    CreateAsync(state->actor, *request, report.idempotency_key,
                [this, state](Result<CreateCaseResult> result) mutable {
                  state->results.push_back(std::move(result));
                  CreateNextOfBatch(std::move(state));
                });
    return;
  }
  state->done(std::move(state->results));
}

Result<CreateCaseRequest> CaseService::WithSnapshot(const Actor& actor, const BatchReport& report,
                                                    size_t max_snapshot_bytes) {
  if (report.idempotency_key.empty()) {
    return InvalidArgumentError("idempotency_key is missing: every report of a batch needs one");
  }
  if (report.snapshot_base64.empty()) return report.request;
  // Intake's own checks first, so that a refused report stores no image.
  {
    Result<PreparedCreate> checked = PrepareCreate(actor, report.request, report.idempotency_key);
    if (!checked.ok()) return checked.status();
  }
  std::string_view text = report.snapshot_base64;
  if (text.starts_with("data:")) {
    const size_t comma = text.find(',');
    if (comma == std::string_view::npos ||
        text.substr(0, comma).find(";base64") == std::string_view::npos) {
      return InvalidArgumentError("snapshot: a data URL must be base64 (data:image/...;base64,...)");
    }
    text.remove_prefix(comma + 1);
  }
  CITYGRID_ASSIGN_OR_RETURN(std::string image, DecodeBase64(text, max_snapshot_bytes,
                                                            "snapshot"));
  if (SniffImageType(image).empty()) {
    return InvalidArgumentError("snapshot is not a JPEG, PNG or WebP image");
  }
  CITYGRID_ASSIGN_OR_RETURN(std::string hash, store_.media().Put(image));
  CreateCaseRequest request = report.request;
  request.photos.insert(request.photos.begin(), std::move(hash));
  return request;
}

Status CaseService::EnableDuplicateIndex(EventLogFollower* follower,
                                         DuplicateIndexOptions options) {
  if (duplicates_) return OkStatus();
  auto index = std::make_unique<DuplicateIndex>(store_.cases(), options);
  if (follower != nullptr) {
    CITYGRID_RETURN_IF_ERROR(follower->Subscribe(*index));  // loads it
  } else {
    CITYGRID_RETURN_IF_ERROR(index->Load());
  }
  duplicates_ = std::move(index);
  duplicates_follower_ = follower;
  return OkStatus();
}

void CaseService::StopDuplicateIndex() {
  if (duplicates_ && duplicates_follower_ != nullptr) {
    duplicates_follower_->Unsubscribe(*duplicates_);
    duplicates_follower_ = nullptr;
  }
}

void CaseService::RecordForDuplicates(const Case& c, int64_t seq) {
  if (duplicates_) duplicates_->Record(c, seq);
}

Result<std::vector<DuplicateCandidate>> CaseService::FindDuplicates(const std::string& category,
                                                                    geo::LonLat p, Timestamp at,
                                                                    int64_t exclude_id) {
  if (!duplicates_) return FindDuplicatesInStore(category, p, at, exclude_id);
  std::shared_ptr<const ReferenceData> data = reference_.Get();
  DuplicateSearch search;
  search.category = category;
  search.point = p;
  search.radius_m = data->settings.duplicate_radius_m;
  search.created_from = at - data->settings.duplicate_window;
  search.created_to = at + Duration(1);
  search.exclude_id = exclude_id;
  search.limit = static_cast<size_t>(std::max(options_.max_duplicates, 0));
  return duplicates_->Find(search);
}

Result<std::vector<DuplicateCandidate>> CaseService::FindDuplicatesInStore(
    const std::string& category, geo::LonLat p, Timestamp at, int64_t exclude_id) {
  std::shared_ptr<const ReferenceData> data = reference_.Get();
  const double radius = data->settings.duplicate_radius_m;
  storage::CaseQuery q;
  q.states.assign(std::begin(kOpenStates), std::end(kOpenStates));
  q.category = category;
  q.created_from = at - data->settings.duplicate_window;
  q.created_to = at + Duration(1);
  q.bbox = SearchBox(p, radius);
  q.limit = storage::kMaxCaseQueryLimit;
  std::vector<DuplicateCandidate> out;
  CITYGRID_ASSIGN_OR_RETURN(storage::CasePage page, store_.cases().QueryCases(q));
  for (const Case& c : page.cases) {
    if (c.id == exclude_id) continue;
    double metres = geo::HaversineMetres(p, {c.location.lon, c.location.lat});
    if (metres > radius) continue;
    out.push_back({c.number, c.state, metres, c.created_at});
  }
  SortAndTrimCandidates(out, static_cast<size_t>(std::max(options_.max_duplicates, 0)));
  return out;
}

Result<Case> CaseService::LoadVisible(const Actor& actor, const std::string& number) {
  CITYGRID_RETURN_IF_ERROR(ParseCaseNumber(number));
  Result<Case> c = store_.cases().LoadCaseByNumber(number);
  if (!c.ok()) {
    if (c.status().code() == StatusCode::kNotFound) {
      return NotFoundError("case " + number + " not found");
    }
    return c.status();
  }
  if (!MayView(actor, *c)) return NotFoundError("case " + number + " not found");
  return c;
}

Result<std::vector<CaseEvent>> CaseService::ApplyAndAppend(const ReferenceData& data,
                                                           const Case& current,
                                                           const ActionRequest& request,
                                                           const std::string& condition,
                                                           Case* next) {
  ActionRequest effective = request;
  CITYGRID_ASSIGN_OR_RETURN(Case applied, ApplyAction(current, effective));
  if (EntersNewStage(current, applied) && applied.stage != Stage::kNone) {
    Result<std::optional<Timestamp>> deadline =
        StageDeadline(data, current.category, condition, applied.stage, request.at);
    if (!deadline.ok()) return ConditionError(deadline.status(), condition);
    if (deadline->has_value()) {
      effective.params.deadline = **deadline;
      CITYGRID_ASSIGN_OR_RETURN(applied, ApplyAction(current, effective));
    }
  }
  CaseEvent event = MakeActionEvent(current, effective);
  CITYGRID_ASSIGN_OR_RETURN(std::vector<CaseEvent> stored,
                            store_.cases().Append(current.id, current.version, {event}, applied));
  *next = std::move(applied);
  return stored;
}

Result<CaseDetail> CaseService::Act(const Actor& actor, const std::string& number,
                                    const ActRequest& request) {
  if (request.note.size() > options_.max_note_bytes) {
    return TooLong("note", request.note.size(), options_.max_note_bytes);
  }
  if (request.condition.size() > options_.max_condition_bytes) {
    return TooLong("condition", request.condition.size(), options_.max_condition_bytes);
  }
  CITYGRID_RETURN_IF_ERROR(CheckText("note", request.note, true));
  CITYGRID_RETURN_IF_ERROR(CheckText("condition", request.condition, false));
  CITYGRID_RETURN_IF_ERROR(CheckText("reason", request.params.reason, true));
  CITYGRID_RETURN_IF_ERROR(CheckText("result", request.params.result, true));
  if (request.params.deadline) {
    return InvalidArgumentError("deadline is computed by citygrid and cannot be given");
  }
  std::shared_ptr<const ReferenceData> data = reference_.Get();
  CITYGRID_ASSIGN_OR_RETURN(Case current, LoadVisible(actor, number));
  // Role and state first, so a request gets the most telling error (domain order).
  CITYGRID_RETURN_IF_ERROR(CheckAction(current, actor, request.action));
  if (current.version != request.expected_version) {
    return AbortedError("case " + number + " is at version " + std::to_string(current.version) +
                        ", not " + std::to_string(request.expected_version) +
                        "; reload and try again");
  }
  CITYGRID_RETURN_IF_ERROR(CheckPhotos(request.photos));

  ActionRequest action;
  action.action = request.action;
  action.actor = actor;
  action.at = clock_.Now();
  action.params = request.params;
  action.note = request.note;
  action.photos = request.photos;
  if (request.action == Action::kDispatch) {
    if (action.params.unit.empty()) action.params.unit = current.suggested_unit;
    if (action.params.unit.empty()) {
      return InvalidArgumentError("unit is missing and case " + number + " has no routed unit");
    }
    if (data->FindUnit(action.params.unit) == nullptr) {
      return InvalidArgumentError("unknown unit " + Quoted(action.params.unit));
    }
  }
  if (request.action == Action::kMerge) {
    if (action.params.into.empty()) return InvalidArgumentError("into is missing");
    if (action.params.into == current.number) {
      return InvalidArgumentError("into: case " + number + " cannot be merged into itself");
    }
    if (!ParseCaseNumber(action.params.into).ok()) {
      return InvalidArgumentError("into " + Quoted(action.params.into) + " is not a case number");
    }
    Result<Case> target = store_.cases().LoadCaseByNumber(action.params.into);
    if (!target.ok()) {
      if (target.status().code() == StatusCode::kNotFound) {
        return InvalidArgumentError("into: case " + action.params.into + " does not exist");
      }
      return target.status();
    }
    if (IsTerminal(target->state)) {
      return FailedPreconditionError("into: case " + action.params.into + " is '" +
                                     std::string(Name(target->state)) +
                                     "'; only an open case can take a duplicate");
    }
  }
  CaseDetail detail;
  Case next;
  CITYGRID_ASSIGN_OR_RETURN(detail.history,
                            ApplyAndAppend(*data, current, action, request.condition, &next));
  Notify(detail.history.empty() ? 0 : detail.history.back().global_seq);
  next.number = current.number;
  next.idempotency_key = current.idempotency_key;
  RecordForDuplicates(next, detail.history.empty() ? 0 : detail.history.back().global_seq);
  detail.available_actions = AvailableActions(next, actor);
  detail.names = NamesFor(next);
  for (CaseEvent& e : detail.history) e = MaskEvent(std::move(e), actor.role);
  detail.record = MaskCase(std::move(next), actor.role);
  return detail;
}

Result<CaseDetail> CaseService::AddPhotos(const Actor& actor, const std::string& number,
                                          std::vector<std::string> photos,
                                          const std::string& note) {
  if (photos.empty()) return InvalidArgumentError("photos is empty");
  if (note.size() > options_.max_note_bytes) {
    return TooLong("note", note.size(), options_.max_note_bytes);
  }
  CITYGRID_RETURN_IF_ERROR(CheckText("note", note, true));
  CITYGRID_RETURN_IF_ERROR(CheckPhotos(photos));
  for (int attempt = 0;; ++attempt) {
    CITYGRID_ASSIGN_OR_RETURN(Case current, LoadVisible(actor, number));
    CaseEvent event = MakePhotoAddedEvent(current, actor, clock_.Now(), photos, note);
    CITYGRID_ASSIGN_OR_RETURN(Case next, ApplyEvent(current, event));
    Result<std::vector<CaseEvent>> stored =
        store_.cases().Append(current.id, current.version, {event}, next);
    if (!stored.ok() && stored.status().code() == StatusCode::kAborted && attempt < 5) continue;
    CITYGRID_RETURN_IF_ERROR(stored);
    Notify(stored->empty() ? 0 : stored->back().global_seq);
    CaseDetail detail;
    next.number = current.number;
    next.idempotency_key = current.idempotency_key;
    detail.history = std::move(*stored);
    for (CaseEvent& e : detail.history) e = MaskEvent(std::move(e), actor.role);
    detail.available_actions = AvailableActions(next, actor);
    detail.names = NamesFor(next);
    detail.record = MaskCase(std::move(next), actor.role);
    return detail;
  }
}

Result<CaseDetail> CaseService::Get(const Actor& actor, const std::string& number) {
  CITYGRID_ASSIGN_OR_RETURN(Case current, LoadVisible(actor, number));
  CaseDetail detail;
  CITYGRID_ASSIGN_OR_RETURN(detail.history, store_.cases().LoadHistory(current.id));
  for (CaseEvent& e : detail.history) e = MaskEvent(std::move(e), actor.role);
  detail.available_actions = AvailableActions(current, actor);
  detail.names = NamesFor(current);
  detail.record = MaskCase(std::move(current), actor.role);
  return detail;
}

Result<storage::CasePage> CaseService::Query(const Actor& actor, storage::CaseQuery query) {
  if (actor.role == Role::kHandler) {
    if (actor.unit.empty()) return storage::CasePage{};
    query.unit = actor.unit;
  }
  CITYGRID_ASSIGN_OR_RETURN(storage::CasePage page, store_.cases().QueryCases(query));
  for (Case& c : page.cases) c = MaskCase(std::move(c), actor.role);
  return page;
}

Result<int64_t> CaseService::Count(const Actor& actor, storage::CaseQuery query) {
  if (actor.role == Role::kHandler) {
    if (actor.unit.empty()) return int64_t{0};
    query.unit = actor.unit;
  }
  return store_.cases().CountCases(query);
}

Result<int> CaseService::SweepOverdue(Timestamp now) {
  storage::CaseQuery q;
  q.states.assign(std::begin(kTimedStates), std::end(kTimedStates));
  q.overdue = false;
  q.deadline_before = now;
  q.sort = storage::CaseSort::kDeadlineAsc;
  q.limit = 500;
  int marked = 0;
  for (;;) {
    CITYGRID_ASSIGN_OR_RETURN(storage::CasePage page, store_.cases().QueryCases(q));
    for (Case c : page.cases) {
      for (int attempt = 0; attempt < 5; ++attempt) {
        if (c.overdue || !c.stage_deadline || *c.stage_deadline >= now ||
            StageOf(c.state) == Stage::kNone) {
          break;  // someone acted or marked it meanwhile
        }
        CaseEvent event = MakeOverdueEvent(c, now);
        Result<Case> next = ApplyEvent(c, event);
        if (!next.ok()) break;
        Result<std::vector<CaseEvent>> stored =
            store_.cases().Append(c.id, c.version, {event}, *next);
        if (stored.ok()) {
          ++marked;
          break;
        }
        if (stored.status().code() != StatusCode::kAborted) return stored.status();
        CITYGRID_ASSIGN_OR_RETURN(c, store_.cases().LoadCase(c.id));
      }
    }
    if (page.next_cursor.empty()) break;
    q.cursor = page.next_cursor;
  }
  if (marked > 0) Notify(0);
  return marked;
}

}  // namespace citygrid::service
