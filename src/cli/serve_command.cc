// citygrid serve: the HTTP server. Wires the routes of every API module into one Router and
// serves it until SIGTERM/SIGINT.

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "citygrid/http/router.h"
#include "citygrid/http/server.h"
#include "citygrid/http/static_files.h"
#include "citygrid/http/system_routes.h"
#include "cli/commands.h"

namespace citygrid::cli {
namespace {

constexpr const char* kServeUsage =
    "usage: citygrid serve [--data DIR] [--listen HOST:PORT] [--threads N] [--web DIR]\n"
    "                      [--body-limit BYTES] [--access-log FILE|-|off]\n"
    "  --data DIR          the data directory (created when missing; default ./citygrid-data)\n"
    "  --listen HOST:PORT  address to listen on (default 127.0.0.1:8080; [::1]:8080 for IPv6;\n"
    "                      port 0 picks a free port)\n"
    "  --threads N         server threads (default: the number of cores)\n"
    "  --web DIR           serve the console's built assets from DIR\n"
    "  --body-limit BYTES  largest request body accepted (default 8388608); larger gets 413\n"
    "  --access-log WHERE  access log: a file, '-' for stderr (default), or 'off'\n";

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

// The seam where API modules add their endpoints. Each module, as it lands, adds one call here
// with the services it needs, e.g. `http::api::RegisterCaseRoutes(router, services);`.
void RegisterApiRoutes(http::Router& /*router*/) {}

}  // namespace

int RunServe(const Args& args) {
  http::ServerOptions options;
  std::string data_dir = "citygrid-data";
  std::string web_dir;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kServeUsage, stdout);
      return 0;
    }
    if (arg != "--data" && arg != "--listen" && arg != "--threads" && arg != "--web" &&
        arg != "--body-limit" && arg != "--access-log") {
      return UsageError("serve", "unknown option '" + arg + "'\n" + kServeUsage);
    }
    if (i + 1 >= args.size()) return UsageError("serve", "option " + arg + " needs a value");
    const std::string& value = args[++i];
    uint64_t number = 0;
    if (arg == "--data") {
      data_dir = value;
    } else if (arg == "--listen") {
      if (!ParseListen(value, &options.host, &options.port)) {
        return UsageError("serve",
                          "--listen '" + value + "' is not HOST:PORT (e.g. 127.0.0.1:8080)");
      }
    } else if (arg == "--threads") {
      if (!ParseSize(value, 1, 256, &number)) {
        return UsageError("serve", "--threads '" + value + "' is not a number from 1 to 256");
      }
      options.threads = static_cast<int>(number);
    } else if (arg == "--web") {
      web_dir = value;
    } else if (arg == "--body-limit") {
      if (!ParseSize(value, 1024, uint64_t{1} << 32, &number)) {
        return UsageError("serve", "--body-limit '" + value +
                                       "' is not a byte count from 1024 to 4294967296");
      }
      options.body_limit = number;
    } else if (arg == "--access-log") {
      options.access_log = value == "off" ? "" : value;
    }
  }

  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec || !std::filesystem::is_directory(data_dir)) {
    std::fprintf(stderr, "citygrid serve: cannot use data directory '%s': %s\n", data_dir.c_str(),
                 ec ? ec.message().c_str() : "not a directory");
    return 1;
  }

  http::Router router;
  auto metrics = std::make_shared<http::Metrics>();
  // The storage ping joins here when the service layer opens the store of --data.
  http::RegisterSystemRoutes(router, *metrics, nullptr);
  RegisterApiRoutes(router);
  if (!web_dir.empty()) {
    Result<http::StaticFiles> files = http::StaticFiles::Open(web_dir);
    if (!files.ok()) {
      std::fprintf(stderr, "citygrid serve: --web: %s\n", files.status().message().c_str());
      return 1;
    }
    router.SetFallback([files = std::move(*files)](const http::Request& request,
                                                   const http::RouteParams&) {
      return files.Serve(request);
    });
  }

  http::Server server(std::move(router), options, metrics);
  Status run = server.RunUntilSignal([&](const http::Server& s) {
    std::printf("citygrid: listening on http://%s (data %s, %d threads)\n", s.address().c_str(),
                data_dir.c_str(),
                options.threads > 0 ? options.threads
                                    : static_cast<int>(std::thread::hardware_concurrency()));
    std::fflush(stdout);
  });
  if (!run.ok()) {
    std::fprintf(stderr, "citygrid serve: %s\n", run.message().c_str());
    return 1;
  }
  std::fprintf(stderr, "citygrid serve: stopped\n");
  return 0;
}

}  // namespace citygrid::cli
