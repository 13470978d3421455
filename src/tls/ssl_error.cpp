#include "tls/ssl_error.hpp"

#include <asio/ssl.hpp>
#include <fmt/format.h>
#include <openssl/err.h>

#include <cstdint>

namespace cursor_proxy::tls {

std::string handshake_error_text(const std::error_code& ec, std::string_view peer) {
    if (ec == asio::ssl::error::stream_truncated || ec == asio::error::eof) {
        return fmt::format("the {} closed the connection", peer);
    }
    if (ec.category() == asio::error::get_ssl_category()) {
        const char* reason = ERR_reason_error_string(static_cast<std::uint32_t>(ec.value()));
        if (reason != nullptr) return reason;
    }
    return ec.message();
}

}  // namespace cursor_proxy::tls
