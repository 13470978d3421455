#include "capture/decode/envelope_reader.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace cursor_proxy::capture::decode {

void EnvelopeReader::feed(std::span<const std::uint8_t> bytes, std::vector<Envelope>& out) {
    while (!bytes.empty()) {
        if (!in_payload_) {
            const std::size_t n = std::min(bytes.size(), sizeof header_ - header_have_);
            std::copy_n(bytes.begin(), n, header_ + header_have_);
            header_have_ += n;
            bytes = bytes.subspan(n);
            if (header_have_ < sizeof header_) return;
            current_ = Envelope{};
            current_.flags = header_[0];
            current_.length = (std::uint32_t{header_[1]} << 24) | (std::uint32_t{header_[2]} << 16) |
                              (std::uint32_t{header_[3]} << 8) | header_[4];
            current_.truncated = current_.length > max_payload_;
            // Reserve what arrives soon, not what a (possibly bogus) prefix claims.
            current_.payload.reserve(std::min<std::size_t>(current_.length, 64 * 1024));
            remaining_ = current_.length;
            in_payload_ = true;
            header_have_ = 0;
        }
        const std::size_t n = std::min<std::size_t>(bytes.size(), remaining_);
        const std::size_t keep = current_.truncated
                                     ? std::min(n, truncated_prefix_ - std::min(truncated_prefix_, current_.payload.size()))
                                     : n;
        current_.payload.insert(current_.payload.end(), bytes.begin(), bytes.begin() + keep);
        remaining_ -= static_cast<std::uint32_t>(n);
        current_.received += static_cast<std::uint32_t>(n);
        bytes = bytes.subspan(n);
        if (remaining_ == 0) {
            out.push_back(std::move(current_));
            current_ = Envelope{};
            in_payload_ = false;
        }
    }
}

std::optional<Envelope> EnvelopeReader::take_incomplete(std::string& why) {
    if (in_payload_) {
        why = fmt::format("body ended {} bytes into a {}-byte message", current_.length - remaining_, current_.length);
        in_payload_ = false;
        return std::move(current_);
    }
    if (header_have_ > 0) {
        why = fmt::format("body ended {} bytes into a 5-byte message prefix", header_have_);
        Envelope partial;
        partial.payload.assign(header_, header_ + header_have_);
        partial.received = static_cast<std::uint32_t>(header_have_);
        header_have_ = 0;
        return partial;
    }
    return std::nullopt;
}

}  // namespace cursor_proxy::capture::decode
