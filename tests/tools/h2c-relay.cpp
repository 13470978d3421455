// Test tool: the HTTP/2 relay over plain TCP (h2c, prior knowledge).
//
//   h2c-relay LISTEN_PORT UPSTREAM_PORT [--bodies] [--quiet] [--stream-window N] [--connection-window N]
//             [--keepalive-seconds N] [--idle-seconds N] [--verbose]
//
// Listens on 127.0.0.1:LISTEN_PORT, connects each accepted connection to
// 127.0.0.1:UPSTREAM_PORT and runs http2::relay between them. Prints one line
// JSON line per observer event on stdout ({"event": "listening", "port": P}
// first; LISTEN_PORT 0 picks a free port) so tests can check what the relay
// reported. --bodies makes the observer ask for body bytes; --quiet uses the
// null observer and prints only the "listening" line (for bench/run).
#include "http2/relay.hpp"
#include "json_lines_observer.hpp"
#include "log/log.hpp"
#include "tls/tls_stream.hpp"

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace cursor_proxy;
using tools::emit;

asio::awaitable<void> serve(tls::TcpSocket client, std::uint16_t upstream_port, std::uint64_t id,
                            observer::Observer& observer, const http2::Limits& limits) {
    auto executor = co_await asio::this_coro::executor;
    tls::TcpSocket upstream(executor);
    auto [ec] = co_await upstream.async_connect({asio::ip::make_address("127.0.0.1"), upstream_port},
                                                asio::experimental::as_tuple(asio::use_awaitable));
    if (ec) {
        emit({{"event", "upstream_connect_failed"}, {"connection", id}, {"error", ec.message()}});
        co_return;
    }
    client.set_option(asio::ip::tcp::no_delay(true));
    upstream.set_option(asio::ip::tcp::no_delay(true));
    co_await http2::relay(client, upstream, id, observer, limits);
    if (&observer != &observer::null_observer()) emit({{"event", "connection_closed"}, {"connection", id}});
}

asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor, std::uint16_t upstream_port,
                                  observer::Observer& observer, const http2::Limits& limits) {
    std::uint64_t next_id = 1;
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::experimental::as_tuple(asio::use_awaitable));
        if (ec) continue;
        asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), upstream_port, next_id++, observer, limits),
                       asio::detached);
    }
}

unsigned long number(const char* text, const char* what) {
    char* end = nullptr;
    const unsigned long v = std::strtoul(text, &end, 10);
    if (end == text || *end != '\0') {
        std::fprintf(stderr, "h2c-relay: %s must be a number, got '%s'\n", what, text);
        std::exit(2);
    }
    return v;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: h2c-relay LISTEN_PORT UPSTREAM_PORT [--bodies] [--quiet] [--stream-window N] "
                             "[--connection-window N] [--keepalive-seconds N] [--idle-seconds N] [--verbose]\n");
        return 2;
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const auto listen_port = static_cast<std::uint16_t>(number(argv[1], "LISTEN_PORT"));
    const auto upstream_port = static_cast<std::uint16_t>(number(argv[2], "UPSTREAM_PORT"));
    bool bodies = false;
    bool quiet = false;
    http2::Limits limits;
    for (int i = 3; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--bodies") {
            bodies = true;
        } else if (arg == "--quiet") {
            quiet = true;
        } else if (arg == "--verbose") {
            log::set_level(log::Level::debug);
        } else if (arg == "--stream-window" && i + 1 < argc) {
            limits.stream_window = static_cast<std::uint32_t>(number(argv[++i], "--stream-window"));
        } else if (arg == "--keepalive-seconds" && i + 1 < argc) {
            limits.keepalive_interval = std::chrono::seconds(number(argv[++i], "--keepalive-seconds"));
        } else if (arg == "--idle-seconds" && i + 1 < argc) {
            limits.idle_timeout = std::chrono::seconds(number(argv[++i], "--idle-seconds"));
        } else if (arg == "--connection-window" && i + 1 < argc) {
            limits.connection_window = static_cast<std::uint32_t>(number(argv[++i], "--connection-window"));
        } else {
            std::fprintf(stderr, "h2c-relay: unknown argument '%s'\n", argv[i]);
            return 2;
        }
    }
    // Declared before the io_context: relays still running at exit report
    // their open streams to it while the io_context is destroyed.
    tools::JsonLinesObserver printing(bodies ? tools::BodyReport::sizes : tools::BodyReport::none);
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), listen_port});
    observer::Observer& observer = quiet ? observer::null_observer() : printing;
    asio::co_spawn(io, accept_loop(acceptor, upstream_port, observer, limits), asio::detached);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const asio::error_code&, int) { io.stop(); });
    emit({{"event", "listening"}, {"port", acceptor.local_endpoint().port()}});
    io.run();
    return 0;
}
