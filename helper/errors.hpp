#pragma once
// Errors the helper reports. Each carries the D-Bus error name a caller sees
// and a message saying what failed and how to fix it; main() prints the same
// message when the failure happens outside a D-Bus call (config, --check).
#include <stdexcept>
#include <string>

namespace cursor_proxy::helper {

namespace error_name {
inline constexpr const char* access_denied = "org.freedesktop.DBus.Error.AccessDenied";
inline constexpr const char* invalid_args = "org.freedesktop.DBus.Error.InvalidArgs";
inline constexpr const char* config = "org.cursorproxy.Helper1.Error.BadConfig";
inline constexpr const char* subnet_overlap = "org.cursorproxy.Helper1.Error.SubnetOverlap";
inline constexpr const char* no_uplink = "org.cursorproxy.Helper1.Error.NoSuchUplink";
inline constexpr const char* namespace_failed = "org.cursorproxy.Helper1.Error.Namespace";
inline constexpr const char* netlink = "org.cursorproxy.Helper1.Error.Netlink";
inline constexpr const char* nftables = "org.cursorproxy.Helper1.Error.Nftables";
inline constexpr const char* system = "org.cursorproxy.Helper1.Error.System";
}  // namespace error_name

class HelperError : public std::runtime_error {
public:
    HelperError(const char* dbus_name, const std::string& message)
        : std::runtime_error(message), dbus_name_(dbus_name) {}
    const char* dbus_name() const { return dbus_name_; }

private:
    const char* dbus_name_;
};

// "<what>: <strerror(err)>" as a HelperError of the given name.
[[noreturn]] void throw_errno(const char* dbus_name, const std::string& what, int err);

}  // namespace cursor_proxy::helper
