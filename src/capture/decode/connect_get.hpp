#pragma once
// Connect's GET form of a unary call carries the request message in the
// query string instead of a body (https://connectrpc.com/docs/protocol/,
// "Unary-Get-Request"):
//   GET /pkg.Service/Method?connect=v1&encoding=proto&base64=1&compression=gzip&message=<base64url>
// encoding is proto or json; base64=1 says the message is base64url (always,
// for proto); compression names its encoding. The message is decoded like a
// unary body: with the method's input type when the descriptor set has it.
#include "capture/decode/body_decoder.hpp"
#include "capture/decode/descriptor_pool.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace cursor_proxy::capture::decode {

struct ConnectGetMessage {
    DecodedMessage message;  // kind "message", index 0
    std::string format;      // "connect-get+proto" or "connect-get+json"
};

// nullopt when this is not a Connect GET request (another method, no
// "message" parameter, not an RPC path).
std::optional<ConnectGetMessage> decode_connect_get(std::string_view method, std::string_view target,
                                                    const DescriptorPool* pool, const Limits& limits);

}  // namespace cursor_proxy::capture::decode
