#pragma once
// The helper's state and the two things it does: bring the namespace network
// up and take it down. Every step "ensures" rather than "creates", so Up is
// idempotent and repairs what a crash left half-made; Down removes exactly
// what the helper made (by the names in its config) and nothing else.
#include <string>
#include <vector>

#include "config.hpp"

namespace cursor_proxy::helper {

enum class State { down, up, failed };
const char* state_name(State state);

// What of ours exists right now.
struct Inspection {
    bool namespace_pinned = false;
    bool host_veth = false;       // a veth named host_interface on the host
    bool namespace_veth = false;  // namespace_interface inside our namespace
    bool nft_table = false;
    bool resolv_conf = false;     // ours, with our marker
    bool forwarding_saved = false;

    bool complete() const { return namespace_pinned && host_veth && namespace_veth && nft_table && resolv_conf; }
    bool any() const { return namespace_pinned || host_veth || nft_table || resolv_conf || forwarding_saved; }
};

class Manager {
public:
    explicit Manager(Config config);

    const Config& config() const { return config_; }
    State state() const { return state_; }
    const std::string& last_error() const { return last_error_; }
    const std::string& uplink() const { return uplink_; }  // resolved, "" when down

    // Checks that need no change: uplink exists, subnet overlaps no host
    // route, a resolver is known. Throws HelperError; returns what it found.
    struct Preflight {
        std::string uplink;                  // resolved, never "auto"
        std::vector<std::string> resolvers;  // for the namespace's resolv.conf
    };
    Preflight preflight() const;
    Inspection inspect() const;

    // Returns whether anything changed. On failure removes what it made,
    // sets State failed and rethrows.
    bool up();
    // Returns whether anything was removed. Best effort: continues past
    // failures and throws the collected ones at the end.
    bool down();
    // At start: a setup in use (namespace and veth present) is repaired by
    // Up; any other leftover is removed by Down.
    void reconcile();

    // --check: what Up would do with this config, and the preflight result.
    std::string plan() const;

    // Testing aid: exit(3) right after step N of Up (simulates a crash).
    void set_abort_after_step(int step) { abort_after_step_ = step; }

private:
    void step_done(int step, const char* name) const;
    void ensure_namespace();
    void ensure_veth();
    void ensure_forwarding();
    void restore_forwarding();
    std::string forwarding_state_path() const;

    Config config_;
    State state_ = State::down;
    std::string last_error_;
    std::string uplink_;
    int abort_after_step_ = 0;
};

}  // namespace cursor_proxy::helper
