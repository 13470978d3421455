#pragma once
// Decodes protobuf bytes without a schema, into a list of fields in wire
// order. Each field is an object:
//   {"field": 1, "wire": "varint", "value": 150, "zigzag": 75}
//   {"field": 2, "wire": "i64", "value": 4611686018427387904, "double": 2.0}
//   {"field": 3, "wire": "i32", "value": 1065353216, "float": 1.0}
//   {"field": 4, "wire": "len", "string": "hello"}
//   {"field": 5, "wire": "len", "message": [ ...fields... ]}
//   {"field": 6, "wire": "len", "bytes": "base64", "packed_varints": [1, 2]}
// For "len" values the first that fits wins: printable UTF-8 text as
// "string", bytes that parse completely as a message as "message" (down to
// Limits::max_depth), other valid UTF-8 as "string", else "bytes" (base64),
// with "packed_varints" added when the bytes are a run of varints that each
// fit in 32 bits (how packed repeated int32/enum/bool fields look).
// Varints carry "int64" when the top bit is set (a negative int32/int64) and
// "zigzag" (the sint32/sint64 reading) when above 1. These are guesses;
// "value" is always the exact wire value.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <span>

namespace cursor_proxy::capture::decode {

// The field list, or nullopt when the bytes are not a well-formed message
// (bad tag, value past the end, groups). Never throws on any input.
std::optional<nlohmann::json> decode_raw_protobuf(std::span<const std::uint8_t> bytes, int max_depth);

}  // namespace cursor_proxy::capture::decode
