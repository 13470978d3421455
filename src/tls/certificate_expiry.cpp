#include "tls/certificate_expiry.hpp"

#include <openssl/asn1.h>
#include <openssl/x509.h>

namespace cursor_proxy::tls {

std::optional<std::time_t> not_after(X509* certificate, std::time_t now) {
    if (certificate == nullptr) return std::nullopt;
    // ASN1_TIME_diff counts from `now`; BoringSSL has no ASN1_TIME_to_time_t here.
    bssl::UniquePtr<ASN1_TIME> now_time(ASN1_TIME_set(nullptr, now));
    const ASN1_TIME* end = X509_get0_notAfter(certificate);
    int days = 0;
    int seconds = 0;
    if (!now_time || end == nullptr || ASN1_TIME_diff(&days, &seconds, now_time.get(), end) != 1) return std::nullopt;
    return now + static_cast<std::time_t>(days) * 86400 + seconds;
}

}  // namespace cursor_proxy::tls
