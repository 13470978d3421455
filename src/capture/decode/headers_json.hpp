#pragma once
// Header lists as JSON, and the header block gRPC-web sends in its trailer
// frame ("grpc-status: 0\r\ngrpc-message: \r\n").
#include "observer/observer.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace cursor_proxy::capture::decode {

// {"name": "value"}; a name given more than once maps to an array of values.
nlohmann::json headers_to_json(const observer::Headers& headers);

// Names lower-cased, values trimmed. nullopt when a line has no colon or the
// bytes are not text.
std::optional<observer::Headers> parse_header_block(std::span<const std::uint8_t> block);

// The value of the first header with this (lower-case) name, or "".
std::string_view header_value(const observer::Headers& headers, std::string_view name);

}  // namespace cursor_proxy::capture::decode
