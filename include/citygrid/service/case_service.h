#pragma once

// CaseService: intake (受理), workflow actions (案卷流转) and case queries — the application logic
// the HTTP layer calls. No HTTP here: inputs are plain structs, errors are Status values.
//
// Intake (Create):
//   1. validation, in this order, kInvalidArgument naming the field: channel (one of inspector,
//      public, hotline, open311, video_ai, leader, media), category ("unknown category
//      '99999'"), description (non-empty, at most max_description_bytes), lon/lat (finite,
//      within ±180/±90), crs ("" = wgs84, gcj02, bd09), address/reporter/condition lengths,
//      reporter phone plausibility, photos (64-hex media hashes that are stored, at most
//      max_photos), idempotency key length; then the point, converted to WGS84, must lie in the
//      district: "point (113.6, 34.7) is outside district 410103". kFailedPrecondition when no
//      geography is loaded. Nothing is written on any error.
//      The caller's role must be allowed the channel (domain CheckIntake): kPermissionDenied.
//   2. the point resolves to grid/community/sub-district and nearest road (+ road chief);
//      routing (service/routing.h) gives the suggested unit and the reason;
//   3. the first stage's deadline (verify for public channels, register for inspector) comes
//      from the category's deadline row (`condition`) and the work calendar;
//   4. the case and its kCreated event are stored with the idempotency key, scoped to the
//      user (stored as "user:<username>:<key>"; the system actor's keys, which Open311 scopes
//      to its API key itself, as given): a retry by the same user with the same key and the
//      same request returns the original case (created = false); the same key with a different
//      request is kAlreadyExists; another user's same key is another key;
//   5. possible duplicates: open cases of the same category within
//      ReferenceSettings::duplicate_radius_m and created within duplicate_window before it,
//      nearest first (in memory once EnableDuplicateIndex() ran). A video_ai report with a duplicate is merged into the nearest one at once:
//      the system actor appends a merge action ({"into": number}); the result then shows the
//      case in state merged and merged_into set.
//
// Actions (Act): load by number → visibility (service/visibility.h; an invisible case is
// kNotFound like a missing one) → domain ApplyAction (kPermissionDenied wrong role,
// kFailedPrecondition wrong state, kInvalidArgument bad parameters) → deadline of a newly entered
// stage from the calendar → Append with `expected_version` (kAborted when someone else moved
// first; the API answers 409). Dispatch without a unit takes the case's routed (suggested) unit
// and must name a known unit; merge must name another existing case that is still open.
// Postponement approval makes the requested `until` the handling deadline (domain rule).
//
// Reporter name and phone are masked in every returned case and event for roles that may not see
// them (visibility.h).
//
// Thread safety: all methods may be called concurrently (EnableDuplicateIndex before serving);
// consistency comes from the store's optimistic versions.

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "citygrid/common/clock.h"
#include "citygrid/common/status.h"
#include "citygrid/domain/case.h"
#include "citygrid/domain/case_state_machine.h"
#include "citygrid/geo/district.h"
#include "citygrid/service/duplicate_index.h"
#include "citygrid/service/event_log_follower.h"
#include "citygrid/service/reference_data.h"
#include "citygrid/service/routing.h"
#include "citygrid/storage/store.h"

