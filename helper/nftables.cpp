#include "nftables.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <vector>

#include "errors.hpp"
#include "raii.hpp"

namespace cursor_proxy::helper {
namespace {

[[noreturn]] void fail(const std::string& what, int err) { throw_errno(error_name::nftables, what, err); }

MnlSocket open_socket() {
    MnlSocket nl(mnl_socket_open(NETLINK_NETFILTER));
    if (!nl) fail("cannot open a netfilter netlink socket", errno);
    if (mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0) fail("cannot bind the netfilter netlink socket", errno);
    return nl;
}

NftTable make_table(const std::string& name) {
    NftTable t(nftnl_table_alloc());
    if (!t) fail("cannot allocate an nftables table", ENOMEM);
    nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, name.c_str());
    nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, NFPROTO_INET);
    return t;
}

// --- expressions: each is added to its rule at once, which then owns it ---

nftnl_expr* new_expr(const char* kind) {
    nftnl_expr* e = nftnl_expr_alloc(kind);
    if (!e) fail(fmt::format("cannot allocate nftables expression '{}'", kind), ENOMEM);
    return e;
}

void add_meta(nftnl_rule* r, std::uint32_t key) {
    auto* e = new_expr("meta");
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
    nftnl_rule_add_expr(r, e);
}

void add_cmp_eq(nftnl_rule* r, const void* data, std::uint32_t len, std::uint32_t op = NFT_CMP_EQ) {
    auto* e = new_expr("cmp");
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
    nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
    nftnl_rule_add_expr(r, e);
}

void add_payload(nftnl_rule* r, std::uint32_t base, std::uint32_t offset, std::uint32_t len) {
    auto* e = new_expr("payload");
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
    nftnl_rule_add_expr(r, e);
}

void add_bitwise_and(nftnl_rule* r, const void* mask, std::uint32_t len) {
    std::array<char, 16> zero{};
    auto* e = new_expr("bitwise");
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero.data(), len);
    nftnl_rule_add_expr(r, e);
}

void add_ifname(nftnl_rule* r, std::uint32_t key, const std::string& name) {
    std::array<char, IFNAMSIZ> padded{};
    std::memcpy(padded.data(), name.data(), std::min(name.size(), padded.size() - 1));
    add_meta(r, key);
    add_cmp_eq(r, padded.data(), padded.size());
}

void add_verdict(nftnl_rule* r, int verdict) {
    auto* e = new_expr("immediate");
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, static_cast<std::uint32_t>(verdict));
    nftnl_rule_add_expr(r, e);
}

NftRule build_rule(const std::string& table, const RuleSpec& spec) {
    NftRule rule(nftnl_rule_alloc());
    if (!rule) fail("cannot allocate an nftables rule", ENOMEM);
    auto* r = rule.get();
    nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table.c_str());
    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, spec.chain.c_str());
    nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);

    if (spec.nfproto) {
        std::uint8_t proto = static_cast<std::uint8_t>(*spec.nfproto);
        add_meta(r, NFT_META_NFPROTO);
        add_cmp_eq(r, &proto, sizeof proto);
    }
    if (!spec.iifname.empty()) add_ifname(r, NFT_META_IIFNAME, spec.iifname);
    if (!spec.oifname.empty()) add_ifname(r, NFT_META_OIFNAME, spec.oifname);
    if (spec.saddr) {
        std::uint32_t mask = htonl(spec.saddr->mask()), net = htonl(spec.saddr->network);
        add_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4);  // IPv4 source address
        add_bitwise_and(r, &mask, sizeof mask);
        add_cmp_eq(r, &net, sizeof net);
    }
    if (spec.l4proto) {
        std::uint8_t proto = *spec.l4proto;
        add_meta(r, NFT_META_L4PROTO);
        add_cmp_eq(r, &proto, sizeof proto);
    }
    if (spec.dport) {
        std::uint16_t port = htons(*spec.dport);
        add_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);  // TCP/UDP destination port
        add_cmp_eq(r, &port, sizeof port);
    }
    if (spec.ct_established) {
        std::uint32_t mask = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED), zero = 0;
        auto* e = new_expr("ct");
        nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
        nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
        nftnl_rule_add_expr(r, e);
        add_bitwise_and(r, &mask, sizeof mask);
        add_cmp_eq(r, &zero, sizeof zero, NFT_CMP_NEQ);
    }
    switch (spec.action) {
    case RuleSpec::Action::accept: add_verdict(r, NF_ACCEPT); break;
    case RuleSpec::Action::drop: add_verdict(r, NF_DROP); break;
    case RuleSpec::Action::masquerade: nftnl_rule_add_expr(r, new_expr("masq")); break;
    case RuleSpec::Action::redirect: {
        std::uint16_t port = htons(spec.redirect_port);
        auto* imm = new_expr("immediate");
        nftnl_expr_set_u32(imm, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
        nftnl_expr_set(imm, NFTNL_EXPR_IMM_DATA, &port, sizeof port);
        nftnl_rule_add_expr(r, imm);
        auto* redir = new_expr("redir");
        nftnl_expr_set_u32(redir, NFTNL_EXPR_REDIR_REG_PROTO_MIN, NFT_REG_1);
        nftnl_rule_add_expr(r, redir);
        break;
    }
    }
    return rule;
}

