// libFuzzer target: error details from untrusted peers. The input is used as
// a grpc-status-details-bin value (base64 of a google.rpc.Status), base64
// encoded first when byte 0 is odd so the Status parser sees arbitrary
// bytes, and as a Connect error's detail value.
#include "capture/decode/base64.hpp"
#include "capture/decode/error_details.hpp"
#include "decode_fuzz_support.hpp"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace decode = cursor_proxy::capture::decode;
    if (size == 0) return 0;
    const auto* pool = data[0] & 2 ? &decode_fuzz::chat_pool() : nullptr;
    const std::span<const std::uint8_t> rest(data + 1, size - 1);
    const std::string value = data[0] & 1 ? decode::base64_encode(rest) : std::string(rest.begin(), rest.end());
    if (auto details = decode::grpc_status_details(value, pool, 64)) (void)details->dump();
    const nlohmann::json error = {{"code", "internal"},
                                  {"details", {{{"type", "aiserver.v1.ConversationMessage"}, {"value", value}}}}};
    if (auto details = decode::connect_error_details(error, pool, 64)) (void)details->dump();
    return 0;
}
