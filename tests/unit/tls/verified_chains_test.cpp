#include "tls/verified_chains.hpp"

#include "../ca/ca_test_support.hpp"
#include "ca/leaf_cache.hpp"

#include <openssl/x509.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <ctime>
#include <string>

using namespace cursor_proxy;
using tls::VerifiedChains;

namespace {

std::shared_ptr<X509> leaf_for(ca::LeafCache& leaves, const std::string& host) {
    return leaves.get({host, {}, {}});
}

// A chain as a server sends it: its certificate, then the CA's.
bssl::UniquePtr<STACK_OF(X509)> sent_chain(X509* leaf, X509* ca) {
    bssl::UniquePtr<STACK_OF(X509)> chain(sk_X509_new_null());
    X509_up_ref(leaf);
    sk_X509_push(chain.get(), leaf);
    X509_up_ref(ca);
    sk_X509_push(chain.get(), ca);
    return chain;
}

// notAfter read independently of the code under test: as GeneralizedTime text.
std::time_t not_after(X509* certificate) {
    bssl::UniquePtr<ASN1_GENERALIZEDTIME> text(
        ASN1_TIME_to_generalizedtime(X509_get0_notAfter(certificate), nullptr));
    REQUIRE(text);
    const std::string digits(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text.get())), 14);
    std::tm tm{};
    REQUIRE(strptime(digits.c_str(), "%Y%m%d%H%M%S", &tm) != nullptr);
    return timegm(&tm);
}

}  // namespace

TEST_CASE("a chain's fingerprint depends on every certificate the server sent, in order") {
    const auto& authority = ca_test::ecdsa_authority();
    ca::LeafCache leaves(authority);
    auto a = leaf_for(leaves, "a.test");
    auto b = leaf_for(leaves, "b.test");
    auto with_ca = sent_chain(a.get(), authority.certificate());
    const auto alone = VerifiedChains::fingerprint(a.get(), nullptr);
    const auto sent = VerifiedChains::fingerprint(a.get(), with_ca.get());
    REQUIRE(alone);
    REQUIRE(sent);
    CHECK(*alone != *sent);
    CHECK(*sent == *VerifiedChains::fingerprint(a.get(), with_ca.get()));
    CHECK(*VerifiedChains::fingerprint(b.get(), nullptr) != *alone);
    // BoringSSL's untrusted list repeats the leaf first; the fingerprint does not count it twice.
    bssl::UniquePtr<STACK_OF(X509)> only_leaf(sk_X509_new_null());
    X509_up_ref(a.get());
    sk_X509_push(only_leaf.get(), a.get());
    CHECK(*VerifiedChains::fingerprint(a.get(), only_leaf.get()) == *alone);
    CHECK_FALSE(VerifiedChains::fingerprint(nullptr, nullptr));
}

TEST_CASE("a remembered chain is trusted until the ttl runs out") {
    const auto& authority = ca_test::ecdsa_authority();
    ca::LeafCache leaves(authority);
    auto leaf = leaf_for(leaves, "a.test");
    auto verified = sent_chain(leaf.get(), authority.certificate());
    const auto chain = *VerifiedChains::fingerprint(leaf.get(), nullptr);
    VerifiedChains chains(8, std::chrono::seconds(60));
    const std::time_t now = std::time(nullptr);
    CHECK_FALSE(chains.contains(chain, now));
    chains.remember(chain, verified.get(), now);
    CHECK(chains.contains(chain, now + 59));
    CHECK_FALSE(chains.contains(chain, now + 60));
    CHECK(chains.size() == 0);  // the expired entry is gone
}

TEST_CASE("a remembered chain expires with the first certificate of the verified chain") {
    const auto& authority = ca_test::ecdsa_authority();
    ca::LeafCache leaves(authority);
    auto leaf = leaf_for(leaves, "a.test");
    auto verified = sent_chain(leaf.get(), authority.certificate());
    const auto chain = *VerifiedChains::fingerprint(leaf.get(), nullptr);
    const std::time_t end = std::min(not_after(leaf.get()), not_after(authority.certificate()));
    REQUIRE(end > std::time(nullptr) + 3600);
    VerifiedChains chains(8, std::chrono::hours(24 * 3650));
    chains.remember(chain, verified.get(), end - 10);
    CHECK(chains.contains(chain, end - 10));
    CHECK_FALSE(chains.contains(chain, end + 86400));
    // Past its end already: not remembered at all.
    chains.remember(chain, verified.get(), end + 86400 * 400);
    CHECK(chains.size() == 0);
}

TEST_CASE("the verified chain cache drops the least recently used chain at capacity") {
    const auto& authority = ca_test::ecdsa_authority();
    ca::LeafCache leaves(authority);
    VerifiedChains chains(2);
    const std::time_t now = std::time(nullptr);
    std::vector<VerifiedChains::Fingerprint> prints;
    for (const char* host : {"a.test", "b.test", "c.test"}) {
        auto leaf = leaf_for(leaves, host);
        prints.push_back(*VerifiedChains::fingerprint(leaf.get(), nullptr));
        auto verified = sent_chain(leaf.get(), authority.certificate());
        chains.remember(prints.back(), verified.get(), now);
        if (prints.size() == 2) CHECK(chains.contains(prints[0], now));  // a is now the most recent
    }
    CHECK(chains.size() == 2);
    CHECK(chains.contains(prints[0], now));
    CHECK_FALSE(chains.contains(prints[1], now));
    CHECK(chains.contains(prints[2], now));
}
