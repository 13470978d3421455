#include "http2/stream_buffer.hpp"

#include <algorithm>
#include <cstring>

namespace cursor_proxy::http2 {

void StreamBuffer::append(std::span<const std::uint8_t> bytes) {
    while (!bytes.empty()) {
        if (blocks_.empty() || blocks_.back().end == block_bytes) blocks_.emplace_back();
        Block& tail = blocks_.back();
        const std::size_t n = std::min(bytes.size(), block_bytes - tail.end);
        std::memcpy(tail.bytes.get() + tail.end, bytes.data(), n);
        tail.end += n;
        size_ += n;
        bytes = bytes.subspan(n);
    }
}

std::size_t StreamBuffer::take(std::span<std::uint8_t> out) {
    std::size_t taken = 0;
    while (taken < out.size() && !blocks_.empty()) {
        Block& head = blocks_.front();
        const std::size_t n = std::min(out.size() - taken, head.end - head.begin);
        std::memcpy(out.data() + taken, head.bytes.get() + head.begin, n);
        head.begin += n;
        taken += n;
        if (head.begin == head.end) blocks_.pop_front();
    }
    size_ -= taken;
    return taken;
}

std::size_t StreamBuffer::clear() {
    const std::size_t held = size_;
    blocks_.clear();
    size_ = 0;
    return held;
}

}  // namespace cursor_proxy::http2
