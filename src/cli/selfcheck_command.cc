// `citygrid selfcheck`: the domain self-check.

#include <cstdio>

#include "citygrid/common/case_number.h"
#include "citygrid/common/clock.h"
#include "cli/commands.h"

namespace citygrid::cli {

int RunSelfCheck(const Args&) {
  Timestamp now = SystemClock::Default().Now();
  std::printf("citygrid selfcheck: now %s, first case number today %s\n",
              FormatIso8601(now).c_str(), CaseNumber{CaseNumberDay(now), 1}.ToString().c_str());
  return 0;
}

}  // namespace citygrid::cli