namespace citygrid::service {

struct CaseServiceOptions {
  size_t max_description_bytes = 2000;
  // Open311 GeoReport v2 allows 4,000 characters (up to 4 bytes each in UTF-8).
  size_t max_open311_description_bytes = 16000;
  size_t max_address_bytes = 300;
  size_t max_reporter_name_bytes = 64;
  size_t max_reporter_phone_bytes = 32;
  size_t max_condition_bytes = 100;
  size_t max_note_bytes = 2000;
  size_t max_photos = 9;
  size_t max_idempotency_key_bytes = 128;
  int max_duplicates = 10;  // candidates listed on create
  size_t max_batch_reports = 100;  // reports per CreateBatchAsync
};

// A report as intake receives it (POST /api/v1/cases).
struct CreateCaseRequest {
  std::string channel;      // "inspector", "public", "hotline", "open311", "video_ai", ...
  std::string category;     // 5-digit code
  std::string condition;    // deadline row of the category; "" = default row
  std::string description;
  double lon = std::numeric_limits<double>::quiet_NaN();
  double lat = std::numeric_limits<double>::quiet_NaN();
  std::string crs;          // "" or "wgs84", "gcj02", "bd09"
  std::string address;
  Reporter reporter;
  std::vector<std::string> photos;  // media hashes already stored (MediaStore::Put)
  // Recorded in the kCreated event with the case (one append); the caller validates it
  // (Open311Service checks attributes against the category and media URLs).
  CaseIntake intake;
};

// One report of a batch (POST /api/v1/cases/batch; DESIGN.md §2 Intake: a video-AI detector's
// batch, with confidence and snapshot): a create with its own idempotency key and, optionally,
// a snapshot image to store and attach as the case's first photo.
struct BatchReport {
  CreateCaseRequest request;
  std::string idempotency_key;  // required: a detector retries whole batches
  std::string snapshot_base64;  // RFC 4648 base64 of a JPEG, PNG or WebP image (a "data:...;
                                // base64," prefix is allowed); "" = none
  Status problem;               // the caller's own finding about this report (e.g. a field of
                                // the wrong type): it is answered as is, and nothing is done
};


struct LocationNames {
  std::string district;
  std::string subdistrict;
  std::string community;
  std::string road;       // road segment name, "" when not on a road
  geo::RoadChief road_chief;  // 路长 of that road (notified of the case)
};

struct CreateCaseResult {
  Case record;           // as stored now (after an automatic merge: state merged); masked
  bool created = true;   // false: an idempotent retry returned the original case
  LocationNames names;
  RoutingDecision routing;
  std::vector<DuplicateCandidate> duplicates;  // nearest first; excludes the case itself
  std::string merged_into;  // set when a video_ai report was merged automatically
};

// One workflow action as the API receives it (POST /api/v1/cases/{number}/actions/{action}).
struct ActRequest {
  Action action = Action::kComment;
  int64_t expected_version = 0;  // the version the caller saw
  ActionParams params;           // dispatch: unit ("" = routed unit); merge: into; ...
  std::string note;
  std::vector<std::string> photos;  // media hashes (feedback photos)
  std::string condition;  // deadline row for the stage the action enters; "" = default
};

struct CaseDetail {
  Case record;                       // masked for the viewer
  std::vector<CaseEvent> history;    // Get: the full history; Act: the events just appended
  std::vector<Action> available_actions;  // what the viewer may do next
  LocationNames names;
};

class CaseService {
 public:
  // `store`, `reference` and `clock` must outlive the service.
  CaseService(storage::Store& store, ReferenceDataService& reference, const Clock& clock,
              CaseServiceOptions options = {});

  // Intake; see the file comment. `idempotency_key` "" = none.
  Result<CreateCaseResult> Create(const Actor& actor, const CreateCaseRequest& request,
                                  const std::string& idempotency_key);

  // Intake without waiting for the store's commit: steps 1-3 of the file comment run on the
  // calling thread (an error there reaches `done` before CreateAsync returns, and nothing is
  // written); step 4 is queued (CaseStore::CreateCaseAsync), and step 5 runs once the case is
  // stored, through the completion executor. `done` is called exactly once, with what Create
  // would return. REQUIRES: the service outlives every CreateAsync it started.
  void CreateAsync(const Actor& actor, const CreateCaseRequest& request,
                   const std::string& idempotency_key,
                   std::function<void(Result<CreateCaseResult>)> done);

  // A batch of reports, one after the other in the given order, so that a later report sees
  // the earlier ones (as a duplicate, or merged into one for video_ai). Each report succeeds or
  // fails alone, as CreateAsync would: `done` receives one result per report, in order. A
  // report's snapshot is decoded, checked (an image, at most `max_snapshot_bytes` decoded: the
  // server's photo limit) and stored only
  // once the rest of the report has passed intake's checks, so a refused report stores
  // nothing. kInvalidArgument for the whole batch (nothing done) when it is empty or has more
  // than max_batch_reports reports.
  using BatchDone = std::function<void(Result<std::vector<Result<CreateCaseResult>>>)>;
  void CreateBatchAsync(const Actor& actor, std::vector<BatchReport> reports,
                        size_t max_snapshot_bytes, BatchDone done);

  // Runs `job` once, soon, on a thread that may do a little blocking work (a store read; rarely
  // a write).
  using Executor = std::function<void(std::function<void()> job)>;
  // Where CreateAsync continues after the store (the HTTP server passes its own threads, so the
  // store's committer only commits). Null, the default: on the store's thread. Safe to change
  // while serving; a continuation already handed over runs on the executor of that moment.
  void SetCompletionExecutor(Executor executor);

  // A workflow action; see the file comment.
  Result<CaseDetail> Act(const Actor& actor, const std::string& number, const ActRequest& request);

  // Adds photos (media hashes, stored) to a case the actor may see; retries on a concurrent
  // write. kNotFound, kInvalidArgument for a bad hash or an empty list.
  Result<CaseDetail> AddPhotos(const Actor& actor, const std::string& number,
                               std::vector<std::string> photos, const std::string& note = "");

  // The case with its full history and the actor's available actions. kNotFound when missing or
  // invisible; kInvalidArgument when `number` is malformed.
  Result<CaseDetail> Get(const Actor& actor, const std::string& number);

