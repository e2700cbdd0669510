#pragma once

// Open311 GeoReport v2 semantics over citygrid's cases: services are the public categories,
// service requests are cases, updates are the public part of a case's history. The HTTP layer
// (http/open311_routes.h) parses parameters and renders XML/JSON; everything here is plain
// structs and Status values.
//
// Mapping (docs/open311.md has the full tables):
//   service_code = category code; service_request_id = case number; a POSTed request becomes a
//   case on the open311 channel created by Actor{"open311:<api key name>", kSystem}.
//   status: "closed" in the terminal states (closed, invalid, not_registered, cancelled,
//   merged), "open" otherwise. agency_responsible: the assigned (else suggested) unit's name.
//   expected_datetime: the handling deadline. service_notice: the category's closing standard.
//   Extended (FixMyStreet) statuses per public event:
//     created OPEN · verify valid INVESTIGATING · verify invalid NO_FURTHER_ACTION ·
//     register/dispatch/suspend ACTION_SCHEDULED · accept/resume/feedback/check_pass IN_PROGRESS ·
//     return INTERNAL_REFERRAL · check_fail REOPEN · close FIXED · reject
//     NOT_COUNCILS_RESPONSIBILITY · cancel CANCELLED · merge DUPLICATE · a comment posted
//     through Open311 keeps the status before it.
//   Internal events (postponement, supervision, staff comments, overdue marks, added photos)
//   are not published. update_id = the event's global_seq.
//
// What a POST carries beyond the case (attributes, media_url, address_id, the deferred token)
// is recorded in the case's kCreated event (CaseIntake, domain/case.h), in the same append as the
// case: a crash leaves either both or neither. first_name/last_name become the reporter's name,
// phone the reporter's phone; email, device_id and account_id are not kept (account_id is
// answered back). Cases posted before intake records existed kept these fields in a document of
// kind "open311_request" keyed by the case number; it is still read for them (no migration).
// A deferred token is also written to a document "open311_token" (token → case number) after the
// case; if that write fails, a retry of the POST with the same Idempotency-Key answers the same
// token and writes it again.
//
// Thread safety: all methods may be called concurrently.

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "citygrid/common/clock.h"
#include "citygrid/common/status.h"
#include "citygrid/domain/case.h"
#include "citygrid/domain/category.h"
#include "citygrid/service/case_service.h"
#include "citygrid/service/open311_api_keys.h"
#include "citygrid/service/reference_data.h"
#include "citygrid/storage/store.h"

namespace citygrid::service {

inline constexpr char kOpen311RequestKind[] = "open311_request";
inline constexpr char kOpen311TokenKind[] = "open311_token";
inline constexpr char kOpen311UpdateKind[] = "open311_update";

struct Open311Options {
  // The jurisdiction_id this server answers to; "" = the district code of the loaded
  // geography. An absent or empty jurisdiction_id is always accepted (one jurisdiction).
  std::string jurisdiction_id;
  // true: POST requests answers a token (GET tokens/{token} gives the id) instead of the id.
  bool defer_ids = false;
  std::string crs = "wgs84";  // of lat/long: wgs84, gcj02 or bd09
  size_t max_description_chars = 4000;  // Unicode characters, as the spec counts
  size_t max_media_urls = 9;
  int default_window_days = 90;  // GET requests without start/end dates
  int max_results = 1000;        // GET requests: default and largest page_size
  // Discovery.
  std::string contact = "citygrid Open311 server";
  std::string key_service = "Ask the administrator for a key (citygrid apikey add).";
  std::string changeset = "2026-03-01T00:00:00+08:00";
};

// FixMyStreet's extended statuses.
enum class ExtendedStatus {
  kOpen,
  kInvestigating,
  kInProgress,
  kActionScheduled,
  kFixed,
  kClosed,
  kDuplicate,
  kNotCouncilsResponsibility,
  kNoFurtherAction,
  kInternalReferral,
  kCancelled,
  kReopen,
};
// "OPEN", "IN_PROGRESS", ...
std::string_view Name(ExtendedStatus status);

// One answer to a category attribute: attribute[code]=value (a multivaluelist answer is
// several pairs with the same code).
using AttributeAnswer = std::pair<std::string, std::string>;

// POST requests, parsed. Empty strings are absent values.
struct Open311NewRequest {
  std::string jurisdiction_id;
  std::string service_code;
  std::optional<double> lat;
  std::optional<double> lon;
  std::string address_string;
  std::string address_id;
  std::string email;
  std::string device_id;
  std::string account_id;
  std::string first_name;
  std::string last_name;
  std::string phone;
  std::string description;
  std::vector<std::string> media_urls;
  std::vector<AttributeAnswer> attributes;
  std::vector<std::string> photos;  // media hashes of uploaded files, already stored
};

struct Open311Posted {
  std::string service_request_id;  // "" when deferred
  std::string token;               // "" unless deferred
  std::string service_notice;
  std::string account_id;
};

// One entry of the public history (servicerequestupdates / notes).
struct Open311Update {
  std::string update_id;  // global_seq of the event
  std::string service_request_id;
  ExtendedStatus status = ExtendedStatus::kOpen;
  Timestamp updated_datetime{};
  std::string description;
  std::string media_url;
};

// A service request as GET requests shows it.
struct Open311Request {
  std::string service_request_id;
  bool open = true;
  std::string status_notes;
  std::string service_name;
  std::string service_code;
  std::string description;
  std::string agency_responsible;
  std::string service_notice;
  Timestamp requested_datetime{};
  Timestamp updated_datetime{};
  std::optional<Timestamp> expected_datetime;
  std::string address;
  std::string address_id;
  std::string zipcode;
  double lat = 0;
  double lon = 0;
  std::vector<std::string> media_urls;  // the first is the spec's media_url
  // extensions=true
  std::vector<AttributeAnswer> attributes;
  std::string channel;
  std::string state;                    // citygrid's state name
  ExtendedStatus extended_status = ExtendedStatus::kOpen;
  std::vector<std::string> photos;      // media hashes of the case's photos
  std::vector<Open311Update> notes;     // the public history, oldest first (created included)
};

// GET requests parameters, parsed. Empty vectors and nullopt are absent.
struct Open311RequestFilter {
  std::vector<std::string> service_request_ids;  // when set, the rest is ignored
  std::vector<std::string> service_codes;
  std::optional<Timestamp> start;  // requested_datetime >= start
  std::optional<Timestamp> end;    // requested_datetime <= end
  std::optional<bool> open;        // status=open|closed
  int page = 1;                    // 1-based
  int page_size = 0;               // 0 = Open311Options::max_results
  bool extensions = false;
};

class Open311Service {
 public:
  // Everything must outlive the service.
  Open311Service(storage::Store& store, ReferenceDataService& reference, CaseService& cases,
                 ApiKeyService& keys, const Clock& clock, Open311Options options = {});

