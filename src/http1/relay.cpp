// The HTTP/1.1 relay: two coroutines per connection, one per direction, each
// reading into a bounded buffer, parsing it to find message boundaries and
// forwarding the original bytes unchanged (so chunk framing, extensions and
// header spelling reach the peer exactly as sent). A third coroutine watches
// for idleness. The first of the three to finish decides how the connection
// ends; `||` cancels the others.
//
// Memory per connection: two buffers of max(buffer_bytes, max_header_bytes)
// plus the parsed heads of the requests in flight (pipelining is bounded by
// the buffer: a request is parsed only once its bytes are buffered).
//
// Runs on one strand: both directions touch the shared exchange queue.
#include "http1/relay.hpp"

#include "http1/parser.hpp"
#include "log/log.hpp"
#include "stats/counters.hpp"
#include "tls/tls_stream.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace cursor_proxy::http1 {
namespace {

using namespace asio::experimental::awaitable_operators;
using observer::Direction;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
// HTTP/2 CANCEL, the observer's code for an exchange cut off mid-way.
constexpr std::uint32_t kCancelled = 0x8;

// A fixed-capacity byte buffer: read into the free tail, consume from the front.
class ByteBuffer {
public:
    explicit ByteBuffer(std::size_t capacity) : bytes_(capacity) {}

    std::span<const std::uint8_t> data() const { return {bytes_.data() + begin_, end_ - begin_}; }
    bool empty() const { return begin_ == end_; }
    bool full() const { return begin_ == 0 && end_ == bytes_.size(); }

    asio::mutable_buffer free_space() {
        if (begin_ > 0) {
            std::memmove(bytes_.data(), bytes_.data() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        }
        return asio::buffer(bytes_.data() + end_, bytes_.size() - end_);
    }
    void commit(std::size_t n) { end_ += n; }
    void consume(std::size_t n) {
        begin_ += n;
        if (begin_ == end_) begin_ = end_ = 0;
    }

private:
    std::vector<std::uint8_t> bytes_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
};

// A flag one coroutine raises and another waits for (same strand). wait()
// returns false when the waiter was cancelled instead.
class Signal {
public:
    explicit Signal(const asio::any_io_executor& executor) : timer_(executor, asio::steady_timer::time_point::max()) {}

    void set() {
        raised_ = true;
        timer_.cancel();
    }
    void reset() {
        raised_ = false;
        timer_.expires_at(asio::steady_timer::time_point::max());
    }
    asio::awaitable<bool> wait() {
        if (!raised_) co_await timer_.async_wait(use_tuple);
        co_return raised_;
    }

private:
    asio::steady_timer timer_;
    bool raised_ = false;
};

// One request and its response, from the request head until both are done.
struct Exchange {
    observer::StreamKey key;
    std::string method;
    bool upgrade = false;
    bool request_done = false;
    bool response_started = false;  // final response head forwarded
    bool response_done = false;
    observer::StreamEnd end;
};

// How one side of the relay stopped; the first to stop ends the connection.
struct Outcome {
    std::string reason;
    bool error = false;          // logged as a warning, open exchanges count as cut off
    Direction side = Direction::request;  // request: the client's side, response: the upstream's
    std::string reply;           // sent to the client before closing ("" for none)
};

Outcome clean(std::string reason, Direction side) { return {std::move(reason), false, side, {}}; }
Outcome failure(std::string reason, Direction side, std::string reply = {}) {
    return {std::move(reason), true, side, std::move(reply)};
}

std::string error_response(int status, std::string_view reason, std::string_view detail) {
    auto body = fmt::format("cursor-proxy: {}\n", detail);
    return fmt::format("HTTP/1.1 {} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n"
                       "Connection: close\r\n\r\n{}",
                       status, reason, body.size(), body);
}

template <typename Stream>
constexpr std::string_view scheme_of();
template <>
constexpr std::string_view scheme_of<tls::TcpSocket>() { return "http"; }
template <>
constexpr std::string_view scheme_of<tls::TlsStream>() { return "https"; }

// Half-close: the peer sees end of input but can still answer. TLS cannot do
// that through asio (its shutdown then waits for the peer's close_notify and
// would eat the answer), so for TLS the upstream simply is not told.
void half_close(tls::TcpSocket& socket) {
    asio::error_code ignored;  // the peer may be gone already; nothing to do about it
    socket.shutdown(asio::socket_base::shutdown_send, ignored);
}
void half_close(tls::TlsStream&) {}

// At the very end: TCP FIN, or TLS close_notify (waiting at most a second for the peer's).
asio::awaitable<void> close_write(tls::TcpSocket& socket) {
    half_close(socket);
    co_return;
}
asio::awaitable<void> close_write(tls::TlsStream& stream) {
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::seconds(1));
    co_await (stream.async_shutdown(use_tuple) || timer.async_wait(use_tuple));
}

template <typename Stream>
class Relay {
public:
    Relay(Stream& client, Stream& upstream, std::uint64_t connection_id, observer::Observer& observer,
          const Limits& limits, const asio::any_io_executor& executor)
        : client_(client),
          upstream_(upstream),
          connection_id_(connection_id),
          observer_(observer),
          wants_bodies_(observer.wants_bodies()),
          limits_(limits),
          upgrade_answered_(executor),
          never_(executor),
          client_pump_done_(executor),
          upstream_pump_done_(executor) {
        parser_limits_.max_header_bytes = limits.max_header_bytes;
        buffer_bytes_ = std::max({limits.buffer_bytes, limits.max_header_bytes, parser_limits_.max_chunk_line_bytes});
    }

