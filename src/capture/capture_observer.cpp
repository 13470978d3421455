#include "capture/capture_observer.hpp"

#include "capture/event_lines.hpp"

namespace cursor_proxy::capture {
namespace {

CaptureEvent make(EventKind kind, observer::StreamKey key) {
    CaptureEvent e;
    e.kind = kind;
    e.key = key;
    e.time = std::chrono::system_clock::now();
    return e;
}

}  // namespace

void CaptureObserver::forget_connection(std::set<Key>& set, std::uint64_t connection_id) {
    set.erase(set.lower_bound({connection_id, 0}), set.lower_bound({connection_id + 1, 0}));
}

void CaptureObserver::push(CaptureEvent&& event) {
    const bool per_stream = event.kind != EventKind::connection_opened && event.kind != EventKind::connection_closed;
    const auto id = std::make_pair(event.key.connection_id, event.key.stream_id);
    const bool last = event.kind == EventKind::stream_closed;
    std::lock_guard lock(mutex_);
    if (per_stream && !damaged_.empty() && damaged_.count(id) != 0) event.after_loss = true;
    const bool closing = event.kind == EventKind::connection_closed;
    const bool pushed = queue_.push(std::move(event));
    if (closing) {  // forget streams whose stream_closed was lost
        forget_connection(damaged_, id.first);
        forget_connection(filtered_, id.first);
        sni_.erase(id.first);
    }
    if (!per_stream) return;
    if (pushed || last) damaged_.erase(id);
    else damaged_.insert(id);
}

void CaptureObserver::connection_opened(const observer::ConnectionInfo& info) {
    if (!info.sni.empty()) {
        std::lock_guard lock(mutex_);
        sni_[info.id] = info.sni;
    }
    CaptureEvent e = make(EventKind::connection_opened, {info.id, 0});
    e.connection = info;
    push(std::move(e));
}

void CaptureObserver::connection_closed(std::uint64_t connection_id, std::string_view reason) {
    CaptureEvent e = make(EventKind::connection_closed, {connection_id, 0});
    e.reason = reason;
    push(std::move(e));
}

void CaptureObserver::request_headers(observer::StreamKey key, const observer::Headers& headers) {
    std::string sni;
    {
        std::lock_guard lock(mutex_);
        if (const auto it = sni_.find(key.connection_id); it != sni_.end()) sni = it->second;
    }
    const bool wanted = filter_.accepts(rpc_host(headers, sni), path_without_query(header_value(headers, ":path")),
                                        media_type(header_value(headers, "content-type")));
    if (!wanted) {
        std::lock_guard lock(mutex_);
        filtered_.insert({key.connection_id, key.stream_id});
    }
    CaptureEvent e = make(EventKind::request_headers, key);
    e.headers = headers;
    push(std::move(e));
}

void CaptureObserver::response_headers(observer::StreamKey key, const observer::Headers& headers) {
    CaptureEvent e = make(EventKind::response_headers, key);
    e.direction = observer::Direction::response;
    e.headers = headers;
    push(std::move(e));
}

bool CaptureObserver::filtered(observer::StreamKey key) {
    std::lock_guard lock(mutex_);
    return !filtered_.empty() && filtered_.count({key.connection_id, key.stream_id}) != 0;
}

void CaptureObserver::body_data(observer::StreamKey key, observer::Direction dir, std::span<const std::uint8_t> bytes) {
    if (filtered(key)) return;
    CaptureEvent e = make(EventKind::body_data, key);
    e.direction = dir;
    e.body.assign(bytes.begin(), bytes.end());
    push(std::move(e));
}

void CaptureObserver::trailers(observer::StreamKey key, observer::Direction dir, const observer::Headers& headers) {
    if (filtered(key)) return;
    CaptureEvent e = make(EventKind::trailers, key);
    e.direction = dir;
    e.headers = headers;
    push(std::move(e));
}

void CaptureObserver::stream_closed(observer::StreamKey key, const observer::StreamEnd& end) {
    {
        std::lock_guard lock(mutex_);
        filtered_.erase({key.connection_id, key.stream_id});
    }
    CaptureEvent e = make(EventKind::stream_closed, key);
    e.end = end;
    push(std::move(e));
}

}  // namespace cursor_proxy::capture
