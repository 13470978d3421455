// FileDescriptorSet parsing and schema-aware decoding to protobuf's JSON
// mapping, against a set and messages built by protoc from tests/data/decode.
#include "capture/decode/descriptor_pool.hpp"
#include "capture/decode/schema_json.hpp"
#include "decode_test_support.hpp"

#include <fstream>
#include <random>
#include <sstream>

using namespace decode_test;
using nlohmann::json;

namespace {

std::string request_text() {
    std::ifstream in(data_dir() + "/request.txtpb");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

json decode_as(const std::string& type, const Bytes& b) {
    const auto* descriptor = chat_pool().find_message(type);
    REQUIRE(descriptor);
    auto result = decode::decode_with_schema(b, *descriptor, chat_pool(), 64);
    REQUIRE(result);
    return *result;
}

}  // namespace

TEST_CASE("descriptor set: services, methods, messages, fields, enums", "[decode][descriptor]") {
    const auto& pool = chat_pool();
    const auto* method = pool.find_method("/aiserver.v1.ChatService/StreamUnifiedChatWithTools");
    REQUIRE(method);
    CHECK(method->input_type == "aiserver.v1.StreamUnifiedChatWithToolsRequest");
    CHECK(method->output_type == "aiserver.v1.StreamUnifiedChatWithToolsResponse");
    CHECK(method->client_streaming);
    CHECK(method->server_streaming);
    const auto* unary = pool.find_method("/aiserver.v1.ChatService/GetModels?x=1");
    REQUIRE(unary);
    CHECK_FALSE(unary->client_streaming);
    CHECK_FALSE(pool.find_method("/aiserver.v1.ChatService/Nope"));
    CHECK_FALSE(pool.find_method("/aiserver.v1.Nope/GetModels"));
    CHECK_FALSE(pool.find_method("aiserver.v1.ChatService/GetModels"));

    const auto* request = pool.find_message("aiserver.v1.StreamUnifiedChatRequest");
    REQUIRE(request);
    const auto* epoch = request->field(3);
    REQUIRE(epoch);
    CHECK(epoch->name == "request_epoch_ms");
    CHECK(epoch->json_name == "requestEpochMs");
    CHECK(epoch->type == decode::FieldType::int64);
    const auto* lines = request->field(7);
    REQUIRE(lines);
    CHECK(lines->label == decode::FieldLabel::repeated);
    CHECK(lines->packed);  // proto3 default
    const auto* conversation = request->field(1);
    REQUIRE(conversation);
    CHECK(conversation->type_name == "aiserver.v1.ConversationMessage");
    CHECK_FALSE(conversation->packed);

    const auto* entry = pool.find_message("aiserver.v1.StreamUnifiedChatRequest.MetadataEntry");
    REQUIRE(entry);
    CHECK(entry->map_entry);
    const auto* role = pool.find_enum("aiserver.v1.Role");
    REQUIRE(role);
    CHECK(role->names.at(2) == "ROLE_ASSISTANT");
    CHECK(pool.find_message("google.protobuf.Timestamp"));  // --include_imports
}

TEST_CASE("descriptor set: malformed input gives a clear error", "[decode][descriptor]") {
    CHECK_THROWS_WITH(decode::DescriptorPool::parse(Bytes{}), Catch::Contains("holds no files"));
    CHECK_THROWS_AS(decode::DescriptorPool::parse(bytes("this is not a descriptor set")), decode::DescriptorError);
    // A file whose message has a field with type 99.
    const Bytes bad_field{0x0a, 0x0c,                    // file {
                          0x22, 0x0a,                    //   message_type {
                          0x0a, 0x01, 'M',               //     name: "M"
                          0x12, 0x05, 0x0a, 0x01, 'f',   //     field { name: "f"
                          0x28, 0x63};                   //             type: 99 } } }
    CHECK_THROWS_WITH(decode::DescriptorPool::parse(bad_field), Catch::Contains("unknown type 99"));
    Bytes cut = chat_descriptor_set();
    cut.resize(cut.size() / 2);
    CHECK_THROWS_AS(decode::DescriptorPool::parse(cut), decode::DescriptorError);
}

TEST_CASE("descriptor set: random bytes never crash the parser", "[decode][descriptor]") {
    std::mt19937 rng(7);
    Bytes set = chat_descriptor_set();
    for (int i = 0; i < 2000; ++i) {
        Bytes b = set;
        for (int k = 0; k < 4; ++k) b[rng() % b.size()] = static_cast<std::uint8_t>(rng());
        try {
            (void)decode::DescriptorPool::parse(b);
        } catch (const decode::DescriptorError&) {
        }
    }
    SUCCEED("no crash");
}

TEST_CASE("schema decoding: protobuf JSON mapping, field by field", "[decode][schema]") {
    const json j = decode_as("aiserver.v1.StreamUnifiedChatWithToolsRequest",
                             protoc_encode("aiserver.v1.StreamUnifiedChatWithToolsRequest", request_text()));
    INFO(j.dump(2));
    REQUIRE(j.contains("streamUnifiedChatRequest"));
    const json& r = j["streamUnifiedChatRequest"];
    CHECK(r["conversation"].size() == 2);
    CHECK(r["conversation"][0] == json::parse(R"({"text":"Explain this function","role":"ROLE_USER","bubbleId":"b-1",
                                                  "attachedFiles":["src/main.cpp","README.md"]})"));
    CHECK(r["conversation"][1]["role"] == "ROLE_ASSISTANT");
    CHECK(r["modelDetails"] == json::parse(R"({"modelName":"claude-3.5-sonnet","enableSlowPool":true,
                                               "temperature":0.25,"topP":0.5})"));
    CHECK(r["requestEpochMs"] == "1714564800123");       // int64 as a string
    CHECK(r["tokenBudget"] == "18446744073709551615");   // uint64 as a string
    CHECK(r["cursorDelta"] == -42);                      // sint32 zigzag
    CHECK(r["checksum"] == "AAH+/w==");                  // bytes as base64
    CHECK(r["contextLineNumbers"] == json::parse("[3,1,4,1,5]"));  // packed
    CHECK(r["metadata"] == json::parse(R"({"workspace":"cursor-proxy"})"));  // map
    CHECK(r["sentAt"] == "2024-05-01T12:00:00.500Z");    // Timestamp
    CHECK(r["timeout"] == "1.500s");                     // Duration
    CHECK(r["maxTokens"] == "4096");                     // Int64Value
    CHECK(r["extra"] == json::parse(R"({"flag":true,"n":2.5})"));  // Struct
    CHECK(r["traceId"] == "12345678901234567890");       // fixed64
    CHECK(r["offset"] == -7);                            // sfixed32
    CHECK(r["agentMode"] == "agent");                    // oneof member
    CHECK(r["byLine"] == json::parse(R"({"10":{"text":"line ten"}})"));  // map<int32, message>
    CHECK_FALSE(r.contains("_unknown"));
}

TEST_CASE("schema decoding: unknown fields and wrong wire types are kept under _unknown", "[decode][schema]") {
    // text (1) as a string, then field 99 varint 7, then is_final (3) written as a string.
    const Bytes b{0x0a, 0x02, 'o', 'k', 0x98, 0x06, 0x07, 0x1a, 0x01, 'x'};
    const json j = decode_as("aiserver.v1.StreamUnifiedChatResponse", b);
    CHECK(j["text"] == "ok");
    CHECK_FALSE(j.contains("isFinal"));
    REQUIRE(j["_unknown"].size() == 2);
    CHECK(j["_unknown"][0] == json::parse(R"({"field":99,"wire":"varint","value":7,"zigzag":-4})"));
    CHECK(j["_unknown"][1]["field"] == 3);
    CHECK(j["_unknown"][1]["string"] == "x");
}

TEST_CASE("schema decoding: unpacked repeated numbers, enum numbers without a name, invalid UTF-8", "[decode][schema]") {
    // context_line_numbers (7) written unpacked twice; role (2) = 9 in a conversation message.
    const Bytes request{0x38, 0x01, 0x38, 0x02, 0x0a, 0x02, 0x10, 0x09};
    const json j = decode_as("aiserver.v1.StreamUnifiedChatRequest", request);
    CHECK(j["contextLineNumbers"] == json::parse("[1,2]"));
    CHECK(j["conversation"][0]["role"] == 9);
    // A string field holding invalid UTF-8 cannot be a JSON string: kept as bytes.
    const json k = decode_as("aiserver.v1.StreamUnifiedChatResponse", Bytes{0x0a, 0x02, 0xff, 0xfe});
    CHECK_FALSE(k.contains("text"));
    CHECK(k["_unknown"][0]["bytes"] == "//4=");
    CHECK_NOTHROW(k.dump());
}

TEST_CASE("schema decoding: malformed bytes are rejected", "[decode][schema]") {
    const auto* type = chat_pool().find_message("aiserver.v1.StreamUnifiedChatResponse");
    REQUIRE(type);
    CHECK_FALSE(decode::decode_with_schema(Bytes{0x0a, 0x09, 'a'}, *type, chat_pool(), 64));
    CHECK_FALSE(decode::decode_with_schema(Bytes{0x00}, *type, chat_pool(), 64));
}

TEST_CASE("lower camel case json names", "[decode][descriptor]") {
    CHECK(decode::lower_camel_case("stream_unified_chat_request") == "streamUnifiedChatRequest");
    CHECK(decode::lower_camel_case("text") == "text");
    CHECK(decode::lower_camel_case("a_b_c") == "aBC");
}
