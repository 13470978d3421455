#pragma once
// Reads the client's ClientHello without consuming it, so the TLS handshake
// (or a passthrough splice) still sees every byte. The caller bounds the wait.
#include "tls/client_hello.hpp"
#include "tls/tls_stream.hpp"

#include <system_error>

namespace cursor_proxy::tls {

struct PeekedHello {
    ParseResult parse;    // complete, not_tls or malformed (need_more only with error set)
    std::error_code error;  // EOF/reset before a verdict, or the hello exceeded kMaxClientHelloBytes
};

asio::awaitable<PeekedHello> peek_client_hello(TcpSocket& socket);

}  // namespace cursor_proxy::tls
