#pragma once
// TLS sessions (tickets) the real servers gave us, kept per server so the
// next connection resumes instead of doing a full handshake: no certificate,
// no signature to verify, one key exchange less on the server. Cursor opens
// many connections to the same few hosts. Keyed by verified name, SNI and
// address, so a session is only offered where it was made. TLS 1.3 tickets are
// used once, as RFC 8446 asks (appendix C.4); the newest ones are kept.
// Thread-safe.
#include "cache/lru_map.hpp"

#include <openssl/base.h>

#include <cstddef>
#include <ctime>
#include <deque>
#include <mutex>
#include <string>

namespace cursor_proxy::tls {

class UpstreamSessions {
public:
    // A session with its certificate chain takes a few KiB: at most 256 x 4 of them.
    explicit UpstreamSessions(std::size_t capacity = 256, std::size_t per_server = 4);

    // A session to offer, or null. A single-use session leaves the cache.
    bssl::UniquePtr<SSL_SESSION> take(const std::string& server, std::time_t now);
    // expires: when the server's certificate does (a session is not resumed
    // past it, though TLS would allow it).
    void put(const std::string& server, bssl::UniquePtr<SSL_SESSION> session, std::time_t expires);

    std::size_t servers() const;
    std::size_t sessions(const std::string& server) const;

private:
    struct Session {
        bssl::UniquePtr<SSL_SESSION> session;
        std::time_t expires;  // the server certificate's notAfter
    };
    using Sessions = std::deque<Session>;  // newest first

    std::size_t per_server_;
    mutable std::mutex mutex_;
    cache::LruMap<std::string, Sessions> servers_;
};

}  // namespace cursor_proxy::tls
