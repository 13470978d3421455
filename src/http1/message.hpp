#pragma once
// What the HTTP/1.1 parser learns from a message head (RFC 9112): the start
// line, the field lines as received, and how the body is framed.
#include "observer/observer.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cursor_proxy::http1 {

enum class MessageKind { request, response };

enum class BodyFraming {
    none,            // no body (GET without length, HEAD/1xx/204/304 responses)
    content_length,  // exactly content_length bytes
    chunked,         // chunked transfer coding, then trailers
    until_close,     // response body ends when the server closes the connection
};

struct MessageHead {
    // Request line...
    std::string method;
    std::string target;
    // ...or status line.
    int status = 0;
    std::string reason;

    int version_minor = 1;     // HTTP/1.<minor>, 0 or 1
    observer::Headers fields;  // in order, names as received, values without surrounding whitespace

    BodyFraming framing = BodyFraming::none;
    std::uint64_t content_length = 0;  // when framing == content_length
    bool keep_alive = true;            // false: the connection ends after this message
    bool upgrade = false;              // request: Upgrade + "Connection: upgrade", or CONNECT
    bool switches_protocol = false;    // response: 101, or 2xx to CONNECT; raw bytes follow
    bool interim = false;              // response: 1xx other than 101; the final response follows

    // First value of a field (name compared case-insensitively); "" if absent.
    std::string_view field(std::string_view name) const;
};

struct ParserLimits {
    std::size_t max_header_bytes = 64 * 1024;  // a head, and a trailer section
    std::size_t max_fields = 256;              // field lines per head or trailer section
    std::size_t max_chunk_line_bytes = 4096;   // chunk size plus extensions
};

}  // namespace cursor_proxy::http1
