#pragma once
// Shared by the CA unit tests: temporary directories, CAs made once per test
// run, and verification of a leaf with BoringSSL's own X509_verify_cert.
#include "ca/authority.hpp"
#include "ca/leaf_cache.hpp"

#include <openssl/base.h>

#include <filesystem>
#include <string>
#include <vector>

namespace ca_test {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
public:
    TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// CAs made once per run (key generation, RSA's above all, is slow).
const cursor_proxy::ca::Authority& ecdsa_authority();
const cursor_proxy::ca::Authority& rsa_authority();
const cursor_proxy::ca::Authority& constrained_authority();  // --permit-domain cursor.sh

// X509_verify_cert with only the CA as trust anchor and purpose sslserver;
// returns the X509_V_* result.
int verify(X509* leaf, const cursor_proxy::ca::Authority& authority);

std::vector<std::string> dns_sans(X509* cert);
std::vector<std::string> ip_sans(X509* cert);  // as 4 or 16 raw bytes each

bool extension_is_critical(X509* cert, int nid);
unsigned mode_of(const std::filesystem::path& path);

}  // namespace ca_test
