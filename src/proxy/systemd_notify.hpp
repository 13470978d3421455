#pragma once
// sd_notify(3) when started by systemd with Type=notify (NOTIFY_SOCKET set);
// a no-op otherwise or when built without libsystemd.
#include <string_view>

namespace cursor_proxy::proxy {

void notify_ready(std::string_view status);
void notify_status(std::string_view status);
void notify_stopping(std::string_view status);

}  // namespace cursor_proxy::proxy
