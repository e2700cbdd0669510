// citygrid user: manage the accounts of a data directory (or --db database).
//
//   citygrid user add --data DIR --username U --role R [--unit CODE] [--name TEXT] --password-stdin
//   citygrid user list --data DIR

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "citygrid/domain/case.h"
#include "cli/app.h"
#include "cli/commands.h"

namespace citygrid::cli {
namespace {

constexpr const char* kUserUsage =
    "usage: citygrid user add --data DIR [--db URL] --username U --role R [--unit CODE]\n"
    "                         [--name DISPLAY_NAME] --password-stdin\n"
    "       citygrid user list --data DIR [--db URL]\n"
    "  roles: admin, operator, dispatcher, inspector, handler (needs --unit), leader\n"
    "  --password-stdin    read the password from the first line of standard input\n";

// Width of `s` in terminal columns: CJK characters take two.
size_t DisplayWidth(const std::string& s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    width += len >= 3 ? 2 : 1;
    i += len;
  }
  return width;
}

std::string Pad(const std::string& s, size_t width) {
  size_t w = DisplayWidth(s);
  return s + std::string(w < width ? width - w : 0, ' ');
}

int List(const AppOptions& options) {
  Result<std::unique_ptr<App>> app = App::Open(options);
  if (!app.ok()) {
    std::fprintf(stderr, "citygrid user: %s\n", app.status().ToString().c_str());
    return 1;
  }
  Result<std::vector<service::User>> users = (*app)->auth().ListUsers();
  if (!users.ok()) {
    std::fprintf(stderr, "citygrid user: %s\n", users.status().ToString().c_str());
    return 1;
  }
  std::vector<std::vector<std::string>> rows = {{"USERNAME", "ROLE", "UNIT", "DISPLAY NAME"}};
  for (const service::User& u : *users) {
    std::string name = u.display_name;
    if (u.disabled) name += " (disabled)";
    rows.push_back({u.username, std::string(Name(u.role)), u.unit.empty() ? "-" : u.unit, name});
  }
  std::vector<size_t> widths(4, 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += i + 1 < row.size() ? Pad(row[i], widths[i] + 2) : row[i];
    }
    std::printf("%s\n", line.c_str());
  }
  return 0;
}

}  // namespace

int RunUser(const Args& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUserUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string verb = args[0];
  if (verb != "add" && verb != "list") {
    return UsageError("user", "unknown subcommand '" + verb + "' (add or list)\n" + kUserUsage);
  }
  AppOptions options;
  bool have_data = false;
  bool password_stdin = false;
  service::NewUser user;
  std::string role;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUserUsage, stdout);
      return 0;
    }
    if (arg == "--password-stdin" && verb == "add") {
      password_stdin = true;
      continue;
    }
    const bool takes_value = arg == "--data" || arg == "--db" || arg == "--data-files" ||
                             (verb == "add" && (arg == "--username" || arg == "--role" ||
                                                arg == "--unit" || arg == "--name"));
    if (!takes_value) return UsageError("user", "unknown option '" + arg + "'\n" + kUserUsage);
    if (i + 1 >= args.size()) return UsageError("user", "option " + arg + " needs a value");
    const std::string& value = args[++i];
    if (arg == "--data") {
      options.data_dir = value;
      have_data = true;
    } else if (arg == "--db") {
      options.db_url = value;
    } else if (arg == "--data-files") {
      options.data_files = value;
    } else if (arg == "--username") {
      user.username = value;
    } else if (arg == "--role") {
      role = value;
    } else if (arg == "--unit") {
      user.unit = value;
    } else if (arg == "--name") {
      user.display_name = value;
    }
  }
  if (!have_data) return UsageError("user", "--data DIR is required");
  if (verb == "list") return List(options);

  if (user.username.empty()) return UsageError("user", "--username is required");
  if (role.empty()) return UsageError("user", "--role is required");
  Result<Role> parsed_role = ParseRole(role);
  if (!parsed_role.ok() || *parsed_role == Role::kSystem) {
    return UsageError("user", "--role '" + role +
                                  "' is not one of admin, operator, dispatcher, inspector, "
                                  "handler, leader");
  }
  user.role = *parsed_role;
  if (user.role == Role::kHandler && user.unit.empty()) {
    return UsageError("user", "--unit CODE is required for role handler");
  }
  if (user.role != Role::kHandler && !user.unit.empty()) {
    return UsageError("user", "--unit is only for role handler");
  }
  if (!password_stdin) return UsageError("user", "--password-stdin is required");
  if (!std::getline(std::cin, user.password)) {
    return UsageError("user", "no password on standard input");
  }
  if (!user.password.empty() && user.password.back() == '\r') user.password.pop_back();
  if (user.display_name.empty()) user.display_name = user.username;

  Result<std::unique_ptr<App>> app = App::Open(options);
  if (!app.ok()) {
    std::fprintf(stderr, "citygrid user: %s\n", app.status().ToString().c_str());
    return 1;
  }
  if (user.role == Role::kHandler &&
      (*app)->reference().Get()->FindUnit(user.unit) == nullptr) {
    std::fprintf(stderr, "citygrid user: unknown unit '%s'\n", user.unit.c_str());
    return 1;
  }
  Result<service::User> added = (*app)->auth().AddUser(user);
  if (!added.ok()) {
    std::fprintf(stderr, "citygrid user: %s\n", added.status().ToString().c_str());
    return 1;
  }
  std::printf("added user %s (%s%s)\n", added->username.c_str(),
              std::string(Name(added->role)).c_str(),
              added->unit.empty() ? "" : (", unit " + added->unit).c_str());
  return 0;
}

}  // namespace citygrid::cli
