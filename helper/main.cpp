// cursor-proxy-helper: the root daemon that owns the cursor-proxy network
// (namespace, veth, routes, nftables table, namespace DNS) and offers it on
// the system bus. See docs/helper.md and docs/dbus-api.md.
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "bus.hpp"
#include "config.hpp"
#include "errors.hpp"
#include "log.hpp"
#include "manager.hpp"
#include "raii.hpp"

namespace cursor_proxy::helper {
namespace {

constexpr const char* help_text = R"(NAME
    cursor-proxy-helper - root helper that sets up the cursor-proxy network namespace

SYNOPSIS
    cursor-proxy-helper [--config FILE] [--verbose]
    cursor-proxy-helper --check [--config FILE]
    cursor-proxy-helper --help | --version

DESCRIPTION
    A small privileged daemon on the system bus (name org.cursorproxy.Helper1,
    object /org/cursorproxy/Helper1). On Up() it creates, all through netlink:
    a network namespace pinned at /run/netns/NAME (visible to `ip netns`), a
    veth pair with one end inside it, addresses from the configured subnet
    (host .1, namespace .2), a default route in the namespace, per-interface
    IPv4 forwarding on the veth and the uplink, one nftables table
    (inet cursor_proxy) that redirects the namespace's TCP 443 to the proxy on
    the host veth address, drops its UDP 443 (QUIC) and IPv6 and masquerades
    the rest out of the uplink, and /etc/netns/NAME/resolv.conf. IPv6 is
    disabled inside the namespace. Down() removes exactly those objects.

    Callers pass no network parameters: everything comes from the config file.
    Up and Down are allowed to root and to members of allowed_group; status
    and properties are readable by everyone. At start the helper repairs a
    setup left by a previous run (namespace and veth present) or removes
    partial leftovers.

OPTIONS
    --config FILE
        Configuration file (default /etc/cursor-proxy/helper.conf). A missing
        default file means built-in defaults; a missing --config file is an
        error.
    --check
        Print what Up would create and run the checks (uplink exists, subnet
        overlaps no host route, a DNS resolver is usable); change nothing.
        Exit status 1 if a check fails.
    --verbose
        Log each step (default: warnings and errors only, on stderr).
    --help
        Show this text.
    --version
        Show the version.

CONFIGURATION (key = value, '#' starts a comment)
    namespace = cursor-proxy          namespace name (letters, digits, _ - .)
    host_interface = cproxy-host      host end of the veth pair (max 15 chars)
    namespace_interface = cproxy-ns   namespace end of the veth pair
    subnet = 10.200.1.0/24            /8 to /30; must not overlap a host route
    proxy_port = 8443                 where the proxy listens on the host end
    uplink = auto                     interface for forwarded traffic; auto:
                                      the device of the IPv4 default route
    dns = auto                        comma-separated IPv4 resolvers; auto:
                                      the host's non-loopback nameservers
    fail_closed = false               true: the namespace reaches only the
                                      proxy and DNS
    nft_table = cursor_proxy          table name in family inet
    allowed_group = cursor-proxy      group whose members may call Up/Down
    teardown_on_stop = false          on SIGTERM: true removes the network,
                                      false keeps it for running programs
    state_dir = /run/cursor-proxy-helper
    etc_netns_dir = /etc/netns

ENVIRONMENT
    DBUS_SYSTEM_BUS_ADDRESS   system bus to use (tests point it at a private bus)

EXIT STATUS
    0 on a clean stop, 1 on errors (message on stderr), 2 on bad usage.

FILES
    /etc/cursor-proxy/helper.conf, /run/netns/NAME, /etc/netns/NAME/resolv.conf,
    /usr/share/dbus-1/system.d/org.cursorproxy.Helper1.conf (bus policy)

SEE ALSO
    docs/helper.md, docs/dbus-api.md, ip-netns(8), nft(8)
)";

struct Options {
    std::string config_path = default_config_path;
    bool config_given = false;
    bool check = false;
    bool verbose = false;
    int abort_after_step = 0;
};

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

Options parse_args(const std::vector<std::string_view>& args) {
    Options o;
    for (std::size_t i = 0; i < args.size(); ++i) {
        auto arg = args[i];
        auto value = [&](std::string_view name) -> std::string {
            if (arg.size() > name.size() && arg[name.size()] == '=') return std::string(arg.substr(name.size() + 1));
            if (i + 1 >= args.size()) throw UsageError(fmt::format("{} needs a value", name));
            return std::string(args[++i]);
        };
        auto is = [&](std::string_view name) {
            return arg == name || (arg.starts_with(name) && arg.size() > name.size() && arg[name.size()] == '=');
        };
        if (arg == "--check") o.check = true;
        else if (arg == "--verbose") o.verbose = true;
        else if (is("--config")) { o.config_path = value("--config"); o.config_given = true; }
        else if (is("--test-abort-after")) {  // testing aid, see docs/helper.md
            auto v = value("--test-abort-after");
            const auto [end, error] = std::from_chars(v.data(), v.data() + v.size(), o.abort_after_step);
            if (error != std::errc() || end != v.data() + v.size() || o.abort_after_step < 1) throw UsageError(fmt::format("--test-abort-after needs a step number, got '{}'", v));
        } else throw UsageError(fmt::format("unknown option '{}'", arg));
    }
    return o;
}

Config read_config(const Options& o) {
    if (!o.config_given && access(o.config_path.c_str(), F_OK) != 0) return Config{};
    return load_config(o.config_path);
}

struct Daemon {
    Manager& manager;
    sd_event* event;
};

int on_stop_signal(sd_event_source*, const signalfd_siginfo* info, void* userdata) {
    auto& d = *static_cast<Daemon*>(userdata);
    log::info("signal {}: stopping", info->ssi_signo);
    if (d.manager.config().teardown_on_stop) {
        try {
            d.manager.down();
        } catch (const std::exception& e) {
            log::error("teardown on stop failed: {}", e.what());
        }
    }
    return sd_event_exit(d.event, 0);
}

void check(int r, const char* what) {
    if (r < 0) throw_errno(error_name::system, what, -r);
}

int run_daemon(Manager& manager) {
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    // sd-event needs them blocked; threads made later inherit the mask.
    check(-pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr), "cannot block SIGTERM");

