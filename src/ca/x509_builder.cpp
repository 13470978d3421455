#include "ca/x509_builder.hpp"

#include <openssl/base64.h>
#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/obj.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>

#include <ctime>
#include <stdexcept>

namespace cursor_proxy::ca {
namespace {

[[noreturn]] void fail(std::string_view step) {
    throw std::runtime_error(fmt::format("{} failed: {}", step, ssl_error_text()));
}

bssl::UniquePtr<ASN1_TIME> asn1_time(std::chrono::system_clock::time_point t) {
    bssl::UniquePtr<ASN1_TIME> out(ASN1_TIME_set(nullptr, std::chrono::system_clock::to_time_t(t)));
    if (!out) fail("ASN1_TIME_set");
    return out;
}

bssl::UniquePtr<GENERAL_NAME> dns_name(std::string_view name) {
    bssl::UniquePtr<ASN1_IA5STRING> text(ASN1_IA5STRING_new());
    bssl::UniquePtr<GENERAL_NAME> out(GENERAL_NAME_new());
    if (!text || !out || !ASN1_STRING_set(text.get(), name.data(), static_cast<int>(name.size()))) {
        fail("building a DNS name");
    }
    GENERAL_NAME_set0_value(out.get(), GEN_DNS, text.release());
    return out;
}

// An iPAddress name: 4 or 16 bytes for a SAN, 8 or 32 (address + mask) for a
// name-constraint subtree.
bssl::UniquePtr<GENERAL_NAME> ip_name(const uint8_t* bytes, std::size_t size) {
    bssl::UniquePtr<ASN1_OCTET_STRING> octets(ASN1_OCTET_STRING_new());
    bssl::UniquePtr<GENERAL_NAME> out(GENERAL_NAME_new());
    if (!octets || !out || !ASN1_OCTET_STRING_set(octets.get(), bytes, static_cast<int>(size))) {
        fail("building an IP address name");
    }
    GENERAL_NAME_set0_value(out.get(), GEN_IPADD, octets.release());
    return out;
}

void push_subtree(STACK_OF(GENERAL_SUBTREE)* stack, bssl::UniquePtr<GENERAL_NAME> name) {
    bssl::UniquePtr<GENERAL_SUBTREE> subtree(GENERAL_SUBTREE_new());
    if (!subtree) fail("GENERAL_SUBTREE_new");
    GENERAL_NAME_free(subtree->base);
    subtree->base = name.release();
    if (!bssl::PushToStack(stack, std::move(subtree))) fail("building name constraints");
}

std::string bio_contents(BIO* bio) {
    const uint8_t* data = nullptr;
    size_t len = 0;
    if (!BIO_mem_contents(bio, &data, &len)) fail("BIO_mem_contents");
    return std::string(reinterpret_cast<const char*>(data), len);
}

bssl::UniquePtr<BIO> memory_bio() {
    bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
    if (!bio) fail("BIO_new");
    return bio;
}

bssl::UniquePtr<BIO> reading_bio(std::string_view data) {
    bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    if (!bio) fail("BIO_new_mem_buf");
    return bio;
}

}  // namespace

bool is_dns_name(std::string_view name, bool allow_wildcard) {
    if (allow_wildcard && name.size() > 2 && name.substr(0, 2) == "*.") name.remove_prefix(2);
    if (name.empty() || name.size() > 253) return false;
    std::size_t label = 0;
    for (char c : name) {
        if (c == '.') {
            if (label == 0) return false;
            label = 0;
            continue;
        }
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok || ++label > 63) return false;
    }
    return label != 0;
}

bool is_ip_address(const std::string& text) {
    bssl::UniquePtr<ASN1_OCTET_STRING> octets(a2i_IPADDRESS(text.c_str()));
    ERR_clear_error();  // a2i_IPADDRESS leaves nothing useful on failure
    return octets != nullptr;
}