    asio::awaitable<void> run();

private:
    asio::awaitable<Outcome> requests();
    asio::awaitable<Outcome> responses();
    asio::awaitable<Outcome> idle_watchdog();
    asio::awaitable<Outcome> pump(Stream& from, Stream& to, ByteBuffer& buffer, Direction direction);

    asio::awaitable<bool> read(Stream& from, ByteBuffer& buffer, Direction side, std::optional<Outcome>& stop);
    asio::awaitable<std::optional<Outcome>> forward(Stream& to, ByteBuffer& buffer, std::size_t n, Direction side);
    asio::awaitable<asio::error_code> write(Stream& to, std::span<const std::uint8_t> bytes);

    void request_head(const MessageHead& head);
    void response_head(Exchange& exchange, const MessageHead& head);
    void body(Exchange& exchange, Direction direction, std::span<const std::uint8_t> bytes);
    Exchange* awaiting_response();
    void close_finished_exchanges();
    void close_all_exchanges(const Outcome& outcome);

    Stream& client_;
    Stream& upstream_;
    std::uint64_t connection_id_;
    observer::Observer& observer_;
    bool wants_bodies_;
    Limits limits_;
    ParserLimits parser_limits_;
    std::size_t buffer_bytes_;

    std::deque<Exchange> exchanges_;  // oldest first; removed once request and response are done
    std::uint64_t next_stream_id_ = 1;
    bool no_more_requests_ = false;   // client closed, or sent "Connection: close"
    bool switched_ = false;           // the upgrade was accepted: both directions become byte pumps
    Signal upgrade_answered_;
    Signal never_;                    // waited on by a direction that has nothing left to do
    Signal client_pump_done_;
    Signal upstream_pump_done_;
    std::chrono::steady_clock::time_point last_activity_ = std::chrono::steady_clock::now();
};

std::string_view side_name(Direction side) { return side == Direction::request ? "client" : "upstream"; }

// Reads more into the buffer: true when bytes came, false at the end of the
// peer's stream or, with `stop` set, when cancelled or failed.
template <typename Stream>
asio::awaitable<bool> Relay<Stream>::read(Stream& from, ByteBuffer& buffer, Direction side,
                                          std::optional<Outcome>& stop) {
    auto [ec, got] = co_await from.async_read_some(buffer.free_space(), use_tuple);
    buffer.commit(got);
    if (got > 0) last_activity_ = std::chrono::steady_clock::now();
    if (!ec) co_return true;
    if (ec == asio::error::operation_aborted) stop = clean("cancelled", side);
    else if (ec != asio::error::eof && ec != asio::ssl::error::stream_truncated)
        stop = failure(fmt::format("reading from {} failed: {}", side_name(side), ec.message()), side);
    co_return false;
}

// Writes the first n buffered bytes to the other side and drops them.
template <typename Stream>
asio::awaitable<std::optional<Outcome>> Relay<Stream>::forward(Stream& to, ByteBuffer& buffer, std::size_t n,
                                                                Direction side) {
    if (n == 0) co_return std::nullopt;
    if (auto ec = co_await write(to, buffer.data().first(n)))
        co_return failure(fmt::format("writing to {} failed: {}", side_name(side), ec.message()), side);
    buffer.consume(n);
    co_return std::nullopt;
}

template <typename Stream>
asio::awaitable<asio::error_code> Relay<Stream>::write(Stream& to, std::span<const std::uint8_t> bytes) {
    auto [ec, n] = co_await asio::async_write(to, asio::buffer(bytes.data(), bytes.size()), use_tuple);
    (void)n;  // async_write reports an error unless everything was written
    co_return ec;
}

template <typename Stream>
Exchange* Relay<Stream>::awaiting_response() {
    auto it = std::find_if(exchanges_.begin(), exchanges_.end(), [](const Exchange& e) { return !e.response_done; });
    return it == exchanges_.end() ? nullptr : &*it;
}

template <typename Stream>
void Relay<Stream>::request_head(const MessageHead& head) {
    static auto& requests = stats::counter("http1.requests");
    requests.fetch_add(1, std::memory_order_relaxed);
    Exchange& exchange = exchanges_.emplace_back();
    exchange.key = {connection_id_, next_stream_id_++};
    exchange.method = head.method;
    exchange.upgrade = head.upgrade;
    observer::Headers headers = {{":method", head.method},
                                 {":path", head.target},
                                 {":authority", std::string(head.field("host"))},
                                 {":scheme", std::string(scheme_of<Stream>())}};
    headers.insert(headers.end(), head.fields.begin(), head.fields.end());
    observer_.request_headers(exchange.key, headers);
}

template <typename Stream>
void Relay<Stream>::response_head(Exchange& exchange, const MessageHead& head) {
    if (head.interim) return;  // 100 Continue and friends: forwarded, not reported
    static auto& responses = stats::counter("http1.responses");
    responses.fetch_add(1, std::memory_order_relaxed);
    exchange.response_started = true;
    observer::Headers headers = {{":status", std::to_string(head.status)}};
    headers.insert(headers.end(), head.fields.begin(), head.fields.end());
    observer_.response_headers(exchange.key, headers);
}

template <typename Stream>
void Relay<Stream>::body(Exchange& exchange, Direction direction, std::span<const std::uint8_t> bytes) {
    if (bytes.empty()) return;
    (direction == Direction::request ? exchange.end.request_bytes : exchange.end.response_bytes) += bytes.size();
    if (wants_bodies_) observer_.body_data(exchange.key, direction, bytes);
}

template <typename Stream>
void Relay<Stream>::close_finished_exchanges() {
    while (!exchanges_.empty() && exchanges_.front().request_done && exchanges_.front().response_done) {
        observer_.stream_closed(exchanges_.front().key, exchanges_.front().end);
        exchanges_.pop_front();
    }
}

template <typename Stream>
void Relay<Stream>::close_all_exchanges(const Outcome& outcome) {
    close_finished_exchanges();
    for (auto& exchange : exchanges_) {
        exchange.end.error_code = kCancelled;
        exchange.end.reset_by = outcome.side;
        observer_.stream_closed(exchange.key, exchange.end);
    }
    exchanges_.clear();
}

// Client -> upstream.
template <typename Stream>
asio::awaitable<Outcome> Relay<Stream>::requests() {
    static auto& bad_requests = stats::counter("http1.bad_requests");
    ByteBuffer buffer(buffer_bytes_);
    Parser parser(MessageKind::request, parser_limits_);
    for (;;) {
        std::size_t parsed = 0;
        std::optional<Outcome> stop;
        bool wait_for_upgrade = false;
        bool more = true;
        while (more && !stop && !wait_for_upgrade && !no_more_requests_) {
            Event e = parser.next(buffer.data().subspan(parsed));
            parsed += e.consumed;
            switch (e.type) {
            case EventType::need_more: more = false; break;
            case EventType::head: request_head(parser.head()); break;
            case EventType::body: body(exchanges_.back(), Direction::request, e.body); break;
            case EventType::trailers:
                observer_.trailers(exchanges_.back().key, Direction::request, parser.trailers());
                break;
            case EventType::message_end:
                exchanges_.back().request_done = true;
                wait_for_upgrade = exchanges_.back().upgrade;
                no_more_requests_ = !parser.head().keep_alive;
                close_finished_exchanges();
                break;
            case EventType::error: {
                bad_requests.fetch_add(1, std::memory_order_relaxed);
                // A 400 makes sense only when no earlier response is still owed.
                std::string reply = exchanges_.empty() ? error_response(400, "Bad Request", e.error) : "";
                stop = failure("bad request from client: " + e.error, Direction::request, std::move(reply));
                break;
            }
            }
        }
        if (auto failed = co_await forward(upstream_, buffer, parsed, Direction::response)) co_return *failed;
        if (stop) co_return *stop;
        if (wait_for_upgrade) {
            if (!co_await upgrade_answered_.wait()) co_return clean("cancelled", Direction::request);
            upgrade_answered_.reset();
            if (switched_) co_return co_await pump(client_, upstream_, buffer, Direction::request);
            continue;
        }
        if (no_more_requests_) {
            // The response loop ends the relay once the last response is through.
            if (exchanges_.empty()) co_return clean("client sent Connection: close", Direction::request);
            co_await never_.wait();
            co_return clean("cancelled", Direction::request);
        }
        if (buffer.full()) co_return failure("request buffer full without progress", Direction::request);
        std::optional<Outcome> stop_reading;
        if (!co_await read(client_, buffer, Direction::request, stop_reading)) {
            if (stop_reading) co_return *stop_reading;
            if (!parser.between_messages() || !buffer.empty())
                co_return failure("client closed the connection in the middle of a request", Direction::request);
            no_more_requests_ = true;
            if (exchanges_.empty()) co_return clean("client closed the connection", Direction::request);
            half_close(upstream_);
            co_await never_.wait();
            co_return clean("cancelled", Direction::request);
        }
    }
}

// Upstream -> client.
template <typename Stream>
asio::awaitable<Outcome> Relay<Stream>::responses() {
    static auto& bad_responses = stats::counter("http1.bad_responses");
    static auto& upgrades = stats::counter("http1.upgrades");
    ByteBuffer buffer(buffer_bytes_);
    Parser parser(MessageKind::response, parser_limits_);
    for (;;) {
        std::size_t parsed = 0;
        std::optional<Outcome> stop;
        bool more = true;
        while (more && !stop && !switched_) {
            auto input = buffer.data().subspan(parsed);
            Exchange* exchange = awaiting_response();
            if (parser.between_messages()) {
                if (!exchange) {
                    if (!input.empty())
                        stop = failure("upstream sent bytes while no request was waiting for a response",
                                       Direction::response);
                    break;
                }
                parser.expect_response_to(exchange->method);
            }
            Event e = parser.next(input);
            parsed += e.consumed;
            switch (e.type) {
            case EventType::need_more: more = false; break;
            case EventType::head: response_head(*exchange, parser.head()); break;
            case EventType::body: body(*exchange, Direction::response, e.body); break;
            case EventType::trailers:
                observer_.trailers(exchange->key, Direction::response, parser.trailers());
                break;
            case EventType::message_end:
                if (parser.head().interim) break;
                exchange->response_done = true;
                if (parser.head().switches_protocol) {
                    upgrades.fetch_add(1, std::memory_order_relaxed);
                    switched_ = true;
                } else if (exchange->upgrade) {
                    upgrade_answered_.set();  // declined: the request side goes on reading HTTP
                }
                close_finished_exchanges();
                if (switched_) break;
                if (!parser.head().keep_alive)
                    stop = clean("upstream closes the connection after its response", Direction::response);
                else if (no_more_requests_ && exchanges_.empty())
                    stop = clean("last response delivered", Direction::response);
                break;
            case EventType::error:
                bad_responses.fetch_add(1, std::memory_order_relaxed);
                stop = failure("bad response from upstream: " + e.error, Direction::response,
                               exchange->response_started ? "" : error_response(502, "Bad Gateway", e.error));
                break;
            }
        }
        if (auto failed = co_await forward(client_, buffer, parsed, Direction::request)) co_return *failed;
        if (stop) co_return *stop;
        if (switched_) {
            upgrade_answered_.set();
            co_return co_await pump(upstream_, client_, buffer, Direction::response);
        }
        if (buffer.full()) co_return failure("response buffer full without progress", Direction::response);
        std::optional<Outcome> stop_reading;
        if (!co_await read(upstream_, buffer, Direction::response, stop_reading)) {
            if (stop_reading) co_return *stop_reading;
            Event e = parser.end_of_input();
            if (e.type == EventType::message_end) {  // a body read until close is complete
                if (Exchange* exchange = awaiting_response()) exchange->response_done = true;
                close_finished_exchanges();
                co_return clean("upstream closed after its response", Direction::response);
            }
            if (e.type == EventType::error || !buffer.empty()) {
                Exchange* exchange = awaiting_response();
                bool started = exchange && exchange->response_started;
                co_return failure("upstream closed the connection in the middle of a response", Direction::response,
                                  started ? "" : error_response(502, "Bad Gateway", "upstream closed mid-response"));
            }
            if (awaiting_response())
                co_return failure("upstream closed the connection before responding", Direction::response,
                                  error_response(502, "Bad Gateway", "upstream closed without responding"));
            co_return clean("upstream closed the connection", Direction::response);
        }
    }
}

// After a 101: bytes as they come, both ways, until both sides have closed.
template <typename Stream>
asio::awaitable<Outcome> Relay<Stream>::pump(Stream& from, Stream& to, ByteBuffer& buffer, Direction direction) {
    Signal& mine = direction == Direction::request ? client_pump_done_ : upstream_pump_done_;
    Signal& other = direction == Direction::request ? upstream_pump_done_ : client_pump_done_;
    Direction target = direction == Direction::request ? Direction::response : Direction::request;
    for (;;) {
        if (auto failed = co_await forward(to, buffer, buffer.data().size(), target)) co_return *failed;
        std::optional<Outcome> stop_reading;
        if (!co_await read(from, buffer, direction, stop_reading)) {
            if (stop_reading) co_return *stop_reading;
            break;
        }
    }
    // Over TCP the other direction may go on (half-close); TLS cannot tell the
    // peer without closing, so there the tunnel ends with the first side.
    if (!std::is_same_v<Stream, tls::TcpSocket>) co_return clean(fmt::format("tunnel closed by {}", side_name(direction)), direction);
    half_close(to);
    mine.set();
    co_await other.wait();  // returns at once if the other side is done already
    co_return clean("tunnel closed by both sides", direction);
}

template <typename Stream>
asio::awaitable<Outcome> Relay<Stream>::idle_watchdog() {
    static auto& timeouts = stats::counter("http1.idle_timeouts");
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        auto deadline = last_activity_ + limits_.idle_timeout;
        if (std::chrono::steady_clock::now() >= deadline) {
            timeouts.fetch_add(1, std::memory_order_relaxed);
            co_return failure(fmt::format("idle for {}s, closing", limits_.idle_timeout.count()), Direction::request);
        }
        timer.expires_at(deadline);
        auto [ec] = co_await timer.async_wait(use_tuple);
        if (ec == asio::error::operation_aborted) co_return clean("cancelled", Direction::request);
    }
}

