#include "ca/authority.hpp"
#include "ca/key_file.hpp"
#include "ca_test_support.hpp"
#include "log/user_error.hpp"

#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>

using namespace cursor_proxy;
using namespace std::chrono;
using ca_test::TempDir;

namespace {
ca::InitOptions options_in(const std::filesystem::path& dir) {
    ca::InitOptions o;
    o.dir = dir;
    return o;
}
}  // namespace

TEST_CASE("ca init writes ca.crt 0644, ca.key and leaf.key 0600 in a new 0700 directory") {
    TempDir tmp;
    const auto dir = tmp.path() / "new" / "ca";
    ca::init_ca(options_in(dir));
    CHECK(ca_test::mode_of(dir) == 0700);
    CHECK(ca_test::mode_of(dir / "ca.key") == 0600);
    CHECK(ca_test::mode_of(dir / "leaf.key") == 0600);
    CHECK(ca_test::mode_of(dir / "ca.crt") == 0644);
    CHECK(ca_test::mode_of(dir / "leaf.pub") == 0644);
    // Nothing but the four files: no temporary file left behind.
    CHECK(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()) == 4);
}

TEST_CASE("the CA certificate has the extensions of a leaf-only CA") {
    const ca::Authority& authority = ca_test::ecdsa_authority();
    X509* cert = authority.certificate();
    CHECK(X509_check_ca(cert) == 1);
    CHECK(X509_get_pathlen(cert) == 0);
    CHECK(ca_test::extension_is_critical(cert, NID_basic_constraints));
    CHECK(ca_test::extension_is_critical(cert, NID_key_usage));
    const uint32_t usage = X509_get_key_usage(cert);
    CHECK((usage & KU_KEY_CERT_SIGN) != 0);
    CHECK((usage & KU_CRL_SIGN) != 0);
    CHECK(X509_get0_subject_key_id(cert) != nullptr);
    CHECK(X509_get_ext_by_NID(cert, NID_name_constraints, -1) < 0);
    CHECK_FALSE(authority.has_name_constraints());
    CHECK(EVP_PKEY_id(authority.key()) == EVP_PKEY_EC);
    CHECK(authority.subject() == "CN=cursor-proxy local CA, O=cursor-proxy");
    // The leaf key is its own key, not the CA's.
    CHECK(EVP_PKEY_cmp(authority.key(), authority.leaf_key()) != 1);
}

TEST_CASE("the CA is backdated by a day and valid for ten years") {
    const ca::Authority& authority = ca_test::ecdsa_authority();
    const auto now = system_clock::now();
    CHECK(authority.not_before() < now - hours(23));
    CHECK(authority.not_before() > now - hours(25));
    CHECK(authority.not_after() - authority.not_before() == hours(24 * 3651));
}

TEST_CASE("the CA serial number is a random positive 128-bit number") {
    TempDir tmp;
    ca::init_ca(options_in(tmp.path() / "a"));
    ca::init_ca(options_in(tmp.path() / "b"));
    auto a = ca::Authority::load(tmp.path() / "a");
    auto b = ca::Authority::load(tmp.path() / "b");
    const ASN1_INTEGER* sa = X509_get0_serialNumber(a.certificate());
    const ASN1_INTEGER* sb = X509_get0_serialNumber(b.certificate());
    CHECK(ASN1_STRING_type(sa) == V_ASN1_INTEGER);  // V_ASN1_NEG_INTEGER if negative
    CHECK(ASN1_STRING_length(sa) >= 8);
    CHECK(ASN1_STRING_length(sa) <= 17);
    CHECK(ASN1_INTEGER_cmp(sa, sb) != 0);
}

TEST_CASE("fingerprint and SPKI pin have the expected shapes") {
    const ca::Authority& authority = ca_test::ecdsa_authority();
    CHECK(authority.sha256_fingerprint().size() == 32 * 3 - 1);
    const std::string pin = authority.leaf_spki_sha256_base64();
    CHECK(pin.size() == 44);
    CHECK(pin.back() == '=');
}

TEST_CASE("ca init --key-type rsa2048 makes RSA keys") {
    const ca::Authority& authority = ca_test::rsa_authority();
    CHECK(EVP_PKEY_id(authority.key()) == EVP_PKEY_RSA);
    CHECK(EVP_PKEY_id(authority.leaf_key()) == EVP_PKEY_RSA);
    CHECK(EVP_PKEY_bits(authority.key()) == 2048);
}

TEST_CASE("name constraints are critical and list the permitted domains") {
    const ca::Authority& authority = ca_test::constrained_authority();
    CHECK(authority.has_name_constraints());
    CHECK(ca_test::extension_is_critical(authority.certificate(), NID_name_constraints));
}

TEST_CASE("ca init refuses to overwrite an existing CA without force") {
    TempDir tmp;
    ca::init_ca(options_in(tmp.path()));
    const std::string before = ca::Authority::load(tmp.path()).sha256_fingerprint();
    REQUIRE_THROWS_WITH(ca::init_ca(options_in(tmp.path())), Catch::Contains("already exists") && Catch::Contains("--force"));
    CHECK(ca::Authority::load(tmp.path()).sha256_fingerprint() == before);

    auto forced = options_in(tmp.path());
    forced.force = true;
    ca::init_ca(forced);
    CHECK(ca::Authority::load(tmp.path()).sha256_fingerprint() != before);
}

