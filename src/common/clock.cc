#include "citygrid/common/clock.h"

namespace citygrid {

Timestamp SystemClock::Now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

SystemClock& SystemClock::Default() {
  static SystemClock* clock = new SystemClock();
  return *clock;
}

}  // namespace citygrid
