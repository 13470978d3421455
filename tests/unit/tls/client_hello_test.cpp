#include "tls/client_hello.hpp"

#include "client_hello_vectors.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using cursor_proxy::tls::parse_client_hello;
using cursor_proxy::tls::ParseStatus;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

// Re-frames a single-record hello into records of at most `size` payload bytes.
Bytes split_into_records(const Bytes& hello, std::size_t size) {
    Bytes out;
    std::size_t payload_length = (std::size_t{hello[3]} << 8) | hello[4];
    for (std::size_t at = 5; at < 5 + payload_length; at += size) {
        std::size_t n = std::min(size, 5 + payload_length - at);
        out.insert(out.end(), {0x16, hello[1], hello[2], static_cast<std::uint8_t>(n >> 8),
                               static_cast<std::uint8_t>(n & 0xff)});
        out.insert(out.end(), hello.begin() + static_cast<long>(at), hello.begin() + static_cast<long>(at + n));
    }
    return out;
}

// Builds a minimal ClientHello (one record) with the given extensions block.
Bytes make_hello(const Bytes& extensions, bool with_extensions = true) {
    Bytes body = {0x03, 0x03};
    body.insert(body.end(), 32, 0xab);           // random
    body.push_back(0);                           // session id
    body.insert(body.end(), {0x00, 0x02, 0x13, 0x01});  // one cipher suite
    body.insert(body.end(), {0x01, 0x00});       // null compression
    if (with_extensions) {
        body.push_back(static_cast<std::uint8_t>(extensions.size() >> 8));
        body.push_back(static_cast<std::uint8_t>(extensions.size() & 0xff));
        body.insert(body.end(), extensions.begin(), extensions.end());
    }
    Bytes message = {0x01, 0x00, static_cast<std::uint8_t>(body.size() >> 8),
                     static_cast<std::uint8_t>(body.size() & 0xff)};
    message.insert(message.end(), body.begin(), body.end());
    Bytes record = {0x16, 0x03, 0x01, static_cast<std::uint8_t>(message.size() >> 8),
                    static_cast<std::uint8_t>(message.size() & 0xff)};
    record.insert(record.end(), message.begin(), message.end());
    return record;
}

Bytes extension(std::uint16_t type, const Bytes& data) {
    Bytes out = {static_cast<std::uint8_t>(type >> 8), static_cast<std::uint8_t>(type & 0xff),
                 static_cast<std::uint8_t>(data.size() >> 8), static_cast<std::uint8_t>(data.size() & 0xff)};
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

Bytes sni_extension(std::string_view name) {
    Bytes entry = {0x00, 0x00, static_cast<std::uint8_t>(name.size())};
    entry.insert(entry.end(), name.begin(), name.end());
    Bytes data = {0x00, static_cast<std::uint8_t>(entry.size())};
    data.insert(data.end(), entry.begin(), entry.end());
    return extension(0, data);
}

}  // namespace

TEST_CASE("openssl s_client's ClientHello: SNI, ALPN, versions, size") {
    const auto& hello = client_hello_vectors::openssl_hello;
    auto r = parse_client_hello(hello);
    REQUIRE(r.status == ParseStatus::complete);
    CHECK(r.hello.sni == "api2.cursor.sh");
    CHECK(r.hello.alpn == std::vector<std::string>{"h2", "http/1.1"});
    CHECK(r.hello.record_version == 0x0301);
    CHECK(r.hello.client_version == 0x0303);
    CHECK(r.hello.bytes == hello.size());
    CHECK(r.error.empty());
}

TEST_CASE("curl's ClientHello: SNI and ALPN") {
    auto r = parse_client_hello(client_hello_vectors::curl_hello);
    REQUIRE(r.status == ParseStatus::complete);
    CHECK(r.hello.sni == "api2.cursor.sh");
    CHECK(r.hello.alpn == std::vector<std::string>{"h2", "http/1.1"});
    CHECK(r.hello.bytes == client_hello_vectors::curl_hello.size());
}

TEST_CASE("bytes after the hello (the client's next flight) are not counted") {
    Bytes input = client_hello_vectors::openssl_hello;
    input.insert(input.end(), {0x14, 0x03, 0x03, 0x00, 0x01, 0x01});
    auto r = parse_client_hello(input);
    REQUIRE(r.status == ParseStatus::complete);
    CHECK(r.hello.bytes == client_hello_vectors::openssl_hello.size());
}

