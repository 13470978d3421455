#pragma once
// "host:port" or "[IPv6]:port" split in two, for --listen addresses and
// CONNECT targets alike. An IPv6 address must be in brackets (RFC 3986).
#include <string>
#include <string_view>
#include <variant>

namespace cursor_proxy::accept {

struct HostPort {
    std::string_view host;  // without the brackets
    unsigned port = 0;      // 0..65535
};

// The parts, or why `text` is not host:port (a phrase such as "missing :PORT").
std::variant<HostPort, std::string> split_host_port(std::string_view text);

}  // namespace cursor_proxy::accept
