#include "capture/decode/schema_json.hpp"

#include "capture/decode/base64.hpp"
#include "capture/decode/raw_protobuf.hpp"
#include "capture/decode/utf8.hpp"
#include "capture/decode/well_known_types.hpp"
#include "capture/decode/wire_reader.hpp"

#include <bit>
#include <cmath>
#include <string>
#include <vector>

namespace cursor_proxy::capture::decode {

namespace {

using nlohmann::json;
using Bytes = std::span<const std::uint8_t>;

WireType wire_type_of(FieldType type) {
    switch (type) {
    case FieldType::double_:
    case FieldType::fixed64:
    case FieldType::sfixed64: return WireType::i64;
    case FieldType::float_:
    case FieldType::fixed32:
    case FieldType::sfixed32: return WireType::i32;
    case FieldType::string:
    case FieldType::bytes:
    case FieldType::message: return WireType::len;
    case FieldType::group: return WireType::group_start;
    default: return WireType::varint;
    }
}

json floating(double d) {
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
    return d;
}

std::int64_t zigzag(std::uint64_t v) { return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1); }

class SchemaDecoder {
public:
    SchemaDecoder(const DescriptorPool& pool, int max_depth) : pool_(pool), depth_left_(max_depth) {}

    std::optional<json> message(Bytes bytes, const MessageDescriptor& type) {
        if (depth_left_ <= 0) return std::nullopt;
        --depth_left_;
        auto result = fields(bytes, type);
        ++depth_left_;
        if (result) *result = to_well_known_json(type.full_name, std::move(*result));
        return result;
    }

private:
    std::optional<json> fields(Bytes bytes, const MessageDescriptor& type) {
        json out = json::object();
        std::vector<std::uint8_t> unknown;  // the unknown fields' bytes, re-decoded schemaless at the end
        WireReader reader(bytes);
        while (!reader.at_end()) {
            const std::size_t start = reader.position();
            Tag tag;
            if (!reader.read_tag(tag)) return std::nullopt;
            const std::size_t value_start = reader.position();
            if (!reader.skip(tag.wire)) return std::nullopt;
            const Bytes whole = bytes.subspan(start, reader.position() - start);
            const Bytes value = bytes.subspan(value_start, reader.position() - value_start);
            const FieldDescriptor* field = type.field(static_cast<std::int32_t>(tag.field));
            if (!field || !add_field(out, *field, tag.wire, value)) unknown.insert(unknown.end(), whole.begin(), whole.end());
        }
        if (!unknown.empty()) {
            // These bytes parsed once already, so the schemaless decode succeeds.
            if (auto raw = decode_raw_protobuf(unknown, depth_left_)) out["_unknown"] = std::move(*raw);
        }
        return out;
    }

    // Adds one wire value to out; false when it does not fit the field.
    bool add_field(json& out, const FieldDescriptor& field, WireType wire, Bytes value) {
        const WireType expected = wire_type_of(field.type);
        const bool repeated = field.label == FieldLabel::repeated;
        if (repeated && wire == WireType::len && expected != WireType::len) return add_packed(out, field, value);
        if (wire != expected) return false;

        const MessageDescriptor* map_entry = nullptr;
        if (field.type == FieldType::message) {
            map_entry = pool_.find_message(field.type_name);
            if (map_entry && !map_entry->map_entry) map_entry = nullptr;
        }
        if (repeated && map_entry) return add_map_entry(out, field.json_name, *map_entry, value);

        auto decoded = scalar_or_message(field, value);
        if (!decoded) return false;
        if (repeated) {
            out[field.json_name].push_back(std::move(*decoded));
        } else if (out.contains(field.json_name) && out[field.json_name].is_object() && decoded->is_object()) {
            out[field.json_name].update(*decoded);  // a message given twice merges
        } else {
            out[field.json_name] = std::move(*decoded);
        }
        return true;
    }

    // value is the whole length-delimited value: length, then the elements.
    bool add_packed(json& out, const FieldDescriptor& field, Bytes value) {
        Bytes elements;
        if (!WireReader(value).read_length_delimited(elements)) return false;
        json items = json::array();
        WireReader reader(elements);
        const WireType element = wire_type_of(field.type);
        while (!reader.at_end()) {
            const std::size_t start = reader.position();
            if (!reader.skip(element)) return false;
            auto item = scalar_or_message(field, elements.subspan(start, reader.position() - start));
            if (!item) return false;
            items.push_back(std::move(*item));
        }
        json& target = out[field.json_name];
        for (auto& item : items) target.push_back(std::move(item));
        if (target.is_null()) target = json::array();
        return true;
    }

