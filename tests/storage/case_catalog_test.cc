// The in-memory case catalog (src/storage/sqlite/case_catalog.h) against the executable
// meaning of a CaseQuery (MatchesCaseQuery, SortsBefore in storage/case_query.h): random cases,
// random queries, every sort, paged through with cursors; plus the catalog's own edges.

#include "src/storage/sqlite/case_catalog.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace citygrid::storage::sqlite {
namespace {

const Timestamp kT0 = *ParseIso8601("2026-01-01T00:00:00+08:00");

Case RandomCase(std::mt19937& rng, int64_t id) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  Case c;
  c.id = id;
  c.state = static_cast<CaseState>(pick(kCaseStateCount));
  c.channel = static_cast<Channel>(pick(7));
  c.category = "cat" + std::to_string(pick(4));
  c.unit = "unit" + std::to_string(pick(3));
  c.location.district_code = "d" + std::to_string(pick(2));
  c.location.subdistrict_code = "s" + std::to_string(pick(3));
  c.location.community_code = "c" + std::to_string(pick(5));
  c.location.grid_code = "g" + std::to_string(pick(8));
  c.location.lon = 113.5 + pick(100) / 1000.0;
  c.location.lat = 34.7 + pick(100) / 1000.0;
  // Few distinct times, so sort keys tie and the id decides.
  c.created_at = kT0 + std::chrono::minutes(pick(40));
  c.updated_at = c.created_at + std::chrono::minutes(pick(20));
  if (pick(3) != 0) c.stage_deadline = c.created_at + std::chrono::hours(pick(10));
  c.overdue = pick(4) == 0;
  return c;
}

CaseQuery RandomQuery(std::mt19937& rng) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  CaseQuery q;
  q.sort = static_cast<CaseSort>(pick(4));
  if (pick(3) == 0) {
    for (int i = pick(3) + 1; i-- > 0;) q.states.push_back(static_cast<CaseState>(pick(13)));
  }
  if (pick(4) == 0) q.category = "cat" + std::to_string(pick(5));  // cat4: no such code
  if (pick(4) == 0) q.unit = "unit" + std::to_string(pick(3));
  if (pick(6) == 0) q.district = "d" + std::to_string(pick(2));
  if (pick(6) == 0) q.subdistrict = "s" + std::to_string(pick(3));
  if (pick(6) == 0) q.community = "c" + std::to_string(pick(5));
  if (pick(6) == 0) q.grid = "g" + std::to_string(pick(8));
  if (pick(6) == 0) q.channel = static_cast<Channel>(pick(7));
  if (pick(4) == 0) q.created_from = kT0 + std::chrono::minutes(pick(40));
  if (pick(4) == 0) q.created_to = kT0 + std::chrono::minutes(pick(40) + 1);
  if (q.created_from && q.created_to && *q.created_from >= *q.created_to) q.created_to.reset();
  if (pick(5) == 0) q.overdue = pick(2) == 0;
  if (pick(5) == 0) q.deadline_before = kT0 + std::chrono::hours(pick(12));
  if (pick(5) == 0) {
    const double lon = 113.5 + pick(100) / 1000.0;
    const double lat = 34.7 + pick(100) / 1000.0;
    q.bbox = geo::BoundingBox{lon, lat, lon + pick(60) / 1000.0, lat + pick(60) / 1000.0};
  }
  q.limit = pick(10) == 0 ? 1 : pick(40) + 5;
  return q;
}

// The reference: every matching case's key, in the sort's order.
std::vector<CaseSortKey> Expected(const std::vector<Case>& cases, const CaseQuery& q) {
  std::vector<CaseSortKey> keys;
  for (const Case& c : cases) {
    if (MatchesCaseQuery(c, q)) keys.push_back(SortKeyOf(c, q.sort));
  }
  std::sort(keys.begin(), keys.end(),
            [&](const CaseSortKey& a, const CaseSortKey& b) { return SortsBefore(a, b, q.sort); });
  return keys;
}

// Pages through the catalog `limit` keys at a time, as QueryCases does with its cursors.
std::vector<CaseSortKey> PagedThrough(const CaseCatalog& catalog, const CaseQuery& q) {
  std::vector<CaseSortKey> all;
  std::optional<CaseSortKey> after;
  while (true) {
    std::vector<CaseSortKey> page = catalog.Next(q, after, static_cast<size_t>(q.limit));
    all.insert(all.end(), page.begin(), page.end());
    if (page.size() < static_cast<size_t>(q.limit)) return all;
    after = page.back();
  }
}

