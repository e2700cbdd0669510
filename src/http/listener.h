#pragma once

// Accepts connections and starts a Session for each (private to src/http).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>

#include "citygrid/common/status.h"
#include "src/http/server_state.h"
#include "src/http/session.h"

namespace citygrid::http::internal {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(boost::asio::io_context& ioc, ServerState& state);

  // Opens, binds and listens. kUnavailable names the endpoint and the reason.
  Status Open(const boost::asio::ip::tcp::endpoint& endpoint);
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  // Starts accepting. Call once after Open.
  void Run();
  // Stops accepting. Thread-safe.
  void Close();

 private:
  void DoAccept();
  void OnAccept(boost::system::error_code ec, SessionSocket socket);

  boost::asio::io_context& ioc_;
  ServerState& state_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::optional<boost::asio::steady_timer> retry_timer_;
};

}  // namespace citygrid::http::internal
