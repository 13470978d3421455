#pragma once
// One side of the relay: the nghttp2 session facing the client (a server
// session) or facing the upstream (a client session), with the little state
// its read and write loops share. The protocol decisions live in Connection.
#include "http2/nghttp2_handle.hpp"
#include "http2/relay.hpp"

#include <asio.hpp>

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace cursor_proxy::http2 {

class Connection;

enum class Side { client, upstream };

class SessionLeg {
public:
    SessionLeg(Side side, Connection& connection, const asio::any_io_executor& executor);

    // Creates the session and queues our SETTINGS and connection window.
    // Returns an error text, empty on success.
    std::string start(const Limits& limits);

    Side side() const { return side_; }
    std::string_view name() const { return side_ == Side::client ? "client" : "upstream"; }
    nghttp2_session* session() const { return session_.get(); }
    Connection& connection() const { return connection_; }

    // Feeds bytes read from the peer. False when the session cannot go on.
    bool receive(std::span<const std::uint8_t> bytes);
    // Serialises pending frames into out until it holds at least cap bytes or
    // nothing is pending. False on a fatal nghttp2 error.
    bool produce(std::vector<std::uint8_t>& out, std::size_t cap);

    // Wakes the write loop; a wake before it waits is not lost.
    void notify();
    asio::awaitable<void> wait_for_work();
    void cancel_wait() { wake_.cancel(); }

    // Nothing left to read or write: the leg may be dropped.
    bool finished() const;

    bool read_closed = false;      // no more reading (peer gone or session broken)
    bool dead = false;             // no more writing either
    bool writing = false;          // a write is in flight
    bool read_since_tick = false;  // for keepalive PINGs
    bool goaway_submitted = false;
    std::string last_error;        // nghttp2's reason for the last session error

private:
    Side side_;
    Connection& connection_;
    SessionPtr session_;
    asio::steady_timer wake_;
    bool wake_pending_ = false;
};

}  // namespace cursor_proxy::http2
