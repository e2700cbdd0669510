#include "src/http/server_state.h"

#include <cerrno>
#include <cstring>

#include "citygrid/common/clock.h"
#include "citygrid/common/thread_name.h"

namespace citygrid::http::internal {

namespace {
constexpr size_t kAccessLogBatchBytes = 64 << 10;
constexpr auto kAccessLogFlushInterval = std::chrono::milliseconds(200);
}  // namespace

AccessLog::~AccessLog() {
  Close();
  if (owned_ && out_ != nullptr) std::fclose(out_);
}

Status AccessLog::Open(const std::string& spec) {
  std::lock_guard<std::mutex> lock(mu_);
  if (spec.empty()) return OkStatus();
  if (spec == "-") {
    out_ = stderr;
  } else {
    out_ = std::fopen(spec.c_str(), "a");
    if (out_ == nullptr) {
      return UnavailableError("cannot open access log '" + spec + "': " + std::strerror(errno));
    }
    owned_ = true;
  }
  flusher_ = std::thread([this] { RunFlusher(); });
  return OkStatus();
}

void AccessLog::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (out_ != nullptr) FlushLocked();
  }
  wake_.notify_all();
  if (flusher_.joinable()) flusher_.join();
}

void AccessLog::FlushLocked() {
  if (pending_.empty()) return;
  std::fwrite(pending_.data(), 1, pending_.size(), out_);
  std::fflush(out_);
  pending_.clear();
}

void AccessLog::RunFlusher() {
  NameThisThread("cg-accesslog");
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, kAccessLogFlushInterval);
    FlushLocked();
  }
}

std::string RedactAccessToken(std::string_view target) {
  std::string out(target);
  const size_t query = out.find('?');
  if (query == std::string::npos) return out;
  static constexpr std::string_view kName = "access_token=";
  for (size_t at = out.find(kName, query); at != std::string::npos; at = out.find(kName, at + 1)) {
    if (out[at - 1] != '?' && out[at - 1] != '&') continue;  // "x_access_token=" is another name
    const size_t value = at + kName.size();
    size_t end = out.find('&', value);
    if (end == std::string::npos) end = out.size();
    out.replace(value, end - value, "REDACTED");
  }
  return out;
}

void AccessLog::Write(std::string_view remote, std::string_view method, std::string_view raw_target,
                      int status, uint64_t bytes, std::chrono::nanoseconds duration) {
  if (out_ == nullptr) return;
  // An EventSource sends its bearer token in the query (?access_token=): a log keeps no token.
  const std::string redacted = raw_target.find("access_token=") == std::string_view::npos
                                   ? std::string()
                                   : RedactAccessToken(raw_target);
  const std::string_view target = redacted.empty() ? raw_target : std::string_view(redacted);
  std::string line = FormatIso8601(SystemClock::Default().Now());
  line.reserve(line.size() + remote.size() + method.size() + target.size() + 48);
  line += ' ';
  line += remote.empty() ? "-" : remote;
  line += ' ';
  line += method;
  line += ' ';
  // Targets are printable ASCII once parsed; anything else is escaped so a line stays a line.
  for (char c : target) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      line += buf;
    } else {
      line += c;
    }
  }
  char tail[96];
  std::snprintf(tail, sizeof tail, " %d %llu %.3fms\n", status,
                static_cast<unsigned long long>(bytes),
                std::chrono::duration<double, std::milli>(duration).count());
  line += tail;
  std::lock_guard<std::mutex> lock(mu_);
  pending_ += line;
  // After Close (no background writer) or past a batch, write now.
  if (stopping_ || pending_.size() >= kAccessLogBatchBytes) FlushLocked();
}

void SessionRegistry::Add(const std::shared_ptr<Session>& session) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_[session.get()] = session;
}

void SessionRegistry::Remove(const Session* session) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(session);
  if (sessions_.empty()) empty_.notify_all();
}

std::vector<std::shared_ptr<Session>> SessionRegistry::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<Session>> out;
  out.reserve(sessions_.size());
  for (const auto& [ptr, weak] : sessions_) {
    if (auto s = weak.lock()) out.push_back(std::move(s));
  }
  return out;
}

size_t SessionRegistry::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

bool SessionRegistry::WaitEmpty(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return empty_.wait_for(lock, timeout, [&] { return sessions_.empty(); });
}

}  // namespace citygrid::http::internal
