#pragma once
// Where a connection redirected by nftables (redirect / DNAT) was going before
// the kernel rewrote it: SO_ORIGINAL_DST (IPv4) or IP6T_SO_ORIGINAL_DST (IPv6),
// read from conntrack. Only meaningful on a transparent listener's sockets.
#include <asio.hpp>

#include <system_error>

namespace cursor_proxy::accept {

// On failure (no conntrack entry: the connection was not redirected) returns
// an error code and leaves destination untouched.
std::error_code original_destination(asio::ip::tcp::socket& socket, asio::ip::tcp::endpoint& destination);

}  // namespace cursor_proxy::accept
