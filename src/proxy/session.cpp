#include "proxy/session.hpp"

#include "accept/connect_request.hpp"
#include "accept/original_destination.hpp"
#include "log/log.hpp"
#include "stats/counters.hpp"
#include "tls/peek_client_hello.hpp"
#include "tls/splice.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>

namespace cursor_proxy::proxy {
namespace {

using asio::experimental::as_tuple;
using namespace asio::experimental::awaitable_operators;
using tcp = asio::ip::tcp;

constexpr std::string_view kLog = "proxy";

// What the connection learned before any byte is relayed.
struct Connection {
    std::uint64_t id = 0;
    accept::ListenMode mode = accept::ListenMode::transparent;
    std::string client_address;
    std::string host;                 // CONNECT host, else the destination IP
    std::vector<tcp::endpoint> destinations;
    tcp::endpoint upstream_endpoint;  // the one we connected to
    std::string sni;
    std::string stage = "starting";   // for the timeout log line
};

// How establish() ended.
struct Established {
    enum class Kind { closed, intercept, splice } kind = Kind::closed;
    std::unique_ptr<tls::TlsStream> client;
    std::unique_ptr<tls::TlsStream> upstream;
    tcp::socket raw_upstream;
    std::string alpn;
    explicit Established(const asio::any_io_executor& executor) : raw_upstream(executor) {}
};

std::uint64_t next_connection_id() {
    static std::atomic<std::uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
}

void count(std::string_view name) {
    stats::counter(name).fetch_add(1, std::memory_order_relaxed);
}

bool relayable_alpn(const std::string& protocol) {
    return protocol == "h2" || protocol == "http/1.1" || protocol == "http/1.0";
}

// Fills conn.destinations. Returns false (after answering/logging) to close.
asio::awaitable<bool> find_destination(Connection& conn, tcp::socket& client) {
    if (conn.mode == accept::ListenMode::transparent) {
        tcp::endpoint destination;
        if (const auto error = accept::original_destination(client, destination)) {
            count("connections.refused");
            log::warning(kLog, "connection was not redirected by nftables (no original destination); closing it",
                         {{"conn", conn.id}, {"client", conn.client_address}, {"error", error.message()}});
            co_return false;
        }
        conn.host = destination.address().to_string();
        conn.destinations = {destination};
        co_return true;
    }
    conn.stage = "reading CONNECT request";
    auto request = co_await accept::read_connect_request(client);
    if (request.refused) {
        count("connections.refused");
        log::warning(kLog, "bad CONNECT request; answered with an error and closed",
                     {{"conn", conn.id}, {"client", conn.client_address}, {"error", request.error}});
        co_return false;
    }
    if (!request.error.empty()) {
        // Port scanners and health checks do this all day: not worth a warning.
        count("connections.dropped_early");
        log::info(kLog, "client left before sending a CONNECT request",
                  {{"conn", conn.id}, {"client", conn.client_address}, {"error", request.error}});
        co_return false;
    }
    conn.host = request.request.host;
    conn.stage = "resolving " + conn.host;
    tcp::resolver resolver(client.get_executor());
    auto [error, results] = co_await resolver.async_resolve(conn.host, std::to_string(request.request.port),
                                                            as_tuple(asio::use_awaitable));
    if (error) {
        count("connections.upstream_failed");
        log::warning(kLog, "cannot resolve CONNECT host", {{"conn", conn.id}, {"host", conn.host}, {"error", error.message()}});
        co_await accept::refuse_connect(client, 502, fmt::format("cannot resolve {}: {}", conn.host, error.message()));
        co_return false;
    }
    for (const auto& entry : results) conn.destinations.push_back(entry.endpoint());
    co_return true;
}

// Connects the upstream TCP leg (used by interception and passthrough alike).
asio::awaitable<bool> connect_upstream(SessionContext& ctx, Connection& conn, tcp::socket& client, tcp::socket& upstream) {
    const auto own = std::find_if(conn.destinations.begin(), conn.destinations.end(), [&](const auto& destination) {
        return accept::is_own_listener(destination, ctx.listeners);
    });
    if (own != conn.destinations.end()) {
        count("connections.loop_refused");
        log::warning(kLog, "refusing a connection to the proxy's own listener (it would loop)",
                     {{"conn", conn.id}, {"client", conn.client_address}, {"destination", accept::to_string(*own)}});
        if (conn.mode == accept::ListenMode::connect) {
            co_await accept::refuse_connect(client, 403, "destination is this proxy itself");
        }
        co_return false;
    }
    conn.stage = "connecting to " + conn.host;
    auto [error, endpoint] = co_await asio::async_connect(upstream, conn.destinations, as_tuple(asio::use_awaitable));
    if (error) {
        count("connections.upstream_failed");
        log::warning(kLog, "cannot connect to the destination", {{"conn", conn.id}, {"host", conn.host},
                                                                  {"error", error.message()}});
        if (conn.mode == accept::ListenMode::connect) {
            co_await accept::refuse_connect(client, 502, fmt::format("cannot connect to {}: {}", conn.host, error.message()));
        }
        co_return false;
    }
    conn.upstream_endpoint = endpoint;
    upstream.set_option(tcp::no_delay(true), error);
    if (conn.mode == accept::ListenMode::connect) {
        if (auto write_error = co_await accept::accept_connect(client)) {
            count("connections.dropped_early");
            log::info(kLog, "client left before the CONNECT answer could be sent",
                      {{"conn", conn.id}, {"client", conn.client_address}, {"error", write_error.message()}});
            co_return false;
        }
    }
    co_return true;
}

// Upstream TLS, leaf, client TLS. Returns false (after logging) to close.
asio::awaitable<bool> intercept(SessionContext& ctx, Connection& conn, tcp::socket& client, Established& out,
                                const std::vector<std::string>& offered_alpn) {
    const std::string verify_name = !conn.sni.empty() ? conn.sni : conn.host;
    conn.stage = "TLS handshake with " + verify_name;
    auto upstream = co_await ctx.upstream_tls.handshake(std::move(out.raw_upstream), conn.sni, verify_name, offered_alpn);
    if (!upstream.stream) {
        count(upstream.certificate_rejected ? "tls.upstream_certificate_rejected" : "tls.upstream_handshake_failed");
        log::warning(kLog, upstream.certificate_rejected ? "upstream certificate rejected; closing the client connection"
                                                         : "upstream TLS handshake failed; closing the client connection",
                     {{"conn", conn.id}, {"host", verify_name}, {"destination", accept::to_string(conn.upstream_endpoint)},
                      {"reason", upstream.error}});
        co_return false;
    }
    ca::LeafRequest request;
    request.sni = conn.sni;
    request.dns_names = upstream.names.dns;
    request.ip_addresses = upstream.names.ip;
    if (conn.sni.empty()) {
        std::error_code not_ip;
        asio::ip::make_address(conn.host, not_ip);
        auto& names = not_ip ? request.dns_names : request.ip_addresses;
        if (std::find(names.begin(), names.end(), conn.host) == names.end()) names.push_back(conn.host);
    }
    std::shared_ptr<X509> leaf;
    try {
        leaf = ctx.leaves.get(request);
    } catch (const std::exception& e) {
        count("tls.leaf_failed");
        log::error(kLog, "cannot mint a certificate", {{"conn", conn.id}, {"host", verify_name}, {"error", e.what()}});
        co_return false;
    }
    conn.stage = "TLS handshake with the client";
    auto accepted = co_await ctx.client_tls.handshake(std::move(client), leaf.get(), ctx.authority.leaf_key(), upstream.alpn);
    if (!accepted.stream) {
        count("tls.client_handshake_failed");
        if (accepted.abort == tls::ClientAbort::rejected_certificate || accepted.abort == tls::ClientAbort::closed_early) {
            log::warning(kLog, "the client refused our certificate: the client does not trust the cursor-proxy CA "
                               "(install ca.crt in the store it reads: system store, NODE_EXTRA_CA_CERTS, NSS db "
                               "~/.pki/nssdb) or pins the server's certificate",
                         {{"conn", conn.id}, {"host", verify_name}, {"reason", accepted.error}});
            if (ctx.passthrough.record_client_abort(verify_name)) {
                count("tls.auto_passthrough_hosts");
                log::warning(kLog, "passing this host through untouched from now on (--auto-passthrough-after)",
                             {{"host", verify_name}, {"after", ctx.passthrough.auto_after()}});
            }
        } else {
            log::info(kLog, "client TLS handshake failed", {{"conn", conn.id}, {"host", verify_name}, {"reason", accepted.error}});
        }
        co_return false;
    }
    out.kind = Established::Kind::intercept;
    out.client = std::move(accepted.stream);
    out.upstream = std::move(upstream.stream);
    out.alpn = upstream.alpn;
    co_return true;
}

asio::awaitable<void> establish(SessionContext& ctx, Connection& conn, tcp::socket& client, Established& out) {
    if (!co_await find_destination(conn, client)) co_return;
    if (!co_await connect_upstream(ctx, conn, client, out.raw_upstream)) co_return;

    conn.stage = "waiting for the ClientHello";
    const auto peeked = co_await tls::peek_client_hello(client);
    if (peeked.error) {
        count("tls.client_hello_incomplete");
        log::info(kLog, "client closed or sent too much before a complete ClientHello",
                  {{"conn", conn.id}, {"client", conn.client_address}, {"error", peeked.error.message()}});
        co_return;
    }
    if (peeked.parse.status == tls::ParseStatus::not_tls) {
        log::info(kLog, "not TLS; splicing the bytes through untouched", {{"conn", conn.id}, {"host", conn.host}});
        out.kind = Established::Kind::splice;
        co_return;
    }
    if (peeked.parse.status != tls::ParseStatus::complete) {
        count("tls.client_hello_malformed");
        log::warning(kLog, "malformed ClientHello; closing", {{"conn", conn.id}, {"client", conn.client_address},
                                                              {"error", peeked.parse.error}});
        co_return;
    }
    conn.sni = peeked.parse.hello.sni;
    const std::string policy_host = conn.sni.empty() ? conn.host : conn.sni;
    if (ctx.passthrough.passes_through(policy_host)) {
        log::info(kLog, "passthrough host; splicing untouched", {{"conn", conn.id}, {"host", policy_host}});
        out.kind = Established::Kind::splice;
        co_return;
    }
    const auto& offered = peeked.parse.hello.alpn;
    std::vector<std::string> alpn;
    std::copy_if(offered.begin(), offered.end(), std::back_inserter(alpn), relayable_alpn);
    if (!offered.empty() && alpn.empty()) {
        log::info(kLog, "client offers no HTTP protocol we relay; splicing untouched",
                  {{"conn", conn.id}, {"host", policy_host}, {"alpn", fmt::format("{}", fmt::join(offered, ","))}});
        out.kind = Established::Kind::splice;
        co_return;
    }
    co_await intercept(ctx, conn, client, out, alpn);
}

asio::awaitable<void> handshake_deadline(std::chrono::seconds timeout) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(timeout);
    co_await timer.async_wait(as_tuple(asio::use_awaitable));
}

asio::awaitable<void> relay(SessionContext& ctx, Connection& conn, Established& est) {
    auto& observer = ctx.observer;
    if (est.alpn == "h2") {
        co_await http2::relay(*est.client, *est.upstream, conn.id, observer, ctx.config.http2);
    } else {
        co_await http1::relay(*est.client, *est.upstream, conn.id, observer, ctx.config.http1);
    }
}

}  // namespace

