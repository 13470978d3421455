#include "http2/relay.hpp"

#include "http2/connection.hpp"
#include "tls/tls_stream.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>

#include <array>
#include <vector>

namespace cursor_proxy::http2 {
namespace {

using asio::experimental::as_tuple;
using namespace asio::experimental::awaitable_operators;

constexpr std::size_t read_chunk_bytes = 16 * 1024;

// Bytes from the peer into the session, until the peer or the relay stops.
template <typename Stream>
asio::awaitable<void> read_loop(Stream& stream, SessionLeg& leg) {
    Connection& connection = leg.connection();
    std::array<std::uint8_t, read_chunk_bytes> buffer;
    while (!connection.stopping() && !leg.read_closed) {
        auto [ec, n] = co_await stream.async_read_some(asio::buffer(buffer), as_tuple(asio::use_awaitable));
        if (connection.stopping()) break;
        if (ec) {
            connection.leg_failed(leg, ec == asio::error::eof ? "peer closed the connection" : ec.message(), false);
            break;
        }
        if (!leg.receive({buffer.data(), n})) {
            // nghttp2 may have queued a GOAWAY saying why: the write loop still sends it.
            connection.leg_failed(leg, leg.last_error, true);
        }
        connection.on_read(leg);
        connection.check_done();
    }
}

// Frames from the session to the peer. At most write_buffer_bytes (plus one
// frame) wait here; while a write is slow, nghttp2 keeps the rest and the data
// sources are not asked, so nothing is taken from the other leg.
template <typename Stream>
asio::awaitable<void> write_loop(Stream& stream, SessionLeg& leg) {
    Connection& connection = leg.connection();
    const std::size_t cap = connection.limits().write_buffer_bytes;
    std::vector<std::uint8_t> out;
    out.reserve(cap + 16 * 1024);
    while (!connection.stopping() && !leg.dead) {
        out.clear();
        if (!leg.produce(out, cap)) {
            connection.leg_failed(leg, leg.last_error, false);
            break;
        }
        if (out.empty()) {
            connection.check_done();
            if (connection.stopping()) break;
            co_await leg.wait_for_work();
            continue;
        }
        leg.writing = true;
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(out), as_tuple(asio::use_awaitable));
        leg.writing = false;
        if (connection.stopping()) break;
        if (ec) {
            connection.leg_failed(leg, ec.message(), false);
            break;
        }
    }
}

asio::awaitable<void> tick_loop(Connection& connection) {
    while (!connection.stopping()) {
        connection.tick_timer().expires_after(connection.limits().keepalive_interval);
        // Cancelled only by stop(), which the loop condition sees.
        co_await connection.tick_timer().async_wait(as_tuple(asio::use_awaitable));
        if (connection.stopping()) break;
        connection.tick();
        connection.check_done();
    }
}

template <typename Stream>
void cancel_io(Stream& stream) {
    asio::error_code ignored;  // cancelling a closed socket is fine: it has nothing pending
    stream.lowest_layer().cancel(ignored);
}

}  // namespace

template <typename Stream>
asio::awaitable<void> relay(Stream& client, Stream& upstream, std::uint64_t connection_id,
                            observer::Observer& observer, const Limits& limits) {
    const auto executor = co_await asio::this_coro::executor;
    Connection connection(connection_id, observer, limits, executor);
    if (!connection.start()) co_return;
    connection.on_stop([&client, &upstream] {
        cancel_io(client);
        cancel_io(upstream);
    });
    co_await (read_loop(client, connection.client()) && write_loop(client, connection.client()) &&
              read_loop(upstream, connection.upstream()) && write_loop(upstream, connection.upstream()) &&
              tick_loop(connection));
}

template asio::awaitable<void> relay<tls::TlsStream>(tls::TlsStream&, tls::TlsStream&, std::uint64_t,
                                                      observer::Observer&, const Limits&);
template asio::awaitable<void> relay<tls::TcpSocket>(tls::TcpSocket&, tls::TcpSocket&, std::uint64_t,
                                                      observer::Observer&, const Limits&);

}  // namespace cursor_proxy::http2
