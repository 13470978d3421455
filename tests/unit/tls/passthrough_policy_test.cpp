#include "tls/passthrough_policy.hpp"
#include "tls/upstream_tls.hpp"

#include <catch2/catch.hpp>

using namespace cursor_proxy::tls;

TEST_CASE("passthrough globs match host names case-insensitively") {
    CHECK(glob_matches("*.cursor.sh", "api2.cursor.sh"));
    CHECK(glob_matches("*.cursor.sh", "API2.Cursor.SH"));
    CHECK(glob_matches("api?.cursor.sh", "api5.cursor.sh"));
    CHECK_FALSE(glob_matches("*.cursor.sh", "cursor.sh"));
    CHECK_FALSE(glob_matches("api2.cursor.sh", "api2.cursor.sh.evil.com"));
}

TEST_CASE("a host is passed through after N client aborts, and only then") {
    PassthroughPolicy policy({"*.example.org"}, 3);
    CHECK(policy.passes_through("www.example.org"));
    CHECK_FALSE(policy.passes_through("pinned.test"));
    CHECK_FALSE(policy.record_client_abort("pinned.test"));
    CHECK_FALSE(policy.record_client_abort("other.test"));
    CHECK_FALSE(policy.record_client_abort("Pinned.test"));
    CHECK_FALSE(policy.passes_through("pinned.test"));
    CHECK(policy.record_client_abort("pinned.test"));
    CHECK(policy.passes_through("pinned.test"));
    CHECK_FALSE(policy.passes_through("other.test"));
    CHECK(policy.learned_hosts() == std::vector<std::string>{"pinned.test"});
    CHECK_FALSE(policy.record_client_abort("pinned.test"));  // reported once
}

TEST_CASE("auto-passthrough 0 never learns") {
    PassthroughPolicy policy({}, 0);
    for (int i = 0; i < 10; ++i) CHECK_FALSE(policy.record_client_abort("h.test"));
    CHECK_FALSE(policy.passes_through("h.test"));
}

TEST_CASE("ALPN lists are written in wire format") {
    const auto wire = alpn_wire({"h2", "http/1.1"});
    const std::vector<std::uint8_t> expected = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    CHECK(wire == expected);
    CHECK(alpn_wire({}).empty());
}