TEST(CaseCatalogTest, AgreesWithTheReferenceOnRandomCasesAndQueries) {
  std::mt19937 rng(20261128);
  std::vector<Case> cases;
  CaseCatalog catalog;
  // Over three blocks of rows (CaseCatalog::kBlock), so the deadline and updated orders stop
  // early at a block bound.
  // Times drift with the id, as in a live system, so block bounds differ.
  auto drift = [](Case& c) {
    const auto shift = std::chrono::minutes(c.id / 20);
    c.created_at += shift;
    c.updated_at += shift;
    if (c.stage_deadline) *c.stage_deadline += shift;
  };
  for (int64_t id = 1; id <= 2100; ++id) {
    cases.push_back(RandomCase(rng, id));
    drift(cases.back());
    catalog.Put(CaseCatalog::RowOf(cases.back()));
  }
  // Later versions of some cases: state, unit, deadline, updated time change in place.
  for (int i = 0; i < 1000; ++i) {
    Case& c = cases[rng() % cases.size()];
    Case next = RandomCase(rng, c.id);
    drift(next);
    next.created_at = c.created_at;  // never changes
    next.version = c.version + 1;
    c = next;
    catalog.Put(CaseCatalog::RowOf(c));
  }
  ASSERT_EQ(catalog.size(), cases.size());
  for (int i = 0; i < 800; ++i) {
    const CaseQuery q = RandomQuery(rng);
    const std::vector<CaseSortKey> want = Expected(cases, q);
    ASSERT_EQ(PagedThrough(catalog, q), want) << "query " << i << " sort " << Name(q.sort);
    ASSERT_EQ(catalog.Count(q), static_cast<int64_t>(want.size())) << "query " << i;
  }
}

TEST(CaseCatalogTest, LoadedRowsInAnyOrderAnswerAsPutOnes) {
  std::mt19937 rng(7);
  std::vector<Case> cases;
  for (int64_t id = 1; id <= 200; ++id) cases.push_back(RandomCase(rng, id * 3));
  std::vector<Case> shuffled = cases;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  CaseCatalog loaded;
  size_t next = 0;
  ASSERT_TRUE(loaded
                  .Load([&](CaseCatalog::Row& r) -> Result<bool> {
                    if (next == shuffled.size()) return false;
                    r = CaseCatalog::RowOf(shuffled[next++]);
                    return true;
                  })
                  .ok());
  CaseCatalog put;
  for (const Case& c : shuffled) put.Put(CaseCatalog::RowOf(c));  // ids out of order
  for (int i = 0; i < 500; ++i) {
    const CaseQuery q = RandomQuery(rng);
    const std::vector<CaseSortKey> want = Expected(cases, q);
    ASSERT_EQ(PagedThrough(loaded, q), want) << "query " << i;
    ASSERT_EQ(PagedThrough(put, q), want) << "query " << i;
  }
}

TEST(CaseCatalogTest, ALoadThatFailsLeavesTheCatalogEmpty) {
  CaseCatalog catalog;
  std::mt19937 rng(1);
  catalog.Put(CaseCatalog::RowOf(RandomCase(rng, 1)));
  int calls = 0;
  Status s = catalog.Load([&](CaseCatalog::Row& r) -> Result<bool> {
    if (++calls == 3) return InternalError("disk on fire");
    r = CaseCatalog::RowOf(RandomCase(rng, calls));
    return true;
  });
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(catalog.size(), 0u);
  EXPECT_TRUE(catalog.Next(CaseQuery{}, std::nullopt, 10).empty());
}

// Two writers' commits of one case may report out of order: the older version does not win.
TEST(CaseCatalogTest, AnOlderVersionReportedLateIsIgnored) {
  std::mt19937 rng(3);
  Case c = RandomCase(rng, 1);
  c.state = CaseState::kHandling;
  c.version = 3;
  CaseCatalog catalog;
  catalog.Put(CaseCatalog::RowOf(c));
  Case older = c;
  older.version = 2;
  older.state = CaseState::kDispatched;
  catalog.Put(CaseCatalog::RowOf(older));
  CaseQuery q;
  q.states = {CaseState::kHandling};
  EXPECT_EQ(catalog.Count(q), 1);
  c.version = 4;
  c.state = CaseState::kChecking;
  catalog.Put(CaseCatalog::RowOf(c));
  EXPECT_EQ(catalog.Count(q), 0);
  q.states = {CaseState::kChecking};
  EXPECT_EQ(catalog.Count(q), 1);
}

TEST(CaseCatalogTest, AFilterValueNoCaseHasMatchesNothing) {
  CaseCatalog catalog;
  std::mt19937 rng(2);
  for (int64_t id = 1; id <= 20; ++id) catalog.Put(CaseCatalog::RowOf(RandomCase(rng, id)));
  CaseQuery q;
  q.grid = "no-such-grid";
  EXPECT_TRUE(catalog.Next(q, std::nullopt, 10).empty());
  EXPECT_EQ(catalog.Count(q), 0);
  EXPECT_EQ(catalog.Count(CaseQuery{}), 20);
}

}  // namespace
}  // namespace citygrid::storage::sqlite
