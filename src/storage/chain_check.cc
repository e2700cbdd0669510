#include "citygrid/storage/chain_check.h"

#include <unordered_set>

namespace citygrid::storage {
namespace {

constexpr int kEventPage = 5000;
constexpr int kCasePage = 1000;

}  // namespace

Result<ChainReport> VerifyStoreChains(CaseStore& cases) {
  ChainReport report;
  ChainVerifier verifier;
  int64_t after = 0;
  while (verifier.ok()) {
    CITYGRID_ASSIGN_OR_RETURN(std::vector<CaseEvent> page, cases.EventsAfter(after, kEventPage));
    if (page.empty()) break;
    for (const CaseEvent& e : page) {
      if (!verifier.Add(e)) break;
    }
    after = page.back().global_seq;
  }
  report.events = verifier.events_checked();
  report.broken = verifier.first_broken();

  if (report.ok()) {
    std::unordered_set<int64_t> rows;
    CaseQuery all;
    all.sort = CaseSort::kCreatedAsc;
    all.limit = kCasePage;
    while (!report.broken) {
      CITYGRID_ASSIGN_OR_RETURN(CasePage page, cases.QueryCases(all));
      for (const Case& c : page.cases) {
        ++report.cases;
        rows.insert(c.id);
        const int64_t last = verifier.LastVersion(c.id);
        if (c.version != last) {
          report.broken = BrokenLink{
              c.id, c.number, c.version, 0,
              "the current-state row's version is not the last version of its history",
              "version " + std::to_string(last), "version " + std::to_string(c.version)};
          break;
        }
      }
      if (page.next_cursor.empty()) break;
      all.cursor = page.next_cursor;
    }
    if (!report.broken && static_cast<int64_t>(rows.size()) != verifier.cases_seen()) {
      verifier.ForEachCase([&](int64_t id, int64_t version) {
        if (!report.broken && !rows.count(id)) {
          report.broken = BrokenLink{id, "", version, 0,
                                     "events exist for a case without a current-state row",
                                     "a row", "none"};
        }
      });
    }
  }
  if (report.broken && report.broken->case_number.empty()) {
    auto c = cases.LoadCase(report.broken->case_id);
    if (c.ok()) report.broken->case_number = c->number;
  }
  return report;
}

}  // namespace citygrid::storage
