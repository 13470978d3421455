#include "capture/decode/headers_json.hpp"

#include "capture/decode/utf8.hpp"
#include "text/ascii.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace cursor_proxy::capture::decode {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

using text::iequals;

}  // namespace

nlohmann::json headers_to_json(const observer::Headers& headers) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& h : headers) {
        // Header bytes are not promised to be UTF-8; JSON text must be.
        const auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(h.value.data()), h.value.size());
        nlohmann::json value = is_valid_utf8(bytes) ? nlohmann::json(h.value) : nlohmann::json("(not UTF-8)");
        const std::string name = is_valid_utf8(std::span(reinterpret_cast<const std::uint8_t*>(h.name.data()), h.name.size()))
                                     ? h.name
                                     : std::string("(not UTF-8)");
        if (!out.contains(name)) {
            out[name] = std::move(value);
        } else {
            if (!out[name].is_array()) out[name] = nlohmann::json::array({out[name]});
            out[name].push_back(std::move(value));
        }
    }
    return out;
}

std::optional<observer::Headers> parse_header_block(std::span<const std::uint8_t> block) {
    if (!is_valid_utf8(block)) return std::nullopt;
    std::string_view text(reinterpret_cast<const char*>(block.data()), block.size());
    observer::Headers headers;
    while (!text.empty()) {
        const auto eol = text.find('\n');
        const std::string_view line = trim(text.substr(0, eol));
        text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
        if (line.empty()) continue;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) return std::nullopt;
        headers.push_back({text::lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1)))});
    }
    return headers;
}

std::string_view header_value(const observer::Headers& headers, std::string_view name) {
    for (const auto& h : headers)
        if (iequals(h.name, name)) return h.value;
    return {};
}

}  // namespace cursor_proxy::capture::decode
