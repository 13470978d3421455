// Body decoders by content type, from hand-built frames, fed whole and split
// at every possible point.
#include "capture/decode/base64.hpp"
#include "decode_test_support.hpp"

#include <random>

using namespace decode_test;
using nlohmann::json;

namespace {

const std::string chat_path = "/aiserver.v1.ChatService/StreamUnifiedChatWithTools";

observer::Headers request_headers(const std::string& content_type, observer::Headers extra = {}) {
    observer::Headers h{{":method", "POST"}, {":path", chat_path}, {"content-type", content_type}};
    h.insert(h.end(), extra.begin(), extra.end());
    return h;
}

Bytes chat_request(const std::string& text) {
    return protoc_encode("aiserver.v1.StreamUnifiedChatWithToolsRequest",
                         "stream_unified_chat_request { conversation { text: \"" + text + "\" role: ROLE_USER } }");
}

// Decodes whole, then split once at every offset, then in random pieces:
// every way must give the same messages.
std::vector<decode::DecodedMessage> decode_every_split(const Options& o, const Bytes& body,
                                                       const observer::Headers* trailers = nullptr) {
    const auto whole = decode_whole(o, body, trailers);
    const std::string expected = summary(whole);
    for (std::size_t split = 0; split <= body.size(); ++split) {
        INFO("split at " << split);
        REQUIRE(summary(decode_split(o, body, {split}, trailers)) == expected);
    }
    std::mt19937 rng(static_cast<unsigned>(body.size()));
    for (int round = 0; round < 50; ++round) {
        std::vector<std::size_t> splits;
        for (std::size_t at = 0; at < body.size(); splits.push_back(at)) at += 1 + rng() % 7;
        splits.back() = body.size();
        REQUIRE(summary(decode_split(o, body, splits, trailers)) == expected);
    }
    return whole;
}

}  // namespace

TEST_CASE("connect streaming: messages, a gzip one, end-of-stream JSON, with a schema", "[decode][body]") {
    const Bytes first = chat_request("hello"), second = chat_request("compressed one");
    const Bytes body = concat({envelope(0, first), envelope(1, gzip(second)),
                               envelope(2, bytes(R"({"metadata":{"x-trace":["1"]}})"))});
    Options o{request_headers("application/connect+proto", {{"connect-content-encoding", "gzip"}}),
              observer::Direction::request, &chat_pool()};
    REQUIRE(make(o)->format() == "connect+proto");
    const auto ms = decode_every_split(o, body);
    REQUIRE(ms.size() == 3);
    CHECK(ms[0].index == 0);
    CHECK(ms[0].kind == "message");
    CHECK(ms[0].form == "protobuf");
    CHECK(ms[0].type_name == "aiserver.v1.StreamUnifiedChatWithToolsRequest");
    CHECK(ms[0].decoded["streamUnifiedChatRequest"]["conversation"][0]["text"] == "hello");
    CHECK_FALSE(ms[0].compressed);
    CHECK(ms[0].wire_size == first.size());
    CHECK(ms[0].error.empty());
    CHECK(ms[1].compressed);
    CHECK(ms[1].decoded_size == second.size());
    CHECK(ms[1].wire_size == gzip(second).size());
    CHECK(ms[1].decoded["streamUnifiedChatRequest"]["conversation"][0]["text"] == "compressed one");
    CHECK(ms[2].kind == "end_of_stream");
    CHECK(ms[2].form == "json");
    CHECK(ms[2].decoded["metadata"]["x-trace"][0] == "1");
}

