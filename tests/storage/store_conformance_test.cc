// The storage conformance suite: every backend registered in store_factories.h must pass it.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "citygrid/common/case_number.h"
#include "citygrid/storage/audit_chain.h"
#include "citygrid/storage/case_query.h"
#include "citygrid/storage/store.h"
#include "tests/storage/store_factories.h"

namespace citygrid::storage {
namespace {

using testing::BackendTest;

Timestamp At(const char* iso) { return *ParseIso8601(iso); }

Case MakeInitial(Timestamp created_at) {
  Case c;
  c.state = CaseState::kPending;
  c.channel = Channel::kInspector;
  c.category = "06010";
  c.description = "暴露垃圾 near the gate";
  c.location = CaseLocation{113.64, 34.75, "二七区 大学路 1 号", "410103", "410103001",
                            "410103001001", "410103001001001", ""};
  c.reporter = Reporter{"王五", "13800000000"};
  c.photos = {std::string(64, 'a')};
  c.stage = Stage::kRegister;
  c.stage_started = created_at;
  c.stage_deadline = created_at + std::chrono::hours(2);
  c.created_at = created_at;
  c.updated_at = created_at;
  return c;
}

CaseEvent MakeCreatedEvent(Timestamp at) {
  CaseEvent e;
  e.type = EventType::kCreated;
  e.actor = Actor{"inspector.li", Role::kInspector, ""};
  e.at = at;
  e.note = "reported";
  e.photos = {std::string(64, 'a')};
  e.payload_json = R"({"category":"06010"})";
  return e;
}

NewCase MakeNewCase(Timestamp created_at, std::string key = "", std::string fingerprint = "") {
  return NewCase{MakeInitial(created_at), MakeCreatedEvent(created_at), std::move(key),
                 std::move(fingerprint)};
}

CaseEvent MakeAction(Action action, Timestamp at, std::string note = "") {
  CaseEvent e;
  e.type = EventType::kAction;
  e.action = action;
  e.actor = Actor{"dispatcher.zhao", Role::kDispatcher, ""};
  e.at = at;
  e.note = std::move(note);
  e.payload_json = "{}";
  return e;
}

class StoreConformanceTest : public BackendTest {
 protected:
  Case Create(Timestamp created_at) {
    auto r = cases().CreateCase(MakeNewCase(created_at));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->created_case : Case{};
  }

  // Appends one comment to `c` and returns the new state.
  Result<Case> Comment(const Case& c, std::string note,
                       const std::vector<CounterDelta>& counters = {}) {
    Case next = c;
    next.version = c.version + 1;
    next.updated_at = c.updated_at + Duration(1000);
    auto r = cases().Append(c.id, c.version, {MakeAction(Action::kComment, next.updated_at,
                                                         std::move(note))},
                            next, counters);
    if (!r.ok()) return r.status();
    return next;
  }

  std::vector<CaseEvent> AllEvents() {
    std::vector<CaseEvent> all;
    int64_t after = 0;
    while (true) {
      auto page = cases().EventsAfter(after, 7);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok() || page->empty()) break;
      after = page->back().global_seq;
      all.insert(all.end(), page->begin(), page->end());
    }
    return all;
  }

  void ExpectChainsVerify() {
    ChainVerifier verifier;
    for (const CaseEvent& e : AllEvents()) verifier.Add(e);
    EXPECT_TRUE(verifier.ok()) << verifier.first_broken()->ToString();
  }
};

// ---- CreateCase -------------------------------------------------------------------------------

TEST_P(StoreConformanceTest, CreateAssignsIdNumberVersionAndSealsTheCreatedEvent) {
  Timestamp t = At("2020-04-12T09:30:00+08:00");
  auto r = cases().CreateCase(MakeNewCase(t, "key-1", "fp-1"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->created);
  const Case& c = r->created_case;
  EXPECT_GT(c.id, 0);
  EXPECT_EQ(c.number, "20200412-000001");
  EXPECT_EQ(c.version, 1);
  EXPECT_EQ(c.idempotency_key, "key-1");

  Case expected = MakeInitial(t);
  expected.id = c.id;
  expected.number = c.number;
  expected.version = 1;
  expected.idempotency_key = "key-1";
  EXPECT_EQ(c, expected);

  auto loaded = cases().LoadCase(c.id);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(*loaded, expected);
  auto by_number = cases().LoadCaseByNumber("20200412-000001");
  ASSERT_TRUE(by_number.ok()) << by_number.status().ToString();
  EXPECT_EQ(*by_number, expected);

  auto history = cases().LoadHistory(c.id);
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), 1u);
  const CaseEvent& e = (*history)[0];
  CaseEvent want = MakeCreatedEvent(t);
  want.case_id = c.id;
  want.version = 1;
  want.global_seq = e.global_seq;
  SealEvent(want, "");
  EXPECT_EQ(e, want);
  EXPECT_GT(e.global_seq, 0);
  EXPECT_EQ(r->created_seq, e.global_seq);
  EXPECT_EQ(e.prev_hash, "");
  EXPECT_EQ(e.hash, EventHash(e));
}

