#pragma once
// The D-Bus face of the helper: object /org/cursorproxy/Helper1, interface
// org.cursorproxy.Helper1 (docs/dbus-api.md, org.cursorproxy.Helper1.xml).
// Every method is callable by anyone as far as sd-bus is concerned; handlers
// authorise from the caller's credentials as the bus daemon reports them.
#include <sys/types.h>

#include <span>
#include <string>

#include "manager.hpp"
#include "raii.hpp"

namespace cursor_proxy::helper {

inline constexpr const char* bus_name = "org.cursorproxy.Helper1";
inline constexpr const char* object_path = "/org/cursorproxy/Helper1";
inline constexpr const char* interface_name = "org.cursorproxy.Helper1";

// The authorisation rule, apart from D-Bus: root, or a member (primary or
// supplementary) of the allowed group.
bool may_change_network(uid_t uid, std::span<const gid_t> groups, const std::string& allowed_group);

class BusService {
public:
    BusService(sd_bus* bus, Manager& manager);
    Manager& manager() { return manager_; }
    sd_bus* bus() { return bus_; }
    // Emits PropertiesChanged and StateChanged after a change.
    void announce_state();

private:
    sd_bus* bus_;
    Manager& manager_;
    SdBusSlot slot_;
};

}  // namespace cursor_proxy::helper
