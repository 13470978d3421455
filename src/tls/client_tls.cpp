#include "tls/client_tls.hpp"

#include "tls/ssl_error.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string_view>

namespace cursor_proxy::tls {
namespace {

using asio::experimental::as_tuple;

// The per-connection ALPN choice, read by the select callback.
int chosen_alpn_index() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

int select_upstream_alpn(SSL* ssl, const std::uint8_t** out, std::uint8_t* out_length, const std::uint8_t* in,
                         unsigned in_length, void*) {
    const auto* chosen = static_cast<const std::string*>(SSL_get_ex_data(ssl, chosen_alpn_index()));
    if (chosen == nullptr || chosen->empty()) return SSL_TLSEXT_ERR_NOACK;
    // Point into the client's own list: the protocol must be one it offered.
    for (unsigned i = 0; i < in_length;) {
        const unsigned length = in[i];
        if (i + 1 + length > in_length) break;
        if (std::string_view(reinterpret_cast<const char*>(in + i + 1), length) == *chosen) {
            *out = in + i + 1;
            *out_length = static_cast<std::uint8_t>(length);
            return SSL_TLSEXT_ERR_OK;
        }
        i += 1 + length;
    }
    return SSL_TLSEXT_ERR_NOACK;
}

ClientAbort classify(const std::error_code& ec) {
    if (ec == asio::ssl::error::stream_truncated || ec == asio::error::eof || ec == asio::error::connection_reset) {
        return ClientAbort::closed_early;
    }
    if (ec.category() == asio::error::get_ssl_category() &&
        ERR_GET_LIB(static_cast<std::uint32_t>(ec.value())) == ERR_LIB_SSL) {
        switch (ERR_GET_REASON(static_cast<std::uint32_t>(ec.value()))) {
            case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
            case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
            case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
            // OpenSSL clients send their TLS 1.3 rejection alert before they
            // switch to handshake keys; BoringSSL, expecting an encrypted
            // record, sees 2 plaintext bytes it cannot open.
            case SSL_R_BAD_PACKET_LENGTH:
                return ClientAbort::rejected_certificate;
            default: break;
        }
    }
    return ClientAbort::other;
}

std::string describe(const std::error_code& ec) {
    if (ec.category() == asio::error::get_ssl_category() &&
        ERR_GET_REASON(static_cast<std::uint32_t>(ec.value())) == SSL_R_BAD_PACKET_LENGTH) {
        return "the client answered our certificate with an unencrypted alert";
    }
    return handshake_error_text(ec, "client");
}

}  // namespace

ClientTls::ClientTls(KeyLog* keylog) : context_(asio::ssl::context::tls_server) {
    SSL_CTX* ctx = context_.native_handle();
    // Every host gets its own leaf; a resumed session would skip the
    // certificate and could cross hosts, so resumption is off.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_alpn_select_cb(ctx, select_upstream_alpn, nullptr);
    if (keylog != nullptr) keylog->attach(ctx);
}

asio::awaitable<ClientHandshake> ClientTls::handshake(TcpSocket socket, X509* leaf, EVP_PKEY* key,
                                                      const std::string& alpn) {
    ClientHandshake out;
    auto stream = std::make_unique<TlsStream>(std::move(socket), context_);
    SSL* ssl = stream->native_handle();
    if (SSL_use_certificate(ssl, leaf) != 1 || SSL_use_PrivateKey(ssl, key) != 1) {
        ERR_clear_error();
        out.abort = ClientAbort::other;
        out.error = "cannot use the minted leaf certificate (does leaf.key match?)";
        co_return out;
    }
    SSL_set_ex_data(ssl, chosen_alpn_index(), const_cast<std::string*>(&alpn));
    auto [error] = co_await stream->async_handshake(asio::ssl::stream_base::server, as_tuple(asio::use_awaitable));
    SSL_set_ex_data(ssl, chosen_alpn_index(), nullptr);
    if (error) {
        out.abort = classify(error);
        out.error = describe(error);
        co_return out;
    }
    out.stream = std::move(stream);
    co_return out;
}

}  // namespace cursor_proxy::tls