TEST_P(StoreConformanceTest, CreateRejectsAFirstEventThatIsNotCreated) {
  NewCase n = MakeNewCase(At("2020-04-12T09:30:00+08:00"));
  n.created.type = EventType::kAction;
  n.created.action = Action::kComment;
  EXPECT_EQ(cases().CreateCase(n).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*cases().LastGlobalSeq(), 0);
}

TEST_P(StoreConformanceTest, RetryWithTheSameKeyAndFingerprintReturnsTheOriginalCase) {
  Timestamp t = At("2020-04-12T09:30:00+08:00");
  auto first = cases().CreateCase(MakeNewCase(t, "retry-key", "fp"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto moved = Comment(first->created_case, "moved on");
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  int64_t seq = *cases().LastGlobalSeq();

  auto retry = cases().CreateCase(MakeNewCase(t + Duration(5000), "retry-key", "fp"));
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  EXPECT_FALSE(retry->created);
  EXPECT_EQ(retry->created_seq, 0);  // nothing was written
  EXPECT_EQ(retry->created_case.id, first->created_case.id);
  EXPECT_EQ(retry->created_case.number, "20200412-000001");
  EXPECT_EQ(retry->created_case.version, 2);  // the case as it is now
  EXPECT_EQ(*cases().LastGlobalSeq(), seq);   // nothing written
  EXPECT_EQ(*cases().CountCases(CaseQuery{}), 1);
}

TEST_P(StoreConformanceTest, RetryWithTheSameKeyAndADifferentFingerprintIsAlreadyExists) {
  Timestamp t = At("2020-04-12T09:30:00+08:00");
  ASSERT_TRUE(cases().CreateCase(MakeNewCase(t, "k", "fp-a")).ok());
  auto other = cases().CreateCase(MakeNewCase(t, "k", "fp-b"));
  EXPECT_EQ(other.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(*cases().CountCases(CaseQuery{}), 1);
}

TEST_P(StoreConformanceTest, CasesWithoutKeysNeverCollide) {
  Timestamp t = At("2020-04-12T09:30:00+08:00");
  Case a = Create(t), b = Create(t);
  EXPECT_NE(a.id, b.id);
  EXPECT_NE(a.number, b.number);
}

TEST_P(StoreConformanceTest, CaseNumbersCountPerShanghaiDay) {
  // 23:59 in Shanghai and 00:00 the next day are one minute apart but two numbering days;
  // 2020-04-12T16:00Z is already 2020-04-13 in Shanghai.
  EXPECT_EQ(Create(At("2020-04-12T00:00:00+08:00")).number, "20200412-000001");
  EXPECT_EQ(Create(At("2020-04-12T23:59:59.999+08:00")).number, "20200412-000002");
  EXPECT_EQ(Create(At("2020-04-12T16:00:00Z")).number, "20200413-000001");
  EXPECT_EQ(Create(At("2020-04-12T15:59:00Z")).number, "20200412-000003");
  EXPECT_EQ(Create(At("2020-04-13T12:00:00+08:00")).number, "20200413-000002");
}

TEST_P(StoreConformanceTest, ConcurrentCreatesGetUniqueNumbersInIdOrder) {
  constexpr int kThreads = 8, kPerThread = 25;
  Timestamp t = At("2020-04-12T10:00:00+08:00");
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < kPerThread; ++j) {
        if (!cases().CreateCase(MakeNewCase(t)).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  CaseQuery q;
  q.sort = CaseSort::kCreatedAsc;  // equal created_at: ordered by id
  q.limit = 1000;
  auto page = cases().QueryCases(q);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->cases.size(), size_t{kThreads * kPerThread});
  for (size_t i = 0; i < page->cases.size(); ++i) {
    auto number = ParseCaseNumber(page->cases[i].number);
    ASSERT_TRUE(number.ok()) << number.status().ToString();
    EXPECT_EQ(number->sequence, static_cast<int64_t>(i + 1)) << page->cases[i].number;
  }
}

// 64 creates queued at once from one thread (the HTTP server's way): every completion arrives
// exactly once with what CreateCase would answer (new cases with unique numbers, the original
// for a retried key, kAlreadyExists for a key reused by another request, kInvalidArgument for a
// wrong first event), and everything answered ok is stored.
TEST_P(StoreConformanceTest, CreateCaseAsyncAnswersEveryCreateOnce) {
  constexpr int kCreates = 64;
  const Timestamp t = At("2020-04-12T10:00:00+08:00");
  ASSERT_TRUE(cases().CreateCase(MakeNewCase(t, "taken", "fp-taken")).ok());
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, std::vector<Result<CreateResult>>> answers;  // by name
  auto done = [&](std::string name) {
    return [&, name](Result<CreateResult> r) {
      std::lock_guard<std::mutex> lock(mu);
      answers[name].push_back(std::move(r));
      cv.notify_all();
    };
  };
  for (int i = 0; i < kCreates; ++i) {
    const std::string key = "async-" + std::to_string(i);
    cases().CreateCaseAsync(MakeNewCase(t, key, "fp"), {}, done(key));
  }
  cases().CreateCaseAsync(MakeNewCase(t, "taken", "fp-taken"), {}, done("retry"));
  cases().CreateCaseAsync(MakeNewCase(t, "taken", "fp-other"), {}, done("conflict"));
  NewCase wrong = MakeNewCase(t, "wrong", "fp");
  wrong.created.type = EventType::kAction;
  wrong.created.action = Action::kComment;
  cases().CreateCaseAsync(wrong, {}, done("wrong"));
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30),
                            [&] { return answers.size() == size_t{kCreates + 3}; }));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // no second answer comes
  std::lock_guard<std::mutex> lock(mu);
  std::set<std::string> numbers;
  for (const auto& [name, got] : answers) {
    ASSERT_EQ(got.size(), 1u) << name;
    if (name.starts_with("async-")) {
      ASSERT_TRUE(got[0].ok()) << name << ": " << got[0].status().ToString();
      EXPECT_TRUE(got[0]->created) << name;
      EXPECT_EQ(got[0]->created_case.idempotency_key, name);
      EXPECT_GT(got[0]->created_seq, 0) << name;
      numbers.insert(got[0]->created_case.number);
    }
  }
  EXPECT_EQ(numbers.size(), size_t{kCreates});
  ASSERT_TRUE(answers["retry"][0].ok()) << answers["retry"][0].status().ToString();
  EXPECT_FALSE(answers["retry"][0]->created);
  EXPECT_EQ(answers["retry"][0]->created_case.number, "20200412-000001");
  EXPECT_EQ(answers["conflict"][0].status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(answers["wrong"][0].status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*cases().CountCases(CaseQuery{}), kCreates + 1);
  for (const std::string& number : numbers) {
    auto stored = cases().LoadCaseByNumber(number);
    ASSERT_TRUE(stored.ok()) << number << ": " << stored.status().ToString();
    EXPECT_EQ(stored->version, 1);
  }
  ExpectChainsVerify();
}

TEST_P(StoreConformanceTest, GroupCommitStatsCountEveryQueuedWrite) {
  if (GetParam().name == "memory") GTEST_SKIP() << "the memory store has no group commit";
  constexpr int kCreates = 40;
  const GroupCommitStats before = store().group_commit_stats();
  const Timestamp t = At("2020-04-12T10:00:00+08:00");
  std::mutex mu;
  std::condition_variable cv;
  int answered = 0;
  for (int i = 0; i < kCreates; ++i) {
    cases().CreateCaseAsync(MakeNewCase(t, "stats-" + std::to_string(i), "fp"), {},
                            [&](Result<CreateResult> r) {
                              EXPECT_TRUE(r.ok()) << r.status().ToString();
                              std::lock_guard<std::mutex> lock(mu);
                              ++answered;
                              cv.notify_all();
                            });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return answered == kCreates; }));
  }
  ASSERT_TRUE(cases().CreateCase(MakeNewCase(t, "stats-sync", "fp")).ok());
  const GroupCommitStats after = store().group_commit_stats();
  EXPECT_EQ(after.writes - before.writes, kCreates + 1);
  EXPECT_GE(after.batches - before.batches, 2);  // the synchronous create came after the rest
  EXPECT_LE(after.batches - before.batches, kCreates + 1);
  EXPECT_GT(after.commit_seconds, before.commit_seconds);
}

