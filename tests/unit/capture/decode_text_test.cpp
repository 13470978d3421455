// base64, UTF-8 checks, gzip with its output cap, header blocks.
#include "capture/decode/base64.hpp"
#include "capture/decode/gzip.hpp"
#include "capture/decode/headers_json.hpp"
#include "capture/decode/utf8.hpp"
#include "decode_test_support.hpp"

using namespace decode_test;

TEST_CASE("base64: RFC 4648 test vectors", "[decode][text]") {
    const std::pair<const char*, const char*> vectors[] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, encoded] : vectors) {
        CHECK(decode::base64_encode(bytes(plain)) == encoded);
        decode::Base64StreamDecoder d;
        Bytes out;
        REQUIRE(d.feed(bytes(encoded), out));
        CHECK(out == bytes(plain));
        CHECK(d.complete());
    }
}

TEST_CASE("base64 stream: separately padded chunks, fed a byte at a time", "[decode][text]") {
    decode::Base64StreamDecoder d;
    Bytes out;
    for (const char c : std::string("Zm8=Zg==\r\nYmFy"))
        REQUIRE(d.feed(Bytes{static_cast<std::uint8_t>(c)}, out));
    CHECK(out == bytes("fofbar"));
    CHECK(d.complete());
}

TEST_CASE("base64 stream: bad characters and misplaced padding fail", "[decode][text]") {
    Bytes out;
    CHECK_FALSE(decode::Base64StreamDecoder().feed(bytes("Zm9v!"), out));
    CHECK_FALSE(decode::Base64StreamDecoder().feed(bytes("Z==="), out));
    CHECK_FALSE(decode::Base64StreamDecoder().feed(bytes("Zm=v"), out));
    decode::Base64StreamDecoder partial;
    REQUIRE(partial.feed(bytes("Zm9"), out));
    CHECK_FALSE(partial.complete());
}

TEST_CASE("base64_decode: one whole value, padded or not, standard or URL-safe", "[decode][text]") {
    CHECK(decode::base64_decode("Zm9vYg==") == bytes("foob"));
    CHECK(decode::base64_decode("Zm9vYg") == bytes("foob"));
    CHECK(decode::base64_decode("-_8") == (Bytes{0xfb, 0xff}));
    CHECK(decode::base64_decode("") == Bytes{});
    CHECK_FALSE(decode::base64_decode("AA==AA=="));  // padding inside the value
    CHECK_FALSE(decode::base64_decode("Zm9v Yg"));   // whitespace
    CHECK_FALSE(decode::base64_decode("Zm9vY"));     // one sextet left over
    CHECK_FALSE(decode::base64_decode("Zg="));       // padded, but not to a group of four
    CHECK_FALSE(decode::base64_decode("Zg==="));
}

TEST_CASE("utf8: valid, invalid and printable", "[decode][text]") {
    CHECK(decode::is_valid_utf8(bytes("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80")));
    CHECK_FALSE(decode::is_valid_utf8(Bytes{0xc0, 0xaf}));              // overlong
    CHECK_FALSE(decode::is_valid_utf8(Bytes{0xed, 0xa0, 0x80}));        // surrogate
    CHECK_FALSE(decode::is_valid_utf8(Bytes{0xf4, 0x90, 0x80, 0x80}));  // above U+10FFFF
    CHECK_FALSE(decode::is_valid_utf8(Bytes{0xe2, 0x82}));              // cut short
    CHECK(decode::is_printable_utf8(bytes("line\r\n\ttab")));
    CHECK_FALSE(decode::is_printable_utf8(Bytes{'a', 0x01}));
    CHECK(decode::is_valid_utf8(Bytes{'a', 0x01}));
}

TEST_CASE("gunzip: round trip, concatenated members, errors", "[decode][text]") {
    const Bytes plain = bytes(std::string(5000, 'x') + "end");
    auto result = decode::gunzip(gzip(plain), 1 << 20);
    CHECK(result.error.empty());
    CHECK_FALSE(result.capped);
    CHECK(result.bytes == plain);

    result = decode::gunzip(concat({gzip(bytes("one ")), gzip(bytes("two"))}), 1 << 20);
    CHECK(result.error.empty());
    CHECK(result.bytes == bytes("one two"));

    Bytes cut = gzip(plain);
    cut.resize(cut.size() - 6);
    result = decode::gunzip(cut, 1 << 20);
    CHECK_THAT(result.error, Catch::Contains("truncated"));

    result = decode::gunzip(bytes("definitely not gzip"), 1 << 20);
    CHECK_THAT(result.error, Catch::Contains("invalid gzip data"));

    result = decode::gunzip(concat({gzip(plain), bytes("junk")}), 1 << 20);
    CHECK_FALSE(result.error.empty());
}

TEST_CASE("gunzip: a bomb stops at the cap", "[decode][text]") {
    const Bytes bomb = gzip(Bytes(50 * 1024 * 1024, 0));  // 50 MiB of zeros, about 50 KiB compressed
    REQUIRE(bomb.size() < 100 * 1024);
    const auto result = decode::gunzip(bomb, 1024 * 1024);
    CHECK(result.capped);
    CHECK(result.bytes.size() == 1024 * 1024);
}

TEST_CASE("header block: gRPC-web trailer text", "[decode][text]") {
    const auto headers = decode::parse_header_block(bytes("grpc-status: 0\r\nGrpc-Message: all good \r\nx-a: 1\r\nx-a: 2\r\n"));
    REQUIRE(headers);
    const auto json = decode::headers_to_json(*headers);
    CHECK(json == nlohmann::json::parse(R"({"grpc-status":"0","grpc-message":"all good","x-a":["1","2"]})"));
    CHECK_FALSE(decode::parse_header_block(bytes("no colon here\r\n")));
    CHECK_FALSE(decode::parse_header_block(Bytes{'a', ':', 0xff}));
}
