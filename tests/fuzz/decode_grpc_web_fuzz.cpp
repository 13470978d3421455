// libFuzzer target: the application/grpc-web+proto body decoder fed the input in pieces.
#include "decode_fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return decode_fuzz::fuzz_body("application/grpc-web+proto", data, size);
}
