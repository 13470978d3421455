#pragma once
// The nghttp2 callback table shared by both legs, built once. user_data is the
// SessionLeg; every callback forwards to its Connection.
#include "http2/nghttp2_handle.hpp"

namespace cursor_proxy::http2 {

const nghttp2_session_callbacks* relay_callbacks();

// The data source for bodies sent on either leg (source.fd is the stream key).
ssize_type read_body_callback(nghttp2_session*, std::int32_t stream_id, std::uint8_t* buf, std::size_t length,
                              std::uint32_t* data_flags, nghttp2_data_source* source, void* user_data);

}  // namespace cursor_proxy::http2
