#include "tls/verified_chains.hpp"

#include "tls/certificate_expiry.hpp"

#include <openssl/sha.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace cursor_proxy::tls {
namespace {

bool add_to_digest(SHA256_CTX& digest, X509* certificate, std::vector<std::uint8_t>& scratch) {
    const int length = i2d_X509(certificate, nullptr);
    if (length <= 0) return false;
    scratch.resize(static_cast<std::size_t>(length));
    std::uint8_t* out = scratch.data();
    if (i2d_X509(certificate, &out) != length) return false;
    // Length first, so two different splits of the same bytes never collide.
    const auto size = static_cast<std::uint32_t>(length);
    SHA256_Update(&digest, &size, sizeof size);
    SHA256_Update(&digest, scratch.data(), scratch.size());
    return true;
}

}  // namespace

VerifiedChains::VerifiedChains(std::size_t capacity, std::chrono::seconds ttl) : ttl_(ttl), expiries_(capacity) {}

std::size_t VerifiedChains::FingerprintHash::operator()(const Fingerprint& f) const {
    std::size_t value = 0;
    std::memcpy(&value, f.data(), sizeof value);  // already a uniform hash
    return value;
}

std::optional<VerifiedChains::Fingerprint> VerifiedChains::fingerprint(X509* leaf, STACK_OF(X509)* others) {
    if (leaf == nullptr) return std::nullopt;
    SHA256_CTX digest;
    SHA256_Init(&digest);
    std::vector<std::uint8_t> scratch;
    if (!add_to_digest(digest, leaf, scratch)) return std::nullopt;
    for (std::size_t i = 0; others != nullptr && i < sk_X509_num(others); ++i) {
        X509* certificate = sk_X509_value(others, i);
        // BoringSSL's untrusted list usually repeats the leaf first.
        if (i == 0 && X509_cmp(certificate, leaf) == 0) continue;
        if (!add_to_digest(digest, certificate, scratch)) return std::nullopt;
    }
    Fingerprint out;
    SHA256_Final(out.data(), &digest);
    return out;
}

bool VerifiedChains::contains(const Fingerprint& chain, std::time_t now) {
    std::lock_guard lock(mutex_);
    const std::time_t* expires = expiries_.find(chain);
    if (expires == nullptr) return false;
    if (now < *expires) return true;
    expiries_.erase(chain);
    return false;
}

void VerifiedChains::remember(const Fingerprint& chain, STACK_OF(X509)* verified, std::time_t now) {
    std::time_t expires = now + static_cast<std::time_t>(ttl_.count());
    for (std::size_t i = 0; verified != nullptr && i < sk_X509_num(verified); ++i) {
        const auto end = not_after(sk_X509_value(verified, i));
        if (!end) return;  // cannot tell when it expires: do not remember it
        expires = std::min(expires, *end);
    }
    if (expires <= now) return;
    std::lock_guard lock(mutex_);
    expiries_.put(chain, expires);
}

std::size_t VerifiedChains::size() const {
    std::lock_guard lock(mutex_);
    return expiries_.size();
}

}  // namespace cursor_proxy::tls
