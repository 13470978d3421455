// The schemaless protobuf decoder and the wire reader under it.
#include "capture/decode/raw_protobuf.hpp"
#include "capture/decode/wire_reader.hpp"
#include "decode_test_support.hpp"

#include <random>

using namespace decode_test;
using decode::decode_raw_protobuf;
using nlohmann::json;

TEST_CASE("raw protobuf: the varint example from the protobuf docs", "[decode][wire]") {
    const auto fields = decode_raw_protobuf(Bytes{0x08, 0x96, 0x01}, 8);
    REQUIRE(fields);
    CHECK(*fields == json::parse(R"([{"field":1,"wire":"varint","value":150,"zigzag":75}])"));
}

TEST_CASE("raw protobuf: every wire type", "[decode][wire]") {
    const Bytes b = concat({
        {0x10, 0x01},                                            // 2: varint 1 (no zigzag guess)
        {0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},  // 3: -1 as int64
        {0x21, 0, 0, 0, 0, 0, 0, 0, 0x40},                      // 4: fixed64 = 2.0 as double
        {0x2d, 0, 0, 0x80, 0x3f},                                // 5: fixed32 = 1.0f as float
        {0x32, 0x02, 'h', 'i'},                                  // 6: string
        {0x3a, 0x03, 0x08, 0x96, 0x01},                          // 7: nested message
        {0x42, 0x03, 0xff, 0x01, 0x05},                          // 8: bytes; also packed varints 255, 5
    });
    const auto fields = decode_raw_protobuf(b, 8);
    REQUIRE(fields);
    REQUIRE(fields->size() == 7);
    const json& f = *fields;
    CHECK(f[0] == json::parse(R"({"field":2,"wire":"varint","value":1})"));
    CHECK(f[1]["value"] == 18446744073709551615u);
    CHECK(f[1]["int64"] == -1);
    CHECK(f[2]["wire"] == "i64");
    CHECK(f[2]["double"] == 2.0);
    CHECK(f[3]["wire"] == "i32");
    CHECK(f[3]["float"] == 1.0);
    CHECK(f[4] == json::parse(R"({"field":6,"wire":"len","string":"hi"})"));
    CHECK(f[5]["message"][0]["value"] == 150);
    CHECK(f[6]["bytes"] == "/wEF");
    CHECK(f[6]["packed_varints"] == json::parse("[255, 5]"));
}

TEST_CASE("raw protobuf: zigzag guess shows sint values", "[decode][wire]") {
    const auto fields = decode_raw_protobuf(Bytes{0x08, 0x03}, 8);  // sint32 -2 is written as 3
    REQUIRE(fields);
    CHECK((*fields)[0]["zigzag"] == -2);
}

TEST_CASE("raw protobuf: printable text stays text even when it would parse as a message", "[decode][wire]") {
    // "hi" is also field 13 varint 105; a person wants to read "hi".
    const auto fields = decode_raw_protobuf(Bytes{0x0a, 0x02, 'h', 'i'}, 8);
    REQUIRE(fields);
    CHECK((*fields)[0]["string"] == "hi");
    CHECK(!(*fields)[0].contains("message"));
}

TEST_CASE("raw protobuf: malformed input is rejected, never crashes", "[decode][wire]") {
    CHECK_FALSE(decode_raw_protobuf(Bytes{0x08}, 8));                 // varint missing
    CHECK_FALSE(decode_raw_protobuf(Bytes{0x08, 0x80}, 8));           // varint cut short
    CHECK_FALSE(decode_raw_protobuf(Bytes{0x00, 0x01}, 8));           // field number 0
    CHECK_FALSE(decode_raw_protobuf(Bytes{0x0b, 0x0c}, 8));           // groups
    CHECK_FALSE(decode_raw_protobuf(Bytes{0x0e, 0x00}, 8));           // wire type 6
    CHECK_FALSE(decode_raw_protobuf(Bytes{0x0a, 0x05, 'a'}, 8));      // length past the end
    CHECK_FALSE(decode_raw_protobuf(Bytes{0x0d, 0x00, 0x00}, 8));     // fixed32 cut short
    Bytes eleven_byte_varint{0x08};
    for (int i = 0; i < 10; ++i) eleven_byte_varint.push_back(0xff);
    eleven_byte_varint.push_back(0x01);
    CHECK_FALSE(decode_raw_protobuf(eleven_byte_varint, 8));
    // An empty message is a valid, empty field list.
    CHECK(*decode_raw_protobuf(Bytes{}, 8) == json::array());
}

TEST_CASE("raw protobuf: nesting beyond the depth limit is shown as bytes", "[decode][wire]") {
    Bytes b{0x08, 0x01};
    for (int i = 0; i < 200; ++i) {  // 200 levels of field 1 { ... }
        Bytes outer{0x0a};
        for (std::size_t n = b.size();; n >>= 7) {  // length as a varint
            outer.push_back(static_cast<std::uint8_t>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0)));
            if (n < 0x80) break;
        }
        outer.insert(outer.end(), b.begin(), b.end());
        b = outer;
    }
    const auto fields = decode_raw_protobuf(b, 5);
    REQUIRE(fields);
    const json* at = &*fields;
    int depth = 0;
    while ((*at)[0].contains("message")) {
        at = &(*at)[0]["message"];
        ++depth;
    }
    CHECK(depth == 5);
    CHECK((*at)[0].contains("bytes"));
}

TEST_CASE("raw protobuf: a real message encoded by protoc", "[decode][wire]") {
    const Bytes b = protoc_encode("aiserver.v1.StreamUnifiedChatWithToolsRequest",
                                  R"(stream_unified_chat_request { conversation { text: "Explain this function" role: ROLE_USER } request_epoch_ms: 1714564800123 })");
    const auto fields = decode_raw_protobuf(b, 16);
    REQUIRE(fields);
    const json& request = (*fields)[0]["message"];
    const json& conversation = request[0]["message"];
    CHECK(conversation[0]["string"] == "Explain this function");
    CHECK(conversation[1]["value"] == 1);
    CHECK(request[1]["field"] == 3);
    CHECK(request[1]["value"] == 1714564800123u);
}

TEST_CASE("raw protobuf: random bytes never crash and always give printable JSON", "[decode][wire]") {
    std::mt19937 rng(20240501);
    std::uniform_int_distribution<int> byte(0, 255), length(0, 64);
    int parsed = 0;
    for (int i = 0; i < 20000; ++i) {
        Bytes b(static_cast<std::size_t>(length(rng)));
        for (auto& x : b) x = static_cast<std::uint8_t>(byte(rng));
        if (const auto fields = decode_raw_protobuf(b, 16)) {
            ++parsed;
            CHECK_NOTHROW(fields->dump());  // throws on invalid UTF-8
        }
    }
    CHECK(parsed > 0);
}

TEST_CASE("wire reader: fixed-width values are little-endian", "[decode][wire]") {
    const Bytes b{0x78, 0x56, 0x34, 0x12, 0x01, 0, 0, 0, 0, 0, 0, 0x80};
    decode::WireReader r(b);
    std::uint32_t u32 = 0;
    std::uint64_t u64 = 0;
    REQUIRE(r.read_fixed32(u32));
    CHECK(u32 == 0x12345678u);
    REQUIRE(r.read_fixed64(u64));
    CHECK(u64 == 0x8000000000000001u);
    CHECK(r.at_end());
    CHECK_FALSE(r.read_fixed32(u32));
}
