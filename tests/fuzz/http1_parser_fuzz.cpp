// libFuzzer target: the HTTP/1.1 parser fed the input in pieces, as the relay
// does. Byte 0 picks requests or responses, byte 1 the piece size. Checks that
// consumed counts and body spans stay inside the input and that the parser
// always makes progress or asks for more.
#include "http1/parser.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>

using namespace cursor_proxy::http1;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    auto kind = data[0] % 2 == 0 ? MessageKind::request : MessageKind::response;
    std::size_t piece = 1 + data[1] % 64;
    const char* methods[] = {"GET", "HEAD", "POST", "CONNECT"};
    ParserLimits limits;
    limits.max_header_bytes = 4096;
    limits.max_fields = 32;
    limits.max_chunk_line_bytes = 128;
    Parser parser(kind, limits);
    std::string buffered;
    std::size_t responses = 0;
    for (std::size_t at = 2; at < size; at += piece) {
        buffered.append(reinterpret_cast<const char*>(data + at), std::min(piece, size - at));
        for (int steps = 0;; ++steps) {
            if (steps > 100000) std::abort();  // no progress
            if (kind == MessageKind::response && parser.between_messages())
                parser.expect_response_to(methods[responses++ % 4]);
            std::span<const std::uint8_t> input(reinterpret_cast<const std::uint8_t*>(buffered.data()), buffered.size());
            Event e = parser.next(input);
            if (e.consumed > buffered.size()) std::abort();
            if (!e.body.empty() && (e.body.data() < input.data() || e.body.data() + e.body.size() > input.data() + e.consumed))
                std::abort();
            if (e.type == EventType::error && e.error.empty()) std::abort();
            buffered.erase(0, e.consumed);
            if (e.type == EventType::error) return 0;
            if (e.type == EventType::need_more) break;
        }
        if (buffered.size() > 8192) std::abort();  // limits must stop unbounded buffering
    }
    parser.end_of_input();
    return 0;
}
