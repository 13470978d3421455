#pragma once
// Mints per-host leaf certificates on first use and keeps them in a bounded
// LRU. Thread-safe; concurrent first requests for one host sign once.
#include "ca/authority.hpp"

#include <openssl/base.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cursor_proxy::ca {

struct LeafRequest {
    std::string sni;                        // may be empty (client sent none)
    std::vector<std::string> dns_names;     // from the real upstream certificate
    std::vector<std::string> ip_addresses;  // from the upstream cert, or the original destination IP when no SNI
};

struct LeafOptions {
    std::size_t cache_capacity = 1024;
    std::chrono::hours validity{24 * 30};   // well under 398 days
    std::chrono::hours backdate{24};
};

class LeafCache {
public:
    LeafCache(const Authority& authority, LeafOptions options = {});

    // The certificate for this request (cached by SNI + names). The private
    // key is authority.leaf_key(). Throws std::runtime_error on signing failure.
    std::shared_ptr<X509> get(const LeafRequest& request);

    std::size_t size() const;
    std::uint64_t hits() const;
    std::uint64_t misses() const;

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace cursor_proxy::ca
