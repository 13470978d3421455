#include <catch2/catch.hpp>

#include <algorithm>

#include "config.hpp"
#include "dns.hpp"
#include "nft_rules.hpp"

using namespace cursor_proxy::helper;

namespace {
std::vector<std::string> rules_of(const TablePlan& plan, const std::string& chain) {
    std::vector<std::string> out;
    for (const auto& r : plan.rules)
        if (r.chain == chain) out.push_back(r.text());
    return out;
}
}  // namespace

TEST_CASE("the open table redirects 443, blocks QUIC and IPv6, forwards out of the uplink") {
    auto c = parse_config("host_interface = vh\nproxy_port = 8443\nsubnet = 10.200.1.0/24\nnft_table = t", "t");
    auto plan = plan_table(c, "eth0");
    CHECK(plan.table == "t");
    REQUIRE(plan.chains.size() == 4);
    CHECK(rules_of(plan, "prerouting") == std::vector<std::string>{R"(iifname "vh" tcp dport 443 redirect to :8443)"});
    CHECK(rules_of(plan, "input") == std::vector<std::string>{
        R"(iifname "vh" tcp dport 8443 accept)",
        R"(iifname "vh" udp dport 443 drop)",
        R"(meta nfproto ipv6 iifname "vh" drop)",
    });
    CHECK(rules_of(plan, "forward") == std::vector<std::string>{
        R"(iifname "vh" udp dport 443 drop)",
        R"(meta nfproto ipv6 iifname "vh" drop)",
        R"(iifname "vh" oifname "eth0" accept)",
        R"(iifname "vh" drop)",
        R"(iifname "eth0" oifname "vh" ct state established,related accept)",
        R"(oifname "vh" drop)",
    });
    CHECK(rules_of(plan, "postrouting") ==
          std::vector<std::string>{R"(meta nfproto ipv4 oifname "eth0" ip saddr 10.200.1.0/24 masquerade)"});
}

TEST_CASE("fail-closed forwards only DNS") {
    auto c = parse_config("host_interface = vh\nfail_closed = true", "t");
    auto forward = rules_of(plan_table(c, "up0"), "forward");
    CHECK(std::count(forward.begin(), forward.end(), R"(iifname "vh" oifname "up0" udp dport 53 accept)") == 1);
    CHECK(std::count(forward.begin(), forward.end(), R"(iifname "vh" oifname "up0" tcp dport 53 accept)") == 1);
    CHECK(std::count(forward.begin(), forward.end(), R"(iifname "vh" oifname "up0" accept)") == 0);
}

TEST_CASE("describe prints an nft -f style table") {
    auto c = parse_config("nft_table = t", "t");
    auto text = describe(plan_table(c, "eth0"));
    CHECK_THAT(text, Catch::StartsWith("table inet t {\n    chain prerouting {\n        type nat hook prerouting priority -100;"));
    CHECK_THAT(text, Catch::Contains("type filter hook forward priority 0; policy accept;"));
}

TEST_CASE("nameservers usable from the namespace skip loopback stubs and IPv6") {
    auto servers = usable_nameservers(
        "# comment\nnameserver 127.0.0.53\nnameserver ::1\nnameserver 2001:db8::1\nnameserver 192.0.2.53\n"
        "options edns0\nnameserver 198.51.100.1\n");
    CHECK(servers == std::vector<std::string>{"192.0.2.53", "198.51.100.1"});
    CHECK(usable_nameservers("nameserver 127.0.0.53\n").empty());
}
