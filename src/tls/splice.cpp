#include "tls/splice.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>

#include <array>

namespace cursor_proxy::tls {
namespace {

using asio::experimental::as_tuple;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kBufferBytes = 64 * 1024;

asio::awaitable<void> copy(TcpSocket& from, TcpSocket& to, std::uint64_t& total, Clock::time_point& last_activity) {
    std::array<std::uint8_t, kBufferBytes> buffer;
    for (;;) {
        auto [read_error, n] = co_await from.async_read_some(asio::buffer(buffer), as_tuple(asio::use_awaitable));
        if (n > 0) {
            last_activity = Clock::now();
            auto [write_error, written] =
                co_await asio::async_write(to, asio::buffer(buffer, n), as_tuple(asio::use_awaitable));
            total += written;
            if (write_error) break;
        }
        if (read_error) {
            if (read_error == asio::error::eof) {
                // Pass the half-close on; the other direction may still flow.
                std::error_code ignored;
                to.shutdown(asio::socket_base::shutdown_send, ignored);
                co_return;
            }
            break;
        }
    }
    // A real error: tear both sides down so the other direction ends too.
    std::error_code ignored;
    from.close(ignored);
    to.close(ignored);
}

asio::awaitable<void> idle_watch(std::chrono::seconds idle_timeout, const Clock::time_point& last_activity) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        timer.expires_at(last_activity + idle_timeout);
        auto [error] = co_await timer.async_wait(as_tuple(asio::use_awaitable));
        if (error) co_return;
        if (Clock::now() >= last_activity + idle_timeout) co_return;
    }
}

}  // namespace

asio::awaitable<SpliceTotals> splice(TcpSocket& client, TcpSocket& upstream, std::chrono::seconds idle_timeout) {
    SpliceTotals totals;
    auto last_activity = Clock::now();
    auto result = co_await ((copy(client, upstream, totals.client_to_upstream, last_activity) &&
                             copy(upstream, client, totals.upstream_to_client, last_activity)) ||
                            idle_watch(idle_timeout, last_activity));
    totals.idle_timeout = result.index() == 1;
    co_return totals;
}

}  // namespace cursor_proxy::tls
