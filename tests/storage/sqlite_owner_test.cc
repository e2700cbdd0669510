// One server process owns a SQLite data directory (SqliteStoreOptions::own_data_dir): a second
// owner is refused with a message naming the directory and the holder, and the owner answers
// CaseVersionSource::CurrentVersion from the versions it committed or read. Also the
// CaseVersionMap those answers come from.

#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "citygrid/storage/case_version_source.h"
#include "citygrid/storage/sqlite_store.h"
#include "src/storage/sqlite/case_version_map.h"
#include "src/storage/sqlite/recent_events.h"
#include "tests/testing/paths.h"

namespace citygrid::storage {
namespace {

class SqliteOwnerTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = citygrid::testing::MakeTempDir("citygrid-sqlite-owner"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Result<std::unique_ptr<Store>> Open(bool own) {
    SqliteStoreOptions options;
    options.data_dir = dir_;
    options.own_data_dir = own;
    return OpenSqliteStore(options);
  }

  static NewCase SimpleCase() {
    NewCase n;
    n.initial.category = "06010";
    n.initial.created_at = *ParseIso8601("2020-04-12T09:00:00+08:00");
    n.initial.updated_at = n.initial.created_at;
    n.created.type = EventType::kCreated;
    n.created.at = n.initial.created_at;
    n.created.payload_json = "{}";
    return n;
  }

  static CaseEvent Comment() {
    CaseEvent e;
    e.type = EventType::kAction;
    e.action = Action::kComment;
    e.actor = Actor{"operator", Role::kOperator, ""};
    e.at = *ParseIso8601("2020-04-12T10:00:00+08:00");
    e.payload_json = "{}";
    return e;
  }

  // Appends one comment to `c` through `store`; returns the case at its new version.
  static Case AppendComment(Store& store, Case c) {
    Case next = c;
    next.version = c.version + 1;
    auto appended = store.cases().Append(c.id, c.version, {Comment()}, next);
    EXPECT_TRUE(appended.ok()) << appended.status().ToString();
    return next;
  }

  std::string dir_;
};

TEST_F(SqliteOwnerTest, ASecondOwnerIsRefusedNamingTheDirectoryAndTheHolder) {
  auto first = Open(/*own=*/true);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = Open(/*own=*/true);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  const std::string& message = second.status().message();
  EXPECT_NE(message.find("data directory " + dir_ + " is in use by another citygrid server"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("(pid " + std::to_string(::getpid()) + ")"), std::string::npos)
      << message;
  // The refused open changed nothing: the owner still writes and reads.
  auto created = (*first)->cases().CreateCase(SimpleCase());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE((*first)->cases().LoadCaseByNumber(created->created_case.number).ok());
}

TEST_F(SqliteOwnerTest, TheDirectoryIsFreeAgainOnceTheOwnerCloses) {
  auto first = Open(/*own=*/true);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  first->reset();
  auto second = Open(/*own=*/true);
  EXPECT_TRUE(second.ok()) << second.status().ToString();
}

TEST_F(SqliteOwnerTest, NonOwningOpenersWorkBesideTheOwner) {
  auto owner = Open(/*own=*/true);
  ASSERT_TRUE(owner.ok()) << owner.status().ToString();
  auto other = Open(/*own=*/false);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_TRUE((*other)->documents().Put("setting", "k", "{}").ok());
}

TEST_F(SqliteOwnerTest, CurrentVersionFollowsEveryWriteOfTheOwner) {
  auto store = Open(/*own=*/true);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  CaseVersionSource* versions = VersionSourceOf((*store)->cases());
  ASSERT_NE(versions, nullptr);
  auto created = (*store)->cases().CreateCase(SimpleCase());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  Case c = created->created_case;
  for (int i = 0; i < 3; ++i) {
    Result<CaseVersion> v = versions->CurrentVersion(c.number);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(v->id, c.id);
    EXPECT_EQ(v->version, c.version);
    c = AppendComment(**store, c);
  }
  // A failed write (stale version) leaves the version where it is.
  Case stale = c;
  stale.version = c.version;  // next of version-1: rejected as stale
  EXPECT_EQ((*store)->cases().Append(c.id, c.version - 1, {Comment()}, stale).status().code(),
            StatusCode::kAborted);
  Result<CaseVersion> v = versions->CurrentVersion(c.number);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->version, c.version);
  EXPECT_EQ(versions->CurrentVersion("20200412-999999").status().code(), StatusCode::kNotFound);
}

TEST_F(SqliteOwnerTest, AReopenedOwnerReadsVersionsWrittenBeforeIt) {
  Case c;
  {
    auto store = Open(/*own=*/true);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto created = (*store)->cases().CreateCase(SimpleCase());
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    c = AppendComment(**store, created->created_case);
  }
  auto store = Open(/*own=*/true);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Result<CaseVersion> v = VersionSourceOf((*store)->cases())->CurrentVersion(c.number);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->version, 2);
  // Known now; the owner's next write still raises it.
  c = AppendComment(**store, c);
  EXPECT_EQ(VersionSourceOf((*store)->cases())->CurrentVersion(c.number)->version, 3);
}

TEST_F(SqliteOwnerTest, WithoutOwnershipEveryCallReadsTheDatabase) {
  // Two stores that do not own the directory (as two processes would be): a write of one is
  // seen by the other at once.
  auto a = Open(/*own=*/false);
  auto b = Open(/*own=*/false);
  ASSERT_TRUE(a.ok() && b.ok());
  auto created = (*a)->cases().CreateCase(SimpleCase());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  Case c = created->created_case;
  CaseVersionSource* versions_b = VersionSourceOf((*b)->cases());
  EXPECT_EQ(versions_b->CurrentVersion(c.number)->version, 1);
  c = AppendComment(**a, c);
  EXPECT_EQ(versions_b->CurrentVersion(c.number)->version, 2);
}

// The owner answers EventsAfter for its own recent writes from memory (RecentEvents): the same
// events, field for field, as a non-owner reads from the table; past a write the owner did not
// make itself (here a non-owner's) it reads the table, and its own later writes follow.
TEST_F(SqliteOwnerTest, RecentEventsFromMemoryEqualTheTableAndAForeignWriteIsReadFromIt) {
  auto owner = Open(/*own=*/true);
  auto other = Open(/*own=*/false);
  ASSERT_TRUE(owner.ok() && other.ok());
  auto compare = [&](int64_t after, int limit) {
    auto mine = (*owner)->cases().EventsAfter(after, limit);
    auto table = (*other)->cases().EventsAfter(after, limit);
    ASSERT_TRUE(mine.ok() && table.ok());
    EXPECT_EQ(*mine, *table) << "after " << after << ", limit " << limit;
  };
  auto first = (*owner)->cases().CreateCase(SimpleCase());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  Case a = AppendComment(**owner, first->created_case);
  std::promise<Result<CreateResult>> async;
  NewCase second = SimpleCase();
  second.created.note = "async";
  second.created.photos = {std::string(64, 'a'), std::string(64, 'b')};
  (*owner)->cases().CreateCaseAsync(second, {}, [&](Result<CreateResult> r) {
    async.set_value(std::move(r));
  });
  ASSERT_TRUE(async.get_future().get().ok());
  a = AppendComment(**owner, a);
  for (int64_t after = 0; after <= 5; ++after) {
    for (int limit : {1, 2, 100}) compare(after, limit);
  }
  // A case written by another opener is not in the owner's memory: the table answers.
  auto foreign = (*other)->cases().CreateCase(SimpleCase());
  ASSERT_TRUE(foreign.ok()) << foreign.status().ToString();
  Case b = AppendComment(**owner, a);
  auto tail = (*owner)->cases().EventsAfter(4, 100);  // 5 is the foreign case's, 6 the owner's
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ((*tail)[0].global_seq, 5);
  EXPECT_EQ((*tail)[0].case_id, foreign->created_case.id);
  EXPECT_EQ((*tail)[1].global_seq, 6);
  EXPECT_EQ((*tail)[1].version, b.version);
  for (int64_t after = 0; after <= 6; ++after) compare(after, 100);
}

// Several threads create and change cases on the owner (synchronous and queued creates, appends)
// while a reader follows the log through EventsAfter in small pages: it sees every event once,
// in order and without a gap, whether memory or the table answered, and ends with what a
// non-owner reads from the table.
TEST_F(SqliteOwnerTest, AReaderFollowingTheOwnersLogWhileItWritesMissesNoEvent) {
  auto owner = Open(/*own=*/true);
  auto other = Open(/*own=*/false);
  ASSERT_TRUE(owner.ok() && other.ok());
  CaseStore& cases = (*owner)->cases();
  std::atomic<bool> writing{true};
  std::vector<CaseEvent> seen;
  std::string reader_error;
  std::thread reader([&] {
    int64_t position = 0;
    for (bool last = false;;) {
      const bool was_writing = writing.load();
      auto page = cases.EventsAfter(position, 7);
      if (!page.ok()) {
        reader_error = page.status().ToString();
        return;
      }
      for (CaseEvent& e : *page) {
        if (e.global_seq != position + 1) {
          reader_error = "after " + std::to_string(position) + " came " +
                         std::to_string(e.global_seq);
          return;
        }
        position = e.global_seq;
        seen.push_back(std::move(e));
      }
      if (last && page->empty()) return;
      last = !was_writing;  // one more empty read after the writers stopped
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 40; ++i) {
        NewCase n = SimpleCase();
        n.created.note = "writer " + std::to_string(w) + " case " + std::to_string(i);
        if (i % 2 == 0) {
          std::promise<Result<CreateResult>> queued;
          cases.CreateCaseAsync(n, {}, [&](Result<CreateResult> r) { queued.set_value(std::move(r)); });
          Result<CreateResult> created = queued.get_future().get();
          ASSERT_TRUE(created.ok()) << created.status().ToString();
        } else {
          auto created = cases.CreateCase(n);
          ASSERT_TRUE(created.ok()) << created.status().ToString();
          AppendComment(**owner, created->created_case);
        }
      }
    });
  }
  for (std::thread& t : writers) t.join();
  writing = false;
  reader.join();
  ASSERT_EQ(reader_error, "");
  auto table = (*other)->cases().EventsAfter(0, 10000);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->size(), 4u * (20 + 20 * 2));
  EXPECT_EQ(seen, *table);
}

