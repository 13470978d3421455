#include "tls/peek_client_hello.hpp"

#include "accept/socket_peek.hpp"

namespace cursor_proxy::tls {

asio::awaitable<PeekedHello> peek_client_hello(TcpSocket& socket) {
    PeekedHello out;
    out.error = co_await accept::peek_until(socket, kMaxClientHelloBytes, [&](auto peeked) {
        out.parse = parse_client_hello(peeked);
        return out.parse.status == ParseStatus::need_more ? accept::PeekVerdict::need_more : accept::PeekVerdict::enough;
    });
    co_return out;
}

}  // namespace cursor_proxy::tls
