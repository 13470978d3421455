#include "accept/listen_address.hpp"
#include "log/user_error.hpp"

#include <catch2/catch.hpp>

using namespace cursor_proxy::accept;
using asio::ip::make_address;
using asio::ip::tcp;

TEST_CASE("listen addresses parse for IPv4 and bracketed IPv6") {
    CHECK(parse_endpoint("listen", "127.0.0.1:8080") == tcp::endpoint(make_address("127.0.0.1"), 8080));
    CHECK(parse_endpoint("listen", "[::1]:443") == tcp::endpoint(make_address("::1"), 443));
    CHECK(parse_endpoint("listen", "0.0.0.0:0").port() == 0);
    CHECK(to_string(tcp::endpoint(make_address("::1"), 443)) == "[::1]:443");
    CHECK(to_string(tcp::endpoint(make_address("10.0.0.1"), 80)) == "10.0.0.1:80");
}

TEST_CASE("bad listen addresses are usage errors naming the option") {
    for (const char* text : {"8080", "localhost:8080", "127.0.0.1:", "127.0.0.1:99999", "::1:443", "[::1]443", "1.2.3.4:x"}) {
        INFO(text);
        try {
            parse_endpoint("listen-connect", text);
            FAIL("accepted");
        } catch (const cursor_proxy::UsageError& e) {
            CHECK_THAT(e.what(), Catch::Contains("--listen-connect") && Catch::Contains(text));
        }
    }
}

TEST_CASE("the loop guard recognises our own listeners") {
    const std::vector<tcp::endpoint> listeners = {{make_address("127.0.0.1"), 8080}, {make_address("0.0.0.0"), 9000}};
    CHECK(is_own_listener({make_address("127.0.0.1"), 8080}, listeners));
    CHECK(is_own_listener({make_address("127.0.0.2"), 9000}, listeners));
    CHECK_FALSE(is_own_listener({make_address("127.0.0.1"), 443}, listeners));
    CHECK_FALSE(is_own_listener({make_address("127.0.0.2"), 8080}, listeners));
    CHECK_FALSE(is_own_listener({make_address("93.184.216.34"), 9000}, listeners));
}

TEST_CASE("a transparent listener binds an address that does not exist yet") {
    asio::io_context io;
    // 10.255.255.254 is on no interface here; IP_FREEBIND lets it bind anyway.
    auto acceptor = open_acceptor(io, {{make_address("10.255.255.254"), 0}, ListenMode::transparent});
    CHECK(acceptor.local_endpoint().address() == make_address("10.255.255.254"));
    CHECK_THROWS_AS(open_acceptor(io, {{make_address("10.255.255.254"), 0}, ListenMode::connect}), cursor_proxy::UserError);
}

TEST_CASE("a port in use is a clear error") {
    asio::io_context io;
    auto first = open_acceptor(io, {{make_address("127.0.0.1"), 0}, ListenMode::connect});
    try {
        open_acceptor(io, {first.local_endpoint(), ListenMode::connect});
        FAIL("bound twice");
    } catch (const cursor_proxy::UserError& e) {
        CHECK_THAT(e.what(), Catch::Contains("cannot listen on 127.0.0.1:") && Catch::Contains("in use"));
    }
}
