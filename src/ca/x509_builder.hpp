#pragma once
// Small building blocks for making X.509 certificates with BoringSSL, shared
// by the CA (ca init) and the leaf minting. Every function throws
// std::runtime_error naming the step that failed; the callers add context.
#include "ca/authority.hpp"

#include <openssl/base.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace cursor_proxy::ca {

bssl::UniquePtr<EVP_PKEY> generate_key(KeyType type);

// A fresh v3 certificate with a random positive 128-bit serial, the given
// subject public key and validity window; issuer and extensions are up to
// the caller.
bssl::UniquePtr<X509> new_certificate(EVP_PKEY* subject_key, std::chrono::system_clock::time_point not_before,
                                      std::chrono::system_clock::time_point not_after);

// Appends "CN=<common_name>" (if not empty) then "O=<organization>".
void set_subject(X509* cert, std::string_view common_name, std::string_view organization);

// Adds an extension written in OpenSSL's config syntax ("critical,CA:TRUE").
// issuer supplies the authority key id; use the cert itself when self-signed.
// Only for fixed, trusted strings: never pass names from the network here.
void add_extension(X509* cert, X509* issuer, int nid, const char* value);

// subjectAltName from DNS names and IP addresses (text; invalid ones throw).
void add_subject_alt_names(X509* cert, const std::vector<std::string>& dns_names,
                           const std::vector<std::string>& ip_addresses);

// Critical nameConstraints: permitted DNS subtrees; when any are given, all
// IPv4 and IPv6 addresses are excluded too, so the CA cannot vouch for a
// bare IP address either.
void add_name_constraints(X509* cert, const std::vector<std::string>& permitted_domains);

// The permitted DNS subtrees of cert's name constraints; empty if none.
std::vector<std::string> permitted_dns_names(const X509* cert);

void sign(X509* cert, EVP_PKEY* issuer_key);

// PEM encoding and decoding.
std::string private_key_pem(EVP_PKEY* key);
std::string public_key_pem(EVP_PKEY* key);
std::string certificate_pem(X509* cert);
bssl::UniquePtr<EVP_PKEY> parse_private_key_pem(std::string_view pem);
bssl::UniquePtr<EVP_PKEY> parse_public_key_pem(std::string_view pem);
bssl::UniquePtr<X509> parse_certificate_pem(std::string_view pem);

// Fingerprints and names for people.
std::string spki_sha256_base64(const EVP_PKEY* key);      // Chromium's SPKI pin format
std::string sha256_fingerprint(const X509* cert);         // "AB:CD:..."
std::string one_line_name(const X509_NAME* name);         // "CN=..., O=..."
std::chrono::system_clock::time_point to_time_point(const ASN1_TIME* time);
std::string format_utc(std::chrono::system_clock::time_point time);  // "2025-01-31T12:00:00Z"

// A host name fit for a DNS SAN or a name constraint: ASCII letters, digits,
// '-', '_' and '.', labels of 1 to 63 characters, at most 253 in all; with
// allow_wildcard a leading "*." label is accepted too.
bool is_dns_name(std::string_view name, bool allow_wildcard);

// An IPv4 or IPv6 address in text form ("10.0.0.1", "::1").
bool is_ip_address(const std::string& text);

// Text from BoringSSL's error queue (and clears it), for exception messages.
std::string ssl_error_text();

}  // namespace cursor_proxy::ca
