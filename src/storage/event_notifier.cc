#include "citygrid/storage/event_notifier.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "citygrid/storage/store.h"

namespace citygrid::storage {

Result<int64_t> PollingEventNotifier::WaitForEvents(int64_t after_seq, Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    CITYGRID_ASSIGN_OR_RETURN(int64_t last, store_.LastGlobalSeq());
    auto now = std::chrono::steady_clock::now();
    if (last > after_seq || now >= deadline) return last;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(interval_, deadline - now));
  }
}

}  // namespace citygrid::storage
