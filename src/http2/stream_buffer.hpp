#pragma once
// The bytes of one stream direction held between the two legs: appended when
// a DATA chunk arrives on one leg, taken when the other leg's data source asks.
// Its size is bounded from outside: the leg that receives only reopens the
// peer's flow-control window for bytes taken from here, so it never holds
// more than the receive window advertised for the stream.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace cursor_proxy::http2 {

class StreamBuffer {
public:
    // Fixed-size blocks: memory follows the bytes held, returned as they
    // leave. Up to pool_blocks free blocks per thread are kept for reuse,
    // because a small stream allocating and freeing one each was a visible
    // share of the relay's time (1 MiB per thread at most).
    static constexpr std::size_t block_bytes = 16 * 1024;
    static constexpr std::size_t pool_blocks = 64;

    void append(std::span<const std::uint8_t> bytes);
    // Copies up to out.size() bytes into out, removes them, returns how many.
    std::size_t take(std::span<std::uint8_t> out);
    // Drops everything (the stream is gone); returns how many bytes were held.
    std::size_t clear();

    ~StreamBuffer();
    StreamBuffer() = default;
    StreamBuffer(const StreamBuffer&) = delete;
    StreamBuffer& operator=(const StreamBuffer&) = delete;

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }

private:
    struct Block {
        std::unique_ptr<std::uint8_t[]> bytes;  // block_bytes long, from a per-thread pool
        std::size_t begin = 0;  // first unread byte
        std::size_t end = 0;    // one past the last written byte
    };
    void push_block();
    void pop_block();
    // Blocks in order; those before head_ are spent. A vector, unlike a
    // deque, allocates nothing until the first byte arrives.
    std::vector<Block> blocks_;
    std::size_t head_ = 0;
    std::size_t size_ = 0;
};

}  // namespace cursor_proxy::http2