// The owner lists cases from its catalog: after a reopen (the catalog read back from the table)
// and for a non-owner (SQL on the table) the lists and counts are the same.
TEST_F(SqliteOwnerTest, TheCatalogIsReadBackOnReopenAndAgreesWithSql) {
  auto numbers = [](const CasePage& page) {
    std::vector<std::string> out;
    for (const Case& c : page.cases) out.push_back(c.number);
    return out;
  };
  CaseQuery by_unit;
  by_unit.unit = "u2";
  by_unit.sort = CaseSort::kUpdatedDesc;
  by_unit.limit = 2;
  CaseQuery all_desc;
  all_desc.limit = 1000;
  std::vector<std::string> first_page, everything;
  {
    auto owner = Open(/*own=*/true);
    ASSERT_TRUE(owner.ok()) << owner.status().ToString();
    for (int i = 0; i < 5; ++i) {
      NewCase n = SimpleCase();
      n.initial.unit = i % 2 == 0 ? "u1" : "u2";
      n.initial.created_at += std::chrono::minutes(10 * (5 - i));  // newest first
      n.initial.updated_at = n.initial.created_at;
      ASSERT_TRUE((*owner)->cases().CreateCase(n).ok());
    }
    auto page = (*owner)->cases().QueryCases(all_desc);
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page->cases.size(), 5u);
    // A new version moves a case to unit u2: the catalog follows the append.
    Case moved = page->cases.back();
    moved.version += 1;
    moved.unit = "u2";
    moved.updated_at += std::chrono::hours(5);
    ASSERT_TRUE((*owner)->cases().Append(moved.id, moved.version - 1, {Comment()}, moved).ok());
    auto unit_page = (*owner)->cases().QueryCases(by_unit);
    ASSERT_TRUE(unit_page.ok());
    ASSERT_EQ(unit_page->cases.size(), 2u);
    EXPECT_EQ(unit_page->cases[0].number, moved.number);
    EXPECT_FALSE(unit_page->next_cursor.empty());
    EXPECT_EQ(*(*owner)->cases().CountCases(by_unit), 3);
    first_page = numbers(*unit_page);
    everything = numbers(*(*owner)->cases().QueryCases(all_desc));
  }
  for (bool own : {true, false}) {
    auto store = Open(own);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_EQ(numbers(*(*store)->cases().QueryCases(by_unit)), first_page) << "own " << own;
    EXPECT_EQ(numbers(*(*store)->cases().QueryCases(all_desc)), everything) << "own " << own;
    EXPECT_EQ(*(*store)->cases().CountCases(by_unit), 3) << "own " << own;
  }
}

