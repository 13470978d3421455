#pragma once
// A handshake error as one short phrase for the log, for either leg.
#include <string>
#include <string_view>
#include <system_error>

namespace cursor_proxy::tls {

// "the <peer> closed the connection" for a truncated stream or EOF, else the
// TLS library's reason string, else the error's message.
std::string handshake_error_text(const std::error_code& ec, std::string_view peer);

}  // namespace cursor_proxy::tls
