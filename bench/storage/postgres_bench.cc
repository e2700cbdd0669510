// The PostgreSQL rows of storage_bench: citygrid's PostgreSQL store vs a bare libpq INSERT loop
// (synchronous_commit on, one transaction per insert). Owned by the PostgreSQL backend; until
// it lands, the rows are reported as not measured.

#include <cstdio>

#include "bench/storage/storage_bench.h"

namespace citygrid::bench {

std::vector<BenchRow> RunPostgresBench(const BenchConfig& config) {
  if (config.postgres_dsn.empty()) {
    std::printf("PostgreSQL: not measured (give --postgres DSN or CITYGRID_BENCH_POSTGRES_DSN)\n");
    return {};
  }
  std::printf("PostgreSQL: the PostgreSQL half of this benchmark is not written yet\n");
  return {};
}

}  // namespace citygrid::bench
