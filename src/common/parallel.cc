#include "citygrid/common/parallel.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace citygrid {

void ParallelFor(size_t n, unsigned max_threads, const std::function<void(size_t)>& body) {
  if (n == 0) return;
  const unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
  const size_t threads = std::min<size_t>({n, std::max(1u, max_threads), hardware});
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) body(i);
  };
  std::vector<std::thread> helpers;
  helpers.reserve(threads - 1);
  for (size_t t = 1; t < threads; ++t) helpers.emplace_back(work);
  work();
  for (std::thread& t : helpers) t.join();
}

}  // namespace citygrid
