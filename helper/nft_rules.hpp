#pragma once
// The helper's nftables table as data: which chains, which rules. nftables.cpp
// turns this into netlink messages; describe() prints it in nft's syntax for
// --check and the docs. Keeping one description means the two cannot drift.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config.hpp"

namespace cursor_proxy::helper {

struct ChainSpec {
    std::string name;
    std::string type;       // "filter" or "nat"
    std::string hook_name;  // "prerouting", "input", "forward", "postrouting"
    int hook = 0;           // NF_INET_*
    int priority = 0;
};

struct RuleSpec {
    enum class Action { accept, drop, redirect, masquerade };
    // Every member has an initializer so rules can be written with
    // designated initializers naming only what they match.
    std::string chain{};
    std::string iifname{}, oifname{};     // empty: any
    std::optional<int> nfproto{};         // NFPROTO_IPV4 / NFPROTO_IPV6
    std::optional<std::uint8_t> l4proto{};  // IPPROTO_TCP / IPPROTO_UDP
    std::optional<std::uint16_t> dport{};
    std::optional<Ipv4Prefix> saddr{};
    bool ct_established = false;        // ct state established,related
    Action action = Action::accept;
    std::uint16_t redirect_port = 0;

    std::string text() const;  // nft syntax, e.g. iifname "cp-host" tcp dport 443 redirect to :8443
};

struct TablePlan {
    std::string table;  // in family inet
    std::vector<ChainSpec> chains;
    std::vector<RuleSpec> rules;
};

// `uplink` is the resolved uplink interface (never "auto").
TablePlan plan_table(const Config& config, const std::string& uplink);
// The whole table in `nft -f` syntax.
std::string describe(const TablePlan& plan);

}  // namespace cursor_proxy::helper
