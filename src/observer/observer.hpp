#pragma once
// The hook interface between the relays (http1/, http2/) and whoever wants to
// see traffic (capture/, status, tests). The relays call these on their own
// thread, in order per stream; an implementation must return quickly and must
// never block (capture copies into a bounded queue and drops when full).
//
// Stream identity: (connection id, stream id). For HTTP/2 the stream id is the
// client-side HTTP/2 stream id; for HTTP/1.1 it is the request's ordinal on the
// connection (1, 2, 3...).
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cursor_proxy::observer {

enum class Direction { request, response };

struct Header {
    std::string name;   // lower case for HTTP/2; as received for HTTP/1.1
    std::string value;
};
using Headers = std::vector<Header>;

struct ConnectionInfo {
    std::uint64_t id = 0;                // unique per process
    std::string client_address;          // "10.200.1.2:51234"
    std::string original_destination;    // "93.184.216.34:443"
    std::string sni;                     // empty when the client sent none
    std::string alpn;                    // "h2", "http/1.1" or "" (passthrough: "")
    bool intercepted = true;             // false: bytes spliced through untouched
    std::chrono::system_clock::time_point opened{};
};

struct StreamKey {
    std::uint64_t connection_id = 0;
    std::uint64_t stream_id = 0;
    friend bool operator==(const StreamKey&, const StreamKey&) = default;
};

struct StreamEnd {
    // HTTP/2 error code of a reset (0 = closed normally).
    std::uint32_t error_code = 0;
    // Who reset it, when error_code != 0.
    Direction reset_by = Direction::request;
    // The proxy itself ended the stream (shutdown grace over, a relay given
    // up), not a peer; reset_by is then meaningless.
    bool ended_by_proxy = false;
    std::uint64_t request_bytes = 0;   // body bytes relayed client -> upstream
    std::uint64_t response_bytes = 0;  // body bytes relayed upstream -> client
};

class Observer {
public:
    virtual ~Observer() = default;

    // When false the relays do not call body_data (no copies, no cost).
    virtual bool wants_bodies() const { return false; }

    virtual void connection_opened(const ConnectionInfo&) {}
    virtual void connection_closed(std::uint64_t /*connection_id*/, std::string_view /*reason*/) {}

    // HTTP/2: every header as received, pseudo-headers (":method", ":path",
    // ":authority", ":scheme", ":status") first. HTTP/1.1: the same
    // pseudo-headers are synthesised from the request/status line, then the
    // header fields as received.
    virtual void request_headers(StreamKey, const Headers&) {}
    virtual void response_headers(StreamKey, const Headers&) {}

    // Body bytes in the order relayed, chunked framing removed (HTTP/1.1).
    virtual void body_data(StreamKey, Direction, std::span<const std::uint8_t>) {}
    virtual void trailers(StreamKey, Direction, const Headers&) {}

    // Called once per stream, last, whether it ended normally or by reset.
    virtual void stream_closed(StreamKey, const StreamEnd&) {}
};

// The observer used when nobody is listening.
Observer& null_observer();

}  // namespace cursor_proxy::observer