TEST(CaseVersionMapTest, VersionsOnlyRise) {
  sqlite::CaseVersionMap map;
  EXPECT_FALSE(map.Find("n").has_value());
  map.Committed("n", {7, 3});
  map.Learn("n", {7, 2}, map.epoch());  // an older read arriving late
  ASSERT_TRUE(map.Find("n").has_value());
  EXPECT_EQ(map.Find("n")->version, 3);
  map.Committed("n", {7, 4});
  EXPECT_EQ(map.Find("n")->version, 4);
  map.Learn("m", {8, 1}, map.epoch());
  EXPECT_EQ(map.Find("m")->id, 8);
}

TEST(CaseVersionMapTest, AFullMapEmptiesAndDropsReadsThatBeganBefore) {
  sqlite::CaseVersionMap map(/*max_entries=*/2);
  map.Committed("a", {1, 1});
  map.Committed("b", {2, 1});
  const uint64_t before = map.epoch();
  map.Committed("c", {3, 5});  // full: emptied, then c
  EXPECT_EQ(map.size(), 1u);
  EXPECT_FALSE(map.Find("a").has_value());
  EXPECT_EQ(map.Find("c")->version, 5);
  // A read of "a" that began before the emptying may predate a commit the map forgot.
  map.Learn("a", {1, 1}, before);
  EXPECT_FALSE(map.Find("a").has_value());
  map.Learn("a", {1, 2}, map.epoch());
  EXPECT_EQ(map.Find("a")->version, 2);
}

}  // namespace
}  // namespace citygrid::storage

