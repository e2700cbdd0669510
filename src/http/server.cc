#include "citygrid/http/server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "citygrid/common/thread_name.h"
#include "src/http/listener.h"
#include "src/http/server_state.h"
#include "src/http/session.h"

namespace citygrid::http {

namespace net = boost::asio;
using tcp = net::ip::tcp;

class Server::Impl {
 public:
  Impl(Router router, ServerOptions options, std::shared_ptr<Metrics> metrics)
      : router_(std::move(router)),
        options_(std::move(options)),
        metrics_(metrics ? std::move(metrics) : std::make_shared<Metrics>()),
        threads_count_(options_.threads > 0
                           ? options_.threads
                           : std::max(1, static_cast<int>(std::thread::hardware_concurrency()))),
        ioc_(threads_count_) {}

  Status Start() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (started_) return FailedPreconditionError("the server is already started");
    }
    boost::system::error_code ec;
    net::ip::address address = net::ip::make_address(options_.host, ec);
    if (ec) {
      return InvalidArgumentError("listen address '" + options_.host +
                                  "' is not an IPv4 or IPv6 address");
    }
    state_ = std::make_unique<internal::ServerState>(router_, options_, *metrics_);
    CITYGRID_RETURN_IF_ERROR(state_->access_log.Open(options_.access_log));
    listener_ = std::make_shared<internal::Listener>(ioc_, *state_);
    CITYGRID_RETURN_IF_ERROR(listener_->Open(tcp::endpoint(address, options_.port)));
    bound_ = listener_->local_endpoint();
    listener_->Run();
    work_.emplace(ioc_.get_executor());
    {
      std::lock_guard<std::mutex> lock(mu_);
      started_ = true;
    }
    threads_.reserve(threads_count_);
    for (int i = 0; i < threads_count_; ++i) {
      threads_.emplace_back([this] { RunLoop(); });
    }
    return OkStatus();
  }

  void RunLoop() {
    NameThisThread("cg-http");
    for (;;) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception& e) {
        // Handlers catch their own errors; this is a last resort that keeps the thread serving.
        std::fprintf(stderr, "citygrid http: uncaught exception in the event loop: %s\n",
                     e.what());
      }
    }
  }

  // Server::Post. Jobs come in bursts from another thread (the store's committer completes a
  // whole batch of creates at once); each burst costs one post into asio's scheduler, whose
  // mutex the server threads also take for every socket event, instead of one per job.
  void Post(std::function<void()> job) {
    bool schedule = false;
    {
      std::lock_guard<std::mutex> lock(posted_mu_);
      posted_.push_back(std::move(job));
      schedule = !drain_posted_;
      drain_posted_ = true;
    }
    if (schedule) net::post(ioc_, [this] { RunPosted(); });
  }

  // Runs the jobs posted so far; jobs posted meanwhile go to the next burst, which the other
  // server thread may take.
  void RunPosted() {
    std::vector<std::function<void()>> jobs;
    {
      std::lock_guard<std::mutex> lock(posted_mu_);
      jobs.swap(posted_);
      drain_posted_ = false;
    }
    for (std::function<void()>& job : jobs) {
      try {
        job();
      } catch (const std::exception& e) {
        // As RunLoop: the job's own error; the others of the burst still run.
        std::fprintf(stderr, "citygrid http: uncaught exception in a posted job: %s\n",
                     e.what());
      }
      job = nullptr;  // what the job holds (a connection) goes now
    }
  }

  void EnableSignals() {
    signals_.emplace(ioc_, SIGINT, SIGTERM);
    signals_->async_wait([this](const boost::system::error_code& ec, int) {
      if (!ec) Shutdown();
    });
  }

  void Shutdown() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (shutdown_ || !started_) {
        shutdown_ = true;
        cv_.notify_all();
        return;
      }
      shutdown_ = true;
    }
    cv_.notify_all();
    state_->stopping.store(true);
    listener_->Close();
    if (signals_) {
      net::post(ioc_, [this] {
        boost::system::error_code ignored;
        signals_->cancel(ignored);
      });
    }
    for (const auto& session : state_->sessions.Snapshot()) session->Shutdown();
  }

  void Wait() {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return shutdown_; });
      if (!started_ || waited_) return;
      waited_ = true;
    }
    if (!state_->sessions.WaitEmpty(options_.shutdown_grace)) {
      std::fprintf(stderr,
                   "citygrid http: %zu connection(s) still busy after the shutdown grace of "
                   "%lld ms; closing them\n",
                   state_->sessions.size(), static_cast<long long>(options_.shutdown_grace.count()));
      for (const auto& session : state_->sessions.Snapshot()) session->ForceClose();
      (void)state_->sessions.WaitEmpty(std::chrono::seconds(2));
    }
    // Every session is gone: nothing acknowledged is pending in the event loop.
    work_.reset();
    ioc_.stop();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    state_->access_log.Close();  // every line of the run is written
    for (const auto& hook : drain_hooks_) {
      try {
        hook();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "citygrid http: a drain hook failed: %s\n", e.what());
      }
    }
  }

  // Declaration order matters for destruction: handlers still queued in ioc_ may hold sessions,
  // whose destructors use state_ (and through it router_ and metrics_), so those outlive ioc_;
  // the listener and signal set are I/O objects of ioc_ and go before it.
  Router router_;
  ServerOptions options_;
  std::shared_ptr<Metrics> metrics_;
  int threads_count_;
  std::unique_ptr<internal::ServerState> state_;
  // Jobs of Post not yet run (they may hold sessions: they go before state_, after ioc_).
  std::mutex posted_mu_;
  std::vector<std::function<void()>> posted_;  // GUARDED_BY(posted_mu_)
  bool drain_posted_ = false;                  // GUARDED_BY(posted_mu_): a RunPosted is queued
  net::io_context ioc_;
  std::shared_ptr<internal::Listener> listener_;
  std::optional<net::signal_set> signals_;
  // Keeps the event loop running until Wait has seen every session go. Without it the loop ran
  // out of work and its threads left once the listener closed while a session was held only by
  // a handler's thread that had just answered (its `keep`, released a moment later): the
  // session's Shutdown was then posted to a loop nobody ran, and the server waited out its
  // grace for a connection already answered (found by a CI run, about 1 in 300 under load).
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::vector<std::function<void()>> drain_hooks_;
  tcp::endpoint bound_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;   // GUARDED_BY(mu_)
  bool shutdown_ = false;  // GUARDED_BY(mu_)
  bool waited_ = false;    // GUARDED_BY(mu_)
};

