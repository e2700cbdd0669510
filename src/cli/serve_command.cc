// citygrid serve: the HTTP server. Opens the App (store + services), wires the routes of every
// API module into one Router and serves it until SIGTERM/SIGINT.

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "citygrid/http/api.h"
#include "citygrid/http/router.h"
#include "citygrid/http/server.h"
#include "citygrid/http/static_files.h"
#include "citygrid/http/system_routes.h"
#include "cli/app.h"
#include "cli/commands.h"

namespace citygrid::cli {
namespace {

constexpr const char* kServeUsage =
    "usage: citygrid serve [--data DIR] [--db URL] [--listen HOST:PORT] [--threads N]\n"
    "                      [--web DIR] [--body-limit BYTES] [--access-log FILE|-|off]\n"
    "                      [--data-files DIR] [--open311-jurisdiction ID]\n"
    "                      [--open311-ids number|token] [--open311-crs wgs84|gcj02|bd09]\n"
    "  --data DIR          the data directory (created when missing; default ./citygrid-data)\n"
    "  --db URL            use PostgreSQL (postgresql://...) instead of SQLite in DIR; media\n"
    "                      stay in DIR\n"
    "  --data-files DIR    seed files (categories, calendar; default: the source tree's data/)\n"
    "  --listen HOST:PORT  address to listen on (default 127.0.0.1:8080; [::1]:8080 for IPv6;\n"
    "                      port 0 picks a free port)\n"
    "  --threads N         server threads (default: the number of cores)\n"
    "  --web DIR           serve the console's built assets from DIR (default: web/ beside the\n"
    "                      binary, else the source tree's web/dist)\n"
    "  --body-limit BYTES  largest request body accepted (default 8388608); larger gets 413\n"
    "  --access-log WHERE  access log: a file, '-' for stderr (default), or 'off'\n"
    "  --open311-jurisdiction ID  the Open311 jurisdiction_id answered to (default: the\n"
    "                      district code); requests naming another get 404\n"
    "  --open311-ids number|token  POST requests answers the case number (default) or a token\n"
    "                      that GET tokens/{token} resolves\n"
    "  --open311-crs wgs84|gcj02|bd09  datum of Open311 lat/long (default wgs84)\n";

bool ParseListen(const std::string& text, std::string* host, uint16_t* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 >= text.size()) return false;
  std::string h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h.empty()) return false;
  unsigned value = 0;
  const char* first = text.data() + colon + 1;
  const char* last = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || ptr != last || value > 65535) return false;
  *host = h;
  *port = static_cast<uint16_t>(value);
  return true;
}

bool ParseSize(const std::string& text, uint64_t min, uint64_t max, uint64_t* out) {
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < min || value > max) {
    return false;
  }
  *out = value;
  return true;
}

// The console's built assets when --web is not given: web/ beside the binary (an installed
// layout: bin/citygrid + bin/web or share/citygrid/web), else the source tree's web/dist (built by
// scripts/build). Empty when none exists: the server then answers the API only.
std::string DefaultWebDir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> candidates;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path() / "web");
    candidates.push_back(exe.parent_path().parent_path() / "share" / "citygrid" / "web");
  }
  candidates.push_back(fs::path(CITYGRID_SOURCE_DIR) / "web" / "dist");
  for (const fs::path& dir : candidates) {
    if (fs::is_regular_file(dir / "index.html", ec)) return dir.string();
  }
  return "";
}

}  // namespace

