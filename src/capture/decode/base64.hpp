#pragma once
// Standard base64 (RFC 4648 section 4, with padding): protobuf's JSON mapping
// writes bytes this way, and gRPC-web-text sends whole bodies this way.
#include <cstdint>
#include <span>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cursor_proxy::capture::decode {

std::string base64_encode(std::span<const std::uint8_t> bytes);

// One whole value in standard or URL-safe base64, padded or not (gRPC "-bin"
// headers, Connect error detail values and GET messages come unpadded).
// nullopt on a character outside the alphabets or a misplaced '='.
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

// Decodes a base64 stream fed in arbitrary pieces. gRPC-web-text may
// concatenate separately padded chunks ("AAA=AAA="), so padding ends a group,
// not the stream. Whitespace is ignored.
class Base64StreamDecoder {
public:
    // Appends the decoded bytes to out; false on a character outside the
    // alphabet or misplaced padding (the decoder then stays failed).
    bool feed(std::span<const std::uint8_t> text, std::vector<std::uint8_t>& out);
    // True when no partial group is pending.
    bool complete() const { return have_ == 0 && !failed_; }

private:
    std::uint8_t group_[4] = {};
    int have_ = 0;
    bool failed_ = false;
};

}  // namespace cursor_proxy::capture::decode
