#include "capture/decode/utf8.hpp"

namespace cursor_proxy::capture::decode {

namespace {

// Length of the well-formed sequence starting at i, or 0.
std::size_t sequence_length(std::span<const std::uint8_t> b, std::size_t i) {
    const std::uint8_t c = b[i];
    if (c < 0x80) return 1;
    std::size_t n = 0;
    std::uint8_t lo = 0x80, hi = 0xbf;  // allowed range of the second byte
    if (c >= 0xc2 && c <= 0xdf) n = 2;
    else if (c >= 0xe0 && c <= 0xef) { n = 3; if (c == 0xe0) lo = 0xa0; if (c == 0xed) hi = 0x9f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 4; if (c == 0xf0) lo = 0x90; if (c == 0xf4) hi = 0x8f; }
    else return 0;
    if (b.size() - i < n) return 0;
    if (b[i + 1] < lo || b[i + 1] > hi) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if ((b[i + k] & 0xc0) != 0x80) return 0;
    return n;
}

}  // namespace

bool is_valid_utf8(std::span<const std::uint8_t> bytes) {
    for (std::size_t i = 0; i < bytes.size();) {
        const std::size_t n = sequence_length(bytes, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

bool is_printable_utf8(std::span<const std::uint8_t> bytes) {
    for (std::size_t i = 0; i < bytes.size();) {
        const std::uint8_t c = bytes[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) return false;
        const std::size_t n = sequence_length(bytes, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

}  // namespace cursor_proxy::capture::decode
