#include "tls/certificate_expiry.hpp"

#include "ca/x509_builder.hpp"

#include <openssl/x509.h>

#include <chrono>
#include <stdexcept>

namespace cursor_proxy::tls {

std::optional<std::time_t> not_after(X509* certificate) {
    if (certificate == nullptr) return std::nullopt;
    try {
        return std::chrono::system_clock::to_time_t(ca::to_time_point(X509_get0_notAfter(certificate)));
    } catch (const std::runtime_error&) {  // an unreadable time
        return std::nullopt;
    }
}

}  // namespace cursor_proxy::tls
