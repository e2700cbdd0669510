#include "citygrid/service/demo_seed.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "citygrid/common/clock.h"
#include "citygrid/storage/chain_check.h"
#include "tests/testing/memory_store.h"
#include "tests/testing/paths.h"

namespace citygrid::service {
namespace {

Timestamp SeedEnd() { return *ParseIso8601("2026-03-10T09:30:00+08:00"); }

struct Seeded {
  std::unique_ptr<citygrid::testing::MemoryStore> store;
  std::unique_ptr<ReferenceDataService> reference;
  DemoSeedReport report;
};

Seeded SeedCases(int cases, int threads) {
  Seeded s;
  s.store = std::make_unique<citygrid::testing::MemoryStore>();
  auto reference = ReferenceDataService::Open(s.store->documents(),
                                              citygrid::testing::SourceDir() + "/data");
  EXPECT_TRUE(reference.ok()) << reference.status().ToString();
  if (!reference.ok()) return s;
  s.reference = std::move(*reference);
  Status ref = SeedDemoReference(*s.reference);
  EXPECT_TRUE(ref.ok()) << ref.ToString();
  DemoSeedOptions options;
  options.cases = cases;
  options.end = SeedEnd();
  options.threads = threads;
  Result<DemoSeedReport> report = SeedDemoCases(*s.store, *s.reference, options);
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  if (report.ok()) s.report = *report;
  return s;
}

// Every case, by its (deterministic) idempotency key: state, version, times, unit.
std::map<std::string, std::tuple<CaseState, int64_t, Timestamp, Timestamp, std::string>>
Snapshot(storage::Store& store) {
  std::map<std::string, std::tuple<CaseState, int64_t, Timestamp, Timestamp, std::string>> out;
  storage::CaseQuery q;
  q.limit = 500;
  for (;;) {
    Result<storage::CasePage> page = store.cases().QueryCases(q);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) break;
    for (const Case& c : page->cases) {
      out[c.idempotency_key] = {c.state, c.version, c.created_at, c.updated_at, c.unit};
    }
    if (page->next_cursor.empty()) break;
    q.cursor = page->next_cursor;
  }
  return out;
}

TEST(DemoSeedTest, ReferenceDataHasDistrictUnitsAndRules) {
  citygrid::testing::MemoryStore store;
  auto reference =
      ReferenceDataService::Open(store.documents(), citygrid::testing::SourceDir() + "/data");
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  ASSERT_TRUE(SeedDemoReference(**reference).ok());
  std::shared_ptr<const ReferenceData> data = (*reference)->Get();
  ASSERT_NE(data->geography, nullptr);
  EXPECT_EQ(data->geography->district.code, "410103");
  EXPECT_EQ(data->geography->subdistricts.size(), 14u);
  ASSERT_NE(data->FindUnit("HW"), nullptr);
  EXPECT_EQ(data->FindUnit("HW")->type, "环卫");
  ASSERT_NE(data->FindUnit("410103001"), nullptr);
  EXPECT_EQ(data->FindUnit("410103001")->kind, UnitKind::kStreetOffice);
  EXPECT_GE(data->rules.size(), 5u);
}

TEST(DemoSeedTest, CasesReachEveryStateWithIntactChains) {
  Seeded s = SeedCases(400, 4);
  ASSERT_NE(s.reference, nullptr);
  EXPECT_GE(s.report.cases_created, 380);
  EXPECT_LE(s.report.cases_created, 400);
  EXPECT_GT(s.report.overdue_marks, 0);
  int total = 0;
  for (int i = 0; i < kCaseStateCount; ++i) {
    CaseState state = static_cast<CaseState>(i);
    EXPECT_GT(s.report.by_state[state], 0) << "no case in state " << Name(state);
    total += s.report.by_state[state];
  }
  EXPECT_EQ(total, s.report.cases_created);
  // Most of a 60-day history is finished business.
  EXPECT_GT(s.report.by_state[CaseState::kClosed], s.report.cases_created / 3);

  Result<storage::ChainReport> chains = storage::VerifyStoreChains(s.store->cases());
  ASSERT_TRUE(chains.ok()) << chains.status().ToString();
  EXPECT_TRUE(chains->ok());
  EXPECT_EQ(chains->cases, s.report.cases_created);
  EXPECT_GT(chains->events, 4 * chains->cases);

  storage::CaseQuery reworked;
  reworked.limit = 500;
  Result<storage::CasePage> page = s.store->cases().QueryCases(reworked);
  ASSERT_TRUE(page.ok());
  int reworks = 0, returns = 0;
  for (const Case& c : page->cases) {
    reworks += c.rework_count > 0;
    returns += c.return_count > 0;
    EXPECT_LE(c.updated_at, SeedEnd()) << c.number;
    EXPECT_GE(c.created_at, SeedEnd() - std::chrono::hours(24 * 60)) << c.number;
    // Timestamps along each history never go backwards.
    Result<std::vector<CaseEvent>> history = s.store->cases().LoadHistory(c.id);
    ASSERT_TRUE(history.ok());
    for (size_t i = 1; i < history->size(); ++i) {
      EXPECT_LE((*history)[i - 1].at, (*history)[i].at) << c.number << " event " << i;
    }
  }
  EXPECT_GT(reworks, 0);
  EXPECT_GT(returns, 0);
}

TEST(DemoSeedTest, SameSeedGivesSameHistory) {
  Seeded a = SeedCases(150, 3);
  Seeded b = SeedCases(150, 3);
  ASSERT_NE(a.reference, nullptr);
  ASSERT_NE(b.reference, nullptr);
  EXPECT_EQ(a.report.by_state, b.report.by_state);
  EXPECT_EQ(Snapshot(*a.store), Snapshot(*b.store));
}

TEST(DemoSeedTest, RejectsOptionsOutOfRange) {
  citygrid::testing::MemoryStore store;
  auto reference =
      ReferenceDataService::Open(store.documents(), citygrid::testing::SourceDir() + "/data");
  ASSERT_TRUE(reference.ok());
  DemoSeedOptions options;
  options.end = SeedEnd();
  options.cases = -1;
  EXPECT_EQ(SeedDemoCases(store, **reference, options).status().code(),
            StatusCode::kInvalidArgument);
  options.cases = 10;
  options.threads = 0;
  EXPECT_EQ(SeedDemoCases(store, **reference, options).status().code(),
            StatusCode::kInvalidArgument);
  options.threads = 2;
  // No geography yet.
  EXPECT_EQ(SeedDemoCases(store, **reference, options).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST(DemoSeedTest, UsersOnePerRoleAndOneHandlerPerUnitCanLogIn) {
  citygrid::testing::MemoryStore store;
  auto reference =
      ReferenceDataService::Open(store.documents(), citygrid::testing::SourceDir() + "/data");
  ASSERT_TRUE(reference.ok());
  ASSERT_TRUE(SeedDemoReference(**reference).ok());
  FakeClock clock(SeedEnd());
  AuthOptions fast;
  fast.pwhash_opslimit = crypto_pwhash_OPSLIMIT_MIN;
  fast.pwhash_memlimit = crypto_pwhash_MEMLIMIT_MIN;
  AuthService auth(store.documents(), clock, fast);
  Result<std::vector<DemoCredential>> users = SeedDemoUsers(auth, *(*reference)->Get());
  ASSERT_TRUE(users.ok()) << users.status().ToString();
  EXPECT_EQ(users->size(), 5 + (*reference)->Get()->units.size());
  std::map<Role, int> roles;
  for (const DemoCredential& u : *users) {
    ++roles[u.role];
    EXPECT_EQ(u.password.size(), 16u);
    EXPECT_EQ(u.role == Role::kHandler, !u.unit.empty()) << u.username;
  }
  for (Role r : {Role::kAdmin, Role::kOperator, Role::kDispatcher, Role::kInspector,
                 Role::kLeader}) {
    EXPECT_EQ(roles[r], 1) << Name(r);
  }
  const DemoCredential& handler = users->back();
  Result<LoginResult> login = auth.Login(handler.username, handler.password, "127.0.0.1");
  ASSERT_TRUE(login.ok()) << login.status().ToString();
  EXPECT_EQ(login->user.unit, handler.unit);

  std::string text = FormatDemoCredentials(*users);
  EXPECT_NE(text.find("admin\tadmin\t-\t" + users->front().password), std::string::npos);
  // A second run refuses to overwrite the accounts.
  EXPECT_EQ(SeedDemoUsers(auth, *(*reference)->Get()).status().code(),
            StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace citygrid::service
