#pragma once
// Where the commands look when not told: the daemon's data directory is
// $STATE_DIRECTORY under systemd, else ./cursor-proxy-data (as `run` uses).
#include <cstdlib>
#include <filesystem>

namespace cursor_proxy::capture {

inline std::filesystem::path default_data_dir() {
    const char* state = std::getenv("STATE_DIRECTORY");
    // systemd may pass several, colon-separated; the first is ours.
    if (state != nullptr && *state != '\0') {
        const std::string dirs(state);
        return dirs.substr(0, dirs.find(':'));
    }
    return "cursor-proxy-data";
}

inline std::filesystem::path default_capture_dir() { return default_data_dir() / "captures"; }
inline std::filesystem::path default_status_socket() { return default_data_dir() / "control.sock"; }

}  // namespace cursor_proxy::capture
