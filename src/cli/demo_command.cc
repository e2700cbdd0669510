// citygrid demo: on an empty (or missing) data directory, generates the demo district (二七区),
// its units, routing rules, one user per role plus one handler per unit (passwords written to
// DIR/demo-users.txt, mode 0600) and a history of cases over the last 60 days; then serves it
// like `citygrid serve`. On a non-empty directory it just serves.
//
// A seed that was interrupted (crash, kill -9, power loss) is detected and done again: before
// the first write the demo creates DIR/demo-seed.incomplete (fsynced), and removes it only once
// everything is seeded and demo-users.txt is written. A run that finds the marker knows the
// whole directory is an unfinished demo seed, empties it and seeds from the start. (Cases are
// append-only, so a half-written history cannot be resumed in place.) It looks at the marker
// only while it holds the data directory's owner lock (storage::LockSqliteDataDir), so a seed
// still running in another process is never taken for an interrupted one. On PostgreSQL the
// marker is a document ("demo", "seed"); an unfinished seed there is reported, not dropped.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "citygrid/service/demo_seed.h"
#include "citygrid/service/ledger_demo.h"
#include "citygrid/storage/sqlite_store.h"
#include "cli/app.h"
#include "cli/commands.h"

namespace citygrid::cli {
namespace {

constexpr const char* kDemoUsage =
    "usage: citygrid demo [--data DIR] [--db URL] [--listen HOST:PORT] [--cases N]\n"
    "                     [--threads N] [--web DIR] [--access-log FILE|-|off]\n"
    "  --data DIR          the data directory (default ./demo-data). When it is empty or\n"
    "                      missing, the demo district, users and cases are generated first\n"
    "  --cases N           how many cases to generate (default 2000)\n"
    "  other options as for `citygrid serve`\n";

Status WritePrivateFile(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return UnavailableError("cannot create " + path + ": " + std::strerror(errno));
  ::fchmod(fd, 0600);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = UnavailableError("cannot write " + path + ": " + std::strerror(errno));
      ::close(fd);
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return UnavailableError("cannot write " + path + ": " + std::strerror(errno));
  }
  return OkStatus();
}

constexpr char kSeedMarker[] = "demo-seed.incomplete";
constexpr char kSeedDocKind[] = "demo";
constexpr char kSeedDocKey[] = "seed";

Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return UnavailableError("cannot open " + dir + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return UnavailableError("cannot sync " + dir + ": " + std::strerror(errno));
  return OkStatus();
}

// Empties `dir` of an unfinished seed (every entry: the directory held nothing before it) but
// the owner lock, which the caller holds.
Status ClearUnfinishedSeed(const std::string& dir) {
  std::error_code ec;
  const std::filesystem::path marker = std::filesystem::path(dir) / kSeedMarker;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path() == marker) continue;  // removed last, so a crash here is detected again
    // Removing a held lock's file would let the next process lock a new file beside us.
    if (entry.path().filename() == storage::kSqliteLockFile) continue;
    std::filesystem::remove_all(entry.path(), ec);
    if (ec) return UnavailableError("cannot remove " + entry.path().string() + ": " + ec.message());
  }
  if (ec) return UnavailableError("cannot list " + dir + ": " + ec.message());
  return OkStatus();
}

bool IsFresh(const ServeArgs& args, App* app) {
  if (!args.app.db_url.empty()) {
    // PostgreSQL: fresh when nobody has used the database yet.
    Result<int64_t> cases = app->store().cases().CountCases(storage::CaseQuery{});
    Result<std::vector<service::User>> users = app->auth().ListUsers();
    return cases.ok() && *cases == 0 && users.ok() && users->empty();
  }
  return false;  // decided before opening (see RunDemo)
}

Status Seed(App& app, const ServeArgs& args, const std::string& users_path) {
  auto t0 = std::chrono::steady_clock::now();
  std::printf("citygrid demo: generating the demo district 二七区 ...\n");
  std::fflush(stdout);
  CITYGRID_RETURN_IF_ERROR(service::SeedDemoReference(app.reference()));
  CITYGRID_ASSIGN_OR_RETURN(std::vector<service::DemoCredential> users,
                            service::SeedDemoUsers(app.auth(), *app.reference().Get()));
  CITYGRID_RETURN_IF_ERROR(WritePrivateFile(users_path, service::FormatDemoCredentials(users)));
  std::printf("citygrid demo: %zu users; their passwords are in %s\n", users.size(),
              users_path.c_str());
  std::printf("citygrid demo: generating %d cases over the last 60 days ...\n", args.cases);
  std::fflush(stdout);
  auto t1 = std::chrono::steady_clock::now();
  service::DemoSeedOptions options;
  options.cases = args.cases;
  options.end = app.clock().Now();
  CITYGRID_ASSIGN_OR_RETURN(service::DemoSeedReport report,
                            service::SeedDemoCases(app.store(), app.reference(), options));
  auto t2 = std::chrono::steady_clock::now();
  std::printf("citygrid demo: %d cases, %d overdue marks in %.1f s (district and users %.1f s)\n",
              report.cases_created, report.overdue_marks,
              std::chrono::duration<double>(t2 - t1).count(),
              std::chrono::duration<double>(t1 - t0).count());
  std::string states;
  for (const auto& [state, n] : report.by_state) {
    states += (states.empty() ? "" : ", ") + std::string(Name(state)) + " " + std::to_string(n);
  }
  std::printf("citygrid demo: by state: %s\n", states.c_str());
  CITYGRID_ASSIGN_OR_RETURN(service::LedgerDemoReport ledgers,
                            service::SeedDemoLedgers(app.store(), app.reference(), options.end));
  std::printf("citygrid demo: %d ledgers (老旧小区改造, 学校复学检查, 序化洁化), %d rows, %d row events\n",
              ledgers.ledgers, ledgers.rows, ledgers.events);
  return OkStatus();
}

}  // namespace

