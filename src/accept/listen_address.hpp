#pragma once
// Where a listener binds, and how it learns each connection's destination.
#include <asio.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace cursor_proxy::accept {

enum class ListenMode {
    transparent,  // connections redirected by nftables; destination from SO_ORIGINAL_DST
    connect,      // explicit proxy; destination from an HTTP CONNECT request
};

struct ListenAddress {
    asio::ip::tcp::endpoint endpoint;
    ListenMode mode = ListenMode::transparent;
};

// Parses "ADDR:PORT" or "[V6ADDR]:PORT" (port 0: the kernel picks one, which
// `run` then prints). Throws UsageError naming the option and the text.
asio::ip::tcp::endpoint parse_endpoint(std::string_view option, std::string_view text);

// Opens, binds and listens. IP_FREEBIND (IPv6: IPV6_FREEBIND) lets a
// transparent listener bind an address the helper has not created yet.
// Throws UserError naming the address and the reason (in use, permission...).
asio::ip::tcp::acceptor open_acceptor(asio::io_context& io, const ListenAddress& address);

// The loop guard: true when destination is one of our own listening endpoints
// (or the port of a listener bound to the unspecified address), so relaying
// it would connect the proxy to itself.
bool is_own_listener(const asio::ip::tcp::endpoint& destination,
                     const std::vector<asio::ip::tcp::endpoint>& listeners);

std::string to_string(const asio::ip::tcp::endpoint& endpoint);

}  // namespace cursor_proxy::accept
