#include "http2/session_leg.hpp"

#include "http2/callbacks.hpp"
#include "http2/connection.hpp"

#include <asio/experimental/as_tuple.hpp>

#include <algorithm>

namespace cursor_proxy::http2 {

SessionLeg::SessionLeg(Side side, Connection& connection, const asio::any_io_executor& executor)
    : side_(side), connection_(connection), wake_(executor) {}

std::string SessionLeg::start(const Limits& limits) {
    const nghttp2_session_callbacks* callbacks = relay_callbacks();
    if (callbacks == nullptr) return "nghttp2 could not allocate its callback table";

    nghttp2_option* raw_option = nullptr;
    if (nghttp2_option_new(&raw_option) != 0) return "nghttp2 could not allocate options";
    OptionPtr option(raw_option);
    // Backpressure: a window reopens only when the other leg has taken the bytes.
    nghttp2_option_set_no_auto_window_update(raw_option, 1);
    if (side_ == Side::upstream) {
        // Until the server's SETTINGS arrive, assume a common limit rather than unlimited.
        nghttp2_option_set_peer_max_concurrent_streams(raw_option, 100);
    }

    nghttp2_session* raw = nullptr;
    const int rv = side_ == Side::client ? nghttp2_session_server_new2(&raw, callbacks, this, raw_option)
                                         : nghttp2_session_client_new2(&raw, callbacks, this, raw_option);
    if (rv != 0) return std::string("nghttp2 session: ") + nghttp2_strerror(rv);
    session_.reset(raw);

    const auto window = static_cast<std::uint32_t>(
        std::min<std::size_t>({limits.stream_window, limits.stream_buffer_bytes, NGHTTP2_MAX_WINDOW_SIZE}));
    std::vector<nghttp2_settings_entry> settings{
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, window},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<std::uint32_t>(limits.max_header_list_bytes)},
    };
    if (side_ == Side::client) {
        settings.push_back({NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, limits.max_concurrent_streams});
    } else {
        settings.push_back({NGHTTP2_SETTINGS_ENABLE_PUSH, 0});
    }
    if (int r = nghttp2_submit_settings(raw, NGHTTP2_FLAG_NONE, settings.data(), settings.size()); r != 0) {
        return std::string("nghttp2 SETTINGS: ") + nghttp2_strerror(r);
    }
    const auto connection_window =
        static_cast<std::int32_t>(std::min<std::uint32_t>(limits.connection_window, NGHTTP2_MAX_WINDOW_SIZE));
    if (int r = nghttp2_session_set_local_window_size(raw, NGHTTP2_FLAG_NONE, 0, connection_window); r != 0) {
        return std::string("nghttp2 connection window: ") + nghttp2_strerror(r);
    }
    return {};
}

bool SessionLeg::receive(std::span<const std::uint8_t> bytes) {
    read_since_tick = true;
    const ssize_type rv = mem_recv(session_.get(), bytes);
    if (rv >= 0) return true;
    const int error = static_cast<int>(rv);
    last_error = nghttp2_strerror(error);
    // nghttp2 answers most protocol errors itself with a GOAWAY and goes on;
    // these end the session without one, so say why before closing.
    std::uint32_t code = NGHTTP2_INTERNAL_ERROR;
    if (error == NGHTTP2_ERR_FLOODED || error == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS) code = NGHTTP2_ENHANCE_YOUR_CALM;
    if (error == NGHTTP2_ERR_BAD_CLIENT_MAGIC) code = NGHTTP2_PROTOCOL_ERROR;
    if (int r = nghttp2_session_terminate_session(session_.get(), code); r != 0) {
        last_error += std::string("; GOAWAY not queued: ") + nghttp2_strerror(r);
    }
    return false;
}

bool SessionLeg::produce(std::vector<std::uint8_t>& out, std::size_t cap) {
    while (out.size() < cap) {
        const std::uint8_t* data = nullptr;
        const ssize_type n = mem_send(session_.get(), &data);
        if (n < 0) {
            last_error = nghttp2_strerror(static_cast<int>(n));
            return false;
        }
        if (n == 0) break;
        out.insert(out.end(), data, data + n);
    }
    return true;
}

void SessionLeg::notify() {
    wake_pending_ = true;
    wake_.cancel();
}

asio::awaitable<void> SessionLeg::wait_for_work() {
    if (wake_pending_) {
        wake_pending_ = false;
        co_return;
    }
    wake_.expires_at(asio::steady_timer::time_point::max());
    // Cancellation is the wake-up signal, so its error is the expected outcome.
    co_await wake_.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    wake_pending_ = false;
}

bool SessionLeg::finished() const {
    if (dead) return true;
    if (!session_) return true;
    const bool wants_read = !read_closed && nghttp2_session_want_read(session_.get()) != 0;
    return !wants_read && nghttp2_session_want_write(session_.get()) == 0 && !writing;
}

}  // namespace cursor_proxy::http2