asio::awaitable<void> run_session(SessionContext& ctx, tcp::socket client, accept::ListenMode mode) {
    static auto& active = stats::counter("connections.active");
    count("connections.accepted");
    active.fetch_add(1, std::memory_order_relaxed);
    struct ActiveGuard {
        stats::Counter& gauge;
        ~ActiveGuard() { gauge.fetch_sub(1, std::memory_order_relaxed); }
    } guard{active};

    Connection conn;
    conn.id = next_connection_id();
    conn.mode = mode;
    std::error_code error;
    const auto peer = client.remote_endpoint(error);
    conn.client_address = error ? "?" : accept::to_string(peer);
    client.set_option(tcp::no_delay(true), error);

    Established est(client.get_executor());
    const auto outcome = co_await (establish(ctx, conn, client, est) || handshake_deadline(ctx.config.handshake_timeout));
    if (outcome.index() == 1) {
        count("connections.handshake_timeout");
        log::warning(kLog, "connection setup timed out; closing (--handshake-timeout)",
                     {{"conn", conn.id}, {"client", conn.client_address}, {"stage", conn.stage},
                      {"timeout_s", ctx.config.handshake_timeout.count()}});
        co_return;
    }
    if (est.kind == Established::Kind::closed) co_return;

    observer::ConnectionInfo info;
    info.id = conn.id;
    info.client_address = conn.client_address;
    info.original_destination = accept::to_string(conn.upstream_endpoint);
    info.sni = conn.sni;
    info.alpn = est.alpn;
    info.intercepted = est.kind == Established::Kind::intercept;
    info.opened = std::chrono::system_clock::now();
    ctx.observer.connection_opened(info);

    std::string reason = "closed";
    if (est.kind == Established::Kind::splice) {
        count("connections.passthrough");
        const auto totals = co_await tls::splice(client, est.raw_upstream, ctx.config.idle_timeout);
        if (totals.idle_timeout) reason = "idle timeout";
        log::info(kLog, "passthrough connection ended", {{"conn", conn.id}, {"reason", reason},
                                                          {"up_bytes", totals.client_to_upstream},
                                                          {"down_bytes", totals.upstream_to_client}});
    } else {
        count("connections.intercepted");
        log::info(kLog, "intercepting", {{"conn", conn.id}, {"client", conn.client_address},
                                         {"destination", info.original_destination}, {"host", conn.host},
                                         {"sni", conn.sni}, {"alpn", est.alpn.empty() ? "none" : est.alpn}});
        co_await relay(ctx, conn, est);
        log::debug(kLog, "connection ended", {{"conn", conn.id}});
    }
    ctx.observer.connection_closed(conn.id, reason);
}

}  // namespace cursor_proxy::proxy
