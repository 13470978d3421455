#pragma once
// Where the commands look when not told, matching `cursor-proxy run`: the
// data directory is ca::default_dir() ($STATE_DIRECTORY, else
// ./cursor-proxy-data); the status socket is $RUNTIME_DIRECTORY/status.sock
// under systemd, else <data dir>/status.sock.
#include "ca/authority.hpp"

#include <cstdlib>
#include <filesystem>

namespace cursor_proxy::capture {

inline std::filesystem::path default_capture_dir() { return ca::default_dir() / "captures"; }

inline std::filesystem::path default_status_socket() {
    const char* runtime = std::getenv("RUNTIME_DIRECTORY");
    return (runtime != nullptr && *runtime != '\0' ? std::filesystem::path(runtime) : ca::default_dir()) / "status.sock";
}

}  // namespace cursor_proxy::capture
