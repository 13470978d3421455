#pragma once
// The listeners and the set of running sessions: accepts while under
// --max-connections, and on SIGTERM/SIGINT stops accepting and gives open
// connections the grace period before stopping the io_context. One io_context
// thread runs everything (the relays, TLS and the accept loops); the leaf cache
// and passthrough policy are thread-safe anyway.
#include "accept/listen_address.hpp"
#include "proxy/proxy_config.hpp"

#include <asio.hpp>

#include <functional>
#include <vector>

namespace cursor_proxy::proxy {

class Server {
public:
    // Opens every listener (throws UserError naming the address).
    Server(asio::io_context& io, const ProxyConfig& config);

    // The endpoints actually bound (port 0 resolved), in option order.
    const std::vector<asio::ip::tcp::endpoint>& endpoints() const { return endpoints_; }

    // Starts the accept loops and the signal handler. on_drain runs once when
    // a stop signal arrives (for sd_notify STOPPING=1).
    void start(SessionContext& context, std::function<void(std::string_view)> on_drain);

    std::size_t active() const { return active_; }

private:
    asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor, accept::ListenMode mode);
    asio::awaitable<void> drain();

    asio::io_context& io_;
    const ProxyConfig& config_;
    SessionContext* context_ = nullptr;
    std::vector<asio::ip::tcp::acceptor> acceptors_;
    std::vector<asio::ip::tcp::endpoint> endpoints_;
    asio::signal_set signals_;
    std::function<void(std::string_view)> on_drain_;
    std::size_t active_ = 0;
    bool draining_ = false;
    asio::steady_timer slot_freed_;  // cancelled when a connection ends at the limit
};

}  // namespace cursor_proxy::proxy
