#pragma once

// The `citygrid` subcommands. Each takes the arguments after its own name and returns the
// process exit code (0 ok, 1 failure, 2 usage error).

#include <string>
#include <vector>

namespace citygrid::cli {

using Args = std::vector<std::string>;

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const Args& args);
};

int RunServe(const Args& args);
int RunDemo(const Args& args);
int RunImport(const Args& args);
int RunExport(const Args& args);
int RunBackup(const Args& args);
int RunRestore(const Args& args);
int RunCheck(const Args& args);
int RunUser(const Args& args);
int RunApiKey(const Args& args);
int RunGeo(const Args& args);
int RunSelfCheck(const Args& args);

// Prints "citygrid <command>: <message>" to stderr and returns 2.
int UsageError(const std::string& command, const std::string& message);

// Reads the value of the option at args[*i], written "--name=value" or "--name value" (then *i
// moves past the value): *name becomes "--name" and *value its value. False when no value follows.
bool TakeOptionValue(const Args& args, size_t* i, std::string* name, std::string* value);

}  // namespace citygrid::cli
