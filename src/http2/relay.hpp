#pragma once
// HTTP/2 relay: an nghttp2 server session facing the client, an nghttp2
// client session facing the upstream, one upstream stream per client stream,
// end-to-end backpressure (bytes consumed on one leg only once the other leg
// has taken them). Reports every stream to the observer.
#include "observer/observer.hpp"

#include <asio.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace cursor_proxy::http2 {

struct Limits {
    std::uint32_t stream_window = 1u << 20;        // per-stream receive window each leg advertises
    std::uint32_t connection_window = 16u << 20;   // connection receive window each leg advertises
    std::size_t stream_buffer_bytes = 1u << 20;    // per stream per direction, bytes held between legs
    std::uint32_t max_concurrent_streams = 256;    // advertised to the client
    std::size_t max_header_list_bytes = 256 * 1024;
    std::chrono::seconds idle_timeout{600};        // whole connection, no streams and no frames
    std::size_t write_buffer_bytes = 64 * 1024;    // per leg: frames serialised but not yet written
    std::chrono::seconds keepalive_interval{60};   // PING a leg that has been silent this long
};
// Worst case memory per connection (defaults): request bodies held are bounded
// by the connection window we advertise to the client (16 MiB), response
// bodies by the one we advertise upstream (16 MiB), plus two write buffers
// (2 x 64 KiB + one frame) and header lists (max_concurrent_streams x
// max_header_list_bytes = 64 MiB in theory, a few KiB per stream in practice).
// A stream never holds more than min(stream_window, stream_buffer_bytes) per
// direction: that is the window its sender gets.

// Returns when the connection is over; shuts nothing down itself (the caller
// owns both streams). Runs on the calling coroutine's executor, which must not
// run handlers concurrently (a strand or a one-thread io_context). Stream is tls::TlsStream or
// tls::TcpSocket (explicit instantiations in relay.cpp).
template <typename Stream>
asio::awaitable<void> relay(Stream& client, Stream& upstream, std::uint64_t connection_id,
                            observer::Observer& observer, const Limits& limits);

}  // namespace cursor_proxy::http2
