#pragma once
// Parses a complete message head or trailer section (the text up to, not
// including, the final empty line; every line ends in CRLF) and works out the
// body framing. Strict on purpose: the relay forwards the original bytes, so
// anything the next hop might read differently from us (bare LF, obs-fold,
// conflicting lengths) is refused rather than guessed at.
#include "http1/message.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace cursor_proxy::http1 {

// Each returns an error message, or nullopt when `out` holds the result.
std::optional<std::string> parse_request_head(std::string_view text, const ParserLimits& limits,
                                              MessageHead& out);
// request_method: the method of the request this responds to ("HEAD" and
// "CONNECT" change the framing).
std::optional<std::string> parse_response_head(std::string_view text, std::string_view request_method,
                                               const ParserLimits& limits, MessageHead& out);
std::optional<std::string> parse_field_lines(std::string_view text, const ParserLimits& limits,
                                             observer::Headers& out);

}  // namespace cursor_proxy::http1
