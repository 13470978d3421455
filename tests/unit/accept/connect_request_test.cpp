#include "accept/connect_request.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <string_view>

using namespace cursor_proxy::accept;

namespace {

ConnectParse parse(std::string_view text) {
    return parse_connect_request({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

}  // namespace

TEST_CASE("a CONNECT request with headers parses to host, port and length") {
    const std::string text = "CONNECT api2.cursor.sh:443 HTTP/1.1\r\nHost: api2.cursor.sh:443\r\nUser-Agent: curl\r\n\r\n";
    const auto result = parse(text + "\x16\x03\x01");
    REQUIRE(result.status == ConnectParse::Status::complete);
    CHECK(result.request.host == "api2.cursor.sh");
    CHECK(result.request.port == 443);
    CHECK(result.request.bytes == text.size());
}

TEST_CASE("an IPv6 CONNECT target keeps the address without brackets") {
    const auto result = parse("CONNECT [::1]:8443 HTTP/1.0\r\n\r\n");
    REQUIRE(result.status == ConnectParse::Status::complete);
    CHECK(result.request.host == "::1");
    CHECK(result.request.port == 8443);
}

TEST_CASE("a CONNECT request cut short asks for more") {
    CHECK(parse("CONN").status == ConnectParse::Status::need_more);
    CHECK(parse("CONNECT a:1 HTTP/1.1\r\nHost: a").status == ConnectParse::Status::need_more);
}

TEST_CASE("bad CONNECT requests are refused with a status and a reason") {
    struct Case {
        std::string_view text;
        int status;
        std::string_view reason;
    };
    const Case cases[] = {
        {"GET / HTTP/1.1\r\n\r\n", 405, "only CONNECT"},
        {"\x16\x03\x01\x02\x00", 405, "only CONNECT"},
        {"CONNECT example.com HTTP/1.1\r\n\r\n", 400, "has no port"},
        {"CONNECT example.com:0 HTTP/1.1\r\n\r\n", 400, "bad CONNECT target"},
        {"CONNECT example.com:70000 HTTP/1.1\r\n\r\n", 400, "bad CONNECT target"},
        {"CONNECT example.com:443x HTTP/1.1\r\n\r\n", 400, "bad CONNECT target"},
        {"CONNECT :443 HTTP/1.1\r\n\r\n", 400, "bad CONNECT target"},
        {"CONNECT [::1:443 HTTP/1.1\r\n\r\n", 400, "bad CONNECT target"},
        {"CONNECT ::1:443 HTTP/1.1\r\n\r\n", 400, "write IPv6 addresses in brackets"},  // as --listen says
        {"CONNECT ex ample.com:443 HTTP/1.1\r\n\r\n", 400, "not 'CONNECT host:port HTTP/1.1'"},
        {"CONNECT exa/mple.com:443 HTTP/1.1\r\n\r\n", 400, "bad host name"},
        {"CONNECT example.com:443 SPDY/3\r\n\r\n", 400, "not 'CONNECT host:port HTTP/1.1'"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        const auto result = parse(c.text);
        REQUIRE(result.status == ConnectParse::Status::invalid);
        CHECK(result.http_status == c.status);
        CHECK_THAT(result.error, Catch::Contains(std::string(c.reason)));
    }
}

TEST_CASE("a CONNECT head that never ends is refused at 8 KiB") {
    std::string text = "CONNECT a.b:443 HTTP/1.1\r\n";
    while (text.size() < kMaxConnectRequestBytes) text += "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    const auto result = parse(text);
    REQUIRE(result.status == ConnectParse::Status::invalid);
    CHECK(result.http_status == 431);
}

TEST_CASE("read_connect_request consumes the request head and leaves what follows queued") {
    using asio::ip::tcp;
    asio::io_context io;
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    tcp::socket client(io);
    client.connect(acceptor.local_endpoint());
    tcp::socket server = acceptor.accept();
    // Sent in two pieces so the peek loop has to wait for the rest.
    asio::write(client, asio::buffer(std::string_view("CONNECT localhost:8443 HTTP/1.1\r\nHo")));
    ConnectOutcome outcome;
    std::string after;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        outcome = co_await read_connect_request(server);
        std::array<char, 64> buffer{};
        const auto n = co_await server.async_read_some(asio::buffer(buffer), asio::use_awaitable);
        after.assign(buffer.data(), n);
    }, asio::detached);
    asio::steady_timer later(io, std::chrono::milliseconds(30));
    later.async_wait([&](auto) { asio::write(client, asio::buffer(std::string_view("st: x\r\n\r\nHELLO"))); });
    io.run_for(std::chrono::seconds(5));
    CHECK(outcome.error.empty());
    CHECK(outcome.request.host == "localhost");
    CHECK(outcome.request.port == 8443);
    CHECK(after == "HELLO");
}
