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
    auto rule = [&](std::string chain) {
        RuleSpec r;
        r.chain = std::move(chain);
        return r;
    };
    // NAT where the proxy's socket lives, so SO_ORIGINAL_DST works there.
    RuleSpec redirect = rule("prerouting");
    redirect.iifname = veth;
    redirect.l4proto = IPPROTO_TCP;
    redirect.dport = 443;
    redirect.action = A::redirect;
    redirect.redirect_port = c.proxy_port;
    p.rules.push_back(redirect);

    // input: the redirected connections reach the proxy; QUIC and IPv6 do not.
    RuleSpec to_proxy = rule("input");
    to_proxy.iifname = veth;
    to_proxy.l4proto = IPPROTO_TCP;
    to_proxy.dport = c.proxy_port;
    p.rules.push_back(to_proxy);
    for (const char* chain : {"input", "forward"}) {
        RuleSpec quic = rule(chain);
        quic.iifname = veth;
        quic.l4proto = IPPROTO_UDP;
        quic.dport = 443;
        quic.action = A::drop;
        p.rules.push_back(quic);
        RuleSpec v6 = rule(chain);
        v6.iifname = veth;
        v6.nfproto = NFPROTO_IPV6;
        v6.action = A::drop;
        p.rules.push_back(v6);
    }

    // forward: out of the uplink only (fail-closed: DNS only), replies back in.
    if (c.fail_closed) {
        for (std::uint8_t proto : {std::uint8_t{IPPROTO_UDP}, std::uint8_t{IPPROTO_TCP}}) {
            RuleSpec dns = rule("forward");
            dns.iifname = veth;
            dns.oifname = uplink;
            dns.l4proto = proto;
            dns.dport = 53;
            p.rules.push_back(dns);
        }
    } else {
        RuleSpec out = rule("forward");
        out.iifname = veth;
        out.oifname = uplink;
        p.rules.push_back(out);
    }
    RuleSpec rest_out = rule("forward");
    rest_out.iifname = veth;
    rest_out.action = A::drop;
    p.rules.push_back(rest_out);
    RuleSpec back = rule("forward");
    back.iifname = uplink;
    back.oifname = veth;
    back.ct_established = true;
    p.rules.push_back(back);
    RuleSpec rest_in = rule("forward");
    rest_in.oifname = veth;
    rest_in.action = A::drop;
    p.rules.push_back(rest_in);

    // postrouting sees no input interface, so match the namespace's source.
    RuleSpec masq = rule("postrouting");
    masq.nfproto = NFPROTO_IPV4;
    masq.saddr = c.subnet;
    masq.oifname = uplink;
    masq.action = A::masquerade;
    p.rules.push_back(masq);
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