template <typename Stream>
asio::awaitable<void> Relay<Stream>::run() {
    auto result = co_await (requests() || responses() || idle_watchdog());
    Outcome outcome = std::visit([](Outcome& o) { return std::move(o); }, result);
    if (outcome.error) {
        log::warning("http1", outcome.reason, {{"connection", connection_id_}});
    } else {
        log::debug("http1", outcome.reason, {{"connection", connection_id_}});
    }
    close_all_exchanges(outcome);
    if (!outcome.reply.empty()) {
        asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::seconds(5));
        auto reply = std::span(reinterpret_cast<const std::uint8_t*>(outcome.reply.data()), outcome.reply.size());
        co_await (write(client_, reply) || timer.async_wait(use_tuple));
    }
    co_await (close_write(client_) && close_write(upstream_));
}

}  // namespace

template <typename Stream>
asio::awaitable<void> relay(Stream& client, Stream& upstream, std::uint64_t connection_id,
                            observer::Observer& observer, const Limits& limits) {
    Relay<Stream> relay(client, upstream, connection_id, observer, limits, co_await asio::this_coro::executor);
    co_await relay.run();
}

template asio::awaitable<void> relay<tls::TcpSocket>(tls::TcpSocket&, tls::TcpSocket&, std::uint64_t,
                                                     observer::Observer&, const Limits&);
template asio::awaitable<void> relay<tls::TlsStream>(tls::TlsStream&, tls::TlsStream&, std::uint64_t,
                                                     observer::Observer&, const Limits&);

}  // namespace cursor_proxy::http1
