#include "tls/certificate_names.hpp"

#include <asio/ip/address.hpp>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>

namespace cursor_proxy::tls {
namespace {

struct GeneralNamesFree {
    void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};

std::string ip_text(const ASN1_OCTET_STRING* octets) {
    const auto* data = ASN1_STRING_get0_data(octets);
    const auto length = ASN1_STRING_length(octets);
    if (length == 4) {
        asio::ip::address_v4::bytes_type bytes;
        std::memcpy(bytes.data(), data, 4);
        return asio::ip::address_v4(bytes).to_string();
    }
    if (length == 16) {
        asio::ip::address_v6::bytes_type bytes;
        std::memcpy(bytes.data(), data, 16);
        return asio::ip::address_v6(bytes).to_string();
    }
    return {};
}

}  // namespace

CertificateNames subject_alt_names(X509* certificate) {
    CertificateNames out;
    if (certificate == nullptr) return out;
    std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
    if (!names) return out;
    for (std::size_t i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
        if (name->type == GEN_DNS) {
            const auto* data = ASN1_STRING_get0_data(name->d.dNSName);
            const auto length = static_cast<std::size_t>(ASN1_STRING_length(name->d.dNSName));
            std::string dns(reinterpret_cast<const char*>(data), length);
            // An embedded NUL would let a name smuggle another one past us.
            if (!dns.empty() && dns.find('\0') == std::string::npos &&
                std::find(out.dns.begin(), out.dns.end(), dns) == out.dns.end()) {
                out.dns.push_back(std::move(dns));
            }
        } else if (name->type == GEN_IPADD) {
            std::string ip = ip_text(name->d.iPAddress);
            if (!ip.empty() && std::find(out.ip.begin(), out.ip.end(), ip) == out.ip.end()) out.ip.push_back(std::move(ip));
        }
    }
    return out;
}

}  // namespace cursor_proxy::tls
