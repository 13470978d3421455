#include <catch2/catch.hpp>

#include "config.hpp"
#include "errors.hpp"

using namespace cursor_proxy::helper;

namespace {
std::string config_error(const std::string& text) {
    try {
        parse_config(text, "test.conf");
    } catch (const HelperError& e) {
        CHECK(std::string(e.dbus_name()) == error_name::config);
        return e.what();
    }
    FAIL("config was accepted: " << text);
    return {};
}
}  // namespace

TEST_CASE("an empty config gives the documented defaults") {
    auto c = parse_config("# nothing\n\n", "test.conf");
    CHECK(c.namespace_name == "cursor-proxy");
    CHECK(c.subnet.str() == "10.200.1.0/24");
    CHECK(format_ipv4(c.host_address()) == "10.200.1.1");
    CHECK(format_ipv4(c.namespace_address()) == "10.200.1.2");
    CHECK(c.proxy_port == 8443);
    CHECK(c.uplink == "auto");
    CHECK(c.dns.empty());
    CHECK_FALSE(c.fail_closed);
    CHECK_FALSE(c.teardown_on_stop);
    CHECK(c.namespace_path() == "/run/netns/cursor-proxy");
    CHECK(c.resolv_conf_path() == "/etc/netns/cursor-proxy/resolv.conf");
}

TEST_CASE("every key is read") {
    auto c = parse_config(
        "namespace = ns1\nhost_interface = h1\nnamespace_interface = n1\nsubnet = 10.9.8.4/30\n"
        "proxy_port = 9000\nuplink = eth1\ndns = 10.0.0.1, 10.0.0.2\nfail_closed = yes\n"
        "nft_table = my_table\nallowed_group = wheel\nteardown_on_stop = true\n"
        "state_dir = /run/x\netc_netns_dir = /tmp/etc-netns\n",
        "test.conf");
    CHECK(c.namespace_name == "ns1");
    CHECK(c.host_interface == "h1");
    CHECK(c.namespace_interface == "n1");
    CHECK(c.subnet.str() == "10.9.8.4/30");
    CHECK(format_ipv4(c.host_address()) == "10.9.8.5");
    CHECK(c.proxy_port == 9000);
    CHECK(c.uplink == "eth1");
    CHECK(c.dns == std::vector<std::string>{"10.0.0.1", "10.0.0.2"});
    CHECK(c.fail_closed);
    CHECK(c.nft_table == "my_table");
    CHECK(c.allowed_group == "wheel");
    CHECK(c.teardown_on_stop);
    CHECK(c.state_dir == "/run/x");
    CHECK(c.etc_netns_dir == "/tmp/etc-netns");
}

TEST_CASE("bad values are refused with the line and the reason") {
    CHECK(config_error("\nproxy_port = 0\n") == "test.conf:2: proxy_port '0' is not a port number (1 to 65535)");
    CHECK_THAT(config_error("proxy_port = 65536"), Catch::Contains("not a port number"));
    CHECK_THAT(config_error("proxy_port = 80x"), Catch::Contains("not a port number"));
    CHECK_THAT(config_error("namespace = a/b"), Catch::Contains("no '/'"));
    CHECK_THAT(config_error("namespace = .."), Catch::Contains("not a valid name"));
    CHECK_THAT(config_error("namespace = ../etc"), Catch::Contains("not a valid name"));
    CHECK_THAT(config_error("namespace = ."), Catch::Contains("not a valid name"));
    CHECK_THAT(config_error("host_interface = averyveryverylongname"), Catch::Contains("not a valid interface name"));
    CHECK_THAT(config_error("uplink = eth/0"), Catch::Contains("not a valid interface name"));
    CHECK_THAT(config_error("subnet = 10.200.1.1/24"), Catch::Contains("host bits must be zero"));
    CHECK_THAT(config_error("subnet = 10.200.1.0/31"), Catch::Contains("between /8 and /30"));
    CHECK_THAT(config_error("subnet = 300.1.1.0/24"), Catch::Contains("not an IPv4 network"));
    CHECK_THAT(config_error("dns = 1.2.3"), Catch::Contains("dns server '1.2.3' is not an IPv4 address"));
    CHECK_THAT(config_error("fail_closed = maybe"), Catch::Contains("must be true or false"));
    CHECK_THAT(config_error("nft_table = 1abc"), Catch::Contains("must start with a letter"));
    CHECK_THAT(config_error("state_dir = relative"), Catch::Contains("absolute path"));
    CHECK_THAT(config_error("colour = blue"), Catch::Contains("unknown key 'colour'"));
    CHECK_THAT(config_error("just words"), Catch::Contains("expected 'key = value'"));
    CHECK_THAT(config_error("host_interface = x\nnamespace_interface = x"), Catch::Contains("both 'x'"));
    CHECK_THAT(config_error("uplink = cproxy-host"), Catch::Contains("one of the helper's own veth ends"));
}

TEST_CASE("a missing config file names the file") {
    try {
        load_config("/nonexistent/helper.conf");
        FAIL("no error");
    } catch (const HelperError& e) {
        CHECK_THAT(e.what(), Catch::Contains("/nonexistent/helper.conf"));
    }
}

TEST_CASE("IPv4 prefixes parse, print and overlap") {
    auto a = Ipv4Prefix::parse("10.200.1.0/24");
    REQUIRE(a);
    CHECK(a->contains(*parse_ipv4("10.200.1.77")));
    CHECK_FALSE(a->contains(*parse_ipv4("10.200.2.1")));
    CHECK(a->overlaps(*Ipv4Prefix::parse("10.0.0.0/8")));
    CHECK(a->overlaps(*Ipv4Prefix::parse("10.200.1.128/25")));
    CHECK_FALSE(a->overlaps(*Ipv4Prefix::parse("10.200.2.0/24")));
    CHECK_FALSE(a->overlaps(*Ipv4Prefix::parse("192.168.0.0/16")));
    CHECK_FALSE(Ipv4Prefix::parse("10.200.1.0"));
    CHECK_FALSE(Ipv4Prefix::parse("10.200.1.0/33"));
    CHECK_FALSE(parse_ipv4("1.2.3.4.5"));
    CHECK_FALSE(parse_ipv4("1..3.4"));
    CHECK(format_ipv4(*parse_ipv4("255.0.10.1")) == "255.0.10.1");
}
