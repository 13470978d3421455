#include "capture/decode/error_details.hpp"

#include "capture/decode/base64.hpp"
#include "capture/decode/raw_protobuf.hpp"
#include "capture/decode/schema_json.hpp"
#include "capture/decode/utf8.hpp"
#include "capture/decode/wire_reader.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace cursor_proxy::capture::decode {
namespace {

using nlohmann::json;

// One detail: the protobuf bytes of `type` (a full name, or a type URL
// "type.googleapis.com/<full name>").
json detail(std::string_view type, std::span<const std::uint8_t> bytes, const DescriptorPool* pool, int max_depth) {
    const auto slash = type.rfind('/');
    const std::string name(slash == std::string_view::npos ? type : type.substr(slash + 1));
    json out = {{"type", name}};
    if (const MessageDescriptor* message = pool != nullptr ? pool->find_message(name) : nullptr) {
        if (auto decoded = decode_with_schema(bytes, *message, *pool, max_depth)) {
            out["form"] = "protobuf";
            out["decoded"] = std::move(*decoded);
            return out;
        }
    }
    if (auto decoded = decode_raw_protobuf(bytes, max_depth)) {
        out["form"] = "protobuf-raw";
        out["decoded"] = std::move(*decoded);
        return out;
    }
    out["form"] = "";
    out["error"] = "the value is not a protobuf message";
    out["decoded"] = base64_encode(bytes);
    return out;
}

// google.protobuf.Any: 1 type_url, 2 value.
std::optional<json> any_detail(std::span<const std::uint8_t> bytes, const DescriptorPool* pool, int max_depth) {
    WireReader reader(bytes);
    std::string type_url;
    std::span<const std::uint8_t> value;
    while (!reader.at_end()) {
        Tag tag;
        if (!reader.read_tag(tag)) return std::nullopt;
        std::span<const std::uint8_t> field;
        if (tag.wire == WireType::len && (tag.field == 1 || tag.field == 2)) {
            if (!reader.read_length_delimited(field)) return std::nullopt;
            if (tag.field == 1 && !is_valid_utf8(field)) return std::nullopt;  // a proto3 string must be UTF-8
            if (tag.field == 1) type_url.assign(field.begin(), field.end());
            else value = field;
        } else if (!reader.skip(tag.wire)) {
            return std::nullopt;
        }
    }
    return detail(type_url, value, pool, max_depth);
}

}  // namespace

std::optional<json> grpc_status_details(std::string_view header_value, const DescriptorPool* pool, int max_depth) {
    const auto bytes = base64_decode(header_value);
    if (!bytes) return std::nullopt;
    // google.rpc.Status: 1 code (int32), 2 message (string), 3 details (repeated Any).
    json out = {{"code", 0}, {"message", ""}, {"details", json::array()}};
    WireReader reader(*bytes);
    while (!reader.at_end()) {
        Tag tag;
        if (!reader.read_tag(tag)) return std::nullopt;
        std::uint64_t number = 0;
        std::span<const std::uint8_t> field;
        if (tag.field == 1 && tag.wire == WireType::varint) {
            if (!reader.read_varint(number)) return std::nullopt;
            out["code"] = static_cast<std::int32_t>(number);
        } else if ((tag.field == 2 || tag.field == 3) && tag.wire == WireType::len) {
            if (!reader.read_length_delimited(field)) return std::nullopt;
            if (tag.field == 2) {
                if (!is_valid_utf8(field)) return std::nullopt;
                out["message"] = std::string(field.begin(), field.end());
            } else {
                auto any = any_detail(field, pool, max_depth);
                if (!any) return std::nullopt;
                out["details"].push_back(std::move(*any));
            }
        } else if (!reader.skip(tag.wire)) {
            return std::nullopt;
        }
    }
    return out;
}

std::optional<json> connect_error_details(const json& error, const DescriptorPool* pool, int max_depth) {
    if (!error.is_object() || !error.contains("details") || !error["details"].is_array()) return std::nullopt;
    json out = {{"code", error.value("code", json(""))}, {"message", error.value("message", json(""))},
                {"details", json::array()}};
    for (const json& d : error["details"]) {
        const std::string type = d.is_object() && d.contains("type") && d["type"].is_string() ? d["type"].get<std::string>() : "";
        const std::string value = d.is_object() && d.contains("value") && d["value"].is_string() ? d["value"].get<std::string>() : "";
        const auto bytes = base64_decode(value);
        if (!bytes) {
            out["details"].push_back({{"type", type}, {"form", ""}, {"error", "the value is not base64"}});
            continue;
        }
        out["details"].push_back(detail(type, *bytes, pool, max_depth));
    }
    return out;
}

void attach_error_details(DecodedMessage& m, observer::Direction direction, const DescriptorPool* pool,
                          int max_depth) {
    const json& d = m.decoded;
    if (!d.is_object()) return;
    if (m.kind == "trailers" && m.form == "headers") {
        const auto it = d.find("grpc-status-details-bin");
        if (it != d.end() && it->is_string()) m.error_details = grpc_status_details(it->get<std::string>(), pool, max_depth);
    } else if (m.kind == "end_of_stream" && m.form == "json") {
        if (const auto it = d.find("error"); it != d.end()) m.error_details = connect_error_details(*it, pool, max_depth);
    } else if (m.kind == "message" && m.form == "json" && direction == observer::Direction::response) {
        const auto code = d.find("code");
        if (code != d.end() && code->is_string()) m.error_details = connect_error_details(d, pool, max_depth);
    }
}

}  // namespace cursor_proxy::capture::decode
