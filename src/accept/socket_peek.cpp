#include "accept/socket_peek.hpp"

#include <asio/experimental/as_tuple.hpp>

#include <chrono>
#include <vector>

namespace cursor_proxy::accept {
namespace {

using asio::experimental::as_tuple;
// wait_read completes at once while unread bytes sit in the buffer, so after a
// peek that brought nothing new we sleep briefly instead of spinning.
constexpr std::chrono::milliseconds kRepeekDelay{5};

}  // namespace

asio::awaitable<std::error_code> peek_until(asio::ip::tcp::socket& socket, std::size_t max_bytes,
                                            const std::function<PeekVerdict(std::span<const std::uint8_t>)>& judge) {
    std::size_t seen = 0;
    std::vector<std::uint8_t> window(max_bytes);
    asio::steady_timer pause(socket.get_executor());
    for (;;) {
        auto [wait_error] = co_await socket.async_wait(asio::socket_base::wait_read, as_tuple(asio::use_awaitable));
        if (wait_error) co_return wait_error;
        auto [error, n] = co_await socket.async_receive(asio::buffer(window), asio::socket_base::message_peek,
                                                        as_tuple(asio::use_awaitable));
        if (error) co_return error;
        if (n == 0) co_return asio::error::eof;
        if (n > seen) {
            seen = n;
            if (judge(std::span(window).first(n)) == PeekVerdict::enough) co_return std::error_code{};
            if (n >= max_bytes) co_return asio::error::message_size;
            continue;
        }
        pause.expires_after(kRepeekDelay);
        auto [timer_error] = co_await pause.async_wait(as_tuple(asio::use_awaitable));
        if (timer_error) co_return timer_error;
    }
}

}  // namespace cursor_proxy::accept
