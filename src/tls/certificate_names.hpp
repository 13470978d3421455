#pragma once
// The names a certificate is valid for, read from its subjectAltName, so a
// minted leaf can mirror the real server's certificate.
#include <openssl/base.h>

#include <string>
#include <vector>

namespace cursor_proxy::tls {

struct CertificateNames {
    std::vector<std::string> dns;   // as written, e.g. "*.cursor.sh"
    std::vector<std::string> ip;    // textual, e.g. "10.0.0.1", "::1"
};

CertificateNames subject_alt_names(X509* certificate);

}  // namespace cursor_proxy::tls
