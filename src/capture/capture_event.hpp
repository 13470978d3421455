#pragma once
// One observer call, copied so the writer thread can handle it later.
#include "observer/observer.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace cursor_proxy::capture {

enum class EventKind {
    connection_opened,
    connection_closed,
    request_headers,
    response_headers,
    body_data,
    trailers,
    stream_closed,
};

struct CaptureEvent {
    EventKind kind = EventKind::body_data;
    std::chrono::system_clock::time_point time{};
    observer::StreamKey key;  // connection events: key.connection_id only
    observer::Direction direction = observer::Direction::request;
    // Events of this stream were dropped just before this one (queue full):
    // the writer stops decoding the stream, whose framing is now unknown.
    bool after_loss = false;
    observer::ConnectionInfo connection;  // connection_opened
    observer::Headers headers;            // *_headers, trailers
    std::vector<std::uint8_t> body;       // body_data
    std::string reason;                   // connection_closed
    observer::StreamEnd end;              // stream_closed

    // What the event holds in memory, for the queue's byte limit.
    std::size_t cost() const;
};

}  // namespace cursor_proxy::capture
