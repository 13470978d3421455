#include "http2/stream_buffer.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

namespace cursor_proxy::http2 {
namespace {

std::vector<std::unique_ptr<std::uint8_t[]>>& free_blocks() {
    thread_local std::vector<std::unique_ptr<std::uint8_t[]>> pool;
    return pool;
}

}  // namespace

StreamBuffer::~StreamBuffer() { clear(); }

void StreamBuffer::push_block() {
    auto& pool = free_blocks();
    Block block;
    if (pool.empty()) {
        block.bytes = std::make_unique_for_overwrite<std::uint8_t[]>(block_bytes);
    } else {
        block.bytes = std::move(pool.back());
        pool.pop_back();
    }
    blocks_.push_back(std::move(block));
}

void StreamBuffer::pop_block() {
    auto& pool = free_blocks();
    if (pool.size() < pool_blocks) pool.push_back(std::move(blocks_[head_].bytes));
    if (++head_ == blocks_.size()) {
        blocks_.clear();
        head_ = 0;
    } else if (head_ >= 32 && head_ * 2 >= blocks_.size()) {
        // A stream that never quite drains: drop the spent entries now and then.
        blocks_.erase(blocks_.begin(), blocks_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }
}

void StreamBuffer::append(std::span<const std::uint8_t> bytes) {
    while (!bytes.empty()) {
        if (head_ == blocks_.size() || blocks_.back().end == block_bytes) push_block();
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
    while (taken < out.size() && head_ < blocks_.size()) {
        Block& head = blocks_[head_];
        const std::size_t n = std::min(out.size() - taken, head.end - head.begin);
        std::memcpy(out.data() + taken, head.bytes.get() + head.begin, n);
        head.begin += n;
        taken += n;
        if (head.begin == head.end) pop_block();
    }
    size_ -= taken;
    return taken;
}

std::size_t StreamBuffer::clear() {
    const std::size_t held = size_;
    while (head_ < blocks_.size()) pop_block();
    size_ = 0;
    return held;
}

}  // namespace cursor_proxy::http2
