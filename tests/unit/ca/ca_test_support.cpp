#include "ca_test_support.hpp"

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <sys/stat.h>

namespace ca_test {
namespace {

using cursor_proxy::ca::Authority;
using cursor_proxy::ca::InitOptions;
using cursor_proxy::ca::KeyType;

// Keeps the directories of the shared CAs alive until the test run ends.
struct SharedCa {
    TempDir dir;
    Authority authority;
    explicit SharedCa(InitOptions options) : authority(make(options)) {}

private:
    Authority make(InitOptions& options) {
        options.dir = dir.path() / "ca";
        cursor_proxy::ca::init_ca(options);
        return Authority::load(options.dir);
    }
};

std::vector<std::string> sans_of_type(X509* cert, int type) {
    std::vector<std::string> out;
    bssl::UniquePtr<GENERAL_NAMES> names(
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
    if (!names) return out;
    for (const GENERAL_NAME* name : names.get()) {
        if (name->type != type) continue;
        const ASN1_STRING* value = type == GEN_DNS ? name->d.dNSName : name->d.iPAddress;
        out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                         static_cast<std::size_t>(ASN1_STRING_length(value)));
    }
    return out;
}

}  // namespace

TempDir::TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/ca-test-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

const Authority& ecdsa_authority() {
    static SharedCa ca(InitOptions{});
    return ca.authority;
}

const Authority& rsa_authority() {
    static SharedCa ca([] {
        InitOptions o;
        o.key_type = KeyType::rsa2048;
        return o;
    }());
    return ca.authority;
}

const Authority& constrained_authority() {
    static SharedCa ca([] {
        InitOptions o;
        o.permitted_domains = {"cursor.sh"};
        return o;
    }());
    return ca.authority;
}

int verify(X509* leaf, const Authority& authority) {
    bssl::UniquePtr<X509_STORE> store(X509_STORE_new());
    bssl::UniquePtr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
    REQUIRE(store);
    REQUIRE(ctx);
    REQUIRE(X509_STORE_add_cert(store.get(), authority.certificate()) == 1);
    REQUIRE(X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr) == 1);
    REQUIRE(X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER) == 1);
    X509_verify_cert(ctx.get());
    return X509_STORE_CTX_get_error(ctx.get());
}

std::vector<std::string> dns_sans(X509* cert) { return sans_of_type(cert, GEN_DNS); }
std::vector<std::string> ip_sans(X509* cert) { return sans_of_type(cert, GEN_IPADD); }

bool extension_is_critical(X509* cert, int nid) {
    int index = X509_get_ext_by_NID(cert, nid, -1);
    REQUIRE(index >= 0);
    return X509_EXTENSION_get_critical(X509_get_ext(cert, index)) == 1;
}

unsigned mode_of(const std::filesystem::path& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

}  // namespace ca_test
