#include "ca/leaf_certificate.hpp"

#include "ca/x509_builder.hpp"
#include "text/ascii.hpp"

#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace cursor_proxy::ca {
namespace {

using text::lower;

void add_unique(std::vector<std::string>& list, std::string value) {
    if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(std::move(value));
}

// RFC 5280 DNS subtree match: "cursor.sh" permits itself and every name under
// it; ".cursor.sh" permits only names under it.
bool within_subtree(std::string_view name, std::string_view domain) {
    if (!domain.empty() && domain.front() == '.') return name.size() > domain.size() && name.ends_with(domain);
    return name == domain || (name.size() > domain.size() && name.ends_with(domain) &&
                              name[name.size() - domain.size() - 1] == '.');
}

bool permitted(std::string_view name, const std::vector<std::string>& permitted_domains) {
    return std::any_of(permitted_domains.begin(), permitted_domains.end(),
                       [&](const std::string& domain) { return within_subtree(name, lower(domain)); });
}

}  // namespace

std::string LeafNames::cache_key() const {
    std::string key;
    for (const std::string& n : dns_names) key += n + ',';
    key += '|';
    for (const std::string& ip : ip_addresses) key += ip + ',';
    return key;
}

LeafNames leaf_names(const LeafRequest& request, const std::vector<std::string>& permitted_domains) {
    const bool constrained = !permitted_domains.empty();
    LeafNames out;
    if (!request.sni.empty()) {
        std::string sni = lower(request.sni);
        if (is_ip_address(sni)) add_unique(out.ip_addresses, std::move(sni));
        else if (is_dns_name(sni, false)) add_unique(out.dns_names, std::move(sni));
    }
    for (const std::string& name : request.dns_names) {
        std::string dns = lower(name);
        // A copied name outside the CA's constraints would make clients reject
        // the whole leaf, the SNI's name included: leave it out.
        if (is_dns_name(dns, true) && (!constrained || permitted(dns, permitted_domains))) {
            add_unique(out.dns_names, std::move(dns));
        }
    }
    for (const std::string& ip : request.ip_addresses) {
        if (is_ip_address(ip)) add_unique(out.ip_addresses, ip);
    }
    if (constrained && !out.dns_names.empty()) out.ip_addresses.clear();
    if (out.dns_names.empty() && out.ip_addresses.empty()) {
        throw std::runtime_error(fmt::format("no usable host name or IP address for a leaf certificate (SNI '{}')",
                                             request.sni));
    }
    return out;
}

bssl::UniquePtr<X509> mint_leaf(const Authority& authority, const LeafNames& names, const LeafOptions& options) {
    const auto now = std::chrono::system_clock::now();
    const auto not_after = std::min(now + options.validity, authority.not_after());
    auto cert = new_certificate(authority.leaf_key(), now - options.backdate, not_after);

    // CN is only a display name for modern clients (they match SANs); it is
    // limited to 64 characters, so a longer host name leaves it out.
    const std::string& first = names.dns_names.empty() ? names.ip_addresses.front() : names.dns_names.front();
    set_subject(cert.get(), first.size() <= 64 ? first : std::string(), "cursor-proxy");
    if (!X509_set_issuer_name(cert.get(), X509_get_subject_name(authority.certificate()))) {
        throw std::runtime_error("X509_set_issuer_name failed: " + ssl_error_text());
    }

    add_extension(cert.get(), authority.certificate(), NID_basic_constraints, "critical,CA:FALSE");
    // RSA key exchange (TLS 1.2 without ECDHE) needs keyEncipherment.
    const bool rsa = EVP_PKEY_id(authority.leaf_key()) == EVP_PKEY_RSA;
    add_extension(cert.get(), authority.certificate(), NID_key_usage,
                  rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature");
    add_extension(cert.get(), authority.certificate(), NID_ext_key_usage, "serverAuth");
    add_extension(cert.get(), authority.certificate(), NID_subject_key_identifier, "hash");
    add_extension(cert.get(), authority.certificate(), NID_authority_key_identifier, "keyid:always");
    add_subject_alt_names(cert.get(), names.dns_names, names.ip_addresses);
    sign(cert.get(), authority.key());
    return cert;
}

}  // namespace cursor_proxy::ca