TEST_CASE("connect streaming: the response uses the method's output type", "[decode][body]") {
    const Bytes answer = protoc_encode("aiserver.v1.StreamUnifiedChatWithToolsResponse",
                                       R"(stream_unified_chat_response { text: "Hi!" is_final: true })");
    const Bytes body = concat({envelope(0, answer), envelope(2, bytes(R"({"error":{"code":"unavailable","message":"try later"}})"))});
    const observer::Headers response{{":status", "200"}, {"content-type", "application/connect+proto"}};
    auto d = decode::make_body_decoder({.headers = response, .direction = observer::Direction::response,
                                        .rpc_path = chat_path, .pool = &chat_pool()});
    auto ms = d->feed(body);
    REQUIRE(ms.size() == 2);
    CHECK(ms[0].type_name == "aiserver.v1.StreamUnifiedChatWithToolsResponse");
    CHECK(ms[0].decoded == json::parse(R"({"streamUnifiedChatResponse":{"text":"Hi!","isFinal":true}})"));
    CHECK(ms[1].decoded["error"]["code"] == "unavailable");
    CHECK(d->finish(nullptr).empty());
}

TEST_CASE("connect streaming: without a schema the fields come schemaless", "[decode][body]") {
    const Options o{request_headers("application/connect+proto")};
    const auto ms = decode_whole(o, envelope(0, chat_request("no schema")));
    REQUIRE(ms.size() == 1);
    CHECK(ms[0].form == "protobuf-raw");
    CHECK(ms[0].type_name.empty());
    CHECK(ms[0].decoded[0]["message"][0]["message"][0]["string"] == "no schema");
}

TEST_CASE("connect streaming +json", "[decode][body]") {
    const Options o{request_headers("application/connect+json; charset=utf-8")};
    const Bytes body = concat({envelope(0, bytes(R"({"a":1})")), envelope(0, bytes(R"({"b":[true]})")),
                               envelope(2, bytes("{}"))});
    REQUIRE(make(o)->format() == "connect+json");
    const auto ms = decode_every_split(o, body);
    REQUIRE(ms.size() == 3);
    CHECK(ms[0].decoded == json::parse(R"({"a":1})"));
    CHECK(ms[1].decoded == json::parse(R"({"b":[true]})"));
    CHECK(ms[2].kind == "end_of_stream");
}

TEST_CASE("gRPC: length-prefixed messages, grpc-encoding gzip, trailers at finish", "[decode][body]") {
    const Bytes a = chat_request("grpc one"), b = chat_request("grpc two");
    const Bytes body = concat({envelope(0, a), envelope(1, gzip(b)), envelope(0, {})});
    const observer::Headers trailers{{"grpc-status", "0"}, {"grpc-message", ""}};
    for (const std::string type : {"application/grpc", "application/grpc+proto"}) {
        Options o{request_headers(type, {{"grpc-encoding", "gzip"}}), observer::Direction::request, &chat_pool()};
        REQUIRE(make(o)->format() == "grpc+proto");
        const auto ms = decode_every_split(o, body, &trailers);
        REQUIRE(ms.size() == 4);
        CHECK(ms[0].decoded["streamUnifiedChatRequest"]["conversation"][0]["text"] == "grpc one");
        CHECK(ms[1].compressed);
        CHECK(ms[1].decoded["streamUnifiedChatRequest"]["conversation"][0]["text"] == "grpc two");
        CHECK(ms[2].wire_size == 0);  // an empty message is a message
        CHECK(ms[2].decoded == json::object());
        CHECK(ms[3].kind == "trailers");
        CHECK(ms[3].index == 3);
        CHECK(ms[3].decoded == json::parse(R"({"grpc-status":"0","grpc-message":""})"));
    }
}

TEST_CASE("gRPC-web: messages and a trailer frame", "[decode][body]") {
    const Bytes a = chat_request("web");
    const Bytes body = concat({envelope(0, a), envelope(0x80, bytes("grpc-status:0\r\ngrpc-message:OK\r\n"))});
    for (const std::string type : {"application/grpc-web", "application/grpc-web+proto"}) {
        Options o{request_headers(type), observer::Direction::request, &chat_pool()};
        REQUIRE(make(o)->format() == "grpc-web+proto");
        const auto ms = decode_every_split(o, body);
        REQUIRE(ms.size() == 2);
        CHECK(ms[0].decoded["streamUnifiedChatRequest"]["conversation"][0]["text"] == "web");
        CHECK(ms[1].kind == "trailers");
        CHECK(ms[1].form == "headers");
        CHECK(ms[1].decoded == json::parse(R"({"grpc-status":"0","grpc-message":"OK"})"));
    }
}

