#pragma once
// Finishes the client's handshake once the upstream one is done: our minted
// leaf for that host, and exactly the ALPN protocol the upstream chose, so both
// legs speak the same HTTP version.
#include "tls/key_log.hpp"
#include "tls/tls_stream.hpp"

#include <openssl/base.h>

#include <memory>
#include <string>
#include <system_error>

namespace cursor_proxy::tls {

// Why a client handshake failed, as far as the auto-passthrough cares.
enum class ClientAbort {
    none,
    rejected_certificate,  // alert unknown_ca / bad_certificate / certificate_unknown
    closed_early,          // EOF or reset right after our ServerHello
    other,
};

struct ClientHandshake {
    std::unique_ptr<TlsStream> stream;  // null on failure
    ClientAbort abort = ClientAbort::none;
    std::string error;                  // on failure: the reason, for the log
};

class ClientTls {
public:
    explicit ClientTls(KeyLog* keylog);

    // alpn: the upstream's choice ("" → none, the client falls back to HTTP/1.1).
    asio::awaitable<ClientHandshake> handshake(TcpSocket socket, X509* leaf, EVP_PKEY* key, const std::string& alpn);

private:
    asio::ssl::context context_;
};

}  // namespace cursor_proxy::tls
