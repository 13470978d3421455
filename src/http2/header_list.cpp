#include "http2/header_list.hpp"

#include <charconv>

namespace cursor_proxy::http2 {

NvArray::NvArray(const observer::Headers& headers) {
    nv_.reserve(headers.size());
    for (const observer::Header& h : headers) {
        // nghttp2 only reads through these pointers; its API is not const-correct.
        nv_.push_back(nghttp2_nv{
            reinterpret_cast<std::uint8_t*>(const_cast<char*>(h.name.data())),
            reinterpret_cast<std::uint8_t*>(const_cast<char*>(h.value.data())),
            h.name.size(), h.value.size(),
            // Our peers decided what to index; re-encoding with indexing is
            // fine, except that credentials never enter a shared table.
            static_cast<std::uint8_t>(h.name == "authorization" || h.name == "cookie"
                                          ? NGHTTP2_NV_FLAG_NO_INDEX
                                          : NGHTTP2_NV_FLAG_NONE)});
    }
}

std::optional<int> status_code(const observer::Headers& headers) {
    for (const observer::Header& h : headers) {
        if (h.name != ":status") continue;
        int code = 0;
        auto [end, ec] = std::from_chars(h.value.data(), h.value.data() + h.value.size(), code);
        if (ec != std::errc{} || end != h.value.data() + h.value.size()) return std::nullopt;
        return code;
    }
    return std::nullopt;
}

}  // namespace cursor_proxy::http2
