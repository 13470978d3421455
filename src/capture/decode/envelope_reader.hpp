#pragma once
// Splits a body into length-prefixed envelopes, the framing Connect
// streaming, gRPC and gRPC-web share: [flags:1][length:4, big-endian][payload].
// Fed arbitrary chunks; an envelope longer than the limit is not buffered:
// its first bytes are kept, the rest skipped, and framing stays in sync.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cursor_proxy::capture::decode {

struct Envelope {
    std::uint8_t flags = 0;
    std::uint32_t length = 0;           // payload length from the prefix
    std::vector<std::uint8_t> payload;  // all of it, or the first bytes when truncated
    bool truncated = false;             // length > max_payload
    std::uint32_t received = 0;         // payload bytes that arrived (== length when complete)
};

class EnvelopeReader {
public:
    EnvelopeReader(std::size_t max_payload, std::size_t truncated_prefix)
        : max_payload_(max_payload), truncated_prefix_(truncated_prefix) {}

    // Appends each envelope the bytes complete to out.
    void feed(std::span<const std::uint8_t> bytes, std::vector<Envelope>& out);

    // At the end of the body: the envelope cut short (its payload holds what
    // arrived, up to the prefix when over the limit) and why, or nullopt.
    std::optional<Envelope> take_incomplete(std::string& why);

private:
    std::size_t max_payload_;
    std::size_t truncated_prefix_;
    std::uint8_t header_[5] = {};
    std::size_t header_have_ = 0;
    bool in_payload_ = false;
    std::uint32_t remaining_ = 0;
    Envelope current_;
};

}  // namespace cursor_proxy::capture::decode
