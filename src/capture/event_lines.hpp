#pragma once
// Pieces shared by the writer (which builds event-log lines) and the readers
// (captures list/show/tail/export). The line format itself is documented in
// docs/capture-format.md.
#include "capture/decode/headers_json.hpp"
#include "observer/observer.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace cursor_proxy::capture {

// Version of the line format, written in every line as "v".
inline constexpr int kFormatVersion = 1;

// "2026-11-28T21:27:41.123456Z"
std::string iso_time(std::chrono::system_clock::time_point t);

// [[name, value], ...]: order and repeats preserved.
nlohmann::json headers_json(const observer::Headers& headers);

// Value of the first header with this (lower-case) name, else "".
using decode::header_value;

// ":authority" (or "host") without port, lower case.
std::string host_of(const observer::Headers& headers);
// The host an RPC is recorded and filtered under: host_of(headers), else the
// connection's SNI.
std::string rpc_host(const observer::Headers& headers, std::string_view sni);
// ":path" without the query string.
std::string_view path_without_query(std::string_view path);
// "application/connect+proto; charset=x" -> "application/connect+proto".
std::string_view media_type(std::string_view content_type);

// The line as written: compact JSON, invalid UTF-8 replaced, no newline.
std::string to_line(const nlohmann::json& line);

// "CANCEL" for 8, ... (RFC 9113 section 7); "0x1f" for unknown codes.
std::string http2_error_name(std::uint32_t code);

}  // namespace cursor_proxy::capture