int ParseServeArgs(const std::string& command, const Args& args, const char* usage,
                   ServeArgs* out) {
  http::ServerOptions& options = out->server;
  out->app.own_data_dir = true;  // serve and demo: the only server of a SQLite --data
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(usage, stdout);
      return 0;
    }
    if (arg != "--data" && arg != "--db" && arg != "--data-files" && arg != "--listen" &&
        arg != "--threads" && arg != "--web" && arg != "--body-limit" &&
        arg != "--access-log" && arg != "--open311-jurisdiction" && arg != "--open311-ids" &&
        arg != "--open311-crs" && !(arg == "--cases" && command == "demo")) {
      return UsageError(command, "unknown option '" + arg + "'\n" + usage);
    }
    if (i + 1 >= args.size()) return UsageError(command, "option " + arg + " needs a value");
    const std::string& value = args[++i];
    uint64_t number = 0;
    if (arg == "--data") {
      out->app.data_dir = value;
    } else if (arg == "--db") {
      if (value.rfind("postgresql://", 0) != 0 && value.rfind("postgres://", 0) != 0) {
        return UsageError(command, "--db '" + value + "' is not a postgresql:// URL");
      }
      out->app.db_url = value;
    } else if (arg == "--data-files") {
      out->app.data_files = value;
    } else if (arg == "--cases") {
      if (!ParseSize(value, 0, 1000000, &number)) {
        return UsageError(command, "--cases '" + value + "' is not a number from 0 to 1000000");
      }
      out->cases = static_cast<int>(number);
    } else if (arg == "--listen") {
      if (!ParseListen(value, &options.host, &options.port)) {
        return UsageError(command,
                          "--listen '" + value + "' is not HOST:PORT (e.g. 127.0.0.1:8080)");
      }
    } else if (arg == "--threads") {
      if (!ParseSize(value, 1, 256, &number)) {
        return UsageError(command, "--threads '" + value + "' is not a number from 1 to 256");
      }
      options.threads = static_cast<int>(number);
    } else if (arg == "--web") {
      out->web_dir = value;
    } else if (arg == "--body-limit") {
      if (!ParseSize(value, 1024, uint64_t{1} << 32, &number)) {
        return UsageError(command, "--body-limit '" + value +
                                       "' is not a byte count from 1024 to 4294967296");
      }
      options.body_limit = number;
    } else if (arg == "--access-log") {
      options.access_log = value == "off" ? "" : value;
    } else if (arg == "--open311-jurisdiction") {
      if (value.empty() || value.size() > 64 ||
          value.find_first_of(" \t\r\n<>&\"'") != std::string::npos) {
        return UsageError(command, "--open311-jurisdiction '" + value +
                                       "' must be 1-64 characters without spaces or <>&\"'");
      }
      out->app.open311.jurisdiction_id = value;
    } else if (arg == "--open311-ids") {
      if (value != "number" && value != "token") {
        return UsageError(command, "--open311-ids '" + value + "' is not number or token");
      }
      out->app.open311.defer_ids = value == "token";
    } else if (arg == "--open311-crs") {
      if (value != "wgs84" && value != "gcj02" && value != "bd09") {
        return UsageError(command, "--open311-crs '" + value + "' is not wgs84, gcj02 or bd09");
      }
      out->app.open311.crs = value;
    }
  }
  return -1;
}

int ServeApp(const std::string& command, App& app, const ServeArgs& args,
             const std::function<void(const std::string& address)>& on_listening) {
  http::Router router;
  auto metrics = std::make_shared<http::Metrics>();
  http::RegisterSystemRoutes(router, *metrics, [&app] { return app.Ping(); });
  metrics->AddCollector([&app](http::GaugeWriter& out) { app.CollectMetrics(out); });
  Status routes = http::RegisterApiRoutes(router, app.services());
  if (!routes.ok()) {
    std::fprintf(stderr, "citygrid %s: %s\n", command.c_str(), routes.ToString().c_str());
    return 1;
  }
  const std::string web_dir = args.web_dir.empty() ? DefaultWebDir() : args.web_dir;
  if (!web_dir.empty()) {
    Result<http::StaticFiles> files = http::StaticFiles::Open(web_dir);
    if (!files.ok()) {
      std::fprintf(stderr, "citygrid %s: --web: %s\n", command.c_str(),
                   files.status().message().c_str());
      return 1;
    }
    router.SetFallback([files = std::move(*files)](const http::Request& request,
                                                   const http::RouteParams&) {
      return files.Serve(request);
    });
  }
  Status started = app.Start();
  if (!started.ok()) {
    std::fprintf(stderr, "citygrid %s: %s\n", command.c_str(), started.ToString().c_str());
    return 1;
  }

  http::Server server(std::move(router), args.server, metrics);
  // Creates continue on the server's threads once stored, so the store's committer only
  // commits (CaseService::CreateAsync); undone before the server goes.
  service::CaseService& cases = app.services().cases;
  cases.SetCompletionExecutor(
      [&server](std::function<void()> job) { server.Post(std::move(job)); });
  // After the last request: stop the background work before the store closes.
  server.AddDrainHook([&app] { app.Stop(); });
  Status run = server.RunUntilSignal([&](const http::Server& s) {
    if (on_listening) on_listening(s.address());
    std::fflush(stdout);
  });
  cases.SetCompletionExecutor(nullptr);  // every request finished (Wait)
  app.Stop();
  if (!run.ok()) {
    std::fprintf(stderr, "citygrid %s: %s\n", command.c_str(), run.message().c_str());
    return 1;
  }
  std::fprintf(stderr, "citygrid %s: stopped\n", command.c_str());
  return 0;
}

int RunServe(const Args& args) {
  ServeArgs parsed;
  int code = ParseServeArgs("serve", args, kServeUsage, &parsed);
  if (code >= 0) return code;
  Result<std::unique_ptr<App>> app = App::Open(parsed.app);
  if (!app.ok()) {
    std::fprintf(stderr, "citygrid serve: %s\n", app.status().ToString().c_str());
    return 1;
  }
  const int threads = parsed.server.threads > 0
                          ? parsed.server.threads
                          : static_cast<int>(std::thread::hardware_concurrency());
  const std::string where =
      parsed.app.db_url.empty() ? "data " + parsed.app.data_dir : std::string("PostgreSQL");
  return ServeApp("serve", **app, parsed, [&](const std::string& address) {
    std::printf("citygrid: listening on http://%s (%s, %d threads)\n", address.c_str(),
                where.c_str(), threads);
  });
}

}  // namespace citygrid::cli
