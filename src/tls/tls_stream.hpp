#pragma once
// The stream type the TLS layer hands to the HTTP relays: both legs of an
// intercepted connection are one of these. The relays are written as templates
// over the stream type and instantiated for TlsStream and for plain TCP (h2c /
// HTTP/1.1 without TLS), which the relay tests use.
#include <asio.hpp>
#include <asio/ssl.hpp>

namespace cursor_proxy::tls {

using TcpSocket = asio::ip::tcp::socket;
using TlsStream = asio::ssl::stream<TcpSocket>;

}  // namespace cursor_proxy::tls
