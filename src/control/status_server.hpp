#pragma once
// The daemon's control socket: a unix stream socket that answers one JSON
// document (stats::snapshot() plus extras) per connection. `cursor-proxy
// status` reads it. Runs on its own thread so a stuck reader never touches
// the relay.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace cursor_proxy::control {

class StatusServer {
public:
    virtual ~StatusServer() = default;
    // Binds path (mode 0600, replacing a stale socket). extra() returns a JSON
    // object text merged into each answer (e.g. learned passthrough hosts).
    static std::unique_ptr<StatusServer> start(const std::filesystem::path& path,
                                               std::function<std::string()> extra = {});
};

}  // namespace cursor_proxy::control
