#pragma once
// Everything `cursor-proxy run` decided from its options, and the shared
// objects every connection uses. Built once at startup; read-only afterwards
// except for the thread-safe parts (leaf cache, passthrough policy).
#include "accept/listen_address.hpp"
#include "ca/authority.hpp"
#include "ca/leaf_cache.hpp"
#include "http1/relay.hpp"
#include "http2/relay.hpp"
#include "observer/observer.hpp"
#include "tls/client_tls.hpp"
#include "tls/passthrough_policy.hpp"
#include "tls/upstream_tls.hpp"

#include <chrono>
#include <cstddef>
#include <vector>

namespace cursor_proxy::proxy {

struct ProxyConfig {
    std::vector<accept::ListenAddress> listen;
    // Connections beyond this wait in the kernel's accept queue. Each costs
    // two sockets, two TLS states and the relays' buffers (about 300 KiB for
    // HTTP/1.1 at the default buffer sizes), so 4096 is ~1.2 GiB worst case.
    std::size_t max_connections = 4096;
    std::chrono::seconds handshake_timeout{10};  // accept → both TLS handshakes done
    std::chrono::seconds idle_timeout{600};      // no byte in either direction (as --idle-timeout)
    std::chrono::seconds shutdown_grace{10};     // SIGTERM: time given to open connections
    http1::Limits http1;
    http2::Limits http2;
};

// The objects a connection needs; they outlive every session.
struct SessionContext {
    const ProxyConfig& config;
    const ca::Authority& authority;
    ca::LeafCache& leaves;
    tls::UpstreamTls& upstream_tls;
    tls::ClientTls& client_tls;
    tls::PassthroughPolicy& passthrough;
    observer::Observer& observer;
    std::vector<asio::ip::tcp::endpoint> listeners;  // bound endpoints, for the loop guard
};

}  // namespace cursor_proxy::proxy
