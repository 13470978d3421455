#pragma once
// UTF-8 checks used to choose between showing bytes as text or as base64.
#include <cstdint>
#include <span>

namespace cursor_proxy::capture::decode {

// Well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::span<const std::uint8_t> bytes);

// Valid UTF-8 without control characters other than tab, CR and LF: what a
// person would call text.
bool is_printable_utf8(std::span<const std::uint8_t> bytes);

}  // namespace cursor_proxy::capture::decode
