// libFuzzer target: the FileDescriptorSet parser. Malformed sets must end in
// DescriptorError, nothing else; a set that parses must answer lookups.
#include "capture/decode/descriptor_pool.hpp"

using namespace cursor_proxy::capture::decode;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const DescriptorPool pool = DescriptorPool::parse({data, size});
        (void)pool.find_method("/aiserver.v1.ChatService/StreamUnifiedChatWithTools");
        (void)pool.find_message("aiserver.v1.StreamUnifiedChatRequest");
    } catch (const DescriptorError&) {
    }
    return 0;
}
