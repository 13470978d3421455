// libFuzzer target: schema-aware decoding of arbitrary bytes as the chat
// request (maps, packed fields, well-known types, nesting).
#include "capture/decode/schema_json.hpp"
#include "decode_fuzz_support.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto& pool = decode_fuzz::chat_pool();
    const auto* type = pool.find_message("aiserver.v1.StreamUnifiedChatWithToolsRequest");
    if (!type) std::abort();
    if (auto json = cursor_proxy::capture::decode::decode_with_schema({data, size}, *type, pool, 64)) (void)json->dump();
    return 0;
}