TEST_CASE("ca init rejects bad options with a usage error") {
    TempDir tmp;
    auto o = options_in(tmp.path());
    o.permitted_domains = {"not a domain"};
    CHECK_THROWS_AS(ca::init_ca(o), UsageError);
    o.permitted_domains = {"cursor.sh", ""};
    CHECK_THROWS_WITH(ca::init_ca(o), Catch::Contains("--permit-domain"));
    o.permitted_domains = {};
    o.common_name = std::string(65, 'x');
    CHECK_THROWS_WITH(ca::init_ca(o), Catch::Contains("--common-name"));
    CHECK_FALSE(std::filesystem::exists(tmp.path() / "ca.key"));
}

TEST_CASE("ca init into a path that is a file fails clearly") {
    TempDir tmp;
    std::ofstream(tmp.path() / "file") << "x";
    CHECK_THROWS_WITH(ca::init_ca(options_in(tmp.path() / "file")), Catch::Contains("not a directory"));
}

TEST_CASE("Authority::load refuses key files that group or others can read") {
    TempDir tmp;
    ca::init_ca(options_in(tmp.path()));
    const auto key = tmp.path() / "ca.key";

    REQUIRE(::chmod(key.c_str(), 0644) == 0);
    CHECK_THROWS_AS(ca::Authority::load(tmp.path()), UserError);
    CHECK_THROWS_WITH(ca::Authority::load(tmp.path()),
                      Catch::Contains("cannot use CA key " + key.string()) &&
                          Catch::Contains("mode 0644 is readable by others") &&
                          Catch::Contains("run chmod 600 " + key.string()));

    REQUIRE(::chmod(key.c_str(), 0640) == 0);
    CHECK_THROWS_WITH(ca::Authority::load(tmp.path()), Catch::Contains("readable by its group"));

    REQUIRE(::chmod(key.c_str(), 0600) == 0);
    const auto leaf = tmp.path() / "leaf.key";
    REQUIRE(::chmod(leaf.c_str(), 0604) == 0);
    CHECK_THROWS_WITH(ca::Authority::load(tmp.path()), Catch::Contains("leaf key " + leaf.string()) &&
                                                           Catch::Contains("chmod 600"));
    REQUIRE(::chmod(leaf.c_str(), 0600) == 0);
    CHECK_NOTHROW(ca::Authority::load(tmp.path()));
}

TEST_CASE("Authority::load explains a missing, corrupt or mismatched CA") {
    TempDir tmp;
    CHECK_THROWS_WITH(ca::Authority::load(tmp.path()),
                      Catch::Contains("ca.crt is missing") && Catch::Contains("cursor-proxy ca init --dir"));

    ca::init_ca(options_in(tmp.path()));
    std::filesystem::copy_file(tmp.path() / "leaf.key", tmp.path() / "ca.key",
                               std::filesystem::copy_options::overwrite_existing);
    CHECK_THROWS_WITH(ca::Authority::load(tmp.path()), Catch::Contains("does not belong to"));

    ca::write_file_atomically(tmp.path() / "ca.key", "not PEM at all\n", 0600);
    CHECK_THROWS_WITH(ca::Authority::load(tmp.path()),
                      Catch::Contains("cannot parse CA key") && Catch::Contains("ca init --force"));
}

TEST_CASE("default_dir is $STATE_DIRECTORY when set, else ./cursor-proxy-data, else (under /tmp) the state dir") {
    const char* saved = std::getenv("STATE_DIRECTORY");
    const std::string saved_value = saved != nullptr ? saved : "";
    ::setenv("STATE_DIRECTORY", "/var/lib/cursor-proxy", 1);
    CHECK(ca::default_dir() == "/var/lib/cursor-proxy");
    ::setenv("STATE_DIRECTORY", "/var/lib/a:/var/lib/b", 1);
    CHECK(ca::default_dir() == "/var/lib/a");
    ::unsetenv("STATE_DIRECTORY");
    const auto saved_cwd = std::filesystem::current_path();
    std::filesystem::current_path("/");
    CHECK(ca::default_dir() == "cursor-proxy-data");
    // Under /tmp the per-user state directory is used instead (no keys or captures in /tmp).
    const char* saved_xdg = std::getenv("XDG_STATE_HOME");
    const std::string saved_xdg_value = saved_xdg != nullptr ? saved_xdg : "";
    ::setenv("XDG_STATE_HOME", "/home/someone/.state", 1);
    std::filesystem::current_path("/tmp");
    CHECK(ca::default_dir() == "/home/someone/.state/cursor-proxy");
    std::filesystem::current_path(saved_cwd);
    if (saved_xdg != nullptr) ::setenv("XDG_STATE_HOME", saved_xdg_value.c_str(), 1);
    else ::unsetenv("XDG_STATE_HOME");
    if (saved != nullptr) ::setenv("STATE_DIRECTORY", saved_value.c_str(), 1);
}
