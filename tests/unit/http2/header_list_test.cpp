#include "http2/header_list.hpp"

#include <catch2/catch.hpp>

#include <string_view>

using namespace cursor_proxy;
using http2::NvArray;

namespace {

std::string_view name_of(const nghttp2_nv& nv) { return {reinterpret_cast<const char*>(nv.name), nv.namelen}; }
std::string_view value_of(const nghttp2_nv& nv) { return {reinterpret_cast<const char*>(nv.value), nv.valuelen}; }

}  // namespace

TEST_CASE("NvArray views every field in order, pseudo-headers and empty values included") {
    const observer::Headers headers{{":status", "200"}, {"grpc-status", "0"}, {"x-empty", ""}, {"x-bin-bin", std::string("\0\1", 2)}};
    const NvArray nva(headers);
    REQUIRE(nva.size() == 4);
    CHECK(name_of(nva.data()[0]) == ":status");
    CHECK(value_of(nva.data()[0]) == "200");
    CHECK(value_of(nva.data()[2]).empty());
    CHECK(value_of(nva.data()[3]) == std::string_view("\0\1", 2));
    CHECK(nva.data()[1].flags == NGHTTP2_NV_FLAG_NONE);
}

TEST_CASE("credentials are never added to the HPACK dynamic table") {
    const observer::Headers headers{{"authorization", "Bearer x"}, {"cookie", "a=b"}, {"x-cursor-checksum", "c"}};
    const NvArray nva(headers);
    CHECK(nva.data()[0].flags == NGHTTP2_NV_FLAG_NO_INDEX);
    CHECK(nva.data()[1].flags == NGHTTP2_NV_FLAG_NO_INDEX);
    CHECK(nva.data()[2].flags == NGHTTP2_NV_FLAG_NONE);
}

TEST_CASE("status_code reads :status and rejects what is not a number") {
    CHECK(http2::status_code({{":status", "204"}}) == 204);
    CHECK(http2::status_code({{"x", "1"}, {":status", "103"}}) == 103);
    CHECK_FALSE(http2::status_code({{"content-type", "text/plain"}}).has_value());
    CHECK_FALSE(http2::status_code({{":status", "2x0"}}).has_value());
    CHECK_FALSE(http2::status_code({{":status", ""}}).has_value());
}

TEST_CASE("field_cost counts name, value and the 32 bytes RFC 9113 adds") {
    CHECK(http2::field_cost("ab", "cde") == 37);
    CHECK(http2::field_cost("", "") == 32);
}
