#pragma once

// The demo ledgers of `citygrid demo` (the district's own newspaper page, DESIGN.md §2):
//
//  old-compounds       老旧小区改造: 467 compounds across the demo sub-districts, 第一批 = R0001-R0264
//                      due 2020-12-31, 第二批 = R0265-R0467 due 2021-06-30, type 品质型/改善型,
//                      owner 住建局 (ZJ), the street offices responsible. Progress histories
//                      (created → started 30% → 70% → done → accepted): in 第一批 every row with
//                      (index % 20 == 0) never finishes and every (index % 20 == 1) finishes
//                      late, in February 2021; in 第二批 the same with % 25 and August 2021;
//                      the others finish 10-69 days before their deadline; on-time rows with
//                      index % 3 == 0 are accepted 15 days later.
//  school-reopening    学校复学检查: 283 schools, check items and supplies delivered (消毒湿巾,
//                      洗手液, 含氯消毒片, 口罩, 消毒液), owner 城管局 (CGJ).
//  order-cleanliness   序化洁化专项整治: a campaign over categories 08004, 08007, 08011, 09009 in the
//                      first four sub-districts, window [end - 60 days, end + 30 days), targets
//                      结案率 >= 90%, 按期结案率 >= 80%, overdue <= 10; one row per sub-district.
//
// Every event dated after `end` is left out, so the ledgers show the state at `end` (a test
// clock can stand anywhere in 2020-2021). Rows are written with one atomic LedgerStore::Write
// per ledger; events are sealed into each row's chain by the store. Deterministic for `end`.
// Needs the demo reference data (SeedDemoReference). kAlreadyExists when a ledger exists.

#include <cstdint>

#include "citygrid/common/status.h"
#include "citygrid/common/time.h"
#include "citygrid/service/reference_data.h"
#include "citygrid/storage/store.h"

namespace citygrid::service {

struct LedgerDemoReport {
  int ledgers = 0;
  int rows = 0;
  int events = 0;
};

Result<LedgerDemoReport> SeedDemoLedgers(storage::Store& store, ReferenceDataService& reference,
                                         Timestamp end);

}  // namespace citygrid::service