    bool add_map_entry(json& out, const std::string& name, const MessageDescriptor& entry, Bytes value) {
        Bytes content;
        if (!WireReader(value).read_length_delimited(content)) return false;
        auto decoded = message(content, entry);
        const FieldDescriptor* key_field = entry.field(1);
        const FieldDescriptor* value_field = entry.field(2);
        if (!decoded || !key_field || !value_field || decoded->contains("_unknown")) return false;
        json key = decoded->contains(key_field->json_name) ? (*decoded)[key_field->json_name] : json();
        std::string key_text = key.is_string() ? key.get<std::string>() : key.is_null() ? default_key(*key_field) : key.dump();
        json mapped = decoded->contains(value_field->json_name) ? std::move((*decoded)[value_field->json_name])
                                                                : default_value(*value_field);
        out[name][key_text] = std::move(mapped);
        return true;
    }

    static std::string default_key(const FieldDescriptor& field) {
        if (field.type == FieldType::string) return "";
        if (field.type == FieldType::bool_) return "false";
        return "0";
    }

    json default_value(const FieldDescriptor& field) {
        switch (field.type) {
        case FieldType::string:
        case FieldType::bytes: return "";
        case FieldType::bool_: return false;
        case FieldType::message: return json::object();
        case FieldType::enum_: return enum_value(field, 0);
        case FieldType::int64:
        case FieldType::uint64:
        case FieldType::sint64:
        case FieldType::fixed64:
        case FieldType::sfixed64: return "0";
        default: return 0;
        }
    }

    json enum_value(const FieldDescriptor& field, std::int32_t number) {
        if (const EnumDescriptor* e = pool_.find_enum(field.type_name)) {
            if (const auto it = e->names.find(number); it != e->names.end()) return it->second;
        }
        return number;
    }

    // value holds exactly one wire value of the field's wire type.
    std::optional<json> scalar_or_message(const FieldDescriptor& field, Bytes value) {
        WireReader reader(value);
        std::uint64_t u64 = 0;
        std::uint32_t u32 = 0;
        Bytes span;
        switch (wire_type_of(field.type)) {
        case WireType::varint: reader.read_varint(u64); break;
        case WireType::i64: reader.read_fixed64(u64); break;
        case WireType::i32: reader.read_fixed32(u32); break;
        case WireType::len: reader.read_length_delimited(span); break;
        default: return std::nullopt;
        }
        switch (field.type) {
        case FieldType::double_: return floating(std::bit_cast<double>(u64));
        case FieldType::float_: return floating(std::bit_cast<float>(u32));
        case FieldType::int64: return std::to_string(static_cast<std::int64_t>(u64));
        case FieldType::uint64:
        case FieldType::fixed64: return std::to_string(u64);
        case FieldType::sfixed64: return std::to_string(static_cast<std::int64_t>(u64));
        case FieldType::sint64: return std::to_string(zigzag(u64));
        case FieldType::int32: return static_cast<std::int32_t>(u64);
        case FieldType::uint32: return static_cast<std::uint32_t>(u64);
        case FieldType::sint32: return static_cast<std::int32_t>(zigzag(u64 & 0xffffffffu));
        case FieldType::fixed32: return u32;
        case FieldType::sfixed32: return static_cast<std::int32_t>(u32);
        case FieldType::bool_: return u64 != 0;
        case FieldType::enum_: return enum_value(field, static_cast<std::int32_t>(u64));
        case FieldType::bytes: return base64_encode(span);
        case FieldType::string:
            if (!is_valid_utf8(span)) return std::nullopt;  // kept in _unknown, shown as bytes
            return std::string(reinterpret_cast<const char*>(span.data()), span.size());
        case FieldType::message:
            if (const MessageDescriptor* type = pool_.find_message(field.type_name)) return message(span, *type);
            return decode_raw_protobuf(span, depth_left_);
        case FieldType::group: return std::nullopt;
        }
        return std::nullopt;
    }

    const DescriptorPool& pool_;
    int depth_left_;
};

}  // namespace

std::optional<nlohmann::json> decode_with_schema(std::span<const std::uint8_t> bytes,
                                                 const MessageDescriptor& type, const DescriptorPool& pool,
                                                 int max_depth) {
    return SchemaDecoder(pool, max_depth).message(bytes, type);
}

}  // namespace cursor_proxy::capture::decode
