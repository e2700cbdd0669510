// citygrid apikey: manage the API keys Open311 clients POST with (service/open311_api_keys.h).
//
//   citygrid apikey add --data DIR [--db URL] --name NAME     prints the new key (shown once)
//   citygrid apikey list --data DIR [--db URL]
//   citygrid apikey revoke --data DIR [--db URL] --name NAME

#include <cstdio>
#include <memory>
#include <string>

#include "citygrid/common/clock.h"
#include "citygrid/service/open311_api_keys.h"
#include "citygrid/storage/store.h"
#include "cli/commands.h"

namespace citygrid::cli {
namespace {

constexpr const char* kApiKeyUsage =
    "usage: citygrid apikey add --data DIR [--db URL] --name NAME\n"
    "       citygrid apikey list --data DIR [--db URL]\n"
    "       citygrid apikey revoke --data DIR [--db URL] --name NAME\n"
    "  add prints the new key once; only its SHA-256 is stored.\n";

int Fail(const Status& s) {
  std::fprintf(stderr, "citygrid apikey: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int RunApiKey(const Args& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kApiKeyUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string verb = args[0];
  if (verb != "add" && verb != "list" && verb != "revoke") {
    return UsageError("apikey",
                      "unknown subcommand '" + verb + "' (add, list or revoke)\n" + kApiKeyUsage);
  }
  storage::StoreOptions options;
  std::string name;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kApiKeyUsage, stdout);
      return 0;
    }
    const bool takes_value =
        arg == "--data" || arg == "--db" || (verb != "list" && arg == "--name");
    if (!takes_value) return UsageError("apikey", "unknown option '" + arg + "'\n" + kApiKeyUsage);
    if (i + 1 >= args.size()) return UsageError("apikey", "option " + arg + " needs a value");
    const std::string& value = args[++i];
    if (arg == "--data") {
      options.data_dir = value;
    } else if (arg == "--db") {
      options.db_url = value;
    } else {
      name = value;
    }
  }
  if (options.data_dir.empty()) return UsageError("apikey", "--data DIR is required");
  if (verb != "list" && name.empty()) return UsageError("apikey", "--name NAME is required");
  Result<std::unique_ptr<storage::Store>> store = storage::OpenStore(options);
  if (!store.ok()) return Fail(store.status());
  service::ApiKeyService keys((*store)->documents(), SystemClock::Default());
  if (verb == "add") {
    std::string text;
    Result<service::ApiKey> key = keys.Add(name, &text);
    if (!key.ok()) return Fail(key.status());
    std::printf("%s\n", text.c_str());
    return 0;
  }
  if (verb == "revoke") {
    Status s = keys.Revoke(name);
    if (!s.ok()) return Fail(s);
    return 0;
  }
  Result<std::vector<service::ApiKey>> list = keys.List();
  if (!list.ok()) return Fail(list.status());
  std::printf("%-32s  %-25s  %s\n", "NAME", "CREATED", "STATE");
  for (const service::ApiKey& k : *list) {
    std::printf("%-32s  %-25s  %s\n", k.name.c_str(), FormatIso8601(k.created_at).c_str(),
                k.revoked ? ("revoked " + FormatIso8601(k.revoked_at)).c_str() : "active");
  }
  return 0;
}

}  // namespace citygrid::cli
