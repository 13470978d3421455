#pragma once
// The helper's configuration: its own file (key = value lines, '#' comments),
// never anything a D-Bus caller sends. Parsing validates every value, so a
// Config that exists is one the manager can act on.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cursor_proxy::helper {

// An IPv4 prefix in host byte order, e.g. 10.200.1.0/24.
struct Ipv4Prefix {
    std::uint32_t network = 0;
    int length = 0;

    static std::optional<Ipv4Prefix> parse(std::string_view text);
    std::string str() const;
    std::uint32_t mask() const { return length == 0 ? 0 : ~std::uint32_t{0} << (32 - length); }
    bool contains(std::uint32_t address) const { return (address & mask()) == network; }
    bool overlaps(const Ipv4Prefix& other) const;
    bool operator==(const Ipv4Prefix&) const = default;
};

std::optional<std::uint32_t> parse_ipv4(std::string_view text);
std::string format_ipv4(std::uint32_t address);

inline constexpr const char* default_config_path = "/etc/cursor-proxy/helper.conf";

struct Config {
    std::string namespace_name = "cursor-proxy";
    std::string host_interface = "cproxy-host";
    std::string namespace_interface = "cproxy-ns";
    Ipv4Prefix subnet{(10u << 24) | (200u << 16) | (1u << 8), 24};
    std::uint16_t proxy_port = 8443;
    std::string uplink = "auto";          // an interface name, or "auto": the default route's
    std::vector<std::string> dns;         // IPv4 resolvers; empty: taken from the host
    bool fail_closed = false;             // namespace may reach only the proxy and DNS
    std::string nft_table = "cursor_proxy";  // table "inet <name>"
    std::string allowed_group = "cursor-proxy";
    bool teardown_on_stop = false;        // SIGTERM: remove the network (true) or keep it
    std::string state_dir = "/run/cursor-proxy-helper";
    std::string etc_netns_dir = "/etc/netns";

    std::uint32_t host_address() const { return subnet.network + 1; }
    std::uint32_t namespace_address() const { return subnet.network + 2; }
    std::string namespace_path() const { return "/run/netns/" + namespace_name; }
    std::string etc_netns_path() const { return etc_netns_dir + "/" + namespace_name; }
    std::string resolv_conf_path() const { return etc_netns_path() + "/resolv.conf"; }
};

// Parses config text; `origin` names the file in error messages.
// Throws HelperError (BadConfig) with "<origin>:<line>: <problem>".
Config parse_config(std::string_view text, const std::string& origin);
// Reads and parses a file; a missing file is an error naming the file.
Config load_config(const std::string& path);

// The checks parse_config applies, exposed for tests and callers.
bool is_valid_namespace_name(std::string_view name);
bool is_valid_interface_name(std::string_view name);
bool is_valid_table_name(std::string_view name);

}  // namespace cursor_proxy::helper
