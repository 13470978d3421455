#pragma once
// Which RPCs are recorded: shell globs on host, RPC path and content type,
// and one switch for Cursor's telemetry hosts. Empty lists match everything.
#include <string>
#include <string_view>
#include <vector>

namespace cursor_proxy::capture {

struct CaptureFilter {
    std::vector<std::string> hosts;          // --capture-host, e.g. "api2.cursor.sh", "*.api5.cursor.sh"
    std::vector<std::string> methods;        // --capture-method, matched against the path: "*ChatService*"
    std::vector<std::string> content_types;  // --capture-content-type, e.g. "application/connect+*"
    bool exclude_telemetry = false;          // --no-capture-telemetry

    // host without port; path without query; content_type without parameters.
    bool accepts(std::string_view host, std::string_view path, std::string_view content_type) const;
    // For connection lines, before any request: only the host rules apply.
    bool accepts_host(std::string_view host) const;
};

// Hosts that only carry Cursor's telemetry (about 69% of the bytes).
bool is_telemetry_host(std::string_view host);

// fnmatch(3) glob, case-insensitive (host names and media types are).
bool glob_match(std::string_view pattern, std::string_view text);
// Whether text matches any of the globs; an empty list matches everything.
bool glob_match_any(const std::vector<std::string>& patterns, std::string_view text);

}  // namespace cursor_proxy::capture
