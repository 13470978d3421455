#pragma once
// The explicit-proxy handshake: `CONNECT host:port HTTP/1.1` + headers, answered
// with `200 Connection established`; after that the connection is treated
// exactly like a transparent one whose destination is host:port.
#include <asio.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace cursor_proxy::accept {

inline constexpr std::size_t kMaxConnectRequestBytes = 8 * 1024;

struct ConnectRequest {
    std::string host;        // name or IP literal, without brackets
    std::uint16_t port = 0;
    std::size_t bytes = 0;   // length of the request including the blank line
};

struct ConnectParse {
    enum class Status { complete, need_more, invalid } status = Status::need_more;
    ConnectRequest request;
    int http_status = 0;     // for invalid: what to answer (400, 405, 431)
    std::string error;       // for invalid: why, for the log and the reply body
};

// Pure and bounded: parses what has arrived so far.
ConnectParse parse_connect_request(std::span<const std::uint8_t> bytes);

// Reads the request, consuming exactly its bytes (the ClientHello after it
// stays queued for the peek). A bad request is answered with its error status
// here; the caller then only logs outcome.error and closes. Does not answer 200:
// the caller does, once the loop guard and DNS have passed.
struct ConnectOutcome {
    ConnectRequest request;
    std::string error;       // non-empty: no usable request; the caller closes
    bool refused = false;    // the client sent a bad request (answered with an error status);
                             // false with an error: the client went away or the socket failed
};
asio::awaitable<ConnectOutcome> read_connect_request(asio::ip::tcp::socket& socket);

// Answers a refused CONNECT (e.g. the loop guard or an unreachable host).
asio::awaitable<void> refuse_connect(asio::ip::tcp::socket& socket, int http_status, std::string_view reason);

// Answers the accepted CONNECT.
asio::awaitable<std::error_code> accept_connect(asio::ip::tcp::socket& socket);

}  // namespace cursor_proxy::accept
