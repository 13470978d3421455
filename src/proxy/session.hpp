#pragma once
// One client connection, start to end: learn the destination (SO_ORIGINAL_DST
// or CONNECT), guard against loops, connect upstream, peek the ClientHello,
// then either splice the bytes through untouched or intercept: upstream TLS
// first, then the client's handshake with a minted leaf and the upstream's
// ALPN, then the HTTP/2 or HTTP/1.1 relay.
#include "accept/listen_address.hpp"
#include "proxy/proxy_config.hpp"

#include <asio.hpp>

namespace cursor_proxy::proxy {

asio::awaitable<void> run_session(SessionContext& context, asio::ip::tcp::socket client, accept::ListenMode mode);

}  // namespace cursor_proxy::proxy