    sd_event* raw_event = nullptr;
    check(sd_event_default(&raw_event), "cannot create the event loop");
    SdEvent event(raw_event);
    Daemon daemon{manager, event.get()};
    for (int sig : {SIGTERM, SIGINT}) check(sd_event_add_signal(event.get(), nullptr, sig, on_stop_signal, &daemon), "cannot watch signals");

    sd_bus* raw_bus = nullptr;
    if (int r = sd_bus_open_system(&raw_bus); r < 0)
        throw_errno(error_name::system, "cannot connect to the system bus (is dbus running? DBUS_SYSTEM_BUS_ADDRESS?)", -r);
    SdBus bus(raw_bus);
    BusService service(bus.get(), manager);
    manager.reconcile();
    check(sd_bus_attach_event(bus.get(), event.get(), SD_EVENT_PRIORITY_NORMAL), "cannot attach the bus to the event loop");
    check(sd_bus_set_exit_on_disconnect(bus.get(), 1), "cannot set exit-on-disconnect");
    // The name is taken last: with Type=dbus, owning it means ready.
    if (int r = sd_bus_request_name(bus.get(), bus_name, 0); r < 0) {
        if (r == -EEXIST) throw HelperError(error_name::system, fmt::format("another process already owns {}", bus_name));
        throw_errno(error_name::system,
                    fmt::format("cannot own {} on the system bus (does the bus policy "
                                "org.cursorproxy.Helper1.conf allow this user?)", bus_name), -r);
    }
    log::info("ready on the bus as {}", bus_name);
    check(sd_event_loop(event.get()), "event loop failed");
    return 0;
}

int run(const std::vector<std::string_view>& args) {
    for (auto arg : args) {
        if (arg == "--help" || arg == "-h") { fmt::print("{}", help_text); return 0; }
        if (arg == "--version") { fmt::print("cursor-proxy-helper {}\n", CURSOR_PROXY_VERSION); return 0; }
    }
    auto options = parse_args(args);
    log::set_verbose(options.verbose);
    Manager manager(read_config(options));
    manager.set_abort_after_step(options.abort_after_step);
    if (options.check) {
        auto plan = manager.plan();
        fmt::print("{}", plan);
        return plan.find("checks       ok\n") != std::string::npos ? 0 : 1;
    }
    if (geteuid() != 0) throw HelperError(error_name::system, "must run as root (it creates namespaces and nftables tables)");
    return run_daemon(manager);
}

}  // namespace
}  // namespace cursor_proxy::helper

int main(int argc, char** argv) {
    using namespace cursor_proxy::helper;
    std::vector<std::string_view> args(argv + 1, argv + argc);
    try {
        return run(args);
    } catch (const UsageError& e) {
        fmt::print(stderr, "cursor-proxy-helper: {}\nTry 'cursor-proxy-helper --help'.\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        fmt::print(stderr, "cursor-proxy-helper: {}\n", e.what());
        return 1;
    }
}
