#include "links.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/nexthop.h>

#include <cstring>

#include "errors.hpp"

namespace cursor_proxy::helper {
namespace {

[[noreturn]] void throw_nl(const std::string& what, int err) {
    throw HelperError(error_name::netlink, fmt::format("{}: {}", what, nl_geterror(err)));
}

NlAddr ipv4_addr(std::uint32_t address, int prefix_length) {
    std::uint32_t be = htonl(address);
    NlAddr a(nl_addr_build(AF_INET, &be, sizeof be));
    if (!a) throw HelperError(error_name::system, "out of memory building a netlink address");
    nl_addr_set_prefixlen(a.get(), prefix_length);
    return a;
}

std::uint32_t addr_to_u32(nl_addr* a) {
    std::uint32_t be = 0;
    if (a && nl_addr_get_len(a) == sizeof be) std::memcpy(&be, nl_addr_get_binary_addr(a), sizeof be);
    return ntohl(be);
}

RtnlLink require_link(nl_sock* sock, const std::string& name) {
    auto link = find_link(sock, name);
    if (!link) throw HelperError(error_name::netlink, fmt::format("interface {} does not exist", name));
    return link;
}

int link_index(nl_sock* sock, const std::string& name) { return rtnl_link_get_ifindex(require_link(sock, name).get()); }

std::string index_name(int ifindex) {
    char name[IF_NAMESIZE] = {};
    return if_indextoname(static_cast<unsigned>(ifindex), name) ? name : fmt::format("if{}", ifindex);
}

}  // namespace

NlSock open_route_socket() {
    NlSock sock(nl_socket_alloc());
    if (!sock) throw HelperError(error_name::system, "out of memory allocating a netlink socket");
    if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0) throw_nl("cannot open a rtnetlink socket", err);
    return sock;
}

RtnlLink find_link(nl_sock* sock, const std::string& name) {
    rtnl_link* raw = nullptr;
    int err = rtnl_link_get_kernel(sock, 0, name.c_str(), &raw);
    if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return {};
    if (err < 0) throw_nl(fmt::format("cannot look up interface {}", name), err);
    return RtnlLink(raw);
}

bool is_veth(rtnl_link* link) {
    const char* type = rtnl_link_get_type(link);
    return type && std::strcmp(type, "veth") == 0;
}

