#include "accept/host_port.hpp"

#include <charconv>

namespace cursor_proxy::accept {

std::variant<HostPort, std::string> split_host_port(std::string_view text) {
    HostPort out;
    std::string_view port_text;
    if (text.starts_with('[')) {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            return std::string("unbalanced [ ] or missing :PORT");
        }
        out.host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::string("missing :PORT");
        out.host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
        if (out.host.find(':') != std::string_view::npos) return std::string("write IPv6 addresses in brackets");
    }
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), out.port);
    if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || out.port > 65535) {
        return std::string("the port is not a number from 0 to 65535");
    }
    return out;
}

}  // namespace cursor_proxy::accept