namespace citygrid::storage::sqlite {
namespace {

CaseEvent Seq(int64_t seq) {
  CaseEvent e;
  e.global_seq = seq;
  e.case_id = seq * 10;
  e.note = "event " + std::to_string(seq);
  return e;
}

std::vector<int64_t> SeqsOf(const std::optional<std::vector<CaseEvent>>& events) {
  std::vector<int64_t> out;
  if (events) {
    for (const CaseEvent& e : *events) out.push_back(e.global_seq);
  }
  return out;
}

TEST(RecentEventsTest, AnswersOnlyAConsecutiveRunRightAfterThePosition) {
  RecentEvents recent(100);
  EXPECT_FALSE(recent.After(0, 10).has_value());
  recent.Add(std::vector<CaseEvent>{Seq(1), Seq(2), Seq(4)});  // 3 committed, not added yet
  EXPECT_FALSE(recent.After(0, 10).has_value());  // 3 is missing before 4: the database answers
  EXPECT_EQ(SeqsOf(recent.After(0, 2)), (std::vector<int64_t>{1, 2}));  // the limit comes first
  EXPECT_EQ(SeqsOf(recent.After(0, 1)), (std::vector<int64_t>{1}));
  EXPECT_FALSE(recent.After(2, 10).has_value());  // 3 is not held
  EXPECT_EQ(SeqsOf(recent.After(3, 10)), (std::vector<int64_t>{4}));
  EXPECT_FALSE(recent.After(4, 10).has_value());  // nothing after the end
  recent.Add(Seq(3));                             // late, out of order
  EXPECT_EQ(SeqsOf(recent.After(0, 10)), (std::vector<int64_t>{1, 2, 3, 4}));
  recent.Add(Seq(2));  // held already: kept once
  EXPECT_EQ(recent.size(), 4u);
  EXPECT_EQ(recent.After(1, 1)->front().note, "event 2");
}

TEST(RecentEventsTest, DropsTheOldestPastItsCapacity) {
  RecentEvents recent(3);
  for (int64_t seq = 1; seq <= 5; ++seq) recent.Add(Seq(seq));
  EXPECT_EQ(recent.size(), 3u);
  EXPECT_FALSE(recent.After(0, 10).has_value());
  EXPECT_FALSE(recent.After(1, 10).has_value());
  EXPECT_EQ(SeqsOf(recent.After(2, 10)), (std::vector<int64_t>{3, 4, 5}));
  recent.Add(Seq(1));  // older than everything kept, and full: not kept
  EXPECT_EQ(SeqsOf(recent.After(2, 10)), (std::vector<int64_t>{3, 4, 5}));
  RecentEvents none(0);
  none.Add(Seq(1));
  EXPECT_FALSE(none.After(0, 10).has_value());
}

}  // namespace
}  // namespace citygrid::storage::sqlite
