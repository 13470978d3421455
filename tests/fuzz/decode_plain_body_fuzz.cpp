// libFuzzer target: the plain body decoder (application/vnd.cursor+json; JSON, text or binary) fed the input in pieces.
#include "decode_fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return decode_fuzz::fuzz_body("application/vnd.cursor+json", data, size);
}
