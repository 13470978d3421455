// libFuzzer target: a Connect GET request target from an untrusted client
// ("/pkg.Service/Method?" + the input as the query string), with and
// without the schema.
#include "capture/decode/connect_get.hpp"
#include "decode_fuzz_support.hpp"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace decode = cursor_proxy::capture::decode;
    if (size == 0) return 0;
    const auto* pool = data[0] & 1 ? &decode_fuzz::chat_pool() : nullptr;
    decode::Limits limits;
    limits.max_message_bytes = data[0] & 2 ? 16 : 1 << 16;
    limits.max_decompressed_bytes = data[0] & 4 ? 64 : 1 << 20;
    const std::string target = "/aiserver.v1.ChatService/StreamUnifiedChatWithTools?" +
                               std::string(reinterpret_cast<const char*>(data + 1), size - 1);
    if (auto get = decode::decode_connect_get("GET", target, pool, limits)) (void)get->message.decoded.dump();
    return 0;
}
