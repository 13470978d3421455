#include "capture/decode/raw_protobuf.hpp"

#include "capture/decode/base64.hpp"
#include "capture/decode/utf8.hpp"
#include "capture/decode/wire_reader.hpp"

#include <bit>
#include <cmath>
#include <string>

namespace cursor_proxy::capture::decode {

namespace {

using nlohmann::json;

// Bounds the JSON built for one message: a 4 MiB message of two-byte fields
// would otherwise become millions of JSON objects.
constexpr std::size_t max_values = 100000;

struct Budget {
    int depth_left;
    std::size_t values_left = max_values;
    bool take() {
        if (values_left == 0) return false;
        --values_left;
        return true;
    }
};

std::optional<json> packed_varints(std::span<const std::uint8_t> bytes, Budget& budget) {
    if (bytes.empty()) return std::nullopt;
    WireReader reader(bytes);
    json values = json::array();
    while (!reader.at_end()) {
        std::uint64_t v = 0;
        if (!reader.read_varint(v) || v > UINT32_MAX || !budget.take()) return std::nullopt;
        values.push_back(v);
    }
    return values;
}

std::string as_string(std::span<const std::uint8_t> bytes) {
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::optional<json> decode_fields(std::span<const std::uint8_t> bytes, Budget& budget);

json decode_len(std::span<const std::uint8_t> bytes, Budget& budget) {
    json out;
    if (is_printable_utf8(bytes)) {
        out["string"] = as_string(bytes);
        return out;
    }
    if (budget.depth_left > 0) {
        --budget.depth_left;
        auto message = decode_fields(bytes, budget);
        ++budget.depth_left;
        if (message) {
            out["message"] = std::move(*message);
            return out;
        }
    }
    if (is_valid_utf8(bytes)) {
        out["string"] = as_string(bytes);
        return out;
    }
    out["bytes"] = base64_encode(bytes);
    if (auto packed = packed_varints(bytes, budget)) out["packed_varints"] = std::move(*packed);
    return out;
}

std::optional<json> decode_fields(std::span<const std::uint8_t> bytes, Budget& budget) {
    WireReader reader(bytes);
    json fields = json::array();
    while (!reader.at_end()) {
        Tag tag;
        if (!reader.read_tag(tag) || !budget.take()) return std::nullopt;
        json field = {{"field", tag.field}};
        switch (tag.wire) {
        case WireType::varint: {
            std::uint64_t v = 0;
            if (!reader.read_varint(v)) return std::nullopt;
            field["wire"] = "varint";
            field["value"] = v;
            if (v >> 63) field["int64"] = static_cast<std::int64_t>(v);
            else if (v > 1) field["zigzag"] = static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
            break;
        }
        case WireType::i64: {
            std::uint64_t v = 0;
            if (!reader.read_fixed64(v)) return std::nullopt;
            field["wire"] = "i64";
            field["value"] = v;
            if (const double d = std::bit_cast<double>(v); std::isfinite(d)) field["double"] = d;
            break;
        }
        case WireType::i32: {
            std::uint32_t v = 0;
            if (!reader.read_fixed32(v)) return std::nullopt;
            field["wire"] = "i32";
            field["value"] = v;
            if (const float f = std::bit_cast<float>(v); std::isfinite(f)) field["float"] = f;
            break;
        }
        case WireType::len: {
            std::span<const std::uint8_t> value;
            if (!reader.read_length_delimited(value)) return std::nullopt;
            field["wire"] = "len";
            field.update(decode_len(value, budget));
            break;
        }
        case WireType::group_start:
        case WireType::group_end: return std::nullopt;
        }
        fields.push_back(std::move(field));
    }
    return fields;
}

}  // namespace

std::optional<nlohmann::json> decode_raw_protobuf(std::span<const std::uint8_t> bytes, int max_depth) {
    Budget budget{max_depth};
    return decode_fields(bytes, budget);
}

}  // namespace cursor_proxy::capture::decode
