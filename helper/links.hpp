#pragma once
// Links, addresses and routes through libnl-3 route. Each function takes the
// netlink socket of the namespace it acts in (see netns.hpp for how a socket
// ends up inside the helper's namespace).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config.hpp"
#include "raii.hpp"

namespace cursor_proxy::helper {

// A NETLINK_ROUTE socket in the calling thread's namespace.
NlSock open_route_socket();

// The link called `name`, or null if there is none.
RtnlLink find_link(nl_sock* sock, const std::string& name);
bool is_veth(rtnl_link* link);

// Creates a veth pair, the peer directly inside the namespace `peer_ns_fd`.
// NLM_F_CREATE|NLM_F_EXCL: an existing link of that name is an error.
void create_veth(nl_sock* sock, const std::string& name, const std::string& peer_name, int peer_ns_fd);
// Deletes a link found by find_link; one already gone is not an error.
void delete_link(nl_sock* sock, rtnl_link* link);
void set_link_up(nl_sock* sock, const std::string& name);

// Leaves exactly one IPv4 address on the link: `address`/`prefix_length`.
void set_only_ipv4_address(nl_sock* sock, const std::string& link_name, std::uint32_t address, int prefix_length);
// Creates or replaces the IPv4 default route via `gateway` on `link_name`.
void replace_default_route(nl_sock* sock, const std::string& link_name, std::uint32_t gateway);

struct RouteEntry {
    Ipv4Prefix destination;
    std::string device;    // "" for routes without one (blackhole, unreachable)
    std::string type;      // "unicast", "blackhole", ...
};
// The IPv4 routes of the main table.
std::vector<RouteEntry> main_table_routes(nl_sock* sock);
// The device of the IPv4 default route, if any.
std::optional<std::string> default_route_device(nl_sock* sock);

}  // namespace cursor_proxy::helper
