// citygrid: the one binary. Wires the layers together through the subcommands in src/cli.

#include <cstdio>
#include <string>
#include <string_view>

#include "cli/commands.h"

namespace citygrid::cli {
namespace {

constexpr Command kCommands[] = {
    {"serve", "run the server: citygrid serve [--data DIR] [--db URL] [--listen ADDR:PORT]", RunServe},
    {"demo", "generate the demo district in an empty --data DIR, then serve it", RunDemo},
    {"import", "import geography (GeoJSON) or categories (JSON) from files", RunImport},
    {"export", "export cases, evaluation or ledgers", RunExport},
    {"backup", "write a consistent copy of the database and media", RunBackup},
    {"restore", "restore a backup into an empty data directory or database", RunRestore},
    {"check", "verify every case's audit hash chain: citygrid check --data DIR | --db URL", RunCheck},
    {"user", "manage users: citygrid user add|list --data DIR ...", RunUser},
    {"apikey", "Open311 API keys: citygrid apikey add|list|revoke --data DIR ...", RunApiKey},
    {"geo", "coordinate conversion and point location: citygrid geo convert|locate ...", RunGeo},
    {"selfcheck", "run the domain self-check (calendar, categories, workflow)", RunSelfCheck},
};

void PrintHelp(std::FILE* out) {
  std::fprintf(out,
               "citygrid %s: grid-based city governance (数字化城市管理)\n\n"
               "usage: citygrid <command> [options]\n\ncommands:\n",
               CITYGRID_VERSION);
  for (const Command& c : kCommands) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
  std::fprintf(out,
               "  %-10s %s\n  %-10s %s\n\nRun 'citygrid <command> --help' for a command's options.\n",
               "version", "print the version", "help", "print this help");
}

}  // namespace

int UsageError(const std::string& command, const std::string& message) {
  std::fprintf(stderr, "citygrid %s: %s\n", command.c_str(), message.c_str());
  return 2;
}

bool TakeOptionValue(const Args& args, size_t* i, std::string* name, std::string* value) {
  const size_t eq = name->find('=');
  if (eq != std::string::npos) {
    *value = name->substr(eq + 1);
    name->resize(eq);
    return true;
  }
  if (*i + 1 >= args.size()) return false;
  *value = args[++*i];
  return true;
}

}  // namespace citygrid::cli

int main(int argc, char** argv) {
  using namespace citygrid::cli;
  if (argc < 2) {
    PrintHelp(stderr);
    return 2;
  }
  std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    PrintHelp(stdout);
    return 0;
  }
  if (name == "version" || name == "--version") {
    std::printf("citygrid %s\n", CITYGRID_VERSION);
    return 0;
  }
  for (const Command& c : kCommands) {
    if (name == c.name) return c.run(Args(argv + 2, argv + argc));
  }
  std::fprintf(stderr, "citygrid: unknown command '%s'\n\n", argv[1]);
  PrintHelp(stderr);
  return 2;
}
