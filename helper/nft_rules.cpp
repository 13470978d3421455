#include "nft_rules.hpp"

#include <fmt/format.h>
#include <netinet/in.h>  // before linux/netfilter.h, which would pull in linux/in.h
#include <linux/netfilter.h>

namespace cursor_proxy::helper {

std::string RuleSpec::text() const {
    std::string t;
    auto add = [&](const std::string& part) { t += (t.empty() ? "" : " ") + part; };
    if (nfproto) add(*nfproto == NFPROTO_IPV6 ? "meta nfproto ipv6" : "meta nfproto ipv4");
    if (!iifname.empty()) add(fmt::format("iifname \"{}\"", iifname));
    if (!oifname.empty()) add(fmt::format("oifname \"{}\"", oifname));
    if (saddr) add(fmt::format("ip saddr {}", saddr->str()));
    const char* proto = l4proto == IPPROTO_TCP ? "tcp" : "udp";
    if (dport) add(fmt::format("{} dport {}", proto, *dport));
    else if (l4proto) add(fmt::format("meta l4proto {}", proto));
    if (ct_established) add("ct state established,related");
    switch (action) {
    case Action::accept: add("accept"); break;
    case Action::drop: add("drop"); break;
    case Action::redirect: add(fmt::format("redirect to :{}", redirect_port)); break;
    case Action::masquerade: add("masquerade"); break;
    }
    return t;
}

TablePlan plan_table(const Config& c, const std::string& uplink) {
    using A = RuleSpec::Action;
    const auto& veth = c.host_interface;
    TablePlan p;
    p.table = c.nft_table;
    p.chains = {
        {"prerouting", "nat", "prerouting", NF_INET_PRE_ROUTING, -100},
        {"input", "filter", "input", NF_INET_LOCAL_IN, 0},
        {"forward", "filter", "forward", NF_INET_FORWARD, 0},
        {"postrouting", "nat", "postrouting", NF_INET_POST_ROUTING, 100},
    };
    const std::uint8_t tcp = IPPROTO_TCP, udp = IPPROTO_UDP;
    auto add = [&](RuleSpec r) { p.rules.push_back(std::move(r)); };

    // NAT where the proxy's socket lives, so SO_ORIGINAL_DST works there.
    add({.chain = "prerouting", .iifname = veth, .l4proto = tcp, .dport = 443, .action = A::redirect,
         .redirect_port = c.proxy_port});

    // input: the redirected connections reach the proxy; QUIC and IPv6 do not.
    add({.chain = "input", .iifname = veth, .l4proto = tcp, .dport = c.proxy_port});
    for (const char* chain : {"input", "forward"}) {
        add({.chain = chain, .iifname = veth, .l4proto = udp, .dport = 443, .action = A::drop});
        add({.chain = chain, .iifname = veth, .nfproto = NFPROTO_IPV6, .action = A::drop});
    }

    // forward: out of the uplink only (fail-closed: DNS only), replies back in.
    if (c.fail_closed) {
        for (std::uint8_t proto : {udp, tcp})
            add({.chain = "forward", .iifname = veth, .oifname = uplink, .l4proto = proto, .dport = 53});
    } else {
        add({.chain = "forward", .iifname = veth, .oifname = uplink});
    }
    add({.chain = "forward", .iifname = veth, .action = A::drop});
    add({.chain = "forward", .iifname = uplink, .oifname = veth, .ct_established = true});
    add({.chain = "forward", .oifname = veth, .action = A::drop});

    // postrouting sees no input interface, so match the namespace's source.
    add({.chain = "postrouting", .oifname = uplink, .nfproto = NFPROTO_IPV4, .saddr = c.subnet,
         .action = A::masquerade});
    return p;
}

std::string describe(const TablePlan& plan) {
    std::string out = fmt::format("table inet {} {{\n", plan.table);
    for (const auto& chain : plan.chains) {
        out += fmt::format("    chain {} {{\n        type {} hook {} priority {}; policy accept;\n", chain.name,
                           chain.type, chain.hook_name, chain.priority);
        for (const auto& rule : plan.rules)
            if (rule.chain == chain.name) out += fmt::format("        {}\n", rule.text());
        out += "    }\n";
    }
    return out + "}\n";
}

}  // namespace cursor_proxy::helper
