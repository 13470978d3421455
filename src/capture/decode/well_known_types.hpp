#pragma once
// protobuf's special JSON forms for google.protobuf well-known types, applied
// to the object the schema decoder built from their fields:
//   Timestamp -> "2024-05-01T12:00:00.500Z"     Duration -> "1.500s"
//   Int32Value etc. -> the bare value             Empty -> {}
//   Struct -> object, Value -> its value, ListValue -> array
// Other types, and values out of range, come back unchanged.
#include <nlohmann/json.hpp>

#include <string_view>

namespace cursor_proxy::capture::decode {

nlohmann::json to_well_known_json(std::string_view full_name, nlohmann::json decoded);

}  // namespace cursor_proxy::capture::decode
