#pragma once
// Decoding one message's payload, shared by every body format: undo the
// compression (capped), then decode as protobuf (with or without a schema) or
// JSON, filling in a DecodedMessage. Also the plain-body forms.
#include "capture/decode/body_decoder.hpp"
#include "capture/decode/descriptor_pool.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace cursor_proxy::capture::decode {

enum class Codec { proto, json };

struct PayloadSettings {
    Codec codec = Codec::proto;
    // The declared encoding ("gzip", "identity", "" when no header); applies
    // to payloads flagged compressed.
    std::string encoding;
    const MessageDescriptor* type = nullptr;  // schema, when known
    const DescriptorPool* pool = nullptr;
    Limits limits;
};

// Decompresses when `compressed`, then decodes per settings.codec. Sets every
// field of m except index, kind, wire_size and truncated (which the framing
// knows); sets truncated when decompression hits its cap.
void decode_payload(DecodedMessage& m, std::span<const std::uint8_t> payload, bool compressed,
                    const PayloadSettings& settings);

// Undoes the compression of a payload. Returns false (m.error, m.raw set)
// when it cannot; out then holds nothing useful.
bool decompress(DecodedMessage& m, std::span<const std::uint8_t> payload, std::string_view encoding,
                const Limits& limits, std::vector<std::uint8_t>& out);

// A non-RPC body: JSON when the content type says so and it parses, text
// when it is printable UTF-8, else binary (size and first bytes).
void decode_plain(DecodedMessage& m, std::span<const std::uint8_t> body, std::string_view content_type,
                  const Limits& limits);

// Appends a "trailers" message (form "headers") numbered index when trailers
// is non-null and not empty: how every decoder's finish() ends.
void append_trailers(std::vector<DecodedMessage>& out, std::uint64_t index, const observer::Headers* trailers);

// The first limits.raw_prefix_bytes of bytes.
std::vector<std::uint8_t> raw_prefix(std::span<const std::uint8_t> bytes, const Limits& limits);

// A payload over limits.max_message_bytes: m is marked truncated, says so
// ("<what> of N bytes exceeds the limit of M bytes; not decoded") and keeps
// the first bytes of `received` (all of the payload, or what was buffered).
void mark_over_limit(DecodedMessage& m, std::string_view what, std::uint64_t size,
                     std::span<const std::uint8_t> received, const Limits& limits);

}  // namespace cursor_proxy::capture::decode
