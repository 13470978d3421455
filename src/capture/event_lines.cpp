#include "capture/event_lines.hpp"
#include "text/ascii.hpp"

#include <fmt/format.h>

#include <array>
#include <ctime>

namespace cursor_proxy::capture {

std::string iso_time(std::chrono::system_clock::time_point t) {
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
    std::tm tm{};
    ::gmtime_r(&seconds, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                       tm.tm_hour, tm.tm_min, tm.tm_sec, micros % 1'000'000);
}

nlohmann::json headers_json(const observer::Headers& headers) {
    nlohmann::json out = nlohmann::json::array();
    for (const observer::Header& h : headers) out.push_back({h.name, h.value});
    return out;
}

std::string host_of(const observer::Headers& headers) {
    std::string_view authority = header_value(headers, ":authority");
    if (authority.empty()) authority = header_value(headers, "host");
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
    if (!authority.empty() && authority.front() == '[') {  // [::1]:443
        authority = authority.substr(0, authority.find(']') + 1);
    } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        authority = authority.substr(0, colon);
    }
    return text::lower(authority);
}

std::string rpc_host(const observer::Headers& headers, std::string_view sni) {
    std::string host = host_of(headers);
    if (host.empty()) host = sni;
    return host;
}

std::string_view path_without_query(std::string_view path) { return path.substr(0, path.find('?')); }

std::string_view media_type(std::string_view content_type) {
    std::string_view type = content_type.substr(0, content_type.find(';'));
    while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
    return type;
}

std::string to_line(const nlohmann::json& line) {
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string http2_error_name(std::uint32_t code) {
    static constexpr std::array<std::string_view, 14> kNames = {
        "NO_ERROR",       "PROTOCOL_ERROR", "INTERNAL_ERROR",     "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
        "STREAM_CLOSED",  "FRAME_SIZE_ERROR", "REFUSED_STREAM",   "CANCEL",             "COMPRESSION_ERROR",
        "CONNECT_ERROR",  "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"};
    if (code < kNames.size()) return std::string(kNames[code]);
    return fmt::format("0x{:x}", code);
}

}  // namespace cursor_proxy::capture
