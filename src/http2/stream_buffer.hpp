#pragma once
// The bytes of one stream direction held between the two legs: appended when
// a DATA chunk arrives on one leg, taken when the other leg's data source asks.
// Its size is bounded from outside: the leg that receives only reopens the
// peer's flow-control window for bytes taken from here, so it never holds
// more than the receive window advertised for the stream.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>

namespace cursor_proxy::http2 {

class StreamBuffer {
public:
    // Fixed-size blocks: memory follows the bytes held, freed as they leave.
    static constexpr std::size_t block_bytes = 16 * 1024;

    void append(std::span<const std::uint8_t> bytes);
    // Copies up to out.size() bytes into out, removes them, returns how many.
    std::size_t take(std::span<std::uint8_t> out);
    // Drops everything (the stream is gone); returns how many bytes were held.
    std::size_t clear();

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }

private:
    struct Block {
        std::unique_ptr<std::uint8_t[]> bytes{new std::uint8_t[block_bytes]};
        std::size_t begin = 0;  // first unread byte
        std::size_t end = 0;    // one past the last written byte
    };
    std::deque<Block> blocks_;
    std::size_t size_ = 0;
};

}  // namespace cursor_proxy::http2
