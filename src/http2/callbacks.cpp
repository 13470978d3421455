#include "http2/callbacks.hpp"

#include "http2/connection.hpp"
#include "log/log.hpp"

#include <exception>
#include <string_view>

namespace cursor_proxy::http2 {
namespace {

SessionLeg& leg_of(void* user_data) { return *static_cast<SessionLeg*>(user_data); }

// No exception may cross nghttp2's C frames: one escaping from our code or an
// observer ends this connection, logged, instead of the process.
template <typename F>
auto guarded(SessionLeg& leg, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const std::exception& e) {
        log::error("http2", "relay callback failed",
                   {{"connection", leg.connection().id()}, {"leg", leg.name()}, {"error", e.what()}});
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
}

std::string_view text(const std::uint8_t* p, std::size_t n) { return {reinterpret_cast<const char*>(p), n}; }

int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    SessionLeg& leg = leg_of(user_data);
    return guarded(leg, [&] { return leg.connection().on_begin_headers(leg, *frame); });
}

int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t namelen,
              const std::uint8_t* value, std::size_t valuelen, std::uint8_t, void* user_data) {
    SessionLeg& leg = leg_of(user_data);
    return guarded(leg, [&] { return leg.connection().on_header(leg, *frame, text(name, namelen), text(value, valuelen)); });
}

int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    SessionLeg& leg = leg_of(user_data);
    return guarded(leg, [&] { return leg.connection().on_frame_recv(leg, *frame); });
}

int on_data_chunk_recv(nghttp2_session*, std::uint8_t, std::int32_t stream_id, const std::uint8_t* data,
                       std::size_t len, void* user_data) {
    SessionLeg& leg = leg_of(user_data);
    return guarded(leg, [&] { return leg.connection().on_data_chunk(leg, stream_id, {data, len}); });
}

int on_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code, void* user_data) {
    SessionLeg& leg = leg_of(user_data);
    return guarded(leg, [&] { return leg.connection().on_stream_close(leg, stream_id, error_code); });
}

int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    SessionLeg& leg = leg_of(user_data);
    return guarded(leg, [&] { return leg.connection().on_frame_send(leg, *frame); });
}

int on_frame_not_send(nghttp2_session*, const nghttp2_frame* frame, int error, void* user_data) {
    SessionLeg& leg = leg_of(user_data);
    log::debug("http2", "frame not sent",
               {{"connection", leg.connection().id()}, {"leg", leg.name()}, {"type", int(frame->hd.type)},
                {"stream", frame->hd.stream_id}, {"error", nghttp2_strerror(error)}});
    return 0;
}

int on_invalid_frame_recv(nghttp2_session*, const nghttp2_frame* frame, int error, void* user_data) {
    SessionLeg& leg = leg_of(user_data);
    log::info("http2", "invalid frame from peer",
              {{"connection", leg.connection().id()}, {"leg", leg.name()}, {"type", int(frame->hd.type)},
               {"stream", frame->hd.stream_id}, {"error", nghttp2_strerror(error)}});
    return 0;
}

int on_error(nghttp2_session*, int code, const char* msg, std::size_t len, void* user_data) {
    SessionLeg& leg = leg_of(user_data);
    leg.last_error = std::string(msg, len);
    log::info("http2", "session error",
              {{"connection", leg.connection().id()}, {"leg", leg.name()}, {"error", nghttp2_strerror(code)},
               {"detail", leg.last_error}});
    return 0;
}

CallbacksPtr build() {
    nghttp2_session_callbacks* raw = nullptr;
    if (nghttp2_session_callbacks_new(&raw) != 0) return nullptr;
    CallbacksPtr cbs(raw);
    nghttp2_session_callbacks_set_on_begin_headers_callback(raw, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(raw, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(raw, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(raw, on_data_chunk_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(raw, on_stream_close);
    nghttp2_session_callbacks_set_on_frame_send_callback(raw, on_frame_send);
    nghttp2_session_callbacks_set_on_frame_not_send_callback(raw, on_frame_not_send);
    nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(raw, on_invalid_frame_recv);
    nghttp2_session_callbacks_set_error_callback2(raw, on_error);
    return cbs;
}

}  // namespace

const nghttp2_session_callbacks* relay_callbacks() {
    static const CallbacksPtr table = build();
    return table.get();
}

ssize_type read_body_callback(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t length,
                              std::uint32_t* data_flags, nghttp2_data_source* source, void* user_data) {
    SessionLeg& leg = leg_of(user_data);
    return guarded(leg, [&] { return leg.connection().read_body(leg, source->fd, {buf, length}, *data_flags); });
}

}  // namespace cursor_proxy::http2
