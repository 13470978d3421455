// plain-relay: the HTTP/1.1 relay over plain TCP on loopback, for tests with
// real peers before (and without) the TLS pipeline. Every accepted connection
// on 127.0.0.1:LISTEN is connected to 127.0.0.1:UPSTREAM and relayed by
// http1::relay; observer events go to stdout as JSON lines, logs to stderr.
//
//   plain-relay --listen 0 --upstream 8080 [--bodies] [--idle-timeout 300]
//   {"event":"listening","port":40123}
//   {"event":"request_headers","connection":1,"stream":1,"headers":[[":method","GET"],...]}
#include "cli/arg_parser.hpp"
#include "http1/relay.hpp"
#include "json_lines_observer.hpp"
#include "log/log.hpp"
#include "log/user_error.hpp"
#include "tls/tls_stream.hpp"

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace {

using namespace cursor_proxy;
using tools::emit;
using tools::JsonLinesObserver;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

asio::awaitable<void> session(tls::TcpSocket client, std::uint64_t id, std::uint16_t upstream_port,
                              JsonLinesObserver& observer, http1::Limits limits) {
    auto executor = co_await asio::this_coro::executor;
    asio::error_code ignored;
    auto peer = client.remote_endpoint(ignored);
    observer.connection_opened({.id = id,
                                .client_address = fmt::format("{}:{}", peer.address().to_string(), peer.port()),
                                .original_destination = fmt::format("127.0.0.1:{}", upstream_port),
                                .sni = "",
                                .alpn = "http/1.1",
                                .intercepted = true,
                                .opened = std::chrono::system_clock::now()});
    tls::TcpSocket upstream(executor);
    auto [ec] = co_await upstream.async_connect({asio::ip::address_v4::loopback(), upstream_port}, use_tuple);
    if (ec) {
        log::warning("plain-relay", "cannot connect upstream", {{"port", upstream_port}, {"error", ec.message()}});
        observer.connection_closed(id, "upstream connect failed: " + ec.message());
        co_return;
    }
    co_await http1::relay(client, upstream, id, observer, limits);
    observer.connection_closed(id, "relay ended");
}

asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor, std::uint16_t upstream_port,
                                  JsonLinesObserver& observer, http1::Limits limits) {
    std::uint64_t next_id = 1;
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
        if (ec) {
            log::error("plain-relay", "accept failed", {{"error", ec.message()}});
            co_return;
        }
        asio::co_spawn(acceptor.get_executor(), session(std::move(socket), next_id++, upstream_port, observer, limits),
                       [](std::exception_ptr e) {
                           if (!e) return;
                           try {
                               std::rethrow_exception(e);
                           } catch (const std::exception& ex) {
                               log::error("plain-relay", "session failed", {{"error", ex.what()}});
                           }
                       });
    }
}

int run(std::span<const std::string> args) {
    cli::ArgParser parser("plain-relay", "Relay HTTP/1.1 over plain TCP on loopback, printing observer events as JSON lines.");
    parser.option("listen", "PORT", "Port to listen on at 127.0.0.1 (0: any free port; printed first).", "0")
        .option("upstream", "PORT", "Port at 127.0.0.1 to relay each connection to.")
        .flag("bodies", "Report body bytes (hex) to the observer output.")
        .option("idle-timeout", "SECONDS", "Close a connection idle this long.", "300")
        .option("max-header-bytes", "N", "Largest request or response head.", "65536")
        .option("buffer-bytes", "N", "Buffer per direction.", "65536")
        .flag("verbose", "Log at debug level.");
    auto a = parser.parse(args);
    if (a.help_requested) {
        fmt::print("{}", parser.help());
        return 0;
    }
    if (!a.has("upstream")) throw UsageError("plain-relay: --upstream PORT is required");
    if (a.has("verbose")) log::set_level(log::Level::debug);
    http1::Limits limits;
    limits.idle_timeout = std::chrono::seconds(a.get_int("idle-timeout", 1, 86400));
    limits.max_header_bytes = static_cast<std::size_t>(a.get_int("max-header-bytes", 1024, 1 << 24));
    limits.buffer_bytes = static_cast<std::size_t>(a.get_int("buffer-bytes", 1024, 1 << 26));
    auto upstream_port = static_cast<std::uint16_t>(a.get_int("upstream", 1, 65535));

    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(),
                                          static_cast<std::uint16_t>(a.get_int("listen", 0, 65535))});
    emit({{"event", "listening"}, {"port", acceptor.local_endpoint().port()}});
    JsonLinesObserver observer(a.has("bodies") ? tools::BodyReport::sizes_and_hex : tools::BodyReport::none);
    asio::co_spawn(io, accept_loop(acceptor, upstream_port, observer, limits), asio::detached);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const asio::error_code&, int) { io.stop(); });
    io.run();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        std::vector<std::string> args(argv + 1, argv + argc);
        return run(args);
    } catch (const cursor_proxy::UserError& e) {
        std::cerr << e.what() << "\n";
        return e.exit_code();
    } catch (const std::exception& e) {
        std::cerr << "plain-relay: " << e.what() << "\n";
        return 1;
    }
}
