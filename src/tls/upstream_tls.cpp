#include "tls/upstream_tls.hpp"

#include "log/log.hpp"
#include "log/user_error.hpp"
#include "tls/passthrough_policy.hpp"
#include "stats/counters.hpp"
#include "tls/certificate_expiry.hpp"
#include "tls/ssl_error.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdlib>
#include <ctime>

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

// What the callbacks need to know about one upstream connection. Owned by
// its SSL through ex_data (freed with it): a session ticket can arrive long
// after handshake() returned.
struct UpstreamConnection {
    std::shared_ptr<VerifiedChains> chains;
    std::shared_ptr<UpstreamSessions> sessions;
    std::string verify_name;
    bool verify_name_is_ip = false;
    std::string server;  // the session cache key; empty: keep no sessions
};

void free_connection(void*, void* pointer, CRYPTO_EX_DATA*, int, long, void*) {
    std::unique_ptr<UpstreamConnection> owned(static_cast<UpstreamConnection*>(pointer));
}

int connection_index() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_connection);
    return index;
}

UpstreamConnection* connection_of(const SSL* ssl) {
    return static_cast<UpstreamConnection*>(SSL_get_ex_data(ssl, connection_index()));
}

bool name_matches(X509* certificate, const UpstreamConnection& conn) {
    const auto& name = conn.verify_name;
    return conn.verify_name_is_ip ? X509_check_ip_asc(certificate, name.c_str(), 0) == 1
                                  : X509_check_host(certificate, name.data(), name.size(), 0, nullptr) == 1;
}

// Replaces X509_verify_cert for upstream chains: a chain verified before is
// trusted again until it expires; its name is still checked every time. A
// name that does not match goes the full way so the error is the usual one.
int verify_chain(X509_STORE_CTX* store, void*) {
    static auto& hits = stats::counter("tls.upstream_chain_cache_hits");
    auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    UpstreamConnection* conn = ssl != nullptr ? connection_of(ssl) : nullptr;
    if (conn == nullptr) return X509_verify_cert(store);
    X509* leaf = X509_STORE_CTX_get0_cert(store);
    const auto chain = VerifiedChains::fingerprint(leaf, X509_STORE_CTX_get0_untrusted(store));
    const std::time_t now = std::time(nullptr);
    if (chain && conn->chains->contains(*chain, now) && name_matches(leaf, *conn)) {
        hits.fetch_add(1, std::memory_order_relaxed);
        X509_STORE_CTX_set_error(store, X509_V_OK);
        return 1;
    }
    const int verified = X509_verify_cert(store);
    if (verified == 1 && chain) conn->chains->remember(*chain, X509_STORE_CTX_get0_chain(store), now);
    return verified;
}

// BoringSSL hands us each new session (TLS 1.3: each ticket, after the handshake).
int keep_session(SSL* ssl, SSL_SESSION* session) {
    UpstreamConnection* conn = connection_of(ssl);
    if (conn == nullptr || conn->server.empty()) return 0;
    bssl::UniquePtr<X509> peer(SSL_get_peer_certificate(ssl));
    const auto expires = not_after(peer.get());
    if (!expires) return 0;  // cannot tell when the certificate ends: keep no session
    conn->sessions->put(conn->server, bssl::UniquePtr<SSL_SESSION>(session), *expires);
    return 1;  // the reference is ours now
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
    : context_(asio::ssl::context::tls_client),
      insecure_hosts_(trust.insecure_hosts),
      chains_(std::make_shared<VerifiedChains>()),
      sessions_(std::make_shared<UpstreamSessions>()) {
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
    SSL_CTX_set_cert_verify_callback(ctx, verify_chain, nullptr);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_sess_set_new_cb(ctx, keep_session);
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

bool UpstreamTls::configure(SSL* ssl, std::string_view sni, std::string_view verify_name,
                            const std::optional<asio::ip::tcp::endpoint>& endpoint) {
    if (!sni.empty()) SSL_set_tlsext_host_name(ssl, std::string(sni).c_str());
    std::error_code not_ip;
    const auto ip = asio::ip::make_address(std::string(verify_name), not_ip);
    auto conn = std::make_unique<UpstreamConnection>();
    conn->chains = chains_;
    conn->sessions = sessions_;
    conn->verify_name = not_ip ? std::string(verify_name) : ip.to_string();
    conn->verify_name_is_ip = !not_ip;
    if (is_insecure(verify_name) || (!sni.empty() && is_insecure(sni))) {
        SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
        log::warning("tls", "connecting without verifying the upstream certificate (--insecure-upstream)",
                     {{"host", verify_name}});
    } else {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        const int ok = not_ip ? X509_VERIFY_PARAM_set1_host(param, verify_name.data(), verify_name.size())
                              : X509_VERIFY_PARAM_set1_ip_asc(param, conn->verify_name.c_str());
        if (ok != 1) return false;
        // A session is only offered to the server, address and name it was verified for.
        if (endpoint) {
            conn->server = fmt::format("{}\n{}\n{}:{}", conn->verify_name, sni, endpoint->address().to_string(),
                                       endpoint->port());
            if (auto session = sessions_->take(conn->server, std::time(nullptr))) SSL_set_session(ssl, session.get());
        }
    }
    SSL_set_ex_data(ssl, connection_index(), conn.release());
    return true;
}

asio::awaitable<UpstreamHandshake> UpstreamTls::handshake(TcpSocket socket, std::string_view sni,
                                                          std::string_view verify_name,
                                                          const std::vector<std::string>& alpn) {
    static auto& resumed = stats::counter("tls.upstream_resumed");
    UpstreamHandshake out;
    std::error_code no_endpoint;
    const auto endpoint = socket.remote_endpoint(no_endpoint);
    auto stream = std::make_unique<TlsStream>(std::move(socket), context_);
    SSL* ssl = stream->native_handle();
    const auto wire = alpn_wire(alpn);
    if (!wire.empty()) SSL_set_alpn_protos(ssl, wire.data(), wire.size());
    if (!configure(ssl, sni, verify_name, no_endpoint ? std::nullopt : std::optional(endpoint))) {
        out.error = fmt::format("cannot verify against name '{}'", verify_name);
        co_return out;
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
    out.resumed = SSL_session_reused(ssl) == 1;
    if (out.resumed) resumed.fetch_add(1, std::memory_order_relaxed);
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