TEST_CASE("gRPC-web-text: base64 body, separately padded chunks", "[decode][body]") {
    const Bytes a = chat_request("text mode");
    // Each frame base64-encoded on its own, as servers that flush per message do.
    const std::string text = decode::base64_encode(envelope(0, a)) +
                             decode::base64_encode(envelope(0x80, bytes("grpc-status: 0\r\n")));
    Options o{request_headers("application/grpc-web-text"), observer::Direction::request, &chat_pool()};
    REQUIRE(make(o)->format() == "grpc-web-text+proto");
    const auto ms = decode_every_split(o, bytes(text));
    REQUIRE(ms.size() == 2);
    CHECK(ms[0].decoded["streamUnifiedChatRequest"]["conversation"][0]["text"] == "text mode");
    CHECK(ms[1].decoded["grpc-status"] == "0");

    const auto bad = decode_whole(o, bytes("AAAA!!!!"));
    REQUIRE(bad.size() == 1);
    CHECK_THAT(bad[0].error, Catch::Contains("not valid base64"));
}

TEST_CASE("Connect unary: application/proto, gzip content-encoding, request and response types", "[decode][body]") {
    const Bytes response = protoc_encode("aiserver.v1.GetModelsResponse", R"(model_names: "gpt-4o" model_names: "claude")");
    const observer::Headers headers{{":status", "200"}, {"content-type", "application/proto"}, {"content-encoding", "gzip"}};
    auto d = decode::make_body_decoder({.headers = headers, .direction = observer::Direction::response,
                                        .rpc_path = "/aiserver.v1.ChatService/GetModels", .pool = &chat_pool()});
    REQUIRE(d->format() == "unary+proto");
    const Bytes body = gzip(response);
    for (std::size_t i = 0; i < body.size(); i += 3) CHECK(d->feed(std::span(body).subspan(i, std::min<std::size_t>(3, body.size() - i))).empty());
    const auto ms = d->finish(nullptr);
    REQUIRE(ms.size() == 1);
    CHECK(ms[0].kind == "message");
    CHECK(ms[0].compressed);
    CHECK(ms[0].wire_size == body.size());
    CHECK(ms[0].decoded_size == response.size());
    CHECK(ms[0].type_name == "aiserver.v1.GetModelsResponse");
    CHECK(ms[0].decoded == json::parse(R"({"modelNames":["gpt-4o","claude"]})"));

    // An empty unary request is an empty message of the input type.
    Options empty{{{":method", "POST"}, {":path", "/aiserver.v1.ChatService/GetModels"}, {"content-type", "application/proto"}},
                  observer::Direction::request, &chat_pool()};
    const auto e = decode_whole(empty, {});
    REQUIRE(e.size() == 1);
    CHECK(e[0].type_name == "aiserver.v1.GetModelsRequest");
    CHECK(e[0].decoded == json::object());
}

TEST_CASE("Connect unary: application/json on an RPC path; error bodies", "[decode][body]") {
    const Options o{{{":status", "404"}, {":path", "/aiserver.v1.ChatService/GetModels"}, {"content-type", "application/json"}},
                    observer::Direction::response};
    REQUIRE(make(o)->format() == "unary+json");
    const auto ms = decode_every_split(o, bytes(R"({"code":"not_found","message":"no such model"})"));
    REQUIRE(ms.size() == 1);
    CHECK(ms[0].kind == "message");
    CHECK(ms[0].decoded["code"] == "not_found");
}