// One nfnetlink batch; remembers what each sequence number was for.
class Batch {
public:
    Batch() : buffer_(256 * 1024), seq_(static_cast<std::uint32_t>(time(nullptr))) {
        batch_ = mnl_nlmsg_batch_start(buffer_.data(), buffer_.size());
        nftnl_batch_begin(static_cast<char*>(mnl_nlmsg_batch_current(batch_)), seq_++);
        next();
    }
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;
    ~Batch() { mnl_nlmsg_batch_stop(batch_); }

    // Starts a message; the caller fills its payload.
    nlmsghdr* add(std::uint16_t type, std::uint16_t flags, std::string what) {
        if (buffer_.size() - mnl_nlmsg_batch_size(batch_) < 16 * 1024) fail("nftables batch buffer full", ENOBUFS);
        auto* nlh = nftnl_nlmsg_build_hdr(static_cast<char*>(mnl_nlmsg_batch_current(batch_)), type, NFPROTO_INET,
                                          flags | NLM_F_ACK, seq_);
        what_[seq_++] = std::move(what);
        return nlh;
    }
    void next() {
        // libmnl reports a message that ran past the buffer here.
        if (!mnl_nlmsg_batch_next(batch_)) fail("nftables batch buffer full", ENOBUFS);
    }

    void send_and_check() {
        nftnl_batch_end(static_cast<char*>(mnl_nlmsg_batch_current(batch_)), seq_++);
        next();
        auto nl = open_socket();
        if (mnl_socket_sendto(nl.get(), mnl_nlmsg_batch_head(batch_), mnl_nlmsg_batch_size(batch_)) < 0)
            fail("cannot send the nftables batch", errno);
        // The kernel processes the batch inside sendto, so every ack is queued
        // by now: read until the socket is empty.
        std::vector<std::string> errors;
        std::size_t acks = 0;
        std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE * 4);
        pollfd pfd{mnl_socket_get_fd(nl.get()), POLLIN, 0};
        while (poll(&pfd, 1, acks < what_.size() && errors.empty() ? 1000 : 0) > 0) {
            auto n = mnl_socket_recvfrom(nl.get(), buf.data(), buf.size());
            if (n < 0) fail("cannot read nftables acknowledgements", errno);
            auto len = static_cast<int>(n);
            for (auto* nlh = reinterpret_cast<nlmsghdr*>(buf.data()); mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
                if (nlh->nlmsg_type != NLMSG_ERROR) continue;
                ++acks;
                auto* err = static_cast<nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
                if (err->error == 0) continue;
                auto it = what_.find(nlh->nlmsg_seq);
                errors.push_back(fmt::format("{}: {}", it != what_.end() ? it->second : "batch", std::strerror(-err->error)));
            }
        }
        if (!errors.empty())
            throw HelperError(error_name::nftables, fmt::format("nftables rejected the change (nothing was applied): {}",
                                                                fmt::join(errors, "; ")));
        if (acks < what_.size())
            throw HelperError(error_name::nftables,
                              fmt::format("nftables acknowledged {} of {} messages", acks, what_.size()));
    }