std::string ssl_error_text() {
    std::string out;
    while (uint32_t code = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(code, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out.empty() ? "unknown BoringSSL error" : out;
}

bssl::UniquePtr<EVP_PKEY> generate_key(KeyType type) {
    bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
    if (!key) fail("EVP_PKEY_new");
    if (type == KeyType::ecdsa_p256) {
        bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
        if (!ec || !EC_KEY_generate_key(ec.get())) fail("generating an ECDSA P-256 key");
        if (!EVP_PKEY_assign_EC_KEY(key.get(), ec.release())) fail("EVP_PKEY_assign_EC_KEY");
    } else {
        bssl::UniquePtr<RSA> rsa(RSA_new());
        bssl::UniquePtr<BIGNUM> exponent(BN_new());
        if (!rsa || !exponent || !BN_set_word(exponent.get(), RSA_F4) ||
            !RSA_generate_key_ex(rsa.get(), 2048, exponent.get(), nullptr)) {
            fail("generating an RSA-2048 key");
        }
        if (!EVP_PKEY_assign_RSA(key.get(), rsa.release())) fail("EVP_PKEY_assign_RSA");
    }
    return key;
}

bssl::UniquePtr<X509> new_certificate(EVP_PKEY* subject_key, std::chrono::system_clock::time_point not_before,
                                      std::chrono::system_clock::time_point not_after) {
    bssl::UniquePtr<X509> cert(X509_new());
    if (!cert || !X509_set_version(cert.get(), X509_VERSION_3)) fail("X509_new");

    // Random 128-bit serial; BN_rand with top=-1 may yield leading zero bits,
    // zero itself is not a valid serial so it is replaced by one.
    bssl::UniquePtr<BIGNUM> serial(BN_new());
    if (!serial || !BN_rand(serial.get(), 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY)) fail("BN_rand");
    if (BN_is_zero(serial.get()) && !BN_one(serial.get())) fail("BN_one");
    bssl::UniquePtr<ASN1_INTEGER> serial_asn1(BN_to_ASN1_INTEGER(serial.get(), nullptr));
    if (!serial_asn1 || !X509_set_serialNumber(cert.get(), serial_asn1.get())) fail("setting the serial number");

    if (!X509_set1_notBefore(cert.get(), asn1_time(not_before).get()) ||
        !X509_set1_notAfter(cert.get(), asn1_time(not_after).get())) {
        fail("setting the validity");
    }
    if (!X509_set_pubkey(cert.get(), subject_key)) fail("X509_set_pubkey");
    return cert;
}

void set_subject(X509* cert, std::string_view common_name, std::string_view organization) {
    X509_NAME* name = X509_get_subject_name(cert);
    auto add = [&](const char* field, std::string_view value) {
        if (!X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, reinterpret_cast<const uint8_t*>(value.data()),
                                        static_cast<int>(value.size()), -1, 0)) {
            fail(fmt::format("setting the subject {}={}", field, value));
        }
    };
    if (!common_name.empty()) add("CN", common_name);
    add("O", organization);
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx{};
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    bssl::UniquePtr<X509_EXTENSION> ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
    if (!ext || !X509_add_ext(cert, ext.get(), -1)) fail(fmt::format("adding extension {}={}", OBJ_nid2sn(nid), value));
}

void add_subject_alt_names(X509* cert, const std::vector<std::string>& dns_names,
                           const std::vector<std::string>& ip_addresses) {
    bssl::UniquePtr<GENERAL_NAMES> names(sk_GENERAL_NAME_new_null());
    if (!names) fail("sk_GENERAL_NAME_new_null");
    for (const std::string& dns : dns_names) {
        if (!bssl::PushToStack(names.get(), dns_name(dns))) fail("building subjectAltName");
    }
    for (const std::string& ip : ip_addresses) {
        bssl::UniquePtr<ASN1_OCTET_STRING> octets(a2i_IPADDRESS(ip.c_str()));
        if (!octets) throw std::runtime_error(fmt::format("'{}' is not an IP address", ip));
        auto name = ip_name(ASN1_STRING_get0_data(octets.get()), static_cast<std::size_t>(ASN1_STRING_length(octets.get())));
        if (!bssl::PushToStack(names.get(), std::move(name))) fail("building subjectAltName");
    }
    if (!X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT)) fail("adding subjectAltName");
}

void add_name_constraints(X509* cert, const std::vector<std::string>& permitted_domains) {
    bssl::UniquePtr<NAME_CONSTRAINTS> nc(NAME_CONSTRAINTS_new());
    if (!nc) fail("NAME_CONSTRAINTS_new");
    nc->permittedSubtrees = sk_GENERAL_SUBTREE_new_null();
    nc->excludedSubtrees = sk_GENERAL_SUBTREE_new_null();
    if (!nc->permittedSubtrees || !nc->excludedSubtrees) fail("sk_GENERAL_SUBTREE_new_null");
    for (const std::string& domain : permitted_domains) push_subtree(nc->permittedSubtrees, dns_name(domain));
    const uint8_t any_ip[32] = {};  // address and mask all zero: every address
    push_subtree(nc->excludedSubtrees, ip_name(any_ip, 8));
    push_subtree(nc->excludedSubtrees, ip_name(any_ip, 32));
    if (!X509_add1_ext_i2d(cert, NID_name_constraints, nc.get(), 1, X509V3_ADD_DEFAULT)) fail("adding nameConstraints");
}

