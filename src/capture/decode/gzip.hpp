#pragma once
// Inflates gzip (and zlib-wrapped "deflate") data with a hard cap on the
// output size, so a small compressed message cannot exhaust memory.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace cursor_proxy::capture::decode {

struct InflateResult {
    std::vector<std::uint8_t> bytes;  // what was produced (at most the cap)
    bool capped = false;              // output reached max_output before the end
    std::string error;                // "" on success; else zlib's reason
};

InflateResult gunzip(std::span<const std::uint8_t> compressed, std::size_t max_output);

}  // namespace cursor_proxy::capture::decode
