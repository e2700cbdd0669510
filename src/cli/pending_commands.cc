// Subcommands declared by the foundation whose issues have not landed yet. Each says which
// issue brings it; an issue that lands a command moves its function to its own file.

#include <cstdio>

#include "cli/commands.h"

namespace citygrid::cli {
namespace {

int NotYet(const char* command, const char* issue) {
  std::fprintf(stderr, "citygrid %s: not available yet (arrives with issue %s)\n", command, issue);
  return 2;
}

}  // namespace

int RunImport(const Args&) { return NotYet("import", "#5/#6, the server and Open311"); }
int RunExport(const Args&) { return NotYet("export", "#5, the server"); }
int RunBackup(const Args&) { return NotYet("backup", "#4, storage"); }
int RunRestore(const Args&) { return NotYet("restore", "#4, storage"); }

}  // namespace citygrid::cli