// ---- Append -----------------------------------------------------------------------------------

TEST_P(StoreConformanceTest, AppendAdvancesTheVersionAndChainsTheHashes) {
  Case c = Create(At("2020-04-12T09:30:00+08:00"));
  Case next = c;
  next.version = 3;
  next.state = CaseState::kDispatched;
  next.unit = "410103-cg";
  next.updated_at = c.updated_at + Duration(60'000);
  std::vector<CaseEvent> events = {MakeAction(Action::kRegister, next.updated_at),
                                   MakeAction(Action::kDispatch, next.updated_at)};
  events[1].payload_json = R"({"unit":"410103-cg"})";
  auto stored = cases().Append(c.id, 1, events, next);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ((*stored)[0].version, 2);
  EXPECT_EQ((*stored)[1].version, 3);
  EXPECT_EQ((*stored)[0].case_id, c.id);
  EXPECT_LT((*stored)[0].global_seq, (*stored)[1].global_seq);

  auto history = cases().LoadHistory(c.id);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[1], (*stored)[0]);
  EXPECT_EQ((*history)[2], (*stored)[1]);
  EXPECT_EQ((*history)[1].prev_hash, (*history)[0].hash);
  EXPECT_EQ((*history)[2].prev_hash, (*history)[1].hash);
  for (const CaseEvent& e : *history) EXPECT_EQ(e.hash, EventHash(e));

  auto loaded = cases().LoadCase(c.id);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(*loaded, next);
  ExpectChainsVerify();
}

