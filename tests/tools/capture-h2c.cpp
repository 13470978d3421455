// capture-h2c: the real HTTP/2 relay (plain TCP, prior knowledge) with the
// real capture service as its observer, for end-to-end capture tests before
// and besides `cursor-proxy run`.
//
//   capture-h2c UPSTREAM_PORT --capture-dir DIR [capture options of `run`]
//
// Listens on a free 127.0.0.1 port, prints {"event":"listening","port":P},
// relays each connection to 127.0.0.1:UPSTREAM_PORT, and on SIGTERM/SIGINT
// stops the capture service (flushing what is queued) and exits 0.
#include "capture/capture_service.hpp"
#include "http2/relay.hpp"
#include "log/user_error.hpp"
#include "tls/tls_stream.hpp"

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <vector>

namespace {

using namespace cursor_proxy;
constexpr auto kAsTuple = asio::experimental::as_tuple(asio::use_awaitable);

asio::awaitable<void> serve(tls::TcpSocket client, std::uint16_t upstream_port, std::uint64_t id,
                            observer::Observer& observer) {
    tls::TcpSocket upstream(co_await asio::this_coro::executor);
    auto [ec] = co_await upstream.async_connect({asio::ip::make_address("127.0.0.1"), upstream_port}, kAsTuple);
    if (ec) co_return;
    observer::ConnectionInfo info;
    info.id = id;
    info.client_address = fmt::format("127.0.0.1:{}", client.remote_endpoint().port());
    info.original_destination = fmt::format("127.0.0.1:{}", upstream_port);
    info.sni = "api2.cursor.sh";  // what a TLS client would have sent; here plain TCP
    info.alpn = "h2";
    info.opened = std::chrono::system_clock::now();
    observer.connection_opened(info);
    co_await http2::relay(client, upstream, id, observer, http2::Limits{});
    observer.connection_closed(id, "relay ended");
}

asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor, std::uint16_t upstream_port,
                                  observer::Observer& observer) {
    for (std::uint64_t id = 1;; ++id) {
        auto [ec, socket] = co_await acceptor.async_accept(kAsTuple);
        if (ec) co_return;
        asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), upstream_port, id, observer), asio::detached);
    }
}

}  // namespace

int main(int argc, char** argv) {
    try {
        cli::ArgParser parser("capture-h2c", "HTTP/2 relay with capture, for tests.");
        capture::add_run_options(parser);
        parser.positional("UPSTREAM_PORT", "Port on 127.0.0.1 to relay to.");
        const std::vector<std::string> args(argv + 1, argv + argc);
        const cli::ParsedArgs parsed = parser.parse(args);
        if (!parsed.has("capture-dir")) throw UsageError("capture-h2c: --capture-dir DIR is required");
        const auto upstream_port = static_cast<std::uint16_t>(std::stoul(parsed.positionals.at(0)));
        auto capture = capture::CaptureService::start(parsed, parsed.get("capture-dir"));

        {
            // Destroyed before the capture stops: relays still open report their streams as they go.
            asio::io_context io;
            asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
            asio::co_spawn(io, accept_loop(acceptor, upstream_port, capture->observer()), asio::detached);
            asio::signal_set signals(io, SIGINT, SIGTERM);
            signals.async_wait([&](const asio::error_code&, int) { io.stop(); });
            std::printf("{\"event\":\"listening\",\"port\":%u}\n", acceptor.local_endpoint().port());
            std::fflush(stdout);
            io.run();
        }
        capture->stop();
        return 0;
    } catch (const UserError& e) {
        std::fprintf(stderr, "capture-h2c: %s\n", e.what());
        return e.exit_code();
    }
}
