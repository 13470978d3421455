#pragma once
// When a certificate stops being valid, as a time_t: the verified-chain cache
// and the session cache keep nothing past it.
#include <openssl/base.h>

#include <ctime>
#include <optional>

namespace cursor_proxy::tls {

// nullopt when the certificate's notAfter cannot be read.
std::optional<std::time_t> not_after(X509* certificate);

}  // namespace cursor_proxy::tls
