// Error details: grpc-status-details-bin and Connect error "details".
#include "capture/decode/base64.hpp"
#include "capture/decode/error_details.hpp"
#include "decode_test_support.hpp"

using namespace decode_test;
using nlohmann::json;

namespace {

Bytes len_field(std::uint8_t field, const Bytes& value) {
    Bytes out{static_cast<std::uint8_t>(field << 3 | 2), static_cast<std::uint8_t>(value.size())};
    out.insert(out.end(), value.begin(), value.end());
    return out;
}

// google.protobuf.Any{type_url, value}
Bytes any(const std::string& type_url, const Bytes& value) {
    return concat({len_field(1, bytes(type_url)), len_field(2, value)});
}

// google.rpc.Status{code, message, details}
Bytes status(std::uint8_t code, const std::string& message, const Bytes& detail) {
    return concat({Bytes{0x08, code}, len_field(2, bytes(message)), len_field(3, detail)});
}

std::string unpadded_base64(const Bytes& b) {
    std::string text = decode::base64_encode(b);
    while (!text.empty() && text.back() == '=') text.pop_back();
    return text;
}

const Bytes kWhy = len_field(1, bytes("because"));  // aiserver.v1.ConversationMessage{text: "because"}

}  // namespace

TEST_CASE("grpc-status-details-bin decodes to code, message and details, with and without a schema") {
    const std::string header =
        unpadded_base64(status(9, "refused", any("type.googleapis.com/aiserver.v1.ConversationMessage", kWhy)));
    const auto plain = decode::grpc_status_details(header, nullptr, 64);
    REQUIRE(plain);
    CHECK((*plain)["code"] == 9);
    CHECK((*plain)["message"] == "refused");
    REQUIRE((*plain)["details"].size() == 1);
    const json& raw = (*plain)["details"][0];
    CHECK(raw["type"] == "aiserver.v1.ConversationMessage");
    CHECK(raw["form"] == "protobuf-raw");
    CHECK(raw["decoded"] == json::parse(R"([{"field": 1, "wire": "len", "string": "because"}])"));

    const auto named = decode::grpc_status_details(header, &chat_pool(), 64);
    REQUIRE(named);
    CHECK((*named)["details"][0]["form"] == "protobuf");
    CHECK((*named)["details"][0]["decoded"] == json{{"text", "because"}});
}

TEST_CASE("grpc-status-details-bin that is not base64 of a Status gives nothing") {
    CHECK_FALSE(decode::grpc_status_details("not base64!", nullptr, 64));
    CHECK_FALSE(decode::grpc_status_details(unpadded_base64(Bytes{0x0a, 0x05, 0x01}), nullptr, 64));  // length past the end
    // A message or type URL that is not UTF-8 makes it no Status (found by the fuzzer).
    CHECK_FALSE(decode::grpc_status_details(unpadded_base64(concat({Bytes{0x12, 0x01, 0xff}})), nullptr, 64));
    CHECK_FALSE(decode::grpc_status_details(unpadded_base64(len_field(3, len_field(1, Bytes{0xc3}))), nullptr, 64));
    const auto empty = decode::grpc_status_details("", nullptr, 64);  // an empty Status is a valid one
    REQUIRE(empty);
    CHECK((*empty)["code"] == 0);
    CHECK((*empty)["details"].empty());
}

TEST_CASE("Connect error details decode each value; a bad value is reported, not fatal") {
    const json error = {{"code", "failed_precondition"},
                        {"message", "refused: x"},
                        {"details", {{{"type", "aiserver.v1.ConversationMessage"}, {"value", unpadded_base64(kWhy)}},
                                     {{"type", "x.Y"}, {"value", "***"}}}}};
    const auto details = decode::connect_error_details(error, &chat_pool(), 64);
    REQUIRE(details);
    CHECK((*details)["code"] == "failed_precondition");
    CHECK((*details)["details"][0]["decoded"] == json{{"text", "because"}});
    CHECK((*details)["details"][1]["error"] == "the value is not base64");
    CHECK_FALSE(decode::connect_error_details(json{{"code", "internal"}}, nullptr, 64));
    CHECK_FALSE(decode::connect_error_details(json("text"), nullptr, 64));
}

TEST_CASE("error details are attached to trailers, end-of-stream and unary error bodies only") {
    const std::string header = unpadded_base64(status(5, "gone", any("aiserver.v1.ConversationMessage", kWhy)));
    decode::DecodedMessage trailers;
    trailers.kind = "trailers";
    trailers.form = "headers";
    trailers.decoded = {{"grpc-status", "5"}, {"grpc-status-details-bin", header}};
    decode::attach_error_details(trailers, observer::Direction::response, nullptr, 64);
    REQUIRE(trailers.error_details);
    CHECK((*trailers.error_details)["code"] == 5);

    const json connect_error = {{"code", "not_found"}, {"details", {{{"type", "t"}, {"value", ""}}}}};
    decode::DecodedMessage end;
    end.kind = "end_of_stream";
    end.form = "json";
    end.decoded = {{"error", connect_error}};
    decode::attach_error_details(end, observer::Direction::response, nullptr, 64);
    REQUIRE(end.error_details);
    CHECK((*end.error_details)["code"] == "not_found");

    decode::DecodedMessage unary;
    unary.kind = "message";
    unary.form = "json";
    unary.decoded = connect_error;
    decode::attach_error_details(unary, observer::Direction::response, nullptr, 64);
    CHECK(unary.error_details);
    decode::DecodedMessage request = unary;
    request.error_details.reset();
    decode::attach_error_details(request, observer::Direction::request, nullptr, 64);
    CHECK_FALSE(request.error_details);  // a request body that looks like an error is just a request
}
