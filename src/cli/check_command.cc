// `citygrid check --data DIR | --db URL`: verifies every case's audit hash chain and every
// ledger row's (台账) progress chain.
// Exit 0 when every chain verifies, 1 when one is broken or the store cannot be read, 2 on a
// usage error.

#include <cstdio>
#include <string>

#include "citygrid/storage/store.h"
#include "cli/chain_verify.h"
#include "cli/commands.h"

namespace citygrid::cli {

int RunCheck(const Args& args) {
  storage::StoreOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::printf(
          "usage: citygrid check --data DIR | --db postgresql://...\n\n"
          "Verifies every case's audit hash chain and that each case's current state is the\n"
          "end of its history, then the same for every ledger row (台账). Prints the first\n"
          "broken link and exits 1 if any.\n");
      return 0;
    }
    if ((a == "--data" || a == "--db") && i + 1 < args.size()) {
      (a == "--data" ? options.data_dir : options.db_url) = args[++i];
    } else if (a.starts_with("--data=")) {
      options.data_dir = a.substr(7);
    } else if (a.starts_with("--db=")) {
      options.db_url = a.substr(5);
    } else {
      return UsageError("check", "unexpected argument '" + a +
                                     "' (usage: citygrid check --data DIR | --db URL)");
    }
  }
  if (options.data_dir.empty() && options.db_url.empty()) {
    return UsageError("check", "give --data DIR or --db URL");
  }
  auto store = storage::OpenStore(options);
  if (!store.ok()) {
    std::fprintf(stderr, "citygrid check: %s\n", store.status().ToString().c_str());
    return 1;
  }
  auto summary = VerifyAllChains(**store);
  if (!summary.ok()) {
    std::fprintf(stderr, "citygrid check: %s\n", summary.status().ToString().c_str());
    return 1;
  }
  if (!summary->ok()) {
    std::printf("citygrid check: BROKEN %s\n", summary->broken.c_str());
    return 1;
  }
  std::printf(
      "citygrid check: ok, %lld cases and %lld events, %zu ledgers with %lld rows and %lld row "
      "events; every chain verifies (%s)\n",
      static_cast<long long>(summary->cases), static_cast<long long>(summary->events),
      summary->ledgers, static_cast<long long>(summary->ledger_rows),
      static_cast<long long>(summary->ledger_events), (*store)->backend().c_str());
  return 0;
}

}  // namespace citygrid::cli
