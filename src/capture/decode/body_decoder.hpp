#pragma once
// Turns the body bytes of one HTTP message (a request or a response) into
// decoded messages, incrementally: the relay hands over chunks as they pass
// (any size, any split), the decoder returns each message as soon as its last
// byte has arrived. Pure code: no I/O, no threads; one decoder per stream and
// direction, used from one thread.
//
//   auto d = decode::make_body_decoder({.headers = request_headers,
//                                       .direction = observer::Direction::request,
//                                       .pool = pool});
//   for (auto& m : d->feed(chunk)) record(m);
//   for (auto& m : d->finish(&trailers)) record(m);
//
// Formats (chosen from content-type; see docs/decoding.md):
//   application/proto, application/json            Connect unary, one message
//   application/connect+proto, application/connect+json
//                                                  Connect streaming envelopes
//   application/grpc[+proto|+json]                 gRPC length-prefixed messages
//   application/grpc-web[+proto|+json], application/grpc-web-text[+proto]
//                                                  gRPC-web, trailer frames
//   anything else                                  plain: JSON, text, or binary
#include "observer/observer.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cursor_proxy::capture::decode {

class DescriptorPool;

// Named limits. Worst-case memory per decoder: max_message_bytes (buffered
// envelope) + max_decompressed_bytes (inflated copy) + the decoded JSON.
struct Limits {
    // Larger messages are not buffered: their first raw_prefix_bytes are
    // recorded, the message is marked truncated and the rest is skipped.
    std::size_t max_message_bytes = 4 * 1024 * 1024;
    // gzip output cap (bomb protection); beyond it the message is truncated.
    std::size_t max_decompressed_bytes = 16 * 1024 * 1024;
    // Raw bytes kept for truncated or undecodable messages, and the "first
    // bytes" shown for binary plain bodies.
    std::size_t raw_prefix_bytes = 1024;
    // Keep every message's payload bytes (after decompression) in `raw`.
    bool keep_raw = false;
    // Nesting depth for protobuf decoding (schemaless guesses and schema).
    int max_depth = 64;
};

struct DecodedMessage {
    // 0, 1, 2... per decoder (that is, per stream and direction), in order.
    std::uint64_t index = 0;
    // "message": one protobuf/JSON message (Connect, gRPC, gRPC-web, unary)
    // "end_of_stream": Connect's final JSON envelope (flag 0x02)
    // "trailers": gRPC-web trailer frame, or HTTP trailers given to finish()
    // "body": a plain (non-RPC) body as a whole
    std::string kind;
    // How `decoded` is shaped:
    // "protobuf"      protobuf JSON mapping of type_name (a descriptor set was given)
    // "protobuf-raw"  schemaless field list (see raw_protobuf.hpp)
    // "json"          the JSON the peer sent, parsed
    // "text"          a JSON string holding the UTF-8 text
    // "headers"       object name -> value (or array of values when repeated)
    // "binary"        {"size": N, "first_bytes": base64}
    // ""              nothing decoded (see error)
    std::string form;
    // Fully qualified protobuf message name used (form "protobuf"), else "".
    std::string type_name;
    bool compressed = false;
    // Payload bytes as relayed (without the 5-byte envelope prefix).
    std::uint64_t wire_size = 0;
    // Payload bytes after decompression (== wire_size when not compressed;
    // what was produced when decompression failed or hit the cap).
    std::uint64_t decoded_size = 0;
    // Larger than a limit: not (fully) decoded; raw holds the prefix.
    bool truncated = false;
    nlohmann::json decoded;
    // Payload (after decompression) when Limits::keep_raw; the first
    // raw_prefix_bytes when truncated or undecodable; else empty.
    std::vector<std::uint8_t> raw;
    // Why decoding failed or was incomplete; "" when all went well.
    std::string error;
    // The details of an RPC error this message carries (error_details.hpp);
    // set by attach_error_details(), not by the decoders.
    std::optional<nlohmann::json> error_details;
};

class BodyDecoder {
public:
    virtual ~BodyDecoder() = default;
    // Feeds the next body bytes; returns the messages they completed.
    virtual std::vector<DecodedMessage> feed(std::span<const std::uint8_t> bytes) = 0;
    // The body ended. Returns what was still pending (a whole unary/plain
    // body, a message cut short, with its error), then a "trailers" message
    // when trailers is non-null and not empty. Call once; feed() no more.
    virtual std::vector<DecodedMessage> finish(const observer::Headers* trailers) = 0;
    // Short name of the format chosen, e.g. "connect+proto", "grpc-web-text",
    // "unary+json", "plain".
    virtual std::string_view format() const = 0;
};

struct DecoderOptions {
    // This message's headers (request or response), pseudo-headers included.
    const observer::Headers& headers;
    observer::Direction direction = observer::Direction::request;
    // The request's ":path" (/package.Service/Method): picks the method's
    // input (request) or output (response) type. Empty: taken from headers.
    std::string_view rpc_path = {};
    // Schema for "protobuf" output; null or method unknown: schemaless.
    const DescriptorPool* pool = nullptr;
    Limits limits = {};
};

// Never fails: unknown content types get the plain decoder. The options are
// read during the call only (nothing refers to them afterwards); the pool
// must outlive the decoder.
std::unique_ptr<BodyDecoder> make_body_decoder(const DecoderOptions& options);

}  // namespace cursor_proxy::capture::decode
