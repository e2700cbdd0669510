#pragma once

// The demo data set of `citygrid demo`: the demo 二七区 (geo/demo_district.h) loaded as reference
// data (geography, units with their types, a few routing rules beyond the category defaults),
// one user per role plus one handler per unit, and a history of cases.
//
// Cases: `cases` reports created over the `days` before `end`, by the inspector, public,
// hotline, open311 and video_ai channels, each following a "fate" drawn from a fixed mix
// (closed on time, closed after rework/return/postponement, invalid, not registered, cancelled,
// merged by the operator or automatically (video_ai), suspended, stuck in a stage until it runs
// overdue, supervised by the leader). Every step goes through CaseService (Create and Act) with
// the actor of the right role, at a time drawn from realistic delays; steps that would fall
// after `end` are not taken, so recent cases are still open. The timeline is replayed in
// simulated time: the CaseService used for seeding reads a per-thread simulated clock, and
// every simulated hour CaseService::SweepOverdue marks the cases whose deadline passed, so
// deadlines, overdue marks and timestamps are coherent. Cases are spread over `threads`
// workers (one case's steps always on one worker) so the store's group commit batches their
// fsyncs. Deterministic for a given seed and `end` (apart from passwords and timing of commits).
//
// Passwords are random (libsodium randombytes), 16 characters from an unambiguous alphabet.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/common/time.h"
#include "citygrid/domain/case.h"
#include "citygrid/geo/demo_district.h"
#include "citygrid/service/auth_service.h"
#include "citygrid/service/reference_data.h"
#include "citygrid/storage/store.h"

namespace citygrid::service {

struct DemoSeedOptions {
  int cases = 2000;         // reports to create; [0, 1000000]
  int days = 60;            // spread over the days before `end`; [1, 3650]
  Timestamp end{};          // "now" of the seeded history (e.g. SystemClock::Now())
  uint64_t seed = 20260401;
  int threads = 8;          // seeding workers; [1, 64]
  geo::DemoOptions district;
};

// A generated account, as written to demo-users.txt.
struct DemoCredential {
  std::string username;
  Role role = Role::kOperator;
  std::string unit;  // handlers only
  std::string display_name;
  std::string password;
};

struct DemoSeedReport {
  std::vector<DemoCredential> users;
  int cases_created = 0;
  int overdue_marks = 0;  // kOverdue events written by the sweeps during seeding
  int steps_skipped = 0;  // planned actions refused by the workflow (e.g. a case merged meanwhile)
  std::map<CaseState, int> by_state;
};

// Loads the demo district into `reference` (geography, units, routing rules).
Status SeedDemoReference(ReferenceDataService& reference, const geo::DemoOptions& options = {});

// Creates one user per role (admin, operator, dispatcher, inspector, leader) and one handler
// per unit of the current reference data, with random passwords. kAlreadyExists when a
// username is taken.
Result<std::vector<DemoCredential>> SeedDemoUsers(AuthService& auth,
                                                  const ReferenceData& reference);

// Creates the case history described above in `store` (reference data must be seeded).
// kInvalidArgument for options out of range; the first storage error otherwise.
Result<DemoSeedReport> SeedDemoCases(storage::Store& store, ReferenceDataService& reference,
                                     const DemoSeedOptions& options);

// All three, in order.
Result<DemoSeedReport> SeedDemo(storage::Store& store, ReferenceDataService& reference,
                                AuthService& auth, const DemoSeedOptions& options);

// demo-users.txt: a comment header, then "username role unit password display_name" per line
// (unit "-" when none), tab-separated.
// The demo's user name for the handler of a unit ("handler-" + the unit code in lower case), the
// one SeedDemoUsers creates and the demo's case and ledger histories are recorded under.
std::string DemoHandlerName(const std::string& unit_code);

std::string FormatDemoCredentials(const std::vector<DemoCredential>& users);

}  // namespace citygrid::service