std::vector<std::string> permitted_dns_names(const X509* cert) {
    std::vector<std::string> out;
    bssl::UniquePtr<NAME_CONSTRAINTS> nc(
        static_cast<NAME_CONSTRAINTS*>(X509_get_ext_d2i(cert, NID_name_constraints, nullptr, nullptr)));
    if (!nc || !nc->permittedSubtrees) return out;
    for (const GENERAL_SUBTREE* subtree : nc->permittedSubtrees) {
        if (subtree->base->type != GEN_DNS) continue;
        const ASN1_IA5STRING* dns = subtree->base->d.dNSName;
        out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                         static_cast<std::size_t>(ASN1_STRING_length(dns)));
    }
    return out;
}

void sign(X509* cert, EVP_PKEY* issuer_key) {
    if (!X509_sign(cert, issuer_key, EVP_sha256())) fail("signing the certificate");
}

std::string private_key_pem(EVP_PKEY* key) {
    auto bio = memory_bio();
    if (!PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)) fail("PEM_write_bio_PrivateKey");
    return bio_contents(bio.get());
}

std::string public_key_pem(EVP_PKEY* key) {
    auto bio = memory_bio();
    if (!PEM_write_bio_PUBKEY(bio.get(), key)) fail("PEM_write_bio_PUBKEY");
    return bio_contents(bio.get());
}

std::string certificate_pem(X509* cert) {
    auto bio = memory_bio();
    if (!PEM_write_bio_X509(bio.get(), cert)) fail("PEM_write_bio_X509");
    return bio_contents(bio.get());
}

bssl::UniquePtr<EVP_PKEY> parse_private_key_pem(std::string_view pem) {
    auto bio = reading_bio(pem);
    bssl::UniquePtr<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) fail("reading a PEM private key");
    return key;
}

bssl::UniquePtr<EVP_PKEY> parse_public_key_pem(std::string_view pem) {
    auto bio = reading_bio(pem);
    bssl::UniquePtr<EVP_PKEY> key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    if (!key) fail("reading a PEM public key");
    return key;
}

bssl::UniquePtr<X509> parse_certificate_pem(std::string_view pem) {
    auto bio = reading_bio(pem);
    bssl::UniquePtr<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) fail("reading a PEM certificate");
    return cert;
}

std::string spki_sha256_base64(const EVP_PKEY* key) {
    bssl::ScopedCBB cbb;
    uint8_t* der = nullptr;
    size_t der_len = 0;
    if (!CBB_init(cbb.get(), 128) || !EVP_marshal_public_key(cbb.get(), key) || !CBB_finish(cbb.get(), &der, &der_len)) {
        fail("encoding the public key");
    }
    bssl::UniquePtr<uint8_t> der_owner(der);
    uint8_t digest[SHA256_DIGEST_LENGTH];
    SHA256(der, der_len, digest);
    char b64[64];  // 4 * ceil(32 / 3) + 1 = 45
    EVP_EncodeBlock(reinterpret_cast<uint8_t*>(b64), digest, sizeof digest);
    return b64;
}

std::string sha256_fingerprint(const X509* cert) {
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (!X509_digest(cert, EVP_sha256(), digest, &len)) fail("X509_digest");
    std::string out;
    for (unsigned i = 0; i < len; ++i) out += fmt::format("{}{:02X}", i == 0 ? "" : ":", digest[i]);
    return out;
}

std::string one_line_name(const X509_NAME* name) {
    std::string out;
    for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
        const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
        uint8_t* utf8 = nullptr;
        int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
        if (len < 0) fail("ASN1_STRING_to_UTF8");
        bssl::UniquePtr<uint8_t> utf8_owner(utf8);
        if (!out.empty()) out += ", ";
        out += fmt::format("{}={}", OBJ_nid2sn(OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry))),
                           std::string_view(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len)));
    }
    return out;
}

std::chrono::system_clock::time_point to_time_point(const ASN1_TIME* time) {
    bssl::UniquePtr<ASN1_TIME> epoch(ASN1_TIME_set(nullptr, 0));
    int days = 0;
    int seconds = 0;
    if (!epoch || !ASN1_TIME_diff(&days, &seconds, epoch.get(), time)) fail("ASN1_TIME_diff");
    return std::chrono::system_clock::time_point(std::chrono::seconds(std::int64_t{days} * 86400 + seconds));
}

std::string format_utc(std::chrono::system_clock::time_point time) {
    std::time_t t = std::chrono::system_clock::to_time_t(time);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace cursor_proxy::ca
