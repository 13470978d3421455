#include "bus.hpp"

#include <grp.h>

#include <algorithm>
#include <optional>
#include <cerrno>
#include <cstring>
#include <vector>

#include "errors.hpp"
#include "log.hpp"

namespace cursor_proxy::helper {
namespace {

BusService& service(void* userdata) { return *static_cast<BusService*>(userdata); }

struct CallerCredentials {
    std::optional<uid_t> uid;
    std::optional<std::vector<gid_t>> groups;  // all of the caller's groups
};

// Asks the bus daemon for the caller's uid and groups (GetConnectionCredentials:
// UnixUserID, UnixGroupIDs). The daemon read them from the kernel when the
// caller connected (SO_PEERCRED, SO_PEERGROUPS), so they cannot be faked,
// and nothing is "augmented" from /proc, where a caller could race a pid.
// sd_bus_query_sender_creds() would be the usual call, but sd-bus 252 drops
// UnixGroupIDs on a dbus-daemon bus, leaving no groups to check.
int query_caller(sd_bus_message* m, CallerCredentials& out, sd_bus_error* error) {
    const char* sender = sd_bus_message_get_sender(m);
    if (!sender) return sd_bus_error_set(error, error_name::access_denied, "the caller has no unique bus name");
    sd_bus_message* raw = nullptr;
    int r = sd_bus_call_method(sd_bus_message_get_bus(m), "org.freedesktop.DBus", "/org/freedesktop/DBus",
                               "org.freedesktop.DBus", "GetConnectionCredentials", error, &raw, "s", sender);
    if (r < 0) return r;
    SdBusMessage reply(raw);
    r = sd_bus_message_enter_container(reply.get(), 'a', "{sv}");
    while (r >= 0 && (r = sd_bus_message_enter_container(reply.get(), 'e', "sv")) > 0) {
        const char* key = nullptr;
        r = sd_bus_message_read(reply.get(), "s", &key);
        if (r < 0) break;
        if (std::strcmp(key, "UnixUserID") == 0) {
            std::uint32_t uid = 0;
            r = sd_bus_message_read(reply.get(), "v", "u", &uid);
            if (r > 0) out.uid = uid;  // never the 0 it was initialised to
        } else if (std::strcmp(key, "UnixGroupIDs") == 0) {
            const void* data = nullptr;
            std::size_t size = 0;
            r = sd_bus_message_enter_container(reply.get(), 'v', "au");
            if (r >= 0) r = sd_bus_message_read_array(reply.get(), 'u', &data, &size);
            if (r >= 0) {
                const auto* ids = static_cast<const std::uint32_t*>(data);
                out.groups.emplace(ids, ids + size / sizeof(std::uint32_t));
                r = sd_bus_message_exit_container(reply.get());
            }
        } else {
            r = sd_bus_message_skip(reply.get(), "v");
        }
        if (r >= 0) r = sd_bus_message_exit_container(reply.get());
    }
    if (r < 0) return sd_bus_error_set_errnof(error, r, "cannot parse the caller's credentials");
    return 0;
}

// Authorises a network change: root, or a member of the allowed group.
int authorise_change(sd_bus_message* m, const Config& config, sd_bus_error* error) {
    CallerCredentials caller;
    if (int r = query_caller(m, caller, error); r < 0) return r;
    if (!caller.uid)
        return sd_bus_error_set(error, error_name::access_denied, "the bus did not report the caller's user id");
    const auto& groups = caller.groups ? *caller.groups : std::vector<gid_t>{};
    if (may_change_network(*caller.uid, groups, config.allowed_group)) return 0;
    log::warning("refused a network change from uid {} (not root, not in group {})", *caller.uid, config.allowed_group);
    return sd_bus_error_setf(error, error_name::access_denied,
                             "uid %u may not change the cursor-proxy network: only root and members of group '%s' may",
                             static_cast<unsigned>(*caller.uid), config.allowed_group.c_str());
}

// Runs a Manager action and turns its exceptions into D-Bus errors.
template <typename Action>
int run_action(sd_bus_message* m, BusService& svc, sd_bus_error* error, Action action) {
    bool changed = false;
    int result = 0;
    try {
        changed = action();
    } catch (const HelperError& e) {
        result = sd_bus_error_set(error, e.dbus_name(), e.what());
    } catch (const std::exception& e) {
        result = sd_bus_error_set(error, error_name::system, e.what());
    }
    if (changed || result < 0) svc.announce_state();  // a failed Up still changed State
    if (result < 0) return result;
    return sd_bus_reply_method_return(m, "b", changed);
}

// Whether the system already is as asked (the early, unauthorised return).
// An inspection failure means "not sure": go on, and let the action report it.
template <typename Test>
bool already(Manager& manager, Test test) {
    try {
        return test(manager.inspect());
    } catch (const std::exception& e) {
        log::warning("cannot inspect the network: {}", e.what());
        return false;
    }
}

int method_up(sd_bus_message* m, void* userdata, sd_bus_error* error) {
    auto& svc = service(userdata);
    auto& manager = svc.manager();
    if (manager.state() == State::up && already(manager, [](const Inspection& i) { return i.complete(); }))
        return sd_bus_reply_method_return(m, "b", false);
    if (int r = authorise_change(m, manager.config(), error); r < 0) return r;
    return run_action(m, svc, error, [&] { return manager.up(); });
}

int method_down(sd_bus_message* m, void* userdata, sd_bus_error* error) {
    auto& svc = service(userdata);
    auto& manager = svc.manager();
    if (manager.state() == State::down && already(manager, [](const Inspection& i) { return !i.any(); }))
        return sd_bus_reply_method_return(m, "b", false);
    if (int r = authorise_change(m, manager.config(), error); r < 0) return r;
    return run_action(m, svc, error, [&] { return manager.down(); });
}

int method_get_status(sd_bus_message* m, void* userdata, sd_bus_error* error) {
    auto& manager = service(userdata).manager();
    const auto& c = manager.config();
    Inspection found;
    try {
        found = manager.inspect();
    } catch (const std::exception& e) {
        return sd_bus_error_set(error, error_name::system, e.what());
    }
    sd_bus_message* raw = nullptr;
    int r = sd_bus_message_new_method_return(m, &raw);
    if (r < 0) return r;
    SdBusMessage reply(raw);
    auto host = format_ipv4(c.host_address()), inside = format_ipv4(c.namespace_address());
    auto path = c.namespace_path();
    const std::uint16_t port = c.proxy_port;
    const int complete = found.complete(), fail_closed = c.fail_closed;
    struct Entry { const char* key; const char* type; const void* value; };
    const Entry entries[] = {
        {"State", "s", state_name(manager.state())},
        {"Complete", "b", &complete},
        {"NamespaceName", "s", c.namespace_name.c_str()},
        {"NamespacePath", "s", path.c_str()},
        {"HostInterface", "s", c.host_interface.c_str()},
        {"NamespaceInterface", "s", c.namespace_interface.c_str()},
        {"HostAddress", "s", host.c_str()},
        {"NamespaceAddress", "s", inside.c_str()},
        {"ProxyPort", "q", &port},
        {"Uplink", "s", manager.uplink().c_str()},
        {"FailClosed", "b", &fail_closed},
        {"NftTable", "s", c.nft_table.c_str()},
        {"LastError", "s", manager.last_error().c_str()},
    };
    r = sd_bus_message_open_container(reply.get(), 'a', "{sv}");
    for (const auto& e : entries) {
        if (r < 0) break;
        r = sd_bus_message_open_container(reply.get(), 'e', "sv");
        if (r >= 0) r = sd_bus_message_append_basic(reply.get(), 's', e.key);
        if (r >= 0) r = sd_bus_message_open_container(reply.get(), 'v', e.type);
        if (r >= 0) r = sd_bus_message_append_basic(reply.get(), e.type[0], e.value);
        if (r >= 0) r = sd_bus_message_close_container(reply.get());
        if (r >= 0) r = sd_bus_message_close_container(reply.get());
    }
    if (r >= 0) r = sd_bus_message_close_container(reply.get());
    if (r < 0) return r;
    return sd_bus_send(nullptr, reply.get(), nullptr);
}

// Properties: each reads one field of the manager or its config.
template <typename Get>
int string_property(sd_bus_message* reply, void* userdata, Get get) {
    std::string value = get(service(userdata).manager());
    return sd_bus_message_append(reply, "s", value.c_str());
}

#define STRING_PROPERTY(fn, expr)                                                                         \
    int fn(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void* userdata,         \
           sd_bus_error*) {                                                                               \
        return string_property(reply, userdata, [](Manager& m) -> std::string { return expr; });        \
    }

STRING_PROPERTY(property_state, state_name(m.state()))
STRING_PROPERTY(property_namespace_name, m.config().namespace_name)
STRING_PROPERTY(property_namespace_path, m.config().namespace_path())
STRING_PROPERTY(property_host_interface, m.config().host_interface)
STRING_PROPERTY(property_namespace_interface, m.config().namespace_interface)
STRING_PROPERTY(property_host_address, format_ipv4(m.config().host_address()))
STRING_PROPERTY(property_namespace_address, format_ipv4(m.config().namespace_address()))
STRING_PROPERTY(property_uplink, m.uplink())
STRING_PROPERTY(property_last_error, m.last_error())
#undef STRING_PROPERTY

int property_proxy_port(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void* userdata,
                        sd_bus_error*) {
    return sd_bus_message_append(reply, "q", service(userdata).manager().config().proxy_port);
}

int property_fail_closed(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void* userdata,
                         sd_bus_error*) {
    return sd_bus_message_append(reply, "b", static_cast<int>(service(userdata).manager().config().fail_closed));
}

constexpr std::uint64_t unprivileged = SD_BUS_VTABLE_UNPRIVILEGED;
constexpr std::uint64_t changes = SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE;
constexpr std::uint64_t constant = SD_BUS_VTABLE_PROPERTY_CONST;

const sd_bus_vtable helper_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD_WITH_NAMES("Up", "", "", "b", SD_BUS_PARAM(changed), method_up, unprivileged),
    SD_BUS_METHOD_WITH_NAMES("Down", "", "", "b", SD_BUS_PARAM(changed), method_down, unprivileged),
    SD_BUS_METHOD_WITH_NAMES("GetStatus", "", "", "a{sv}", SD_BUS_PARAM(status), method_get_status,
                             unprivileged),
    SD_BUS_PROPERTY("State", "s", property_state, 0, changes),
    SD_BUS_PROPERTY("Uplink", "s", property_uplink, 0, changes),
    SD_BUS_PROPERTY("LastError", "s", property_last_error, 0, changes),
    SD_BUS_PROPERTY("NamespaceName", "s", property_namespace_name, 0, constant),
    SD_BUS_PROPERTY("NamespacePath", "s", property_namespace_path, 0, constant),
    SD_BUS_PROPERTY("HostInterface", "s", property_host_interface, 0, constant),
    SD_BUS_PROPERTY("NamespaceInterface", "s", property_namespace_interface, 0, constant),
    SD_BUS_PROPERTY("HostAddress", "s", property_host_address, 0, constant),
    SD_BUS_PROPERTY("NamespaceAddress", "s", property_namespace_address, 0, constant),
    SD_BUS_PROPERTY("ProxyPort", "q", property_proxy_port, 0, constant),
    SD_BUS_PROPERTY("FailClosed", "b", property_fail_closed, 0, constant),
    SD_BUS_SIGNAL_WITH_NAMES("StateChanged", "s", SD_BUS_PARAM(state), 0),
    SD_BUS_VTABLE_END,
};

}  // namespace

bool may_change_network(uid_t uid, std::span<const gid_t> groups, const std::string& allowed_group) {
    if (uid == 0) return true;
    group* entry = getgrnam(allowed_group.c_str());
    if (!entry) return false;  // no such group: only root
    return std::find(groups.begin(), groups.end(), entry->gr_gid) != groups.end();
}

BusService::BusService(sd_bus* bus, Manager& manager) : bus_(bus), manager_(manager) {
    sd_bus_slot* slot = nullptr;
    int r = sd_bus_add_object_vtable(bus_, &slot, object_path, interface_name, helper_vtable, this);
    if (r < 0) throw_errno(error_name::system, "cannot register the D-Bus object", -r);
    slot_.reset(slot);
}

void BusService::announce_state() {
    int r = sd_bus_emit_properties_changed(bus_, object_path, interface_name, "State", "Uplink", "LastError", nullptr);
    if (r >= 0) r = sd_bus_emit_signal(bus_, object_path, interface_name, "StateChanged", "s", state_name(manager_.state()));
    if (r < 0) log::warning("cannot announce the state change on the bus: {}", std::strerror(-r));
}

}  // namespace cursor_proxy::helper
