#include "manager.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "dns.hpp"
#include "errors.hpp"
#include "links.hpp"
#include "log.hpp"
#include "netns.hpp"
#include "nftables.hpp"
#include "sysctl.hpp"
#include "text_file.hpp"

namespace cursor_proxy::helper {

const char* state_name(State state) {
    switch (state) {
    case State::down: return "down";
    case State::up: return "up";
    case State::failed: return "failed";
    }
    return "unknown";
}

namespace {
// A kernel without IPv6 has no such sysctl, and nothing to disable.
void disable_ipv6(const std::string& conf) {
    auto key = "net/ipv6/conf/" + conf + "/disable_ipv6";
    if (read_sysctl(key)) write_sysctl(key, "1");
}
}  // namespace

Manager::Manager(Config config) : config_(std::move(config)) {}

Manager::Preflight Manager::preflight() const {
    auto host = open_route_socket();
    std::string uplink = config_.uplink;
    if (uplink == "auto") {
        auto device = default_route_device(host.get());
        if (!device)
            throw HelperError(error_name::no_uplink,
                              "uplink = auto, but the host has no IPv4 default route; set 'uplink = INTERFACE' in the config");
        uplink = *device;
    } else if (!find_link(host.get(), uplink)) {
        throw HelperError(error_name::no_uplink,
                          fmt::format("uplink interface {} does not exist on the host ('ip link' lists them); "
                                      "fix 'uplink =' in the config or use 'uplink = auto'", uplink));
    }
    if (auto link = find_link(host.get(), config_.host_interface); link && !is_veth(link.get()))
        throw HelperError(error_name::config,
                          fmt::format("interface {} exists and is not a veth, so it is not the helper's; "
                                      "choose another 'host_interface ='", config_.host_interface));
    for (const auto& route : main_table_routes(host.get())) {
        if (route.destination.length == 0 || route.device == config_.host_interface) continue;
        if (!route.destination.overlaps(config_.subnet)) continue;
        auto where = route.device.empty() ? fmt::format("({})", route.type) : "via " + route.device;
        throw HelperError(error_name::subnet_overlap,
                          fmt::format("subnet {} overlaps route {} {}; choose another 'subnet =' in the config",
                                      config_.subnet.str(), route.destination.str(), where));
    }
    return {uplink, namespace_resolvers(config_)};
}

Inspection Manager::inspect() const {
    Inspection found;
    found.namespace_pinned = namespace_pinned(config_.namespace_path());
    auto host = open_route_socket();
    auto link = find_link(host.get(), config_.host_interface);
    found.host_veth = link && is_veth(link.get());
    if (found.namespace_pinned) {
        auto ns = open_namespace(config_.namespace_path());
        run_in_namespace(ns.get(), [&] {
            auto sock = open_route_socket();
            found.namespace_veth = static_cast<bool>(find_link(sock.get(), config_.namespace_interface));
        });
    }
    found.nft_table = table_exists(config_.nft_table);
    found.resolv_conf = resolv_conf_is_ours(config_);
    found.forwarding_saved = access(forwarding_state_path().c_str(), F_OK) == 0;
    return found;
}

void Manager::step_done(int step, const char* name) const {
    log::info("up: step {} done: {}", step, name);
    if (step == abort_after_step_) {
        log::error("aborting after step {} as asked (--test-abort-after)", step);
        std::_Exit(3);
    }
}

bool Manager::up() {
    if (state_ == State::up && inspect().complete()) return false;
    Preflight checked;
    try {
        checked = preflight();
    } catch (const std::exception& e) {  // refused before any change
        state_ = State::failed;
        last_error_ = e.what();
        throw;
    }
    const auto len = config_.subnet.length;
    try {
        ensure_namespace();
        step_done(1, "namespace pinned");
        ensure_veth();
        step_done(2, "veth pair");
        auto ns = open_namespace(config_.namespace_path());
        run_in_namespace(ns.get(), [&] {
            // No IPv6 inside: it could not go through the IPv4-only redirect.
            disable_ipv6("all");
            disable_ipv6("default");
            auto sock = open_route_socket();
            set_link_up(sock.get(), "lo");
            set_only_ipv4_address(sock.get(), config_.namespace_interface, config_.namespace_address(), len);
            set_link_up(sock.get(), config_.namespace_interface);
            replace_default_route(sock.get(), config_.namespace_interface, config_.host_address());
        });
        auto host = open_route_socket();
        disable_ipv6(config_.host_interface);
        set_only_ipv4_address(host.get(), config_.host_interface, config_.host_address(), len);
        set_link_up(host.get(), config_.host_interface);
        step_done(3, "addresses and routes");
        uplink_ = checked.uplink;
        ensure_forwarding();
        step_done(4, "forwarding");
        replace_table(plan_table(config_, uplink_));
        step_done(5, "nftables table");
        write_resolv_conf(config_, checked.resolvers);
        step_done(6, "resolv.conf");
    } catch (const std::exception& e) {
        std::string reason = e.what();
        log::error("up failed, removing what was made: {}", reason);
        try {
            down();
        } catch (const std::exception& cleanup) {
            log::error("cleanup after the failed up was incomplete: {}", cleanup.what());
        }
        state_ = State::failed;
        last_error_ = reason;
        throw;
    }
    state_ = State::up;
    last_error_.clear();
    log::info("up: namespace {} ready, proxy expected on {}:{}", config_.namespace_name,
              format_ipv4(config_.host_address()), config_.proxy_port);
    return true;
}

void Manager::ensure_namespace() {
    if (!namespace_pinned(config_.namespace_path())) pin_new_namespace(config_.namespace_path());
}

void Manager::ensure_veth() {
    auto host = open_route_socket();
    auto ns = open_namespace(config_.namespace_path());
    auto link = find_link(host.get(), config_.host_interface);
    bool peer_in_namespace = false;
    if (link) {
        run_in_namespace(ns.get(), [&] {
            auto sock = open_route_socket();
            auto peer = find_link(sock.get(), config_.namespace_interface);
            peer_in_namespace = peer && is_veth(peer.get());
        });
    }
    if (link && !peer_in_namespace) {  // half-made by a crash: start the pair again
        delete_link(host.get(), link.get());
        link.reset();
    }
    if (!link) create_veth(host.get(), config_.host_interface, config_.namespace_interface, ns.get());
}

std::string Manager::forwarding_state_path() const {
    return config_.state_dir + "/" + config_.namespace_name + ".uplink-forwarding";
}

// Forwarding is switched on per interface (the veth and the uplink), never
// globally; the uplink's previous value is saved so Down can restore it,
// even after a helper restart.
void Manager::ensure_forwarding() {
    if (mkdir(config_.state_dir.c_str(), 0700) < 0 && errno != EEXIST)
        throw_errno(error_name::system, fmt::format("cannot create state directory {}", config_.state_dir), errno);
    std::string saved_if, saved_value;
    std::ifstream(forwarding_state_path()) >> saved_if >> saved_value;
    if (!saved_if.empty() && saved_if != uplink_) restore_forwarding();  // the uplink changed since
    if (saved_if != uplink_) {
        auto old = read_sysctl(forwarding_key(uplink_));
        if (!old) throw HelperError(error_name::system, fmt::format("cannot read {} (does {} have IPv4?)", forwarding_key(uplink_), uplink_));
        write_text_file(forwarding_state_path(), uplink_ + " " + *old + "\n",
                        fmt::format("cannot write {}", forwarding_state_path()), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    }
    write_sysctl(forwarding_key(config_.host_interface), "1");
    write_sysctl(forwarding_key(uplink_), "1");
}

void Manager::restore_forwarding() {
    std::string ifname, value;
    std::ifstream(forwarding_state_path()) >> ifname >> value;
    if (!ifname.empty() && read_sysctl(forwarding_key(ifname))) write_sysctl(forwarding_key(ifname), value);
    if (unlink(forwarding_state_path().c_str()) < 0 && errno != ENOENT)
        throw_errno(error_name::system, fmt::format("cannot remove {}", forwarding_state_path()), errno);
}

bool Manager::down() {
    std::vector<std::string> failures;
    bool removed = false;
    auto attempt = [&](auto&& step) {
        try {
            if (step()) removed = true;
        } catch (const std::exception& e) {
            failures.emplace_back(e.what());
        }
    };
    attempt([&] { return remove_resolv_conf(config_); });
    attempt([&] {
        if (!table_exists(config_.nft_table)) return false;
        delete_table(config_.nft_table);
        return true;
    });
    attempt([&] {
        if (access(forwarding_state_path().c_str(), F_OK) != 0) return false;
        restore_forwarding();
        return true;
    });
    attempt([&] {
        auto host = open_route_socket();
        auto link = find_link(host.get(), config_.host_interface);
        if (!link || !is_veth(link.get())) return false;  // not ours: leave it
        delete_link(host.get(), link.get());
        return true;
    });
    attempt([&] {
        if (access(config_.namespace_path().c_str(), F_OK) != 0) return false;
        unpin_namespace(config_.namespace_path());
        return true;
    });
    uplink_.clear();
    if (!failures.empty()) {
        state_ = State::failed;
        last_error_ = fmt::format("down could not remove everything: {}", fmt::join(failures, "; "));
        throw HelperError(error_name::system, last_error_);
    }
    state_ = State::down;
    last_error_.clear();
    return removed;
}

void Manager::reconcile() {
    try {
        auto found = inspect();
        if (found.namespace_pinned && found.host_veth) {
            log::info("found namespace {} from a previous run: repairing it", config_.namespace_name);
            up();
        } else if (found.any()) {
            log::info("found leftovers of namespace {} from a previous run: removing them", config_.namespace_name);
            down();
        }
    } catch (const std::exception& e) {
        log::error("reconciling at start failed: {}", e.what());
    }
}

std::string Manager::plan() const {
    const auto& c = config_;
    std::string uplink = c.uplink, check = "ok";
    try {
        uplink = preflight().uplink;
    } catch (const std::exception& e) {
        check = std::string("FAILED: ") + e.what();
    }
    std::string dns;
    try {
        dns = fmt::format("{}", fmt::join(namespace_resolvers(c), ", "));
    } catch (const std::exception& e) {
        dns = e.what();
    }
    auto host = format_ipv4(c.host_address()), inside = format_ipv4(c.namespace_address());
    std::string out;
    out += fmt::format("namespace    {} pinned at {} (IPv6 disabled inside, lo up)\n", c.namespace_name, c.namespace_path());
    out += fmt::format("veth         {} {}/{} (host) <-> {} {}/{} (namespace)\n", c.host_interface, host,
                       c.subnet.length, c.namespace_interface, inside, c.subnet.length);
    out += fmt::format("route        namespace default via {}\n", host);
    out += fmt::format("uplink       {}{}\n", uplink, c.uplink == "auto" ? " (auto: the host's default route)" : "");
    out += fmt::format("forwarding   net.ipv4.conf.{{{},{}}}.forwarding=1 (uplink's old value restored by Down)\n",
                       c.host_interface, uplink);
    out += fmt::format("dns          {}: {}\n", c.resolv_conf_path(), dns);
    out += fmt::format("proxy        expected on {}:{} (transparent mode; bind with IP_FREEBIND)\n", host, c.proxy_port);
    out += fmt::format("mode         {}\n", c.fail_closed ? "fail-closed: the namespace reaches only the proxy and DNS"
                                                          : "open: other traffic forwarded and masqueraded");
    out += fmt::format("access       Up/Down: root and group {}; status: everyone\n", c.allowed_group);
    out += fmt::format("on SIGTERM   {}\n", c.teardown_on_stop ? "take the network down" : "keep the network");
    out += "nftables:\n" + describe(plan_table(c, uplink));
    out += fmt::format("checks       {}\n", check);
    return out;
}

}  // namespace cursor_proxy::helper
