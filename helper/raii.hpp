#pragma once
// One owning wrapper per C handle the helper uses, written once. Every libnl,
// libmnl, libnftnl and sd-bus object is held in one of these, so early returns
// and exceptions never leak a reference.
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "posix/unique_fd.hpp"

#include <memory>
#include <utility>

namespace cursor_proxy::helper {

template <auto Free>
struct Deleter {
    template <typename T>
    void operator()(T* p) const { Free(p); }
};

template <typename T, auto Free>
using Owned = std::unique_ptr<T, Deleter<Free>>;

// libnl (reference-counted: every getter that returns a new reference is
// released through one of these).
using NlSock = Owned<nl_sock, nl_socket_free>;
using NlCache = Owned<nl_cache, nl_cache_free>;
using NlAddr = Owned<nl_addr, nl_addr_put>;
using RtnlLink = Owned<rtnl_link, rtnl_link_put>;
using RtnlAddr = Owned<rtnl_addr, rtnl_addr_put>;
using RtnlRoute = Owned<rtnl_route, rtnl_route_put>;

// libmnl / libnftnl
using MnlSocket = Owned<mnl_socket, mnl_socket_close>;
using NftTable = Owned<nftnl_table, nftnl_table_free>;
using NftChain = Owned<nftnl_chain, nftnl_chain_free>;
using NftRule = Owned<nftnl_rule, nftnl_rule_free>;

// sd-bus / sd-event
using SdBus = Owned<sd_bus, sd_bus_flush_close_unref>;
using SdBusMessage = Owned<sd_bus_message, sd_bus_message_unref>;
using SdBusSlot = Owned<sd_bus_slot, sd_bus_slot_unref>;
using SdEvent = Owned<sd_event, sd_event_unref>;
using SdEventSource = Owned<sd_event_source, sd_event_source_unref>;

// A file descriptor: the proxy's own wrapper (header-only).
using Fd = posix::UniqueFd;

}  // namespace cursor_proxy::helper
