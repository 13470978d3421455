// Connect's GET form of a unary call: the request message in the query string.
#include "capture/decode/base64.hpp"
#include "capture/decode/connect_get.hpp"
#include "decode_test_support.hpp"

using namespace decode_test;
using nlohmann::json;

namespace {

constexpr std::string_view kPath = "/aiserver.v1.ChatService/StreamUnifiedChatWithTools";

std::string base64url(const Bytes& b) {
    std::string text = decode::base64_encode(b);
    for (char& c : text) c = c == '+' ? '-' : c == '/' ? '_' : c;
    while (!text.empty() && text.back() == '=') text.pop_back();
    return text;
}

Bytes request() {
    return protoc_encode("aiserver.v1.StreamUnifiedChatWithToolsRequest",
                         R"(stream_unified_chat_request { conversation { text: "hi there" } })");
}

}  // namespace

TEST_CASE("a Connect GET request's message is decoded from the query, by name with a schema") {
    const std::string target = std::string(kPath) + "?connect=v1&encoding=proto&base64=1&message=" + base64url(request());
    const auto named = decode::decode_connect_get("GET", target, &chat_pool(), {});
    REQUIRE(named);
    CHECK(named->format == "connect-get+proto");
    CHECK(named->message.kind == "message");
    CHECK(named->message.form == "protobuf");
    CHECK(named->message.type_name == "aiserver.v1.StreamUnifiedChatWithToolsRequest");
    CHECK(named->message.decoded["streamUnifiedChatRequest"]["conversation"][0]["text"] == "hi there");
    CHECK(named->message.wire_size == request().size());
    CHECK(named->message.error.empty());

    const auto plain = decode::decode_connect_get("GET", target, nullptr, {});
    REQUIRE(plain);
    CHECK(plain->message.form == "protobuf-raw");
}

TEST_CASE("a Connect GET message may be gzip-compressed, or JSON in clear") {
    const std::string gz = std::string(kPath) + "?encoding=proto&base64=1&compression=gzip&connect=v1&message=" +
                           base64url(gzip(request()));
    const auto compressed = decode::decode_connect_get("GET", gz, &chat_pool(), {});
    REQUIRE(compressed);
    CHECK(compressed->message.compressed);
    CHECK(compressed->message.decoded["streamUnifiedChatRequest"]["conversation"][0]["text"] == "hi there");

    const std::string js = std::string(kPath) + "?connect=v1&encoding=json&message=%7B%22a%22%3A%201%7D";
    const auto clear = decode::decode_connect_get("GET", js, nullptr, {});
    REQUIRE(clear);
    CHECK(clear->format == "connect-get+json");
    CHECK(clear->message.form == "json");
    CHECK(clear->message.decoded == json{{"a", 1}});
}

TEST_CASE("other requests are not Connect GETs; a bad message is an error, not a crash") {
    CHECK_FALSE(decode::decode_connect_get("POST", std::string(kPath) + "?encoding=proto&message=AA", nullptr, {}));
    CHECK_FALSE(decode::decode_connect_get("GET", kPath, nullptr, {}));
    CHECK_FALSE(decode::decode_connect_get("GET", "/search?q=x&encoding=proto", nullptr, {}));
    // A REST path, or an encoding Connect does not have: not Connect.
    CHECK_FALSE(decode::decode_connect_get("GET", "/search?encoding=proto&message=CgA", nullptr, {}));
    CHECK_FALSE(decode::decode_connect_get("GET", std::string(kPath) + "?encoding=utf8&message=hello", nullptr, {}));
    const auto bad = decode::decode_connect_get("GET", std::string(kPath) + "?encoding=proto&message=%%", nullptr, {});
    CHECK_FALSE(bad);  // a broken escape: the parameter is not there at all
    const auto not_base64 = decode::decode_connect_get("GET", std::string(kPath) + "?encoding=proto&message=*!", nullptr, {});
    REQUIRE(not_base64);
    CHECK(not_base64->message.error == "the message parameter is not base64url");
    decode::Limits small;
    small.max_message_bytes = 4;
    const auto big = decode::decode_connect_get(
        "GET", std::string(kPath) + "?encoding=proto&message=" + base64url(request()), nullptr, small);
    REQUIRE(big);
    CHECK(big->message.truncated);
}
