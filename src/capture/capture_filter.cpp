#include "capture/capture_filter.hpp"

#include <fnmatch.h>

#include <array>
#include <string>

namespace cursor_proxy::capture {
bool glob_match(std::string_view pattern, std::string_view text) {
    return ::fnmatch(std::string(pattern).c_str(), std::string(text).c_str(), FNM_CASEFOLD) == 0;
}

bool glob_match_any(const std::vector<std::string>& patterns, std::string_view text) {
    if (patterns.empty()) return true;
    for (const std::string& p : patterns) {
        if (glob_match(p, text)) return true;
    }
    return false;
}

bool is_telemetry_host(std::string_view host) {
    static constexpr std::array<std::string_view, 4> kTelemetry = {
        "metrics.cursor.sh", "*.metrics.cursor.sh", "api3.cursor.sh", "*.api3.cursor.sh"};
    for (std::string_view p : kTelemetry) {
        if (glob_match(p, host)) return true;
    }
    return false;
}

bool CaptureFilter::accepts_host(std::string_view host) const {
    if (exclude_telemetry && is_telemetry_host(host)) return false;
    return glob_match_any(hosts, host);
}

bool CaptureFilter::accepts(std::string_view host, std::string_view path, std::string_view content_type) const {
    return accepts_host(host) && glob_match_any(methods, path) && glob_match_any(content_types, content_type);
}

}  // namespace cursor_proxy::capture
