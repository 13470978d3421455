#include "ca/leaf_cache.hpp"
#include "ca_test_support.hpp"
#include "log/user_error.hpp"
#include "stats/counters.hpp"

#include <openssl/x509.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using namespace cursor_proxy;

namespace {
ca::LeafRequest host(std::string sni) { return {std::move(sni), {}, {}}; }
}  // namespace

TEST_CASE("the leaf cache returns the same certificate on a hit and counts hits and misses") {
    ca::LeafCache cache(ca_test::ecdsa_authority());
    const auto minted_before = stats::counter("ca.leaf_minted").load();
    const auto hits_before = stats::counter("ca.leaf_cache_hits").load();
    auto first = cache.get(host("api2.cursor.sh"));
    auto second = cache.get(host("API2.cursor.sh"));  // same names once normalised
    auto other = cache.get(host("api3.cursor.sh"));
    CHECK(first.get() == second.get());
    CHECK(first.get() != other.get());
    CHECK(cache.hits() == 1);
    CHECK(cache.misses() == 2);
    CHECK(cache.size() == 2);
    CHECK(stats::counter("ca.leaf_minted").load() - minted_before == 2);
    CHECK(stats::counter("ca.leaf_cache_hits").load() - hits_before == 1);
    CHECK(ca_test::verify(first.get(), ca_test::ecdsa_authority()) == X509_V_OK);
}

TEST_CASE("different upstream names for one SNI are different cache entries") {
    ca::LeafCache cache(ca_test::ecdsa_authority());
    auto a = cache.get({"api2.cursor.sh", {"api2.cursor.sh"}, {}});
    auto b = cache.get({"api2.cursor.sh", {"*.cursor.sh"}, {}});
    CHECK(a.get() != b.get());
    CHECK(cache.misses() == 2);
}

TEST_CASE("the leaf cache evicts the least recently used entry at capacity") {
    ca::LeafOptions options;
    options.cache_capacity = 2;
    ca::LeafCache cache(ca_test::ecdsa_authority(), options);
    cache.get(host("a.test"));  // miss
    cache.get(host("b.test"));  // miss
    cache.get(host("a.test"));  // hit: a is now the most recent
    cache.get(host("c.test"));  // miss, evicts b
    CHECK(cache.size() == 2);
    cache.get(host("a.test"));  // hit
    cache.get(host("b.test"));  // miss: was evicted; evicts c
    cache.get(host("c.test"));  // miss
    CHECK(cache.hits() == 2);
    CHECK(cache.misses() == 5);
    CHECK(cache.size() == 2);
}

namespace {
// Eight threads ask for one new host at once; returns what each got.
std::vector<std::shared_ptr<X509>> race_for(ca::LeafCache& cache, const std::string& name) {
    constexpr int kThreads = 8;
    // Threads spin (rather than sleep on a latch) until all are ready, so they
    // reach get() within microseconds of each other, while the first signs.
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::shared_ptr<X509>> results(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&, i] {
            ready.fetch_add(1);
            while (!go.load()) std::this_thread::yield();
            results[static_cast<std::size_t>(i)] = cache.get(host(name));
        });
    }
    while (ready.load() < kThreads) std::this_thread::yield();
    go.store(true);
    for (auto& t : threads) t.join();
    return results;
}
}  // namespace

TEST_CASE("concurrent first requests for one host sign exactly once") {
    // RSA signing is slow enough for the threads to overlap with the signer;
    // many rounds, because the scheduler decides how much they overlap.
    ca::LeafCache cache(ca_test::rsa_authority());
    const auto minted_before = stats::counter("ca.leaf_minted").load();
    constexpr int kRounds = 30;
    for (int round = 0; round < kRounds; ++round) {
        const auto results = race_for(cache, "h" + std::to_string(round) + ".cursor.sh");
        for (const auto& r : results) REQUIRE(r.get() == results[0].get());
    }
    CHECK(cache.misses() == kRounds);
    CHECK(cache.hits() == kRounds * 7);
    CHECK(stats::counter("ca.leaf_minted").load() - minted_before == kRounds);
}

TEST_CASE("a failed signature is reported to every waiter and not cached") {
    ca::LeafCache cache(ca_test::ecdsa_authority());
    CHECK_THROWS_AS(cache.get(host("")), std::runtime_error);
    CHECK(cache.size() == 0);
}

TEST_CASE("leaf cache options are checked") {
    ca::LeafOptions zero;
    zero.cache_capacity = 0;
    CHECK_THROWS_AS(ca::LeafCache(ca_test::ecdsa_authority(), zero), UserError);
    ca::LeafOptions too_long;
    too_long.validity = std::chrono::hours(24 * 398);
    CHECK_THROWS_WITH(ca::LeafCache(ca_test::ecdsa_authority(), too_long), Catch::Contains("397 days"));
}