TEST_CASE("a ClientHello spread over several records") {
    for (std::size_t size : {1u, 3u, 4u, 5u, 100u, 200u}) {
        Bytes split = split_into_records(client_hello_vectors::curl_hello, size);
        auto r = parse_client_hello(split);
        INFO("record payload size " << size);
        REQUIRE(r.status == ParseStatus::complete);
        CHECK(r.hello.sni == "api2.cursor.sh");
        CHECK(r.hello.alpn == std::vector<std::string>{"h2", "http/1.1"});
        CHECK(r.hello.bytes == split.size());
    }
}

TEST_CASE("every strict prefix of a real hello asks for more bytes") {
    for (const Bytes* hello : {&client_hello_vectors::openssl_hello, &client_hello_vectors::curl_hello}) {
        Bytes split = split_into_records(*hello, 64);
        const Bytes* split_hello = &split;
        for (const Bytes* input : {hello, split_hello}) {
            for (std::size_t n = 0; n < input->size(); ++n) {
                auto r = parse_client_hello(std::span(input->data(), n));
                INFO("prefix of " << n << " bytes");
                REQUIRE(r.status == ParseStatus::need_more);
            }
        }
    }
}

TEST_CASE("no SNI and no ALPN: empty fields, still complete") {
    auto r = parse_client_hello(make_hello({}));
    REQUIRE(r.status == ParseStatus::complete);
    CHECK(r.hello.sni.empty());
    CHECK(r.hello.alpn.empty());
    auto old = parse_client_hello(make_hello({}, false));
    CHECK(old.status == ParseStatus::complete);
}

TEST_CASE("plain HTTP, SSH and garbage are not TLS") {
    for (std::string_view text : {"GET / HTTP/1.1\r\n", "SSH-2.0-OpenSSH_9.2\r\n", "\x80\x01garbage", "P"}) {
        auto r = parse_client_hello(bytes_of(text));
        INFO(text);
        CHECK(r.status == ParseStatus::not_tls);
        CHECK_FALSE(r.error.empty());
    }
    CHECK(parse_client_hello(Bytes{0x16, 0x02, 0x00}).status == ParseStatus::not_tls);
    CHECK(parse_client_hello(Bytes{0x16}).status == ParseStatus::need_more);
}

TEST_CASE("broken hellos are malformed with a reason") {
    auto check = [](const Bytes& input, std::string_view reason) {
        auto r = parse_client_hello(input);
        INFO("expected: " << reason << ", got: " << r.error);
        CHECK(r.status == ParseStatus::malformed);
        CHECK(r.error.find(reason) != std::string::npos);
    };
    // A ServerHello (type 2) is not a ClientHello.
    Bytes server_hello = client_hello_vectors::openssl_hello;
    server_hello[5] = 0x02;
    check(server_hello, "not a ClientHello");
    // Record of another type between the records of a split hello.
    Bytes split = split_into_records(client_hello_vectors::curl_hello, 100);
    split[105] = 0x17;
    check(split, "record of type 23");
    check(Bytes{0x16, 0x03, 0x01, 0x00, 0x00}, "empty handshake record");
    check(Bytes{0x16, 0x03, 0x01, 0x40, 0x01}, "record of 16385 bytes");
    check(Bytes{0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x01, 0x00, 0x01}, "at most 65536");
    // Extension list length that disagrees with the hello's length.
    Bytes bad_ext_length = make_hello(sni_extension("a.example"));
    bad_ext_length[5 + 4 + 2 + 32 + 1 + 4 + 2 + 1] += 1;
    check(bad_ext_length, "extensions length");
    Bytes twice = sni_extension("a.example");
    Bytes twice_both = twice;
    twice_both.insert(twice_both.end(), twice.begin(), twice.end());
    check(make_hello(twice_both), "appears twice");
    check(make_hello(sni_extension("bad name")), "not printable");
    check(make_hello(extension(16, {0x00, 0x00})), "empty protocol list");
    check(make_hello(extension(16, {0x00, 0x03, 0x00, 0x01, 0x61})), "empty protocol name");
    check(make_hello(extension(16, {0x00, 0x02, 0x05, 0x68})), "runs past");
    check(make_hello(extension(0, {0x00, 0x04, 0x00, 0x00, 0x09, 0x61})), "runs past");
}

TEST_CASE("the first host_name wins; other name types are skipped") {
    Bytes data = {0x00, 0x0c, 0x07, 0x00, 0x02, 'x', 'y', 0x00, 0x00, 0x04, 'h', 'o', 's', 't'};
    auto r = parse_client_hello(make_hello(extension(0, data)));
    REQUIRE(r.status == ParseStatus::complete);
    CHECK(r.hello.sni == "host");
}
