// libFuzzer target: the ClientHello parser on arbitrary bytes. Besides the
// sanitizers, checks that every strict prefix of a complete hello asks for more.
#include "tls/client_hello.hpp"

#include <cstdlib>

using namespace cursor_proxy::tls;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::span<const std::uint8_t> input(data, size);
    ParseResult r = parse_client_hello(input);
    if (r.status == ParseStatus::complete) {
        if (r.hello.bytes == 0 || r.hello.bytes > size) std::abort();
        ParseResult shorter = parse_client_hello(input.first(r.hello.bytes - 1));
        if (shorter.status != ParseStatus::need_more) std::abort();
    }
    if ((r.status == ParseStatus::malformed || r.status == ParseStatus::not_tls) && r.error.empty()) std::abort();
    return 0;
}
