// storage_bench: durable appends per second, single writer and 8 concurrent writers (group
// commit), for citygrid's stores beside a bare INSERT loop under the same durability settings,
// all in one run.
//
//   storage_bench [--seconds S] [--dir DIR] [--postgres DSN]
//
// DIR must be on a real disk (fsync is what is measured); default: the current directory.
// The PostgreSQL rows run when --postgres or $CITYGRID_BENCH_POSTGRES_DSN is given.

#include "bench/storage/storage_bench.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

namespace citygrid::bench {

double MeasureOpsPerSecond(int writers, double seconds, const std::function<bool(int)>& op) {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> done{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  auto start = std::chrono::steady_clock::now();
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      while (!stop.load(std::memory_order_relaxed)) {
        if (!op(w)) {
          failed = true;
          stop = true;
          return;
        }
        done.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (failed) {
    std::fprintf(stderr, "storage_bench: an operation failed; figures are void\n");
    std::exit(1);
  }
  return static_cast<double>(done.load()) / elapsed;
}

}  // namespace citygrid::bench

int main(int argc, char** argv) {
  using namespace citygrid::bench;
  BenchConfig config;
  config.work_dir = std::filesystem::current_path().string();
  if (const char* dsn = std::getenv("CITYGRID_BENCH_POSTGRES_DSN")) config.postgres_dsn = dsn;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) {
      config.seconds = std::atof(argv[++i]);
    } else if (a == "--dir" && i + 1 < argc) {
      config.work_dir = argv[++i];
    } else if (a == "--postgres" && i + 1 < argc) {
      config.postgres_dsn = argv[++i];
    } else {
      std::fprintf(stderr, "usage: storage_bench [--seconds S] [--dir DIR] [--postgres DSN]\n");
      return 2;
    }
  }
  std::vector<BenchRow> rows = RunSqliteBench(config);
  for (BenchRow& r : RunPostgresBench(config)) rows.push_back(std::move(r));

  std::printf("\nDurable writes per second (%.1f s each, %d concurrent writers, same run)\n\n",
              config.seconds, config.concurrent);
  std::printf("%-44s %10s   %-40s %10s %7s\n", "citygrid", "ops/s", "peer", "ops/s", "ratio");
  for (const BenchRow& r : rows) {
    std::printf("%-44s %10.0f   %-40s %10.0f %6.2fx  %s\n", r.what.c_str(), r.ops_per_s,
                r.peer.c_str(), r.peer_ops_per_s,
                r.peer_ops_per_s > 0 ? r.ops_per_s / r.peer_ops_per_s : 0.0, r.note.c_str());
  }
  return 0;
}
