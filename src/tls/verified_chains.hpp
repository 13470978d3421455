#pragma once
// Upstream certificate chains that already passed verification, so the next
// connection to the same server skips rebuilding and re-checking the chain
// (about a tenth of the proxy's CPU per new connection). Only the chain's
// validity is remembered: the name is checked on every connection, and an
// entry expires after `ttl` or when the first certificate of the verified
// chain expires, whichever comes first. Thread-safe.
#include "cache/lru_map.hpp"

#include <openssl/base.h>
#include <openssl/x509.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <optional>

namespace cursor_proxy::tls {

class VerifiedChains {
public:
    using Fingerprint = std::array<std::uint8_t, 32>;  // SHA-256 over the chain as the server sent it

    explicit VerifiedChains(std::size_t capacity = 512, std::chrono::seconds ttl = std::chrono::hours(1));

    // The chain the server sent: its certificate, then the others in order.
    // Empty when a certificate cannot be encoded.
    static std::optional<Fingerprint> fingerprint(X509* leaf, STACK_OF(X509)* others);

    bool contains(const Fingerprint& chain, std::time_t now);
    // verified: the chain X509_verify_cert built (leaf to trust anchor).
    void remember(const Fingerprint& chain, STACK_OF(X509)* verified, std::time_t now);

    std::size_t size() const;

private:
    struct FingerprintHash {
        std::size_t operator()(const Fingerprint& f) const;
    };

    std::chrono::seconds ttl_;
    mutable std::mutex mutex_;
    cache::LruMap<Fingerprint, std::time_t, FingerprintHash> expiries_;
};

}  // namespace cursor_proxy::tls
