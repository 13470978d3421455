#pragma once
// Decodes protobuf bytes with a schema into protobuf's canonical JSON mapping
// (https://protobuf.dev/programming-guides/json/): lowerCamelCase json names,
// 64-bit integers as strings, bytes as base64, enums by name (number when
// unknown), repeated fields as arrays, maps as objects, NaN/Infinity as
// strings. Fields are written when present on the wire (defaults included).
// Well-known types get their special forms when the set includes them:
// Timestamp, Duration, wrappers, Struct/Value/ListValue, Empty.
// Fields the schema does not know, or whose wire type does not match it, are
// kept schemaless (see raw_protobuf.hpp) under the key "_unknown". A field of
// a message type missing from the set is written as a schemaless field list.
#include "capture/decode/descriptor_pool.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <span>

namespace cursor_proxy::capture::decode {

// nullopt when the bytes are not a well-formed protobuf message.
std::optional<nlohmann::json> decode_with_schema(std::span<const std::uint8_t> bytes,
                                                 const MessageDescriptor& type, const DescriptorPool& pool,
                                                 int max_depth);

}  // namespace cursor_proxy::capture::decode