void create_veth(nl_sock* sock, const std::string& name, const std::string& peer_name, int peer_ns_fd) {
    RtnlLink link(rtnl_link_veth_alloc());
    if (!link) throw HelperError(error_name::system, "out of memory allocating a veth link");
    RtnlLink peer(rtnl_link_veth_get_peer(link.get()));
    rtnl_link_set_name(link.get(), name.c_str());
    rtnl_link_set_name(peer.get(), peer_name.c_str());
    rtnl_link_set_ns_fd(peer.get(), peer_ns_fd);
    if (int err = rtnl_link_add(sock, link.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
        throw_nl(fmt::format("cannot create veth pair {} <-> {}", name, peer_name), err);
}

void delete_link(nl_sock* sock, rtnl_link* link) {
    if (int err = rtnl_link_delete(sock, link); err < 0 && err != -NLE_OBJ_NOTFOUND && err != -NLE_NODEV)
        throw_nl(fmt::format("cannot delete interface {}", rtnl_link_get_name(link)), err);
}

void set_link_up(nl_sock* sock, const std::string& name) {
    auto link = require_link(sock, name);
    if (rtnl_link_get_flags(link.get()) & IFF_UP) return;
    RtnlLink change(rtnl_link_alloc());
    rtnl_link_set_flags(change.get(), IFF_UP);
    if (int err = rtnl_link_change(sock, link.get(), change.get(), 0); err < 0)
        throw_nl(fmt::format("cannot bring interface {} up", name), err);
}

void set_only_ipv4_address(nl_sock* sock, const std::string& link_name, std::uint32_t address, int prefix_length) {
    int ifindex = link_index(sock, link_name);
    nl_cache* raw_cache = nullptr;
    if (int err = rtnl_addr_alloc_cache(sock, &raw_cache); err < 0) throw_nl("cannot list addresses", err);
    NlCache cache(raw_cache);

    bool present = false;
    for (auto* obj = nl_cache_get_first(cache.get()); obj; obj = nl_cache_get_next(obj)) {
        auto* addr = reinterpret_cast<rtnl_addr*>(obj);
        if (rtnl_addr_get_ifindex(addr) != ifindex || rtnl_addr_get_family(addr) != AF_INET) continue;
        if (addr_to_u32(rtnl_addr_get_local(addr)) == address && rtnl_addr_get_prefixlen(addr) == prefix_length) {
            present = true;
        } else if (int err = rtnl_addr_delete(sock, addr, 0); err < 0) {
            throw_nl(fmt::format("cannot remove a stale address from {}", link_name), err);
        }
    }
    if (present) return;

    RtnlAddr addr(rtnl_addr_alloc());
    auto local = ipv4_addr(address, prefix_length);
    rtnl_addr_set_ifindex(addr.get(), ifindex);
    rtnl_addr_set_family(addr.get(), AF_INET);
    rtnl_addr_set_local(addr.get(), local.get());
    rtnl_addr_set_prefixlen(addr.get(), prefix_length);
    if (int err = rtnl_addr_add(sock, addr.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
        throw_nl(fmt::format("cannot add {}/{} to {}", format_ipv4(address), prefix_length, link_name), err);
}

void replace_default_route(nl_sock* sock, const std::string& link_name, std::uint32_t gateway) {
    RtnlRoute route(rtnl_route_alloc());
    auto any = ipv4_addr(0, 0);
    auto via = ipv4_addr(gateway, 32);
    rtnl_route_set_family(route.get(), AF_INET);
    rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
    rtnl_route_set_protocol(route.get(), RTPROT_STATIC);
    rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
    rtnl_route_set_type(route.get(), RTN_UNICAST);
    if (int err = rtnl_route_set_dst(route.get(), any.get()); err < 0) throw_nl("cannot build the default route", err);
    rtnl_nexthop* hop = rtnl_route_nh_alloc();  // owned by the route once added
    if (!hop) throw HelperError(error_name::system, "out of memory allocating a next hop");
    rtnl_route_nh_set_gateway(hop, via.get());
    rtnl_route_nh_set_ifindex(hop, link_index(sock, link_name));
    rtnl_route_add_nexthop(route.get(), hop);
    if (int err = rtnl_route_add(sock, route.get(), NLM_F_CREATE | NLM_F_REPLACE); err < 0)
        throw_nl(fmt::format("cannot add the default route via {}", format_ipv4(gateway)), err);
}

std::vector<RouteEntry> main_table_routes(nl_sock* sock) {
    nl_cache* raw_cache = nullptr;
    if (int err = rtnl_route_alloc_cache(sock, AF_INET, 0, &raw_cache); err < 0) throw_nl("cannot list routes", err);
    NlCache cache(raw_cache);
    std::vector<RouteEntry> routes;
    for (auto* obj = nl_cache_get_first(cache.get()); obj; obj = nl_cache_get_next(obj)) {
        auto* route = reinterpret_cast<rtnl_route*>(obj);
        if (rtnl_route_get_table(route) != RT_TABLE_MAIN) continue;
        auto* dst = rtnl_route_get_dst(route);  // borrowed, not a new reference
        RouteEntry entry;
        entry.destination.length = static_cast<int>(nl_addr_get_prefixlen(dst));
        entry.destination.network = addr_to_u32(dst) & entry.destination.mask();
        char type[32] = {};
        entry.type = nl_rtntype2str(rtnl_route_get_type(route), type, sizeof type);
        if (rtnl_route_get_nnexthops(route) > 0)
            entry.device = index_name(rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(route, 0)));
        routes.push_back(std::move(entry));
    }
    return routes;
}

std::optional<std::string> default_route_device(nl_sock* sock) {
    for (const auto& route : main_table_routes(sock))
        if (route.destination.length == 0 && !route.device.empty()) return route.device;
    return std::nullopt;
}

}  // namespace cursor_proxy::helper
