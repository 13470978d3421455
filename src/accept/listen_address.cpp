#include "accept/listen_address.hpp"

#include "accept/host_port.hpp"
#include "log/user_error.hpp"

#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>


namespace cursor_proxy::accept {

asio::ip::tcp::endpoint parse_endpoint(std::string_view option, std::string_view text) {
    const auto bad = [&](std::string_view why) {
        return UsageError(fmt::format("--{} {}: {} (expected ADDR:PORT, e.g. 127.0.0.1:8080 or [::1]:8080)",
                                      option, text, why));
    };
    const auto split = split_host_port(text);
    if (const auto* why = std::get_if<std::string>(&split)) throw bad(*why);
    const auto [host, port] = std::get<HostPort>(split);
    std::error_code parse_error;
    const auto address = asio::ip::make_address(std::string(host), parse_error);
    if (parse_error) throw bad("not an IP address (host names are not accepted here)");
    return {address, static_cast<unsigned short>(port)};
}

std::string to_string(const asio::ip::tcp::endpoint& endpoint) {
    if (endpoint.address().is_v6()) return fmt::format("[{}]:{}", endpoint.address().to_string(), endpoint.port());
    return fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
}

asio::ip::tcp::acceptor open_acceptor(asio::io_context& io, const ListenAddress& address) {
    asio::ip::tcp::acceptor acceptor(io);
    const auto fail = [&](std::string_view step, const std::error_code& ec) {
        std::string hint;
        if (ec == asio::error::address_in_use) hint = "; another program (or another cursor-proxy) listens there: pick another port";
        if (ec == asio::error::access_denied) hint = "; ports below 1024 need CAP_NET_BIND_SERVICE";
        return UserError(fmt::format("cannot listen on {}: {} failed: {}{}", to_string(address.endpoint), step,
                                     ec.message(), hint));
    };
    std::error_code ec;
    acceptor.open(address.endpoint.protocol(), ec);
    if (ec) throw fail("socket", ec);
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (ec) throw fail("SO_REUSEADDR", ec);
    if (address.mode == ListenMode::transparent) {
        // Free bind: the unit may start before the helper has made the veth.
        const int one = 1;
        const bool v6 = address.endpoint.address().is_v6();
        if (::setsockopt(acceptor.native_handle(), v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_FREEBIND : IP_FREEBIND,
                         &one, sizeof one) != 0) {
            throw fail("IP_FREEBIND", std::error_code(errno, std::system_category()));
        }
    }
    acceptor.bind(address.endpoint, ec);
    if (ec) throw fail("bind", ec);
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw fail("listen", ec);
    return acceptor;
}

bool is_own_listener(const asio::ip::tcp::endpoint& destination,
                     const std::vector<asio::ip::tcp::endpoint>& listeners) {
    for (const auto& listener : listeners) {
        if (listener.port() != destination.port()) continue;
        if (listener.address() == destination.address()) return true;
        // A listener on 0.0.0.0/:: answers on every local address; treat any
        // loopback destination on that port as ourselves.
        if (listener.address().is_unspecified() && destination.address().is_loopback()) return true;
    }
    return false;
}

}  // namespace cursor_proxy::accept
