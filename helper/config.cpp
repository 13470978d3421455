#include "config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

#include "errors.hpp"

namespace cursor_proxy::helper {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

template <typename T>
std::optional<T> parse_number(std::string_view text) {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

bool all_of_charset(std::string_view s, std::string_view extra) {
    return std::all_of(s.begin(), s.end(), [&](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string_view::npos;
    });
}

std::optional<bool> parse_bool(std::string_view v) {
    if (v == "true" || v == "yes" || v == "1") return true;
    if (v == "false" || v == "no" || v == "0") return false;
    return std::nullopt;
}

}  // namespace

std::optional<std::uint32_t> parse_ipv4(std::string_view text) {
    std::uint32_t address = 0;
    for (int i = 0; i < 4; ++i) {
        auto dot = text.find('.');
        auto part = i < 3 ? text.substr(0, dot) : text;
        if ((i < 3 && dot == std::string_view::npos) || part.empty() || part.size() > 3) return std::nullopt;
        auto octet = parse_number<unsigned>(part);
        if (!octet || *octet > 255) return std::nullopt;
        address = (address << 8) | *octet;
        if (i < 3) text.remove_prefix(dot + 1);
    }
    return address;
}

std::string format_ipv4(std::uint32_t a) {
    return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

std::optional<Ipv4Prefix> Ipv4Prefix::parse(std::string_view text) {
    auto slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto address = parse_ipv4(text.substr(0, slash));
    auto length = parse_number<int>(text.substr(slash + 1));
    if (!address || !length || *length < 0 || *length > 32) return std::nullopt;
    Ipv4Prefix p{*address, *length};
    if ((p.network & p.mask()) != p.network) return std::nullopt;  // host bits set
    return p;
}

std::string Ipv4Prefix::str() const { return fmt::format("{}/{}", format_ipv4(network), length); }

bool Ipv4Prefix::overlaps(const Ipv4Prefix& other) const {
    auto shorter = std::min(length, other.length);
    auto m = shorter == 0 ? 0 : ~std::uint32_t{0} << (32 - shorter);
    return (network & m) == (other.network & m);
}

bool is_valid_namespace_name(std::string_view name) {
    // It becomes a file name under /run/netns and /etc/netns: no '/', no
    // "." or "..", nothing that reads as an option.
    return !name.empty() && name.size() <= 64 && name != "." && name != ".." && name.front() != '-' &&
           name.front() != '.' && all_of_charset(name, "_.-");
}

bool is_valid_interface_name(std::string_view name) {
    return !name.empty() && name.size() < 16 && name.front() != '-' && name.front() != '.' &&
           all_of_charset(name, "_.-");
}

bool is_valid_table_name(std::string_view name) {
    return !name.empty() && name.size() <= 64 && std::isalpha(static_cast<unsigned char>(name.front())) &&
           all_of_charset(name, "_");
}

Config parse_config(std::string_view text, const std::string& origin) {
    Config c;
    int line_no = 0;
    auto fail = [&](const std::string& problem) -> void {
        throw HelperError(error_name::config, fmt::format("{}:{}: {}", origin, line_no, problem));
    };
    std::istringstream in{std::string(text)};
    for (std::string raw; std::getline(in, raw);) {
        ++line_no;
        auto line = trim(raw);
        if (line.empty() || line.front() == '#') continue;
        auto eq = line.find('=');
        if (eq == std::string_view::npos) fail(fmt::format("expected 'key = value', got '{}'", line));
        auto key = trim(line.substr(0, eq));
        auto value = trim(line.substr(eq + 1));
        std::string v(value);

        if (key == "namespace") {
            if (!is_valid_namespace_name(v))
                fail(fmt::format("namespace '{}' is not a valid name: use letters, digits, '_', '-' and '.' "
                                 "(no '/', not '.' or '..', at most 64 characters)", v));
            c.namespace_name = v;
        } else if (key == "host_interface" || key == "namespace_interface" || key == "uplink") {
            if (!(key == "uplink" && v == "auto") && !is_valid_interface_name(v))
                fail(fmt::format("{} '{}' is not a valid interface name (1 to 15 letters, digits, '_', '-', '.')", key, v));
            (key == "host_interface" ? c.host_interface : key == "namespace_interface" ? c.namespace_interface : c.uplink) = v;
        } else if (key == "subnet") {
            auto p = Ipv4Prefix::parse(v);
            if (!p) fail(fmt::format("subnet '{}' is not an IPv4 network like 10.200.1.0/24 (host bits must be zero)", v));
            if (p->length < 8 || p->length > 30) fail(fmt::format("subnet '{}' must have a prefix length between /8 and /30", v));
            c.subnet = *p;
        } else if (key == "proxy_port") {
            auto port = parse_number<unsigned>(v);
            if (!port || *port < 1 || *port > 65535) fail(fmt::format("proxy_port '{}' is not a port number (1 to 65535)", v));
            c.proxy_port = static_cast<std::uint16_t>(*port);
        } else if (key == "dns") {
            c.dns.clear();
            if (v == "auto") continue;
            std::istringstream list{v};
            for (std::string server; std::getline(list, server, ',');) {
                auto s = std::string(trim(server));
                if (!parse_ipv4(s)) fail(fmt::format("dns server '{}' is not an IPv4 address (IPv6 is off in the namespace)", s));
                c.dns.push_back(s);
            }
        } else if (key == "fail_closed" || key == "teardown_on_stop") {
            auto b = parse_bool(v);
            if (!b) fail(fmt::format("{} '{}' must be true or false", key, v));
            (key == "fail_closed" ? c.fail_closed : c.teardown_on_stop) = *b;
        } else if (key == "nft_table") {
            if (!is_valid_table_name(v)) fail(fmt::format("nft_table '{}' must start with a letter and hold only letters, digits and '_'", v));
            c.nft_table = v;
        } else if (key == "allowed_group") {
            if (v.empty() || !all_of_charset(v, "_-.")) fail(fmt::format("allowed_group '{}' is not a group name", v));
            c.allowed_group = v;
        } else if (key == "state_dir" || key == "etc_netns_dir") {
            if (v.empty() || v.front() != '/' || v.find("..") != std::string::npos)
                fail(fmt::format("{} '{}' must be an absolute path without '..'", key, v));
            (key == "state_dir" ? c.state_dir : c.etc_netns_dir) = v;
        } else {
            fail(fmt::format("unknown key '{}' (see cursor-proxy-helper --help)", key));
        }
    }
    line_no = 0;
    if (c.host_interface == c.namespace_interface)
        throw HelperError(error_name::config, fmt::format("{}: host_interface and namespace_interface are both '{}'", origin, c.host_interface));
    if (c.uplink == c.host_interface || c.uplink == c.namespace_interface)
        throw HelperError(error_name::config, fmt::format("{}: uplink '{}' is one of the helper's own veth ends", origin, c.uplink));
    return c;
}

Config load_config(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        throw HelperError(error_name::config,
                          fmt::format("cannot read config file {}: it does not exist or is not readable "
                                      "(write one, or pass --config FILE)", path));
    std::stringstream text;
    text << in.rdbuf();
    return parse_config(text.str(), path);
}

}  // namespace cursor_proxy::helper
