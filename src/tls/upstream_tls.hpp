#pragma once
// The proxy's own TLS connection to the real server, made before the client's
// handshake is answered: same SNI, the client's ALPN offer, and a verified
// certificate (chain against the trust store, name against SNI/host/IP).
// Verified chains and the servers' session tickets are kept for the next
// connection (verified_chains.hpp, upstream_sessions.hpp).
#include "tls/certificate_names.hpp"
#include "tls/key_log.hpp"
#include "tls/tls_stream.hpp"
#include "tls/upstream_sessions.hpp"
#include "tls/verified_chains.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cursor_proxy::tls {

struct UpstreamTrust {
    std::filesystem::path ca_file;               // empty and ca_dir empty: the system store
    std::filesystem::path ca_dir;
    std::vector<std::string> insecure_hosts;     // verification off for these (debugging only)
};

struct UpstreamHandshake {
    std::unique_ptr<TlsStream> stream;   // null when the handshake failed
    std::string alpn;                    // what the server chose; "" for none
    CertificateNames names;              // of the server's certificate
    std::string error;                   // on failure: the reason, for the log
    bool certificate_rejected = false;   // the failure was certificate verification
    bool resumed = false;                // a session from an earlier connection was resumed
};

class UpstreamTls {
public:
    // Loads the trust store once. Throws UserError when a given file or
    // directory cannot be used, or no system store exists.
    UpstreamTls(const UpstreamTrust& trust, KeyLog* keylog);

    // verify_name: the SNI, else the CONNECT host, else the destination IP.
    asio::awaitable<UpstreamHandshake> handshake(TcpSocket socket, std::string_view sni, std::string_view verify_name,
                                                 const std::vector<std::string>& alpn);

    bool is_insecure(std::string_view host) const;
    const std::string& trust_description() const { return trust_description_; }

private:
    // SNI, the name to verify, and a cached session for this server; false
    // when the name cannot be set for verification.
    bool configure(SSL* ssl, std::string_view sni, std::string_view verify_name,
                   const std::optional<asio::ip::tcp::endpoint>& endpoint);

    asio::ssl::context context_;
    std::vector<std::string> insecure_hosts_;
    std::string trust_description_;
    std::shared_ptr<VerifiedChains> chains_;
    std::shared_ptr<UpstreamSessions> sessions_;
};

// The ALPN wire format: each protocol prefixed with its length.
std::vector<std::uint8_t> alpn_wire(const std::vector<std::string>& protocols);

}  // namespace cursor_proxy::tls