TEST_CASE("plain bodies: JSON, text, binary, empty", "[decode][body]") {
    const Options json_body{{{":path", "/api/status"}, {"content-type", "application/json"}}};
    REQUIRE(make(json_body)->format() == "plain");
    auto ms = decode_whole(json_body, bytes(R"([1,2,3])"));
    REQUIRE(ms.size() == 1);
    CHECK(ms[0].kind == "body");
    CHECK(ms[0].form == "json");
    CHECK(ms[0].decoded == json::parse("[1,2,3]"));

    ms = decode_whole(json_body, bytes("{broken"));
    REQUIRE(ms.size() == 1);
    CHECK(ms[0].form == "text");
    CHECK_THAT(ms[0].error, Catch::Contains("does not parse as JSON"));

    ms = decode_whole({{{"content-type", "text/html"}}}, bytes("<p>hi</p>\n"));
    CHECK(ms.at(0).form == "text");
    CHECK(ms.at(0).decoded == "<p>hi</p>\n");

    Bytes png{0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
    ms = decode_whole({{{"content-type", "image/png"}}}, png);
    CHECK(ms.at(0).form == "binary");
    CHECK(ms.at(0).decoded == json::parse(R"({"size":8,"first_bytes":"iVBORw0KGgo="})"));

    ms = decode_whole({{{"content-type", "text/plain"}, {"content-encoding", "gzip"}}}, gzip(bytes("zipped text")));
    CHECK(ms.at(0).decoded == "zipped text");
    CHECK(ms.at(0).compressed);

    CHECK(decode_whole({{{":method", "GET"}}}, {}).empty());
}

TEST_CASE("limits: an oversized message is truncated and the stream stays in sync", "[decode][body]") {
    decode::Limits limits;
    limits.max_message_bytes = 100;
    limits.raw_prefix_bytes = 10;
    Bytes big(500);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i);
    const Bytes body = concat({envelope(0, big), envelope(0, bytes(R"({"after":true})"))});
    Options o{request_headers("application/connect+json"), observer::Direction::request, nullptr, limits};
    const auto ms = decode_every_split(o, body);
    REQUIRE(ms.size() == 2);
    CHECK(ms[0].truncated);
    CHECK(ms[0].wire_size == 500);
    CHECK(ms[0].raw == Bytes(big.begin(), big.begin() + 10));
    CHECK(ms[0].decoded.is_null());
    CHECK_THAT(ms[0].error, Catch::Contains("exceeds the limit of 100 bytes"));
    CHECK(ms[1].decoded["after"] == true);

    Options unary{{{":method", "POST"}, {":path", chat_path}, {"content-type", "application/proto"}},
                  observer::Direction::request, nullptr, limits};
    const auto u = decode_every_split(unary, big);
    REQUIRE(u.size() == 1);
    CHECK(u[0].truncated);
    CHECK(u[0].wire_size == 500);
    CHECK(u[0].raw == Bytes(big.begin(), big.begin() + 10));
}

TEST_CASE("limits: a gzip bomb is cut at the decompressed cap", "[decode][body]") {
    decode::Limits limits;
    limits.max_decompressed_bytes = 64 * 1024;
    const Bytes bomb = gzip(Bytes(8 * 1024 * 1024, 'a'));
    Options o{request_headers("application/grpc", {{"grpc-encoding", "gzip"}}), observer::Direction::request, nullptr, limits};
    const auto ms = decode_whole(o, envelope(1, bomb));
    REQUIRE(ms.size() == 1);
    CHECK(ms[0].truncated);
    CHECK(ms[0].decoded_size == 64 * 1024);
    CHECK_THAT(ms[0].error, Catch::Contains("decompressed size exceeds"));
}

