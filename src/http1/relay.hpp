#pragma once
// HTTP/1.1 relay between an intercepted client and its upstream: keep-alive,
// chunked and content-length bodies streamed (never buffered whole), Upgrade
// (WebSocket) switched to a byte relay after the 101. Reports to the observer.
#include "observer/observer.hpp"

#include <asio.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace cursor_proxy::http1 {

struct Limits {
    std::size_t max_header_bytes = 64 * 1024;
    std::size_t buffer_bytes = 64 * 1024;     // per direction
    std::chrono::seconds idle_timeout{600};    // as --idle-timeout
};

// Returns when either side closes or errs; closes nothing itself beyond
// shutting down the write side it owns. Stream is tls::TlsStream or
// tls::TcpSocket (explicit instantiations in relay.cpp).
template <typename Stream>
asio::awaitable<void> relay(Stream& client, Stream& upstream, std::uint64_t connection_id,
                            observer::Observer& observer, const Limits& limits);

}  // namespace cursor_proxy::http1
