#include "http2/stream_buffer.hpp"

#include <catch2/catch.hpp>

#include <numeric>
#include <vector>

using cursor_proxy::http2::StreamBuffer;

namespace {

std::vector<std::uint8_t> pattern(std::size_t n) {
    std::vector<std::uint8_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i * 7 + 3);
    return v;
}

}  // namespace

TEST_CASE("bytes come out in order across block boundaries, whatever the chunk sizes") {
    StreamBuffer buffer;
    const auto input = pattern(3 * StreamBuffer::block_bytes + 123);
    // Odd-sized appends straddle blocks.
    std::size_t at = 0;
    for (std::size_t step : {1u, 999u, 16384u, 5000u, 30000u}) {
        const std::size_t n = std::min(step, input.size() - at);
        buffer.append({input.data() + at, n});
        at += n;
    }
    buffer.append({input.data() + at, input.size() - at});
    REQUIRE(buffer.size() == input.size());

    std::vector<std::uint8_t> output;
    std::vector<std::uint8_t> chunk(7000);
    while (!buffer.empty()) {
        const std::size_t n = buffer.take(chunk);
        REQUIRE(n > 0);
        output.insert(output.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    }
    CHECK(output == input);
    CHECK(buffer.size() == 0);
}

TEST_CASE("take returns only what is held and zero when empty") {
    StreamBuffer buffer;
    std::vector<std::uint8_t> out(100, 0xee);
    CHECK(buffer.take(out) == 0);
    const std::vector<std::uint8_t> three{1, 2, 3};
    buffer.append(three);
    CHECK(buffer.take(out) == 3);
    CHECK(out[0] == 1);
    CHECK(out[2] == 3);
    CHECK(out[3] == 0xee);
    CHECK(buffer.empty());
}

TEST_CASE("interleaved appends and takes keep FIFO order") {
    StreamBuffer buffer;
    const auto input = pattern(100000);
    std::vector<std::uint8_t> output;
    std::vector<std::uint8_t> chunk(4096);
    std::size_t at = 0;
    while (at < input.size() || !buffer.empty()) {
        const std::size_t n = std::min<std::size_t>(10007, input.size() - at);
        buffer.append({input.data() + at, n});
        at += n;
        const std::size_t got = buffer.take(chunk);
        output.insert(output.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(got));
    }
    CHECK(output == input);
}

TEST_CASE("clear drops everything and reports how much was held") {
    StreamBuffer buffer;
    buffer.append(pattern(40000));
    CHECK(buffer.clear() == 40000);
    CHECK(buffer.empty());
    std::vector<std::uint8_t> out(10);
    CHECK(buffer.take(out) == 0);
    buffer.append(pattern(5));
    CHECK(buffer.size() == 5);
}

TEST_CASE("a stream that never drains keeps its order over many blocks") {
    StreamBuffer buffer;
    const auto input = pattern(200 * StreamBuffer::block_bytes);
    std::vector<std::uint8_t> output;
    std::vector<std::uint8_t> chunk(StreamBuffer::block_bytes);
    buffer.append({input.data(), 3 * StreamBuffer::block_bytes + 5});
    std::size_t at = 3 * StreamBuffer::block_bytes + 5;
    while (at < input.size()) {
        const std::size_t n = std::min(StreamBuffer::block_bytes, input.size() - at);
        buffer.append({input.data() + at, n});
        at += n;
        const std::size_t got = buffer.take(chunk);
        output.insert(output.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(got));
        REQUIRE(buffer.size() == at - output.size());
    }
    while (!buffer.empty()) {
        const std::size_t got = buffer.take(chunk);
        output.insert(output.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(got));
    }
    CHECK(output == input);
}
