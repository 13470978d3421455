#pragma once
// A small, fuzzable parser of a TLS ClientHello as it sits in the socket
// buffer (peeked, not consumed). Handles a handshake message split over
// several TLS records. Never reads past the span; never throws.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace cursor_proxy::tls {

struct ClientHello {
    std::string sni;                 // host_name from server_name, "" if absent
    std::vector<std::string> alpn;   // offered protocols, in the client's order
    std::uint16_t record_version = 0;
    std::uint16_t client_version = 0;
    std::size_t bytes = 0;           // how many bytes of input the records carrying it took
};

enum class ParseStatus {
    complete,    // hello holds the result
    need_more,   // a prefix of a plausible ClientHello: peek again when more bytes arrive
    not_tls,     // the bytes are not a TLS handshake (plain HTTP, SSH, garbage)
    malformed,   // looks like TLS but breaks the format; error says how
};

struct ParseResult {
    ParseStatus status = ParseStatus::need_more;
    ClientHello hello;
    std::string error;
};

// Upper bound on what we peek: a ClientHello bigger than this is malformed.
inline constexpr std::size_t kMaxClientHelloBytes = 64 * 1024;

ParseResult parse_client_hello(std::span<const std::uint8_t> bytes);

}  // namespace cursor_proxy::tls
