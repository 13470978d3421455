// libFuzzer target: the schemaless protobuf decoder. Its output must always
// be printable JSON (dump() throws on invalid UTF-8).
#include "capture/decode/raw_protobuf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (auto fields = cursor_proxy::capture::decode::decode_raw_protobuf({data, size}, 64)) (void)fields->dump();
    return 0;
}
