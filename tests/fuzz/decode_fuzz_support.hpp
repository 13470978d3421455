#pragma once
// Shared by the capture decoder fuzz targets: the test schema, and a harness
// that feeds a body decoder the input in pieces and checks what comes out.
#include "capture/decode/body_decoder.hpp"
#include "capture/decode/descriptor_pool.hpp"

#include <algorithm>
#include <cstdlib>
#include <span>

#include "chat_descriptor_set.inc"

namespace decode_fuzz {

namespace decode = cursor_proxy::capture::decode;
namespace observer = cursor_proxy::observer;

inline const decode::DescriptorPool& chat_pool() {
    static const decode::DescriptorPool pool = decode::DescriptorPool::parse(chat_descriptor_set);
    return pool;
}

// Byte 0: piece size (1..64) and direction; byte 1: limits, schema or not,
// trailers or not, gzip or identity; the rest is the body.
inline int fuzz_body(const char* content_type, const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::size_t piece = 1 + (data[0] & 63);
    const auto direction = data[0] & 64 ? observer::Direction::response : observer::Direction::request;
    decode::Limits limits;
    limits.max_message_bytes = data[1] & 1 ? 64 : 1 << 16;
    limits.max_decompressed_bytes = data[1] & 2 ? 128 : 1 << 20;
    limits.raw_prefix_bytes = data[1] & 4 ? 3 : 64;
    limits.keep_raw = data[1] & 8;
    const char* encoding = data[1] & 64 ? "gzip" : "identity";
    const observer::Headers headers{{":method", "POST"},
                                    {":path", "/aiserver.v1.ChatService/StreamUnifiedChatWithTools"},
                                    {"content-type", content_type},
                                    {"content-encoding", encoding},
                                    {"connect-content-encoding", encoding},
                                    {"grpc-encoding", encoding}};
    auto decoder = decode::make_body_decoder({.headers = headers, .direction = direction,
                                              .pool = data[1] & 16 ? &chat_pool() : nullptr, .limits = limits});
    std::uint64_t next_index = 0;
    auto check = [&](const std::vector<decode::DecodedMessage>& messages) {
        for (const auto& m : messages) {
            if (m.index != next_index++) std::abort();       // indexes are 0, 1, 2... in order
            (void)m.decoded.dump();                            // throws (and so crashes) on invalid UTF-8
            if (m.raw.size() > std::max({limits.raw_prefix_bytes, limits.max_decompressed_bytes, limits.max_message_bytes}))
                std::abort();
            if (m.truncated && m.raw.size() > limits.raw_prefix_bytes) std::abort();
        }
    };
    std::span<const std::uint8_t> body(data + 2, size - 2);
    for (std::size_t at = 0; at < body.size(); at += piece)
        check(decoder->feed(body.subspan(at, std::min(piece, body.size() - at))));
    const observer::Headers trailers{{"grpc-status", "0"}};
    check(decoder->finish(data[1] & 32 ? &trailers : nullptr));
    return 0;
}

}  // namespace decode_fuzz