TEST_P(StoreConformanceTest, AppendKeepsTheStoredIdNumberAndIdempotencyKey) {
  auto r = cases().CreateCase(MakeNewCase(At("2020-04-12T09:30:00+08:00"), "idem", "fp"));
  ASSERT_TRUE(r.ok());
  Case next = r->created_case;
  next.version = 2;
  next.id = 999;
  next.number = "19990101-000001";
  next.idempotency_key = "other";
  ASSERT_TRUE(cases().Append(r->created_case.id, 1, {MakeAction(Action::kComment, next.updated_at)},
                             next)
                  .ok());
  auto loaded = cases().LoadCase(r->created_case.id);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->id, r->created_case.id);
  EXPECT_EQ(loaded->number, r->created_case.number);
  EXPECT_EQ(loaded->idempotency_key, "idem");
}

TEST_P(StoreConformanceTest, AppendWithAStaleVersionIsAbortedAndChangesNothing) {
  Case c = Create(At("2020-04-12T09:30:00+08:00"));
  auto v2 = Comment(c, "first", {{"m:comment", 1}});
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  const int64_t seq = *cases().LastGlobalSeq();

  auto stale = Comment(c, "second, from version 1", {{"m:comment", 1}});
  EXPECT_EQ(stale.status().code(), StatusCode::kAborted);

  EXPECT_EQ(*cases().LastGlobalSeq(), seq);
  EXPECT_EQ(cases().LoadHistory(c.id)->size(), 2u);
  EXPECT_EQ(*cases().LoadCase(c.id), *v2);
  auto counters = cases().ReadCounters("m:");
  ASSERT_TRUE(counters.ok());
  ASSERT_EQ(counters->size(), 1u);
  EXPECT_EQ((*counters)[0].delta, 1);
}

