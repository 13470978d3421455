// Test tool: the HTTP/2 relay over plain TCP (h2c, prior knowledge).
//
//   h2c-relay LISTEN_PORT UPSTREAM_PORT [--bodies] [--stream-window N] [--connection-window N]
//
// Listens on 127.0.0.1:LISTEN_PORT, connects each accepted connection to
// 127.0.0.1:UPSTREAM_PORT and runs http2::relay between them. Prints one line
// per observer event on stdout ("ready" once listening) so tests can check
// what the relay reported. --bodies makes the observer ask for body bytes.
#include "http2/relay.hpp"
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

class PrintingObserver : public observer::Observer {
public:
    explicit PrintingObserver(bool bodies) : bodies_(bodies) {}
    bool wants_bodies() const override { return bodies_; }

    void request_headers(observer::StreamKey key, const observer::Headers& headers) override {
        print_headers("request_headers", key, headers);
    }
    void response_headers(observer::StreamKey key, const observer::Headers& headers) override {
        print_headers("response_headers", key, headers);
    }
    void body_data(observer::StreamKey key, observer::Direction d, std::span<const std::uint8_t> bytes) override {
        std::printf("body conn=%llu stream=%llu dir=%s bytes=%zu\n", ull(key.connection_id), ull(key.stream_id),
                    name(d), bytes.size());
    }
    void trailers(observer::StreamKey key, observer::Direction d, const observer::Headers& headers) override {
        print_headers(d == observer::Direction::request ? "request_trailers" : "response_trailers", key, headers);
    }
    void stream_closed(observer::StreamKey key, const observer::StreamEnd& end) override {
        std::printf("stream_closed conn=%llu stream=%llu code=%u by=%s request_bytes=%llu response_bytes=%llu\n",
                    ull(key.connection_id), ull(key.stream_id), end.error_code, name(end.reset_by),
                    ull(end.request_bytes), ull(end.response_bytes));
    }

private:
    static unsigned long long ull(std::uint64_t v) { return v; }
    static const char* name(observer::Direction d) { return d == observer::Direction::request ? "request" : "response"; }
    void print_headers(const char* what, observer::StreamKey key, const observer::Headers& headers) {
        std::string line = std::string(what) + " conn=" + std::to_string(key.connection_id) +
                           " stream=" + std::to_string(key.stream_id);
        for (const auto& h : headers) line += " " + h.name + "=" + h.value;
        std::printf("%s\n", line.c_str());
    }
    bool bodies_;
};

asio::awaitable<void> serve(tls::TcpSocket client, std::uint16_t upstream_port, std::uint64_t id,
                            PrintingObserver& observer, const http2::Limits& limits) {
    auto executor = co_await asio::this_coro::executor;
    tls::TcpSocket upstream(executor);
    auto [ec] = co_await upstream.async_connect({asio::ip::make_address("127.0.0.1"), upstream_port},
                                                asio::experimental::as_tuple(asio::use_awaitable));
    if (ec) {
        std::printf("upstream_connect_failed conn=%llu error=%s\n", static_cast<unsigned long long>(id),
                    ec.message().c_str());
        co_return;
    }
    client.set_option(asio::ip::tcp::no_delay(true));
    upstream.set_option(asio::ip::tcp::no_delay(true));
    co_await http2::relay(client, upstream, id, observer, limits);
    std::printf("connection_closed conn=%llu\n", static_cast<unsigned long long>(id));
}

asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor, std::uint16_t upstream_port,
                                  PrintingObserver& observer, const http2::Limits& limits) {
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
        std::fprintf(stderr, "usage: h2c-relay LISTEN_PORT UPSTREAM_PORT [--bodies] [--stream-window N] "
                             "[--connection-window N] [--verbose]\n");
        return 2;
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const auto listen_port = static_cast<std::uint16_t>(number(argv[1], "LISTEN_PORT"));
    const auto upstream_port = static_cast<std::uint16_t>(number(argv[2], "UPSTREAM_PORT"));
    bool bodies = false;
    http2::Limits limits;
    for (int i = 3; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--bodies") {
            bodies = true;
        } else if (arg == "--verbose") {
            log::set_level(log::Level::debug);
        } else if (arg == "--stream-window" && i + 1 < argc) {
            limits.stream_window = static_cast<std::uint32_t>(number(argv[++i], "--stream-window"));
        } else if (arg == "--connection-window" && i + 1 < argc) {
            limits.connection_window = static_cast<std::uint32_t>(number(argv[++i], "--connection-window"));
        } else {
            std::fprintf(stderr, "h2c-relay: unknown argument '%s'\n", argv[i]);
            return 2;
        }
    }
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), listen_port});
    PrintingObserver observer(bodies);
    asio::co_spawn(io, accept_loop(acceptor, upstream_port, observer, limits), asio::detached);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const asio::error_code&, int) { io.stop(); });
    std::printf("ready port=%u\n", acceptor.local_endpoint().port());
    io.run();
    return 0;
}