int RunDemo(const Args& args) {
  ServeArgs parsed;
  parsed.app.data_dir = "demo-data";
  int code = ParseServeArgs("demo", args, kDemoUsage, &parsed);
  if (code >= 0) return code;

  std::error_code ec;
  const std::string& dir = parsed.app.data_dir;
  const bool sqlite = parsed.app.db_url.empty();
  const std::string marker = (std::filesystem::path(dir) / kSeedMarker).string();
  bool fresh = false;
  // SQLite: the data directory's owner lock is held while the seed marker is looked at and an
  // unfinished seed cleared, so a second demo on a directory that another process is seeding
  // or serving stops here instead of emptying it. The lock is let go just before the store
  // takes it again: in that moment another demo may clear what this one wrote so far (only
  // the marker: the database is written under the store's lock), and then one of the two
  // fails to open the store; nobody clears a directory whose store is open.
  int seed_lock = -1;
  if (sqlite) {
    std::filesystem::create_directories(dir, ec);
    Result<int> locked = storage::LockSqliteDataDir(dir);
    if (!locked.ok()) {
      std::fprintf(stderr, "citygrid demo: %s\n", locked.status().ToString().c_str());
      return 1;
    }
    seed_lock = *locked;
    fresh = true;  // unless something but the lock is there
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (entry.path().filename() != storage::kSqliteLockFile) fresh = false;
    }
    if (ec) fresh = false;
  }
  auto unlock = [&seed_lock] {
    if (seed_lock >= 0) ::close(seed_lock);
    seed_lock = -1;
  };
  if (sqlite && std::filesystem::exists(marker, ec)) {
    std::printf("citygrid demo: %s holds an unfinished demo seed (interrupted); starting it "
                "over\n", dir.c_str());
    Status cleared = ClearUnfinishedSeed(dir);
    if (!cleared.ok()) {
      unlock();
      std::fprintf(stderr, "citygrid demo: %s\n", cleared.ToString().c_str());
      return 1;
    }
    fresh = true;
  }
  if (sqlite && fresh) {
    // The marker goes down before the store's first byte.
    Status marked = WritePrivateFile(marker, "citygrid demo seed in progress\n");
    if (marked.ok()) marked = FsyncDir(dir);
    if (!marked.ok()) {
      unlock();
      std::fprintf(stderr, "citygrid demo: %s\n", marked.ToString().c_str());
      return 1;
    }
  }
  unlock();
  Result<std::unique_ptr<App>> opened = App::Open(parsed.app);
  if (!opened.ok()) {
    std::fprintf(stderr, "citygrid demo: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  App& app = **opened;
  if (!sqlite) {
    Result<storage::Document> doc = app.store().documents().Get(kSeedDocKind, kSeedDocKey);
    if (doc.ok() && doc->json.find("\"complete\":true") == std::string::npos) {
      std::fprintf(stderr,
                   "citygrid demo: the database holds an unfinished demo seed (interrupted); "
                   "drop and recreate it, then run citygrid demo again\n");
      return 1;
    }
    fresh = IsFresh(parsed, &app);
  }
  const std::string users_path = (std::filesystem::path(dir) / "demo-users.txt").string();
  if (fresh) {
    Status seeded = OkStatus();
    if (!sqlite) {
      seeded = app.store().documents().Put(kSeedDocKind, kSeedDocKey, "{\"complete\":false}")
                   .status();
    }
    if (seeded.ok()) seeded = Seed(app, parsed, users_path);
    if (seeded.ok() && !sqlite) {
      seeded = app.store().documents().Put(kSeedDocKind, kSeedDocKey, "{\"complete\":true}")
                   .status();
    }
    if (seeded.ok() && sqlite) {
      std::filesystem::remove(marker, ec);
      seeded = ec ? UnavailableError("cannot remove " + marker + ": " + ec.message())
                  : FsyncDir(dir);
    }
    if (!seeded.ok()) {
      std::fprintf(stderr, "citygrid demo: seeding failed: %s\n", seeded.ToString().c_str());
      return 1;
    }
  } else {
    std::printf("citygrid demo: %s already holds data; serving it as it is\n", dir.c_str());
  }
  Result<int64_t> cases = app.store().cases().CountCases(storage::CaseQuery{});
  const bool have_users_file = std::filesystem::exists(users_path, ec);
  return ServeApp("demo", app, parsed, [&](const std::string& address) {
    std::printf("\n  citygrid demo is running:  http://%s\n", address.c_str());
    if (have_users_file) {
      std::printf("  users and passwords:       %s\n", users_path.c_str());
    }
    std::printf("  cases:                     %lld\n",
                static_cast<long long>(cases.ok() ? *cases : -1));
    std::printf("  try: curl -s http://%s/api/v1/auth/login -d "
                "'{\"username\":\"operator\",\"password\":\"...\"}'\n"
                "  stop with Ctrl-C\n\n",
                address.c_str());
  });
}

}  // namespace citygrid::cli
