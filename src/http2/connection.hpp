#pragma once
// The relay of one HTTP/2 connection, without its I/O: both session legs, the
// stream table, and what each nghttp2 event on one leg means for the other.
// The read and write loops (relay.cpp) feed it bytes and drain its frames; the
// nghttp2 callbacks (callbacks.cpp) call the on_* methods.
#include "http2/session_leg.hpp"
#include "http2/stream_pair.hpp"
#include "observer/observer.hpp"

#include <nghttp2/nghttp2.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cursor_proxy::http2 {

class Connection {
public:
    Connection(std::uint64_t id, observer::Observer& observer, const Limits& limits,
               const asio::any_io_executor& executor);
    ~Connection();

    // Creates both sessions; false (and logged) if nghttp2 refuses.
    bool start();

    SessionLeg& client() { return client_; }
    SessionLeg& upstream() { return upstream_; }
    SessionLeg& leg(Side side) { return side == Side::client ? client_ : upstream_; }
    SessionLeg& other(const SessionLeg& leg) { return leg.side() == Side::client ? upstream_ : client_; }
    const Limits& limits() const { return limits_; }
    std::uint64_t id() const { return id_; }

    // nghttp2 events (callbacks.cpp). Return 0 or an nghttp2 error code.
    int on_begin_headers(SessionLeg& leg, const nghttp2_frame& frame);
    int on_header(SessionLeg& leg, const nghttp2_frame& frame, std::string_view name, std::string_view value);
    int on_frame_recv(SessionLeg& leg, const nghttp2_frame& frame);
    int on_data_chunk(SessionLeg& leg, std::int32_t stream_id, std::span<const std::uint8_t> data);
    int on_stream_close(SessionLeg& leg, std::int32_t stream_id, std::uint32_t error_code);
    int on_frame_send(SessionLeg& leg, const nghttp2_frame& frame);
    // The data source of the body sent on leg for the stream keyed key.
    ssize_type read_body(SessionLeg& leg, std::int32_t key, std::span<std::uint8_t> out, std::uint32_t& flags);

    // I/O events (relay.cpp).
    void on_read(SessionLeg& leg);
    // The leg's peer is gone or its session broke: reset the matching streams
    // on the other leg. can_write: the leg may still flush a GOAWAY.
    void leg_failed(SessionLeg& leg, std::string_view reason, bool can_write);
    // Keepalive PINGs and the idle timeout; called every keepalive_interval.
    void tick();
    // Ends the relay once both legs are finished.
    void check_done();

    bool stopping() const { return stopping_; }
    void on_stop(std::function<void()> cancel_io) { cancel_io_ = std::move(cancel_io); }
    asio::steady_timer& tick_timer() { return tick_timer_; }

private:
    StreamPair* by_client(std::int32_t id);
    StreamPair* by_upstream(std::int32_t id);
    StreamPair* pair_on(const SessionLeg& leg, std::int32_t stream_id);
    std::int32_t stream_on(const SessionLeg& leg, const StreamPair& pair) const;
    HalfStream& inbound(const SessionLeg& leg, StreamPair& pair);

    void request_headers_done(StreamPair& pair, bool end_stream);
    void response_headers_done(StreamPair& pair, bool end_stream);
    void trailers_done(SessionLeg& from, StreamPair& pair);
    void half_ended(SessionLeg& from, StreamPair& pair);
    void resume(SessionLeg& to, std::int32_t to_id, HalfStream& half);
    void reset(SessionLeg& leg, std::int32_t stream_id, std::uint32_t code);
    void consume(SessionLeg& leg, std::int32_t stream_id, std::size_t bytes);
    void drop_body(SessionLeg& from, StreamPair& pair);
    void erase(StreamPair& pair);
    // Every open pair, copied out: a loop that erases can walk it safely.
    std::vector<StreamPair*> stream_pairs() const;
    void goaway(SessionLeg& leg, std::uint32_t code);
    void stop();

    std::uint64_t id_;
    observer::Observer& observer_;
    const bool wants_bodies_;  // asked once: the observer does not change its mind
    Limits limits_;
    SessionLeg client_;
    SessionLeg upstream_;
    std::unordered_map<std::int32_t, std::unique_ptr<StreamPair>> streams_;   // by client stream id
    std::unordered_map<std::int32_t, std::int32_t> upstream_to_client_;
    asio::steady_timer tick_timer_;
    std::chrono::steady_clock::time_point last_activity_;  // as of the last tick
    bool active_since_tick_ = false;                       // stream frames since the last tick
    bool stopping_ = false;
    std::function<void()> cancel_io_;
};

}  // namespace cursor_proxy::http2
