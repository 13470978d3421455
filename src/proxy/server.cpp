#include "proxy/server.hpp"

#include "log/log.hpp"
#include "proxy/session.hpp"
#include "stats/counters.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <fmt/format.h>

#include <csignal>

namespace cursor_proxy::proxy {
namespace {

using asio::experimental::as_tuple;
constexpr std::string_view kLog = "proxy";
// How long the accept loop backs off when the process runs out of file descriptors.
constexpr std::chrono::milliseconds kFdBackoff{100};

}  // namespace

Server::Server(asio::io_context& io, const ProxyConfig& config)
    : io_(io), config_(config), signals_(io, SIGTERM, SIGINT), slot_freed_(io) {
    // Never expires: waiters wake only when cancel() says a slot came free.
    slot_freed_.expires_at(asio::steady_timer::time_point::max());
    for (const auto& address : config.listen) {
        acceptors_.push_back(accept::open_acceptor(io, address));
        endpoints_.push_back(acceptors_.back().local_endpoint());
    }
}

void Server::start(SessionContext& context, std::function<void(std::string_view)> on_drain) {
    context_ = &context;
    on_drain_ = std::move(on_drain);
    for (std::size_t i = 0; i < acceptors_.size(); ++i) {
        asio::co_spawn(io_, accept_loop(acceptors_[i], config_.listen[i].mode), asio::detached);
    }
    signals_.async_wait([this](const std::error_code& error, int signal) {
        if (error) return;
        log::warning(kLog, "stopping: no new connections; open ones get the grace period",
                     {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}, {"open", active_},
                      {"grace_s", config_.shutdown_grace.count()}});
        asio::co_spawn(io_, drain(), asio::detached);
    });
}

asio::awaitable<void> Server::accept_loop(asio::ip::tcp::acceptor& acceptor, accept::ListenMode mode) {
    static auto& limit_waits = stats::counter("connections.limit_waits");
    asio::steady_timer pause(io_);
    bool limit_logged = false;
    while (!draining_) {
        if (active_ >= config_.max_connections) {
            if (!limit_logged) {
                log::warning(kLog, "connection limit reached; new connections wait in the accept queue (--max-connections)",
                             {{"limit", config_.max_connections}});
                limit_logged = true;
            }
            limit_waits.fetch_add(1, std::memory_order_relaxed);
            co_await slot_freed_.async_wait(as_tuple(asio::use_awaitable));
            continue;
        }
        limit_logged = false;
        auto [error, socket] = co_await acceptor.async_accept(as_tuple(asio::use_awaitable));
        if (error) {
            if (draining_ || error == asio::error::operation_aborted) co_return;
            log::warning(kLog, "accept failed", {{"error", error.message()},
                                                 {"hint", error == asio::error::no_descriptors
                                                              ? "raise LimitNOFILE= / ulimit -n" : ""}});
            pause.expires_after(kFdBackoff);
            co_await pause.async_wait(as_tuple(asio::use_awaitable));
            continue;
        }
        ++active_;
        asio::co_spawn(io_, run_session(*context_, std::move(socket), mode), [this](std::exception_ptr failure) {
            if (active_-- == config_.max_connections) slot_freed_.cancel();  // wake the waiting accept loops
            if (!failure) return;
            try {
                std::rethrow_exception(failure);
            } catch (const std::exception& e) {
                log::error(kLog, "connection ended by an internal error", {{"error", e.what()}});
            }
        });
    }
}

asio::awaitable<void> Server::drain() {
    if (draining_) co_return;
    draining_ = true;
    for (auto& acceptor : acceptors_) {
        std::error_code ignored;
        acceptor.close(ignored);
    }
    slot_freed_.cancel();  // accept loops waiting for a slot see draining_ and end
    if (on_drain_) on_drain_(fmt::format("draining {} connections", active_));
    // A second signal stops at once.
    signals_.async_wait([this](const std::error_code& error, int) {
        if (!error) io_.stop();
    });
    const auto deadline = std::chrono::steady_clock::now() + config_.shutdown_grace;
    asio::steady_timer pause(io_);
    while (active_ > 0 && std::chrono::steady_clock::now() < deadline) {
        pause.expires_after(std::chrono::milliseconds(100));
        co_await pause.async_wait(as_tuple(asio::use_awaitable));
    }
    if (active_ > 0) log::warning(kLog, "grace period over; closing open connections", {{"open", active_}});
    io_.stop();
}

}  // namespace cursor_proxy::proxy