TEST_CASE("errors: cut-off bodies, unknown flags, compression problems", "[decode][body]") {
    const Options o{request_headers("application/connect+proto")};
    auto ms = decode_whole(o, Bytes{0, 0, 0, 0, 9, 0x08, 0x01});  // promised 9 bytes, sent 2
    REQUIRE(ms.size() == 1);
    CHECK(ms[0].truncated);
    CHECK(ms[0].wire_size == 2);
    CHECK(ms[0].error == "body ended 2 bytes into a 9-byte message");

    ms = decode_whole(o, Bytes{0, 0, 0});
    REQUIRE(ms.size() == 1);
    CHECK(ms[0].error == "body ended 3 bytes into a 5-byte message prefix");

    ms = decode_whole(o, envelope(0x40, Bytes{0x08, 0x01}));
    REQUIRE(ms.size() == 1);
    CHECK(ms[0].error == "unknown envelope flags 0x40");

    ms = decode_whole(o, envelope(1, Bytes{0x08, 0x01}));  // compressed, but no encoding declared
    REQUIRE(ms.size() == 1);
    CHECK_THAT(ms[0].error, Catch::Contains("no compression was declared"));

    const Options br{request_headers("application/connect+proto", {{"connect-content-encoding", "br"}})};
    ms = decode_whole(br, envelope(1, Bytes{0x08, 0x01}));
    CHECK_THAT(ms.at(0).error, Catch::Contains("\"br\" is not supported"));

    const Options gz{request_headers("application/connect+proto", {{"connect-content-encoding", "gzip"}})};
    ms = decode_whole(gz, envelope(1, bytes("not gzip at all")));
    CHECK_THAT(ms.at(0).error, Catch::Contains("invalid gzip data"));
    CHECK(ms.at(0).raw == bytes("not gzip at all"));

    ms = decode_whole(o, envelope(0, Bytes{0xff, 0xff, 0xff}));
    CHECK(ms.at(0).error == "payload is not a valid protobuf message");
    CHECK(ms.at(0).raw == Bytes{0xff, 0xff, 0xff});

    const Options with_schema{request_headers("application/connect+proto"), observer::Direction::request, &chat_pool()};
    // Field 1 (a message) holding a cut varint: the schema cannot place it, so
    // it is kept under _unknown, as bytes.
    ms = decode_whole(with_schema, envelope(0, Bytes{0x0a, 0x01, 0x80}));
    CHECK(ms.at(0).form == "protobuf");
    CHECK(ms.at(0).decoded == json::parse(R"({"_unknown":[{"field":1,"wire":"len","bytes":"gA=="}]})"));
    CHECK(ms.at(0).error.empty());
}

TEST_CASE("keep_raw keeps every payload after decompression", "[decode][body]") {
    decode::Limits limits;
    limits.keep_raw = true;
    const Bytes m = chat_request("raw");
    Options o{request_headers("application/grpc", {{"grpc-encoding", "gzip"}}), observer::Direction::request, nullptr, limits};
    const auto ms = decode_whole(o, envelope(1, gzip(m)));
    CHECK(ms.at(0).raw == m);
}

TEST_CASE("garbage fed to every decoder in random chunks never crashes", "[decode][body]") {
    std::mt19937 rng(42);
    const char* types[] = {"application/connect+proto", "application/connect+json", "application/grpc",
                           "application/grpc-web", "application/grpc-web-text", "application/proto",
                           "application/json", "text/plain", "application/octet-stream"};
    decode::Limits limits;
    limits.max_message_bytes = 256;
    for (int round = 0; round < 300; ++round) {
        for (const char* type : types) {
            Options o{request_headers(type, {{"grpc-encoding", "gzip"}, {"connect-content-encoding", "gzip"},
                                             {"content-encoding", round % 2 ? "gzip" : "identity"}}),
                      observer::Direction::request, &chat_pool(), limits};
            Bytes body(rng() % 600);
            for (auto& b : body) b = static_cast<std::uint8_t>(rng() % 4 ? rng() % 8 : rng());  // small values: plausible prefixes
            std::vector<std::size_t> splits;
            for (std::size_t at = 0; at < body.size(); splits.push_back(at)) at += 1 + rng() % 50;
            if (!splits.empty()) splits.back() = body.size();
            const auto ms = decode_split(o, body, splits);
            for (std::size_t i = 0; i < ms.size(); ++i) {
                CHECK(ms[i].index == i);
                CHECK_NOTHROW(ms[i].decoded.dump());
            }
        }
    }
}
