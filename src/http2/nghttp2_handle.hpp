#pragma once
// RAII wrappers for nghttp2's C handles, written once, and the few calls whose
// names changed in nghttp2 1.60 (the *2 APIs). Debian 12 ships 1.52, which has
// only the old ones; newer nghttp2 deprecates the old ones, so with
// CURSOR_PROXY_HAVE_NGHTTP2_2_API (set by the build) we call the new ones.
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <span>

namespace cursor_proxy::http2 {

struct SessionDeleter {
    void operator()(nghttp2_session* s) const { nghttp2_session_del(s); }
};
struct CallbacksDeleter {
    void operator()(nghttp2_session_callbacks* c) const { nghttp2_session_callbacks_del(c); }
};
struct OptionDeleter {
    void operator()(nghttp2_option* o) const { nghttp2_option_del(o); }
};
using SessionPtr = std::unique_ptr<nghttp2_session, SessionDeleter>;
using CallbacksPtr = std::unique_ptr<nghttp2_session_callbacks, CallbacksDeleter>;
using OptionPtr = std::unique_ptr<nghttp2_option, OptionDeleter>;

#ifdef CURSOR_PROXY_HAVE_NGHTTP2_2_API
using ssize_type = nghttp2_ssize;
using DataProvider = nghttp2_data_provider2;
#else
using ssize_type = ssize_t;
using DataProvider = nghttp2_data_provider;
#endif

using DataReadCallback = ssize_type (*)(nghttp2_session*, std::int32_t stream_id, std::uint8_t* buf,
                                        std::size_t length, std::uint32_t* data_flags,
                                        nghttp2_data_source* source, void* user_data);

inline DataProvider data_provider(std::int32_t key, DataReadCallback read) {
    DataProvider provider{};
    provider.source.fd = key;  // a key into our stream table, never a pointer that could dangle
    provider.read_callback = read;
    return provider;
}

// Bytes nghttp2 wants sent next (valid until the next call), or a negative
// nghttp2 error code.
inline ssize_type mem_send(nghttp2_session* session, const std::uint8_t** data) {
#ifdef CURSOR_PROXY_HAVE_NGHTTP2_2_API
    return nghttp2_session_mem_send2(session, data);
#else
    return nghttp2_session_mem_send(session, data);
#endif
}

inline ssize_type mem_recv(nghttp2_session* session, std::span<const std::uint8_t> bytes) {
#ifdef CURSOR_PROXY_HAVE_NGHTTP2_2_API
    return nghttp2_session_mem_recv2(session, bytes.data(), bytes.size());
#else
    return nghttp2_session_mem_recv(session, bytes.data(), bytes.size());
#endif
}

inline std::int32_t submit_request(nghttp2_session* session, const nghttp2_nv* nva, std::size_t n,
                                   const DataProvider* body) {
#ifdef CURSOR_PROXY_HAVE_NGHTTP2_2_API
    return nghttp2_submit_request2(session, nullptr, nva, n, body, nullptr);
#else
    return nghttp2_submit_request(session, nullptr, nva, n, body, nullptr);
#endif
}

inline int submit_response(nghttp2_session* session, std::int32_t stream_id, const nghttp2_nv* nva,
                           std::size_t n, const DataProvider* body) {
#ifdef CURSOR_PROXY_HAVE_NGHTTP2_2_API
    return nghttp2_submit_response2(session, stream_id, nva, n, body);
#else
    return nghttp2_submit_response(session, stream_id, nva, n, body);
#endif
}

}  // namespace cursor_proxy::http2
