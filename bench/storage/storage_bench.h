#pragma once

// Shared pieces of the storage benchmark: configuration, timing, the result table.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace citygrid::bench {

struct BenchConfig {
  double seconds = 3.0;    // per measurement
  int concurrent = 8;      // writers in the concurrent measurements
  std::string work_dir;    // SQLite files go under here (a real disk, not tmpfs)
  std::string postgres_dsn;  // "" = skip the PostgreSQL rows
};

struct BenchRow {
  std::string what;     // "citygrid sqlite Append, 1 writer"
  std::string peer;     // "bare sqlite3 INSERT, 1 writer"
  double ops_per_s = 0;
  double peer_ops_per_s = 0;
  std::string note;     // e.g. "avg 2.3 appends per fsync"
};

// Runs `op(writer_index)` from `writers` threads for `seconds`; returns completed ops per
// second. `op` returns false on failure, which aborts the benchmark with a message.
double MeasureOpsPerSecond(int writers, double seconds, const std::function<bool(int)>& op);

// The SQLite rows: citygrid's SQLite store vs a bare sqlite3 INSERT loop.
std::vector<BenchRow> RunSqliteBench(const BenchConfig& config);

// The PostgreSQL rows: citygrid's PostgreSQL store vs a bare libpq INSERT loop
// (bench/storage/postgres_bench.cc). Empty when config.postgres_dsn is "".
std::vector<BenchRow> RunPostgresBench(const BenchConfig& config);

}  // namespace citygrid::bench
