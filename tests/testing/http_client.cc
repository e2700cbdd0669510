#include "tests/testing/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace citygrid::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

int RemainingMs(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) return v;
  }
  return "";
}

bool HttpResponse::HasHeader(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) return true;
  }
  return false;
}

HttpClient::HttpClient(std::string host, uint16_t port, std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), timeout_(timeout) {}

HttpClient::~HttpClient() { Disconnect(); }

void HttpClient::Disconnect() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
  last_eof_ = false;
}

bool HttpClient::Connect() {
  if (fd_ >= 0) return true;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  if (::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1) return false;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return false;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fd_ = fd;
  ++connections_opened_;
  buffer_.clear();
  last_eof_ = false;
  return true;
}

bool HttpClient::SendRaw(std::string_view bytes) {
  if (!Connect()) return false;
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool HttpClient::Fill(SteadyClock::time_point deadline) {
  if (fd_ < 0) return false;
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, RemainingMs(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;  // timeout or error
    char buf[16384];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      last_eof_ = true;
      return false;
    }
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  }
}

bool HttpClient::ReadLine(std::string* line, SteadyClock::time_point deadline) {
  for (;;) {
    size_t eol = buffer_.find("\r\n");
    if (eol != std::string::npos) {
      *line = buffer_.substr(0, eol);
      buffer_.erase(0, eol + 2);
      return true;
    }
    if (!Fill(deadline)) return false;
  }
}

bool HttpClient::ReadExactly(size_t n, std::string* out, SteadyClock::time_point deadline) {
  while (buffer_.size() < n) {
    if (!Fill(deadline)) return false;
  }
  out->append(buffer_, 0, n);
  buffer_.erase(0, n);
  return true;
}

HttpResponse HttpClient::ReadResponseHead() {
  HttpResponse r;
  auto deadline = SteadyClock::now() + timeout_;
  std::string line;
  if (!ReadLine(&line, deadline)) {
    r.error = last_eof_ ? "connection closed before a response" : "no response in time";
    return r;
  }
  // "HTTP/1.1 200 OK"
  size_t sp = line.find(' ');
  if (line.rfind("HTTP/1.", 0) != 0 || sp == std::string::npos) {
    r.error = "bad status line: " + line;
    return r;
  }
  int status = std::atoi(line.c_str() + sp + 1);
  for (;;) {
    if (!ReadLine(&line, deadline)) {
      r.error = "headers cut short";
      return r;
    }
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    r.headers.emplace_back(line.substr(0, colon), Trim(std::string_view(line).substr(colon + 1)));
  }
  r.status = status;
  stream_data_.clear();
  stream_done_ = false;
  stream_chunked_ = IEquals(r.Header("Transfer-Encoding"), "chunked");
  return r;
}

HttpResponse HttpClient::ReadResponse(bool head_request) {
  HttpResponse r;
  // Skip interim 1xx responses (100 Continue).
  for (;;) {
    r = ReadResponseHead();
    if (r.status == 0 || r.status >= 200) break;
  }
  if (r.status == 0) return r;
  auto deadline = SteadyClock::now() + timeout_;
  bool no_body = head_request || r.status == 204 || r.status == 304;
  if (!no_body) {
    if (stream_chunked_) {
      for (;;) {
        std::string size_line;
        if (!ReadLine(&size_line, deadline)) {
          r.error = "chunked body cut short";
          r.status = 0;
          return r;
        }
        size_t size = std::strtoul(size_line.c_str(), nullptr, 16);
        if (size == 0) {
          std::string trailer;
          do {
            if (!ReadLine(&trailer, deadline)) break;
          } while (!trailer.empty());
          break;
        }
        std::string crlf;
        if (!ReadExactly(size, &r.body, deadline) || !ReadExactly(2, &crlf, deadline)) {
          r.error = "chunk cut short";
          r.status = 0;
          return r;
        }
      }
    } else if (r.HasHeader("Content-Length")) {
      size_t length = std::strtoull(r.Header("Content-Length").c_str(), nullptr, 10);
      if (!ReadExactly(length, &r.body, deadline)) {
        r.error = "body cut short";
        r.status = 0;
        return r;
      }
    } else {
      while (Fill(deadline)) {
      }
      r.body = std::move(buffer_);
      buffer_.clear();
      Disconnect();
      return r;
    }
  }
  if (IEquals(r.Header("Connection"), "close")) Disconnect();
  return r;
}

HttpResponse HttpClient::Request(std::string_view method, std::string_view target,
                                 std::string_view body, const HttpHeaderList& headers) {
  std::string request;
  request += method;
  request += ' ';
  request += target;
  request += " HTTP/1.1\r\nHost: ";
  request += host_ + ":" + std::to_string(port_);
  request += "\r\n";
  bool has_type = false;
  for (const auto& [k, v] : headers) {
    if (IEquals(k, "Content-Type")) has_type = true;
    request += k + ": " + v + "\r\n";
  }
  bool with_body = !body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
  if (with_body) {
    if (!has_type) request += "Content-Type: application/json\r\n";
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n";
  request += body;
  // A kept-alive connection the server has closed meanwhile: reconnect once.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (attempt == 1 || (fd_ >= 0 && last_eof_)) Disconnect();
    if (!SendRaw(request)) {
      if (attempt == 0) continue;
      HttpResponse r;
      r.error = "cannot connect or send: " + std::string(std::strerror(errno));
      return r;
    }
    HttpResponse r = ReadResponse(method == "HEAD");
    if (r.status == 0 && attempt == 0 && last_eof_ && r.error.find("before a response") !=
                                                          std::string::npos) {
      continue;
    }
    return r;
  }
  return HttpResponse{0, {}, {}, "unreachable"};
}

HttpResponse HttpClient::Get(std::string_view target, const HttpHeaderList& headers) {
  return Request("GET", target, "", headers);
}
HttpResponse HttpClient::Head(std::string_view target, const HttpHeaderList& headers) {
  return Request("HEAD", target, "", headers);
}
HttpResponse HttpClient::Delete(std::string_view target, const HttpHeaderList& headers) {
  return Request("DELETE", target, "", headers);
}
HttpResponse HttpClient::Post(std::string_view target, std::string_view body,
                              const HttpHeaderList& headers) {
  return Request("POST", target, body, headers);
}
HttpResponse HttpClient::Put(std::string_view target, std::string_view body,
                             const HttpHeaderList& headers) {
  return Request("PUT", target, body, headers);
}

std::string HttpClient::ReadStreamUntil(std::string_view needle,
                                        std::chrono::milliseconds timeout) {
  auto deadline = SteadyClock::now() + timeout;
  while (stream_data_.find(needle) == std::string::npos && !stream_done_) {
    if (stream_chunked_) {
      std::string size_line;
      if (!ReadLine(&size_line, deadline)) break;
      size_t size = std::strtoul(size_line.c_str(), nullptr, 16);
      if (size == 0) {
        stream_done_ = true;
        break;
      }
      std::string crlf;
      if (!ReadExactly(size, &stream_data_, deadline) || !ReadExactly(2, &crlf, deadline)) break;
    } else {
      if (buffer_.empty() && !Fill(deadline)) break;
      stream_data_ += buffer_;
      buffer_.clear();
    }
  }
  return stream_data_;
}

bool HttpClient::WaitForClose(std::chrono::milliseconds timeout) {
  auto deadline = SteadyClock::now() + timeout;
  while (fd_ >= 0) {
    if (!Fill(deadline)) return last_eof_;
  }
  return true;
}

}  // namespace citygrid::testing