TEST_P(StoreConformanceTest, AppendToAMissingCaseIsNotFound) {
  Case ghost = MakeInitial(At("2020-04-12T09:30:00+08:00"));
  ghost.id = 12345;
  ghost.version = 1;
  EXPECT_EQ(Comment(ghost, "x").status().code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, AppendRejectsMalformedRequests) {
  Case c = Create(At("2020-04-12T09:30:00+08:00"));
  Case next = c;
  next.version = 2;
  EXPECT_EQ(cases().Append(c.id, 1, {}, next).status().code(), StatusCode::kInvalidArgument);
  next.version = 3;  // one event cannot take version 1 to 3
  EXPECT_EQ(cases().Append(c.id, 1, {MakeAction(Action::kComment, c.updated_at)}, next)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(cases().LoadHistory(c.id)->size(), 1u);
}

TEST_P(StoreConformanceTest, CountersChangeAtomicallyWithTheirEvents) {
  Timestamp t = At("2020-04-12T09:30:00+08:00");
  auto r = cases().CreateCase(MakeNewCase(t), {{"d:2020-04-12|m:reported", 1},
                                                 {"d:2020-04-12|u:a|m:reported", 1}});
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(cases().CreateCase(MakeNewCase(t), {{"d:2020-04-12|m:reported", 1}}).ok());
  ASSERT_TRUE(Comment(r->created_case, "c", {{"d:2020-04-12|m:reported", -1},
                                            {"d:2020-04-13|m:reported", 5}})
                  .ok());
  auto day = cases().ReadCounters("d:2020-04-12|");
  ASSERT_TRUE(day.ok());
  ASSERT_EQ(day->size(), 2u);
  EXPECT_EQ((*day)[0].key, "d:2020-04-12|m:reported");
  EXPECT_EQ((*day)[0].delta, 1);
  EXPECT_EQ((*day)[1].key, "d:2020-04-12|u:a|m:reported");
  EXPECT_EQ((*day)[1].delta, 1);
  EXPECT_EQ(cases().ReadCounters("d:")->size(), 3u);
  EXPECT_EQ(cases().ReadCounters("")->size(), 3u);
  EXPECT_TRUE(cases().ReadCounters("x:")->empty());
}

TEST_P(StoreConformanceTest, FailedWritesDoNotPoisonConcurrentOnes) {
  // Writers sharing a group commit: the stale half fails alone, every fresh write lands.
  constexpr int kThreads = 8, kRounds = 20;
  Timestamp t = At("2020-04-12T09:30:00+08:00");
  std::vector<Case> mine;
  for (int i = 0; i < kThreads; ++i) mine.push_back(Create(t));
  std::atomic<int> unexpected{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Case previous = mine[i], current = mine[i];
      for (int round = 0; round < kRounds; ++round) {
        auto fresh = Comment(current, "fresh", {{"x:fresh", 1}});
        if (!fresh.ok()) {
          ++unexpected;
          return;
        }
        previous = current;
        current = *fresh;
        auto stale = Comment(previous, "stale", {{"x:stale", 1}});
        if (stale.status().code() != StatusCode::kAborted) ++unexpected;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(unexpected.load(), 0);
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(cases().LoadCase(mine[i].id)->version, 1 + kRounds);
    EXPECT_EQ(cases().LoadHistory(mine[i].id)->size(), size_t{1 + kRounds});
  }
  auto fresh = cases().ReadCounters("x:fresh");
  ASSERT_TRUE(fresh.ok());
  ASSERT_EQ(fresh->size(), 1u);
  EXPECT_EQ((*fresh)[0].delta, kRounds * kThreads);
  EXPECT_TRUE(cases().ReadCounters("x:stale")->empty());
  ExpectChainsVerify();
}

// ---- Loading ----------------------------------------------------------------------------------

TEST_P(StoreConformanceTest, LoadingWhatDoesNotExistIsNotFound) {
  EXPECT_EQ(cases().LoadCase(77).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(cases().LoadCaseByNumber("20200412-000001").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(cases().LoadHistory(77).status().code(), StatusCode::kNotFound);
}

// ---- Queries ----------------------------------------------------------------------------------

// A deterministic mix of cases covering every filter dimension.
std::vector<NewCase> QueryDataset(int n) {
  std::mt19937 rng(20200412);
  const CaseState states[] = {CaseState::kReported, CaseState::kPending, CaseState::kDispatched,
                              CaseState::kHandling, CaseState::kClosed};
  const Channel channels[] = {Channel::kInspector, Channel::kPublic, Channel::kHotline};
  const char* categories[] = {"06010", "07001", "09009"};
  const char* units[] = {"", "u-cg", "u-sz"};
  const char* subdistricts[] = {"410103001", "410103002"};
  const char* texts[] = {"暴露垃圾 at the market", "illegal parking 乱停放", "小广告 on a pole",
                         "dust from a site"};
  const char* addresses[] = {"大学路 1 号", "建设路 99 号", "market street"};
  std::vector<NewCase> out;
  Timestamp base = At("2020-04-10T08:00:00+08:00");
  for (int i = 0; i < n; ++i) {
    // Several cases share a created_at, so ties are broken by id.
    Timestamp created = base + std::chrono::minutes(37 * (i / 3));
    NewCase nc = MakeNewCase(created);
    Case& c = nc.initial;
    c.state = states[rng() % 5];
    c.channel = channels[rng() % 3];
    c.category = categories[rng() % 3];
    c.unit = units[rng() % 3];
    std::string sub = subdistricts[rng() % 2];
    std::string community = sub + (rng() % 2 ? "001" : "002");
    c.location.subdistrict_code = sub;
    c.location.community_code = community;
    c.location.grid_code = community + (rng() % 2 ? "001" : "002");
    c.location.lon = 113.60 + 0.01 * (rng() % 10);
    c.location.lat = 34.70 + 0.01 * (rng() % 10);
    c.description = texts[rng() % 4];
    c.location.address = addresses[rng() % 3];
    c.overdue = rng() % 4 == 0;
    if (rng() % 3 == 0) {
      c.stage_deadline.reset();
    } else {
      c.stage_deadline = created + std::chrono::hours(rng() % 48);
    }
    c.updated_at = created + std::chrono::minutes(rng() % 500);
    out.push_back(std::move(nc));
  }
  return out;
}

struct QueryCaseRow {
  const char* name;
  void (*set)(CaseQuery&);
};

const QueryCaseRow kQueries[] = {
    {"all", [](CaseQuery&) {}},
    {"one state", [](CaseQuery& q) { q.states = {CaseState::kHandling}; }},
    {"two states", [](CaseQuery& q) { q.states = {CaseState::kReported, CaseState::kClosed}; }},
    {"category", [](CaseQuery& q) { q.category = "07001"; }},
    {"unit", [](CaseQuery& q) { q.unit = "u-cg"; }},
    {"district", [](CaseQuery& q) { q.district = "410103"; }},
    {"other district", [](CaseQuery& q) { q.district = "410102"; }},
    {"subdistrict", [](CaseQuery& q) { q.subdistrict = "410103002"; }},
    {"community", [](CaseQuery& q) { q.community = "410103001001"; }},
    {"grid", [](CaseQuery& q) { q.grid = "410103002002001"; }},
    {"channel", [](CaseQuery& q) { q.channel = Channel::kHotline; }},
    {"created from", [](CaseQuery& q) { q.created_from = At("2020-04-11T00:00:00+08:00"); }},
    {"created to", [](CaseQuery& q) { q.created_to = At("2020-04-11T00:00:00+08:00"); }},
    {"created window",
     [](CaseQuery& q) {
       q.created_from = At("2020-04-10T12:00:00+08:00");
       q.created_to = At("2020-04-11T12:00:00+08:00");
     }},
    {"window edge is [from, to)",
     [](CaseQuery& q) {
       q.created_from = At("2020-04-10T08:37:00+08:00");
       q.created_to = At("2020-04-10T09:51:00+08:00");
     }},
    {"overdue", [](CaseQuery& q) { q.overdue = true; }},
    {"not overdue", [](CaseQuery& q) { q.overdue = false; }},
    {"deadline before", [](CaseQuery& q) { q.deadline_before = At("2020-04-11T06:00:00+08:00"); }},
    {"bbox", [](CaseQuery& q) { q.bbox = geo::BoundingBox{113.62, 34.72, 113.66, 34.76}; }},
    {"text in description", [](CaseQuery& q) { q.text = "乱停放"; }},
    {"text in address", [](CaseQuery& q) { q.text = "建设路"; }},
    {"text in either", [](CaseQuery& q) { q.text = "market"; }},
    {"text is case-sensitive", [](CaseQuery& q) { q.text = "MARKET"; }},
    {"combined",
     [](CaseQuery& q) {
       q.states = {CaseState::kDispatched, CaseState::kHandling, CaseState::kPending};
       q.subdistrict = "410103001";
       q.channel = Channel::kPublic;
       q.created_from = At("2020-04-10T10:00:00+08:00");
     }},
};

const CaseSort kSorts[] = {CaseSort::kCreatedDesc, CaseSort::kCreatedAsc, CaseSort::kDeadlineAsc,
                           CaseSort::kUpdatedDesc};

TEST_P(StoreConformanceTest, QueriesMatchTheReferenceSemanticsForEveryFilterAndSort) {
  std::vector<Case> all;
  for (const NewCase& nc : QueryDataset(90)) {
    auto r = cases().CreateCase(nc);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    all.push_back(r->created_case);
  }
  for (const QueryCaseRow& row : kQueries) {
    for (CaseSort sort : kSorts) {
      SCOPED_TRACE(std::string(row.name) + ", " + std::string(Name(sort)));
      CaseQuery q;
      row.set(q);
      q.sort = sort;
      std::vector<Case> expected;
      for (const Case& c : all) {
        if (MatchesCaseQuery(c, q)) expected.push_back(c);
      }
      std::stable_sort(expected.begin(), expected.end(), [&](const Case& a, const Case& b) {
        return SortsBefore(SortKeyOf(a, sort), SortKeyOf(b, sort), sort);
      });
      auto count = cases().CountCases(q);
      ASSERT_TRUE(count.ok()) << count.status().ToString();
      EXPECT_EQ(*count, static_cast<int64_t>(expected.size()));

      std::vector<int64_t> got_ids, want_ids;
      for (const Case& c : expected) want_ids.push_back(c.id);
      q.limit = 7;
      int pages = 0;
      while (true) {
        auto page = cases().QueryCases(q);
        ASSERT_TRUE(page.ok()) << page.status().ToString();
        ASSERT_LE(page->cases.size(), 7u);
        for (const Case& c : page->cases) got_ids.push_back(c.id);
        ++pages;
        ASSERT_LT(pages, 100);
        if (page->next_cursor.empty()) break;
        EXPECT_EQ(page->cases.size(), 7u) << "only the last page may be short";
        q.cursor = page->next_cursor;
      }
      EXPECT_EQ(got_ids, want_ids);
    }
  }
}

TEST_P(StoreConformanceTest, QueryReturnsWholeCases) {
  std::vector<NewCase> data = QueryDataset(3);
  auto r = cases().CreateCase(data[1]);
  ASSERT_TRUE(r.ok());
  auto page = cases().QueryCases(CaseQuery{});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->cases.size(), 1u);
  EXPECT_EQ(page->cases[0], r->created_case);
  EXPECT_EQ(page->next_cursor, "");
}

TEST_P(StoreConformanceTest, PaginationHasNoDuplicatesOrGapsWhileRowsAreInserted) {
  Timestamp base = At("2020-04-12T09:00:00+08:00");
  for (CaseSort sort : {CaseSort::kCreatedDesc, CaseSort::kCreatedAsc}) {
    SCOPED_TRACE(std::string(Name(sort)));
    std::set<int64_t> before;
    for (int i = 0; i < 40; ++i) before.insert(Create(base + std::chrono::minutes(i / 2)).id);
    CaseQuery q;
    q.sort = sort;
    q.limit = 6;
    std::vector<int64_t> seen;
    int inserted = 0;
    while (true) {
      auto page = cases().QueryCases(q);
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      for (const Case& c : page->cases) seen.push_back(c.id);
      // Between pages, others insert cases older, newer and equal to those already seen.
      Create(base - std::chrono::minutes(++inserted));
      Create(base + std::chrono::hours(1) + std::chrono::minutes(inserted));
      Create(base + std::chrono::minutes(10));
      if (page->next_cursor.empty()) break;
      q.cursor = page->next_cursor;
    }
    std::set<int64_t> unique(seen.begin(), seen.end());
    EXPECT_EQ(unique.size(), seen.size()) << "a case was returned twice";
    for (int64_t id : before) EXPECT_TRUE(unique.count(id)) << "case id " << id << " was skipped";
  }
}

TEST_P(StoreConformanceTest, BadQueriesAreInvalidArgument) {
  Create(At("2020-04-12T09:00:00+08:00"));
  Create(At("2020-04-12T09:00:00+08:00"));
  CaseQuery q;
  q.limit = 0;
  EXPECT_EQ(cases().QueryCases(q).status().code(), StatusCode::kInvalidArgument);
  q.limit = 1001;
  EXPECT_EQ(cases().QueryCases(q).status().code(), StatusCode::kInvalidArgument);
  q.limit = 1;
  q.cursor = "garbage";
  EXPECT_EQ(cases().QueryCases(q).status().code(), StatusCode::kInvalidArgument);

  CaseQuery first;
  first.limit = 1;
  auto page = cases().QueryCases(first);
  ASSERT_TRUE(page.ok());
  ASSERT_FALSE(page->next_cursor.empty());
  CaseQuery other_sort;
  other_sort.sort = CaseSort::kDeadlineAsc;
  other_sort.cursor = page->next_cursor;
  EXPECT_EQ(cases().QueryCases(other_sort).status().code(), StatusCode::kInvalidArgument);
}

// ---- The global log ---------------------------------------------------------------------------

TEST_P(StoreConformanceTest, EventsAfterFollowsTheLogInCommitOrder) {
  EXPECT_EQ(*cases().LastGlobalSeq(), 0);
  EXPECT_TRUE(cases().EventsAfter(0, 10)->empty());
  Timestamp t = At("2020-04-12T09:00:00+08:00");
  std::vector<Case> cs;
  for (int i = 0; i < 5; ++i) cs.push_back(Create(t));
  std::vector<std::pair<int64_t, int64_t>> order;  // (case, version) in the order we wrote
  for (const Case& c : cs) order.push_back({c.id, 1});
  for (int round = 0; round < 4; ++round) {
    for (Case& c : cs) {
      auto next = Comment(c, "r" + std::to_string(round));
      ASSERT_TRUE(next.ok());
      c = *next;
      order.push_back({c.id, c.version});
    }
  }
  std::vector<CaseEvent> all = AllEvents();
  ASSERT_EQ(all.size(), order.size());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(std::make_pair(all[i].case_id, all[i].version), order[i]);
    if (i > 0) {
      EXPECT_GT(all[i].global_seq, all[i - 1].global_seq);
    }
  }
  EXPECT_EQ(*cases().LastGlobalSeq(), all.back().global_seq);
  EXPECT_TRUE(cases().EventsAfter(all.back().global_seq, 10)->empty());
  auto tail = cases().EventsAfter(all[all.size() - 3].global_seq, 10);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ((*tail)[0], all[all.size() - 2]);
  // Events carry everything LoadHistory has.
  auto history = cases().LoadHistory(cs[0].id);
  ASSERT_TRUE(history.ok());
  for (const CaseEvent& e : *history) {
    EXPECT_NE(std::find(all.begin(), all.end(), e), all.end()) << e.version;
  }
  EXPECT_EQ(cases().EventsAfter(0, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(cases().EventsAfter(0, 10001).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreConformanceTest, ConcurrentWritersKeepEveryChainIntact) {
  constexpr int kThreads = 8, kAppends = 15;
  Timestamp t = At("2020-04-12T09:00:00+08:00");
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      auto created = cases().CreateCase(MakeNewCase(t));
      if (!created.ok()) {
        ++failures;
        return;
      }
      Case c = created->created_case;
      for (int j = 0; j < kAppends; ++j) {
        auto next = Comment(c, "n" + std::to_string(j));
        if (!next.ok()) {
          ++failures;
          return;
        }
        c = *next;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  std::vector<CaseEvent> all = AllEvents();
  EXPECT_EQ(all.size(), size_t{kThreads * (1 + kAppends)});
  ExpectChainsVerify();
}

// ---- Documents --------------------------------------------------------------------------------

TEST_P(StoreConformanceTest, DocumentsAreVersioned) {
  DocumentStore& docs = store().documents();
  auto v1 = docs.Put("unit", "u-cg", R"({"name":"城管局"})", 0);
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(v1->version, 1);
  EXPECT_EQ(docs.Put("unit", "u-cg", "{}", 0).status().code(), StatusCode::kAlreadyExists);
  auto v2 = docs.Put("unit", "u-cg", R"({"name":"城市管理局"})", 1);
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_EQ(v2->version, 2);
  EXPECT_EQ(docs.Put("unit", "u-cg", "{}", 1).status().code(), StatusCode::kAborted);
  EXPECT_EQ(docs.Put("unit", "u-none", "{}", 3).status().code(), StatusCode::kNotFound);
  auto v3 = docs.Put("unit", "u-cg", R"({"name":"x"})");  // unconditional
  ASSERT_TRUE(v3.ok());
  EXPECT_EQ(v3->version, 3);

  auto got = docs.Get("unit", "u-cg");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->kind, "unit");
  EXPECT_EQ(got->key, "u-cg");
  EXPECT_EQ(got->json, R"({"name":"x"})");
  EXPECT_EQ(got->version, 3);
  EXPECT_EQ(docs.Get("unit", "nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(docs.Get("user", "u-cg").status().code(), StatusCode::kNotFound);

  EXPECT_EQ(docs.Put("", "k", "{}").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(docs.Put("unit", "", "{}").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(docs.Put("unit", "k", "{}", -2).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreConformanceTest, DocumentsListByKindInKeyOrderAndDelete) {
  DocumentStore& docs = store().documents();
  ASSERT_TRUE(docs.Put("user", "wang", "{}").ok());
  ASSERT_TRUE(docs.Put("user", "li", "{}").ok());
  ASSERT_TRUE(docs.Put("user", "zhao", "{}").ok());
  ASSERT_TRUE(docs.Put("setting", "li", "{}").ok());
  auto users = docs.List("user");
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 3u);
  EXPECT_EQ((*users)[0].key, "li");
  EXPECT_EQ((*users)[1].key, "wang");
  EXPECT_EQ((*users)[2].key, "zhao");
  EXPECT_TRUE(docs.List("session")->empty());

  EXPECT_TRUE(docs.Delete("user", "wang").ok());
  EXPECT_EQ(docs.Delete("user", "wang").code(), StatusCode::kNotFound);
  EXPECT_EQ(docs.Get("user", "wang").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(docs.List("user")->size(), 2u);
  EXPECT_TRUE(docs.Get("setting", "li").ok());
  // A deleted document starts again at version 1.
  auto again = docs.Put("user", "wang", "{}", 0);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->version, 1);
}

// ---- Media ------------------------------------------------------------------------------------

TEST_P(StoreConformanceTest, MediaAreStoredByContentHash) {
  MediaStore& media = store().media();
  std::string photo = "\x89PNG\r\n\x1a\n";
  photo += std::string(5000, '\0') + "井盖";
  auto hash = media.Put(photo);
  ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  EXPECT_EQ(*hash, Sha256Hex(photo));
  auto again = media.Put(photo);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *hash);
  auto got = media.Get(*hash);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, photo);
  auto empty = media.Put("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*media.Get(*empty), "");

  EXPECT_EQ(media.Get(Sha256Hex("never stored")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(media.Get("../../etc/passwd").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(media.Get(std::string(64, 'A')).status().code(), StatusCode::kInvalidArgument);
}

// ---- Durability -------------------------------------------------------------------------------

TEST_P(StoreConformanceTest, ReopeningSeesEverythingCommitted) {
  if (!GetParam().durable) GTEST_SKIP() << GetParam().name << " is not durable";
  auto r = cases().CreateCase(MakeNewCase(At("2020-04-12T09:00:00+08:00"), "k", "fp"),
                              {{"c", 2}});
  ASSERT_TRUE(r.ok());
  auto next = Comment(r->created_case, "after");
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(store().documents().Put("setting", "name", "\"二七区\"").ok());
  auto photo = store().media().Put("photo bytes");
  ASSERT_TRUE(photo.ok());
  std::vector<CaseEvent> events = AllEvents();

  Reopen();
  EXPECT_EQ(*cases().LoadCase(next->id), *next);
  EXPECT_EQ(AllEvents(), events);
  EXPECT_EQ(store().documents().Get("setting", "name")->json, "\"二七区\"");
  EXPECT_EQ(*store().media().Get(*photo), "photo bytes");
  EXPECT_EQ((*cases().ReadCounters("c"))[0].delta, 2);
  auto retry = cases().CreateCase(MakeNewCase(At("2020-04-12T09:00:00+08:00"), "k", "fp"));
  ASSERT_TRUE(retry.ok());
  EXPECT_FALSE(retry->created);
  // Numbering continues where it stopped.
  EXPECT_EQ(Create(At("2020-04-12T10:00:00+08:00")).number, "20200412-000002");
  ExpectChainsVerify();
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformanceTest, ::testing::ValuesIn(testing::StoreBackends()),
                         testing::BackendName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreConformanceTest);

}  // namespace
}  // namespace citygrid::storage
