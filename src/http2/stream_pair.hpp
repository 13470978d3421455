#pragma once
// One client stream and the upstream stream relaying it: the request half
// flows client -> upstream, the response half upstream -> client. Owned by the
// Connection's stream table, keyed by the client stream id; nghttp2 only ever
// holds that key, never a pointer to this.
#include "http2/stream_buffer.hpp"
#include "observer/observer.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>

namespace cursor_proxy::http2 {

// One direction of a stream.
struct HalfStream {
    observer::Headers headers;            // header block being received (headers or trailers)
    std::size_t header_bytes = 0;         // its cost against max_header_list_bytes
    StreamBuffer body;                    // received on one leg, not yet taken by the other
    bool ended = false;                   // the sender's END_STREAM has arrived
    std::optional<observer::Headers> trailers;
    bool source_deferred = false;         // the other leg's data source is waiting for bytes
    bool end_sent = false;                // END_STREAM submitted on the other leg
    std::uint64_t bytes = 0;              // body bytes received
};

struct StreamPair {
    std::int32_t client_id = 0;
    std::int32_t upstream_id = 0;         // 0 until submitted upstream
    bool upstream_opened = false;         // its HEADERS went out (else a failure is REFUSED_STREAM)
    bool client_closed = false;
    bool upstream_closed = false;
    bool final_response = false;          // a non-1xx response header block arrived
    bool oversized_headers = false;       // a header list beyond the limit: reset, never relayed
    HalfStream request;
    HalfStream response;
    std::optional<observer::StreamEnd> reset;  // first reset seen, and by whom
};

}  // namespace cursor_proxy::http2