  // A page of cases; handlers are restricted to their unit (query.unit is forced to it).
  // Storage's kInvalidArgument for a bad limit or cursor.
  Result<storage::CasePage> Query(const Actor& actor, storage::CaseQuery query);
  Result<int64_t> Count(const Actor& actor, storage::CaseQuery query);

  // Open cases of `category` within the duplicate radius of `wgs84` created within the window
  // before `at`, nearest first (then oldest, then by number), at most max_duplicates, without
  // case `exclude_id`. Answered by the duplicate index once EnableDuplicateIndex() succeeded,
  // else by a store query (FindDuplicatesInStore).
  Result<std::vector<DuplicateCandidate>> FindDuplicates(const std::string& category,
                                                         geo::LonLat wgs84, Timestamp at,
                                                         int64_t exclude_id);
  // The same search as a store query, whether or not the index is enabled (the reference the
  // index is checked against).
  Result<std::vector<DuplicateCandidate>> FindDuplicatesInStore(const std::string& category,
                                                                geo::LonLat wgs84, Timestamp at,
                                                                int64_t exclude_id);

  // Keeps the duplicate search in memory (service/duplicate_index.h): loads every open case and
  // subscribes the index to `follower` (changes made by other nodes; null = no following: the
  // caller may drive duplicate_index()->PollOnce()). This service's own writes update the index
  // at once. Call before serving requests; a second call is a no-op. Errors are the store's (the
  // service then keeps querying the store).
  Status EnableDuplicateIndex(EventLogFollower* follower = nullptr,
                              DuplicateIndexOptions options = {});
  // Unsubscribes the index from its follower (the index stays, no longer following other
  // nodes). Idempotent.
  void StopDuplicateIndex();
  // The index, or null before EnableDuplicateIndex().
  DuplicateIndex* duplicate_index() { return duplicates_.get(); }

  // Marks overdue (kOverdue event by the system actor) every case whose current stage deadline
  // is before `now` and that is not yet marked, reloading and retrying on a concurrent write.
  // Returns how many cases it marked. Reads only the store, so it is correct after a restart and
  // with several nodes (a case is marked once: the loser of a race sees it already marked).
  Result<int> SweepOverdue(Timestamp now);

  // Called after every successful local write (e.g. EventLogFollower::Notify), on the writer's
  // thread, with the global_seq of the write's last event (0 when not known).
  void SetWriteListener(std::function<void(int64_t last_seq)> listener);

  // Display names for a case's location (district/sub-district/community/road and road chief).
  LocationNames NamesFor(const Case& c) const;

  const Clock& clock() const { return clock_; }
  ReferenceDataService& reference() { return reference_; }

 private:
  // What Create decided before the store (steps 1-3), for the part after it.
  struct PreparedCreate {
    std::shared_ptr<const ReferenceData> data;
    Actor actor;
    Channel channel = Channel::kInspector;
    geo::LonLat wgs84;
    Timestamp now;
    RoutingDecision routing;
    storage::NewCase new_case;
  };
  Result<PreparedCreate> PrepareCreate(const Actor& actor, const CreateCaseRequest& request,
                                       const std::string& idempotency_key);
  struct BatchState;
  // Creates report state.next of a batch, then the next one, until the batch is done.
  void CreateNextOfBatch(std::shared_ptr<BatchState> state);
  // A batch report's create request with its snapshot stored and listed first in its photos.
  Result<CreateCaseRequest> WithSnapshot(const Actor& actor, const BatchReport& report,
                                         size_t max_snapshot_bytes);
  // Step 5 for a stored case.
  Result<CreateCaseResult> FinishCreate(const PreparedCreate& prepared,
                                        storage::CreateResult stored);
  Result<Case> LoadVisible(const Actor& actor, const std::string& number);
  Status ValidateCreate(const CreateCaseRequest& request, const std::string& idempotency_key,
                        const ReferenceData& data) const;
  Status CheckPhotos(const std::vector<std::string>& photos) const;
  // Applies `request` to `current` (with the new stage's deadline) and appends it.
  Result<std::vector<CaseEvent>> ApplyAndAppend(const ReferenceData& data, const Case& current,
                                                const ActionRequest& request,
                                                const std::string& condition, Case* next);
  // Calls the write listener; `last_seq` as SetWriteListener says.
  void Notify(int64_t last_seq);
  // Hands a committed case to the duplicate index (if enabled); `seq` is the global_seq of the
  // write's last event.
  void RecordForDuplicates(const Case& c, int64_t seq);

  storage::Store& store_;
  ReferenceDataService& reference_;
  const Clock& clock_;
  const CaseServiceOptions options_;
  std::atomic<std::shared_ptr<const std::function<void(int64_t)>>> listener_;
  std::atomic<std::shared_ptr<const Executor>> executor_;
  std::unique_ptr<DuplicateIndex> duplicates_;  // set once, before serving
  EventLogFollower* duplicates_follower_ = nullptr;
};

}  // namespace citygrid::service
