#include "capture/decode/gzip.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <memory>

namespace cursor_proxy::capture::decode {

namespace {

struct InflateEnd {
    void operator()(z_stream* s) const {
        inflateEnd(s);
        std::default_delete<z_stream>()(s);  // allocated by make_unique in open_inflater
    }
};
using Inflater = std::unique_ptr<z_stream, InflateEnd>;

// 15 window bits + 32: zlib detects the gzip or zlib header itself.
Inflater open_inflater(std::string& error) {
    auto stream = std::make_unique<z_stream>();
    if (const int rc = inflateInit2(stream.get(), 15 + 32); rc != Z_OK) {
        error = fmt::format("zlib inflateInit2 failed ({})", rc);
        return nullptr;
    }
    return Inflater(stream.release());
}

}  // namespace

InflateResult gunzip(std::span<const std::uint8_t> compressed, std::size_t max_output) {
    InflateResult result;
    Inflater z = open_inflater(result.error);
    if (!z) return result;
    z->next_in = const_cast<Bytef*>(compressed.data());  // zlib's API is not const-correct
    z->avail_in = static_cast<uInt>(std::min<std::size_t>(compressed.size(), UINT32_MAX));
    std::size_t fed = z->avail_in;

    constexpr std::size_t step = 64 * 1024;
    for (;;) {
        if (result.bytes.size() >= max_output) {
            result.capped = true;
            return result;
        }
        const std::size_t room = std::min(step, max_output - result.bytes.size());
        const std::size_t before = result.bytes.size();
        result.bytes.resize(before + room);
        z->next_out = result.bytes.data() + before;
        z->avail_out = static_cast<uInt>(room);
        const int rc = inflate(z.get(), Z_NO_FLUSH);
        result.bytes.resize(before + room - z->avail_out);
        if (rc == Z_STREAM_END) {
            // Concatenated gzip members are legal; anything else after the end is not.
            const std::size_t consumed = fed - z->avail_in;
            if (consumed == compressed.size()) return result;
            if (inflateReset(z.get()) != Z_OK) {
                result.error = "zlib inflateReset failed";
                return result;
            }
            continue;
        }
        if (rc == Z_BUF_ERROR && z->avail_in == 0) {
            if (fed < compressed.size()) {  // more than 4 GiB of input: feed the next part
                const std::size_t next = std::min<std::size_t>(compressed.size() - fed, UINT32_MAX);
                z->next_in = const_cast<Bytef*>(compressed.data() + fed);
                z->avail_in = static_cast<uInt>(next);
                fed += next;
                continue;
            }
            result.error = "compressed data ends early (truncated gzip stream)";
            return result;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            result.error = fmt::format("invalid gzip data: {}", z->msg ? z->msg : zError(rc));
            return result;
        }
    }
}

}  // namespace cursor_proxy::capture::decode
