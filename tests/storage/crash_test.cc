// kill -9 safety: a child process appends as fast as it can and reports every acknowledged
// write on a pipe; the test kills it with SIGKILL at a random moment, reopens the store, and
// checks that every acknowledged event is there and every chain verifies. 20 rounds on one
// database, for every durable backend.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "citygrid/storage/chain_check.h"
#include "citygrid/storage/store.h"
#include "tests/storage/store_factories.h"

namespace citygrid::storage {
namespace {

using testing::BackendTest;

constexpr int kRounds = 20;
constexpr int kWriterThreads = 4;

// Writes a whole line to the pipe (lines are short, so one write() is atomic: < PIPE_BUF).
void Report(int fd, const std::string& line) {
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ::_exit(3);
    p += n;
    left -= static_cast<size_t>(n);
  }
}

// The child: opens the store itself, then kWriterThreads threads each create a case and append
// comments to it until killed, reporting "<case id> <version>\n" after each acknowledged write.
[[noreturn]] void RunChild(testing::TestDatabase& db, int fd, int round) {
  auto store = db.Open();
  if (!store.ok()) {
    Report(fd, "E " + store.status().ToString() + "\n");
    ::_exit(2);
  }
  CaseStore& cases = (*store)->cases();
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriterThreads; ++t) {
    threads.emplace_back([&, t] {
      Timestamp now = FromUnixMillis(1586656800000 + 3'600'000LL * round);
      NewCase nc;
      nc.initial.created_at = nc.initial.updated_at = now;
      nc.initial.description = "round " + std::to_string(round) + " writer " + std::to_string(t);
      nc.created.type = EventType::kCreated;
      nc.created.at = now;
      nc.created.payload_json = "{}";
      nc.idempotency_key = "crash-" + std::to_string(round) + "-" + std::to_string(t);
      nc.request_fingerprint = "fp";
      auto created = cases.CreateCase(nc, {{"crash:created", 1}});
      if (!created.ok()) ::_exit(4);
      Case c = created->created_case;
      Report(fd, std::to_string(c.id) + " 1\n");
      while (true) {
        CaseEvent e;
        e.type = EventType::kAction;
        e.action = Action::kComment;
        e.actor = Actor{"writer" + std::to_string(t), Role::kOperator, ""};
        e.at = now;
        e.note = "append " + std::to_string(c.version + 1);
        e.payload_json = "{}";
        Case next = c;
        next.version = c.version + 1;
        auto r = cases.Append(c.id, c.version, {e}, next, {{"crash:appended", 1}});
        if (!r.ok()) ::_exit(5);
        c = next;
        Report(fd, std::to_string(c.id) + " " + std::to_string(c.version) + "\n");
      }
    });
  }
  for (auto& th : threads) th.join();
  ::_exit(0);
}

class CrashTest : public BackendTest {};

TEST_P(CrashTest, EveryAcknowledgedWriteSurvivesKill9) {
  std::random_device seed_source;
  const unsigned seed = seed_source();
  std::mt19937 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  store_.reset();  // the parent holds no connection (and no thread) while children write

  std::map<int64_t, int64_t> acked;  // case id -> highest acknowledged version
  int64_t total_acks = 0;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    std::fflush(nullptr);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      RunChild(*db_, fds[1], round);
    }
    ::close(fds[1]);
    // Kill after a random number of acknowledgements (so the kill lands mid-stream), or after a
    // random delay, whichever comes first.
    const int kill_after_acks = 20 + static_cast<int>(rng() % 400);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(100 + rng() % 1500);
    ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
    std::string buffer;
    int acks_this_round = 0;
    auto parse = [&](bool final_read) {
      size_t pos;
      while ((pos = buffer.find('\n')) != std::string::npos) {
        std::string line = buffer.substr(0, pos);
        buffer.erase(0, pos + 1);
        ASSERT_NE(line[0], 'E') << "child could not open the store: " << line;
        std::istringstream in(line);
        int64_t id = 0, version = 0;
        in >> id >> version;
        ASSERT_GT(id, 0) << line;
        acked[id] = std::max(acked[id], version);
        ++acks_this_round;
      }
      if (final_read) {
        EXPECT_TRUE(buffer.empty()) << "a torn line: " << buffer;
      }
    };
    while (acks_this_round < kill_after_acks && std::chrono::steady_clock::now() < deadline) {
      char chunk[4096];
      ssize_t n = ::read(fds[0], chunk, sizeof chunk);
      if (n > 0) {
        buffer.append(chunk, static_cast<size_t>(n));
        parse(false);
      } else if (n == 0) {
        break;  // the child died by itself
      } else {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child exited by itself with status " << status;
    // Everything written to the pipe before the kill was acknowledged by the store.
    ::fcntl(fds[0], F_SETFL, 0);
    char chunk[4096];
    ssize_t n;
    while ((n = ::read(fds[0], chunk, sizeof chunk)) > 0) buffer.append(chunk, n);
    ::close(fds[0]);
    parse(true);
    total_acks += acks_this_round;

    auto reopened = db_->Open();
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    CaseStore& cases = (*reopened)->cases();
    for (const auto& [id, version] : acked) {
      auto history = cases.LoadHistory(id);
      ASSERT_TRUE(history.ok()) << "acknowledged case id " << id << ": "
                                << history.status().ToString();
      ASSERT_GE(static_cast<int64_t>(history->size()), version)
          << "case id " << id << " lost acknowledged events";
      auto c = cases.LoadCase(id);
      ASSERT_TRUE(c.ok());
      EXPECT_EQ(c->version, static_cast<int64_t>(history->size()));
    }
    auto report = VerifyStoreChains(cases);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ASSERT_TRUE(report->ok()) << report->broken->ToString();
    // Counters moved with their events: one per created case, one per append.
    auto created = cases.ReadCounters("crash:created");
    auto appended = cases.ReadCounters("crash:appended");
    ASSERT_TRUE(created.ok() && appended.ok());
    int64_t counted = (created->empty() ? 0 : (*created)[0].delta) +
                      (appended->empty() ? 0 : (*appended)[0].delta);
    EXPECT_EQ(counted, report->events);
  }
  std::printf("crash test: %d rounds, %lld acknowledged writes, %zu cases, seed %u\n", kRounds,
              static_cast<long long>(total_acks), acked.size(), seed);
}

INSTANTIATE_TEST_SUITE_P(Backends, CrashTest,
                         ::testing::ValuesIn(testing::DurableStoreBackends()),
                         testing::BackendName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CrashTest);

}  // namespace
}  // namespace citygrid::storage