private:
    std::vector<char> buffer_;
    mnl_nlmsg_batch* batch_;
    std::uint32_t seq_;
    std::map<std::uint32_t, std::string> what_;
};

void add_table_msg(Batch& batch, std::uint16_t type, std::uint16_t flags, const std::string& name, const char* verb) {
    auto t = make_table(name);
    nftnl_table_nlmsg_build_payload(batch.add(type, flags, fmt::format("{} table inet {}", verb, name)), t.get());
    batch.next();
}

}  // namespace

void replace_table(const TablePlan& plan) {
    Batch batch;
    add_table_msg(batch, NFT_MSG_NEWTABLE, NLM_F_CREATE, plan.table, "creating");
    add_table_msg(batch, NFT_MSG_DELTABLE, 0, plan.table, "flushing");
    add_table_msg(batch, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, plan.table, "creating");
    for (const auto& spec : plan.chains) {
        NftChain chain(nftnl_chain_alloc());
        if (!chain) fail("cannot allocate an nftables chain", ENOMEM);
        nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_TABLE, plan.table.c_str());
        nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_NAME, spec.name.c_str());
        nftnl_chain_set_u32(chain.get(), NFTNL_CHAIN_FAMILY, NFPROTO_INET);
        nftnl_chain_set_u32(chain.get(), NFTNL_CHAIN_HOOKNUM, static_cast<std::uint32_t>(spec.hook));
        nftnl_chain_set_s32(chain.get(), NFTNL_CHAIN_PRIO, spec.priority);
        nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_TYPE, spec.type.c_str());
        nftnl_chain_set_u32(chain.get(), NFTNL_CHAIN_POLICY, NF_ACCEPT);
        auto* nlh = batch.add(NFT_MSG_NEWCHAIN, NLM_F_CREATE,
                              fmt::format("adding chain {} (type {} hook {})", spec.name, spec.type, spec.hook_name));
        nftnl_chain_nlmsg_build_payload(nlh, chain.get());
        batch.next();
    }
    for (const auto& spec : plan.rules) {
        auto rule = build_rule(plan.table, spec);
        auto* nlh = batch.add(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND,
                              fmt::format("adding rule '{}' to chain {}", spec.text(), spec.chain));
        nftnl_rule_nlmsg_build_payload(nlh, rule.get());
        batch.next();
    }
    batch.send_and_check();
}

void delete_table(const std::string& name) {
    Batch batch;
    add_table_msg(batch, NFT_MSG_NEWTABLE, NLM_F_CREATE, name, "creating");
    add_table_msg(batch, NFT_MSG_DELTABLE, 0, name, "deleting");
    batch.send_and_check();
}

bool table_exists(const std::string& name) {
    auto nl = open_socket();
    std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
    auto t = make_table(name);
    auto seq = static_cast<std::uint32_t>(time(nullptr));
    auto* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK, seq);
    nftnl_table_nlmsg_build_payload(nlh, t.get());
    if (mnl_socket_sendto(nl.get(), nlh, nlh->nlmsg_len) < 0) fail("cannot query nftables", errno);
    auto n = mnl_socket_recvfrom(nl.get(), buf.data(), buf.size());
    if (n < 0) fail("cannot read the nftables reply", errno);
    auto len = static_cast<int>(n);
    for (auto* reply = reinterpret_cast<nlmsghdr*>(buf.data()); mnl_nlmsg_ok(reply, len); reply = mnl_nlmsg_next(reply, &len)) {
        if (reply->nlmsg_type != NLMSG_ERROR) return true;  // the table itself
        auto* err = static_cast<nlmsgerr*>(mnl_nlmsg_get_payload(reply));
        if (err->error == -ENOENT) return false;
        if (err->error != 0) fail(fmt::format("cannot query table inet {}", name), -err->error);
    }
    return true;
}

}  // namespace cursor_proxy::helper
