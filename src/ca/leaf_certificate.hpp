#pragma once
// Minting one leaf certificate for one host (no caching: see leaf_cache.hpp).
#include "ca/authority.hpp"
#include "ca/leaf_cache.hpp"

#include <openssl/base.h>

#include <string>
#include <vector>

namespace cursor_proxy::ca {

// The names a leaf will carry, cleaned up: lower case, duplicates and names
// unfit for a certificate dropped, the SNI first (it becomes the CN), an SNI
// that is an IP literal moved to the addresses. When the CA has name
// constraints (permitted_domains not empty; they also exclude every IP
// address), names copied from the upstream certificate that fall outside them
// are dropped, and so are IP addresses when there is a DNS name, so the leaf
// stays valid under the constraints. The SNI's own name is always kept.
struct LeafNames {
    std::vector<std::string> dns_names;
    std::vector<std::string> ip_addresses;

    std::string cache_key() const;
};

// Throws std::runtime_error when nothing usable is left.
LeafNames leaf_names(const LeafRequest& request, const std::vector<std::string>& permitted_domains);

// A certificate for these names and authority.leaf_key(), signed by the CA:
// backdated by options.backdate, valid for options.validity (never past the
// CA's own notAfter), serverAuth, AKI = the CA's SKI, random serial, SHA-256.
// Throws std::runtime_error on failure.
bssl::UniquePtr<X509> mint_leaf(const Authority& authority, const LeafNames& names, const LeafOptions& options);

}  // namespace cursor_proxy::ca