  const Open311Options& options() const { return options_; }
  ApiKeyService& keys() { return keys_; }

  // The jurisdiction id answered to ("" when none is configured and no geography is loaded).
  std::string JurisdictionId() const;
  // OK for "" or the configured id; kNotFound naming it otherwise.
  Status CheckJurisdiction(std::string_view jurisdiction_id) const;

  // The public categories in code order.
  std::vector<Category> Services() const;
  // kNotFound unless `code` is a public category.
  Result<Category> Service(std::string_view code) const;
  // The major class name of a category (the service's group).
  std::string GroupOf(const Category& category) const;

  // Creates a case. Checks, in order, all kInvalidArgument unless said: jurisdiction (kNotFound),
  // service_code missing, unknown or not public (kNotFound), description over
  // max_description_chars, only one of lat and long, no location at all, an address_string
  // without lat/long that names nothing of the district (open311_address.h; the case then lies
  // at the named feature's point, lat/long in WGS84 whatever options().crs says), media_url not
  // http(s) or too many, attributes (unknown code, answer to a non-variable attribute, a
  // required one unanswered, a value not of its datatype or list, several values for a
  // non-multivaluelist), then the case service's own checks (point outside the district, field
  // lengths, phone). Nothing is stored on any error.
  // `idempotency_key` (the client's Idempotency-Key, "" = none; at most 128 bytes) is scoped to
  // the API key: a retry with the same key and request answers the first answer (same id or
  // token) and creates nothing; the same key with another request is kAlreadyExists.
  Result<Open311Posted> PostRequest(const ApiKey& key, const Open311NewRequest& request,
                                    const std::string& idempotency_key = "");
  // PostRequest without waiting for the store's commit (CaseService::CreateAsync): `done` is
  // called exactly once with what PostRequest would return; before PostRequestAsync returns for
  // an error found before the store, else through the case service's completion executor.
  // REQUIRES: the service outlives every call it started.
  void PostRequestAsync(const ApiKey& key, const Open311NewRequest& request,
                        const std::string& idempotency_key,
                        std::function<void(Result<Open311Posted>)> done);

  // kNotFound for an unknown id (a malformed one too).
  Result<Open311Request> GetRequest(std::string_view service_request_id, bool extensions);
  // Newest first; see Open311RequestFilter. kInvalidArgument for start after end, a page below
  // 1, or a page_size outside 1..max_results.
  Result<std::vector<Open311Request>> ListRequests(const Open311RequestFilter& filter);

  // The service_request_id a token stands for; kNotFound for an unknown token.
  Result<std::string> LookupToken(std::string_view token);

  // Public events with start <= updated_datetime <= end (default: the last 24 hours before
  // now), oldest first. kInvalidArgument for start after end or a window over 90 days.
  Result<std::vector<Open311Update>> Updates(std::optional<Timestamp> start,
                                             std::optional<Timestamp> end);

  // A citizen's follow-up: a comment event on the case (its state does not move).
  // kNotFound for an unknown request; kInvalidArgument for an empty description, a bad
  // media_url or the case service's note limit. Returns the new update.
  Result<Open311Update> PostUpdate(const ApiKey& key, std::string_view service_request_id,
                                   const std::string& description, const std::string& media_url);

 private:
  // A checked request as the case service takes it (PostRequest before the store).
  struct PreparedPost {
    CreateCaseRequest create;
    std::string scoped_key;  // the client's Idempotency-Key scoped to its API key
    Actor actor;
    Category category;
    std::string account_id;
  };
  Result<PreparedPost> PreparePost(const ApiKey& key, const Open311NewRequest& request,
                                   const std::string& idempotency_key);
  // PostRequest's answer for a stored case (the token document in deferred-id mode).
  Result<Open311Posted> FinishPost(const PreparedPost& prepared, const CreateCaseResult& created);
  Result<Open311Request> Describe(const Case& c, bool extensions, bool need_history);

  storage::Store& store_;
  ReferenceDataService& reference_;
  CaseService& cases_;
  ApiKeyService& keys_;
  const Clock& clock_;
  const Open311Options options_;
};

// The public history of a case: one update per published event (see the file comment), the
// kCreated event included. `media` maps update ids to media_urls posted with comments.
std::vector<Open311Update> PublicHistory(
    const Case& c, const std::vector<CaseEvent>& history,
    const std::vector<std::pair<std::string, std::string>>& media = {});

}  // namespace citygrid::service
