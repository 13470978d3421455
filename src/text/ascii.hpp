#pragma once
// ASCII case folding for protocol text (header names, host names, media
// types, option values): bytes outside A-Z are left as they are.
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace cursor_proxy::text {

inline char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

inline std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) { return lower(c); });
    return out;
}

inline bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) { return lower(x) == lower(y); });
}

}  // namespace cursor_proxy::text
