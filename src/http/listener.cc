#include "src/http/listener.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>

#include <cstdio>

#include "src/http/session.h"

namespace citygrid::http::internal {

namespace net = boost::asio;
using tcp = net::ip::tcp;

Listener::Listener(net::io_context& ioc, ServerState& state)
    : ioc_(ioc), state_(state), acceptor_(net::make_strand(ioc)) {}

Status Listener::Open(const tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  std::string where = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return UnavailableError("cannot listen on " + where + ": " + ec.message());
  }
  return OkStatus();
}

tcp::endpoint Listener::local_endpoint() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void Listener::Run() {
  net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->DoAccept(); });
}

void Listener::Close() {
  net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ec;
    self->acceptor_.close(ec);
    if (self->retry_timer_) self->retry_timer_->cancel();
  });
}

void Listener::DoAccept() {
  // Each connection gets its own strand: its handlers never run concurrently.
  acceptor_.async_accept(net::make_strand(ioc_),
                         [self = shared_from_this()](boost::system::error_code ec,
                                                     SessionSocket socket) {
                           self->OnAccept(ec, std::move(socket));
                         });
}

void Listener::OnAccept(boost::system::error_code ec, SessionSocket socket) {
  if (!acceptor_.is_open() || state_.stopping.load()) return;
  if (ec) {
    if (ec == net::error::operation_aborted) return;
    // Out of file descriptors and the like: wait a moment instead of spinning.
    std::fprintf(stderr, "citygrid http: accept failed: %s\n", ec.message().c_str());
    if (!retry_timer_) retry_timer_.emplace(acceptor_.get_executor());
    retry_timer_->expires_after(std::chrono::milliseconds(100));
    retry_timer_->async_wait([self = shared_from_this()](boost::system::error_code timer_ec) {
      if (!timer_ec && self->acceptor_.is_open()) self->DoAccept();
    });
    return;
  }
  std::make_shared<Session>(std::move(socket), state_)->Run();
  DoAccept();
}

}  // namespace citygrid::http::internal
