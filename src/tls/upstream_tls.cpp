#include "tls/upstream_tls.hpp"

#include "log/log.hpp"
#include "log/user_error.hpp"
#include "tls/passthrough_policy.hpp"
#include "tls/ssl_error.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdlib>

namespace cursor_proxy::tls {
namespace {

using asio::experimental::as_tuple;

constexpr const char* kDebianTrustStore = "/etc/ssl/certs/ca-certificates.crt";

// Where the verify callback leaves the first chain error it saw, because
// BoringSSL's SSL_get_verify_result is unreliable once a handshake failed.
int verify_error_index() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

int record_verify_error(int preverify_ok, X509_STORE_CTX* store) {
    if (preverify_ok == 0) {
        auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
        if (ssl != nullptr && SSL_get_ex_data(ssl, verify_error_index()) == nullptr) {
            const auto error = static_cast<std::intptr_t>(X509_STORE_CTX_get_error(store));
            SSL_set_ex_data(ssl, verify_error_index(), reinterpret_cast<void*>(error));
        }
    }
    return preverify_ok;
}

}  // namespace

std::vector<std::uint8_t> alpn_wire(const std::vector<std::string>& protocols) {
    std::vector<std::uint8_t> wire;
    for (const auto& protocol : protocols) {
        if (protocol.empty() || protocol.size() > 255) continue;
        wire.push_back(static_cast<std::uint8_t>(protocol.size()));
        wire.insert(wire.end(), protocol.begin(), protocol.end());
    }
    return wire;
}

UpstreamTls::UpstreamTls(const UpstreamTrust& trust, KeyLog* keylog)
    : context_(asio::ssl::context::tls_client), insecure_hosts_(trust.insecure_hosts) {
    SSL_CTX* ctx = context_.native_handle();
    std::string file = trust.ca_file.string();
    std::string dir = trust.ca_dir.string();
    if (file.empty() && dir.empty()) {
        // BoringSSL's built-in default paths do not point at Debian's or
        // NixOS's bundle; follow the OpenSSL environment convention instead.
        const char* env_file = std::getenv("SSL_CERT_FILE");
        const char* env_dir = std::getenv("SSL_CERT_DIR");
        file = env_file != nullptr ? env_file : kDebianTrustStore;
        if (env_dir != nullptr) dir = env_dir;
        if (!std::filesystem::exists(file) && dir.empty()) {
            throw UserError(fmt::format(
                "no system trust store for verifying upstream servers at {} (set SSL_CERT_FILE, or pass "
                "--upstream-ca FILE / --upstream-ca-dir DIR)", file));
        }
    }
    for (const auto& [path, what] : {std::pair{file, "--upstream-ca"}, std::pair{dir, "--upstream-ca-dir"}}) {
        if (!path.empty() && !std::filesystem::exists(path)) {
            throw UserError(fmt::format("{} {}: no such file or directory", what, path));
        }
    }
    if (SSL_CTX_load_verify_locations(ctx, file.empty() ? nullptr : file.c_str(), dir.empty() ? nullptr : dir.c_str()) != 1) {
        const char* reason = ERR_reason_error_string(ERR_peek_last_error());
        ERR_clear_error();
        throw UserError(fmt::format("cannot load upstream trust store {}{}: {} (PEM certificates expected)", file,
                                    dir.empty() ? "" : " / " + dir, reason != nullptr ? reason : "unknown error"));
    }
    trust_description_ = file.empty() ? dir : dir.empty() ? file : file + " + " + dir;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, record_verify_error);
    if (keylog != nullptr) keylog->attach(ctx);
    for (const auto& host : insecure_hosts_) {
        log::warning("tls", "UPSTREAM CERTIFICATE VERIFICATION IS OFF for this host (--insecure-upstream); "
                            "anyone on the path can read and change its traffic", {{"host", host}});
    }
}

bool UpstreamTls::is_insecure(std::string_view host) const {
    for (const auto& pattern : insecure_hosts_) {
        if (glob_matches(pattern, host)) return true;
    }
    return false;
}

asio::awaitable<UpstreamHandshake> UpstreamTls::handshake(TcpSocket socket, std::string_view sni,
                                                          std::string_view verify_name,
                                                          const std::vector<std::string>& alpn) {
    UpstreamHandshake out;
    auto stream = std::make_unique<TlsStream>(std::move(socket), context_);
    SSL* ssl = stream->native_handle();
    if (!sni.empty()) SSL_set_tlsext_host_name(ssl, std::string(sni).c_str());
    const auto wire = alpn_wire(alpn);
    if (!wire.empty()) SSL_set_alpn_protos(ssl, wire.data(), wire.size());
    const bool insecure = is_insecure(verify_name) || (!sni.empty() && is_insecure(sni));
    if (insecure) {
        SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
        log::warning("tls", "connecting without verifying the upstream certificate (--insecure-upstream)",
                     {{"host", verify_name}});
    } else {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        std::error_code not_ip;
        const auto ip = asio::ip::make_address(std::string(verify_name), not_ip);
        const int ok = not_ip ? X509_VERIFY_PARAM_set1_host(param, verify_name.data(), verify_name.size())
                              : X509_VERIFY_PARAM_set1_ip_asc(param, ip.to_string().c_str());
        if (ok != 1) {
            out.error = fmt::format("cannot verify against name '{}'", verify_name);
            co_return out;
        }
    }
    auto [error] = co_await stream->async_handshake(asio::ssl::stream_base::client, as_tuple(asio::use_awaitable));
    if (error) {
        const auto verify_error = reinterpret_cast<std::intptr_t>(SSL_get_ex_data(ssl, verify_error_index()));
        if (verify_error != 0) {
            out.certificate_rejected = true;
            out.error = fmt::format("certificate verification failed: {} (trust store: {})",
                                    X509_verify_cert_error_string(static_cast<long>(verify_error)), trust_description_);
        } else {
            out.error = fmt::format("TLS handshake failed: {}", handshake_error_text(error, "server"));
        }
        co_return out;
    }
    const std::uint8_t* chosen = nullptr;
    unsigned chosen_length = 0;
    SSL_get0_alpn_selected(ssl, &chosen, &chosen_length);
    out.alpn.assign(reinterpret_cast<const char*>(chosen), chosen_length);
    bssl::UniquePtr<X509> peer(SSL_get_peer_certificate(ssl));
    out.names = subject_alt_names(peer.get());
    out.stream = std::move(stream);
    co_return out;
}

}  // namespace cursor_proxy::tls
