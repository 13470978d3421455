#pragma once
// The concrete body decoders behind make_body_decoder (internal to decode/).
#include "capture/decode/body_decoder.hpp"
#include "capture/decode/payload.hpp"

#include <memory>
#include <string>

namespace cursor_proxy::capture::decode {

// Which envelope protocol: decides what the flag bits mean.
enum class Framing {
    connect,   // 0x01 compressed, 0x02 end-of-stream JSON
    grpc,      // 0x01 compressed
    grpc_web,  // 0x01 compressed, 0x80 trailer frame
};

std::unique_ptr<BodyDecoder> make_enveloped_decoder(std::string format, Framing framing, bool base64_text,
                                                    PayloadSettings settings);

// One body, one message: Connect unary (kind "message", decoded per codec)
// or plain (kind "body"). The body is undone per content-encoding first.
struct WholeBody {
    bool rpc = false;            // Connect unary rather than plain
    bool emit_when_empty = false;  // an empty unary body is an empty message
    std::string content_type;    // for plain bodies
    std::string content_encoding;
};

std::unique_ptr<BodyDecoder> make_whole_body_decoder(std::string format, WholeBody body, PayloadSettings settings);

// "/package.Service/Method" (a query string ignored): a path Connect would
// use; the dot in the service keeps REST paths such as "/api/status" out.
bool looks_like_rpc_path(std::string_view path);

}  // namespace cursor_proxy::capture::decode
