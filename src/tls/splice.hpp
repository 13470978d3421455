#pragma once
// Copies bytes both ways between two TCP sockets, untouched: passthrough hosts
// and non-TLS traffic. A half-close on one side is passed on to the other;
// the splice ends when both directions are done, on an error, or after
// idle_timeout without a byte in either direction.
#include "tls/tls_stream.hpp"

#include <chrono>
#include <cstdint>

namespace cursor_proxy::tls {

struct SpliceTotals {
    std::uint64_t client_to_upstream = 0;
    std::uint64_t upstream_to_client = 0;
    bool idle_timeout = false;
};

asio::awaitable<SpliceTotals> splice(TcpSocket& client, TcpSocket& upstream, std::chrono::seconds idle_timeout);

}  // namespace cursor_proxy::tls
