#pragma once
// Percent-decoding of URL query names and values (RFC 3986, and '+' as a
// space as application/x-www-form-urlencoded has it).
#include <optional>
#include <string>
#include <string_view>

namespace cursor_proxy::text {

// nullopt on a '%' not followed by two hex digits.
inline std::optional<std::string> percent_decode(std::string_view text) {
    const auto hex = [](char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out += ' ';
        } else if (text[i] != '%') {
            out += text[i];
        } else {
            if (i + 2 >= text.size() || hex(text[i + 1]) < 0 || hex(text[i + 2]) < 0) return std::nullopt;
            out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
            i += 2;
        }
    }
    return out;
}

}  // namespace cursor_proxy::text