Server::Server(Router router, ServerOptions options, std::shared_ptr<Metrics> metrics)
    : impl_(std::make_unique<Impl>(std::move(router), std::move(options), std::move(metrics))) {}

Server::~Server() {
  impl_->Shutdown();
  impl_->Wait();
}

Status Server::Start() { return impl_->Start(); }

uint16_t Server::port() const { return impl_->bound_.port(); }

std::string Server::address() const {
  const net::ip::address a = impl_->bound_.address();
  std::string host = a.to_string();
  if (a.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(impl_->bound_.port());
}

void Server::Shutdown() { impl_->Shutdown(); }

void Server::Wait() { impl_->Wait(); }

Status Server::RunUntilSignal(const std::function<void(const Server&)>& on_listening) {
  CITYGRID_RETURN_IF_ERROR(Start());
  impl_->EnableSignals();
  if (on_listening) on_listening(*this);
  Wait();
  return OkStatus();
}

void Server::AddDrainHook(std::function<void()> hook) {
  impl_->drain_hooks_.push_back(std::move(hook));
}

void Server::Post(std::function<void()> job) { impl_->Post(std::move(job)); }

Metrics& Server::metrics() { return *impl_->metrics_; }
const ServerOptions& Server::options() const { return impl_->options_; }

}  // namespace citygrid::http
