#include "proxy/systemd_notify.hpp"

#include "log/log.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <string>

#ifdef CURSOR_PROXY_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace cursor_proxy::proxy {
namespace {

void send(const std::string& state) {
    if (std::getenv("NOTIFY_SOCKET") == nullptr) return;
#ifdef CURSOR_PROXY_HAVE_SYSTEMD
    const int rc = sd_notify(0, state.c_str());
    if (rc < 0) log::warning("proxy", "sd_notify failed", {{"error", fmt::format("errno {}", -rc)}});
#else
    log::warning("proxy", "NOTIFY_SOCKET is set but this build has no libsystemd; use Type=simple");
#endif
}

}  // namespace

void notify_ready(std::string_view status) { send(fmt::format("READY=1\nSTATUS={}", status)); }
void notify_status(std::string_view status) { send(fmt::format("STATUS={}", status)); }
void notify_stopping(std::string_view status) { send(fmt::format("STOPPING=1\nSTATUS={}", status)); }

}  // namespace cursor_proxy::proxy
