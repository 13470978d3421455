#pragma once
// The observer the relays call: copies each call into the event queue and
// returns. Runs on the relay thread; never blocks beyond the queue's mutex.
#include "capture/event_queue.hpp"
#include "observer/observer.hpp"

#include <mutex>
#include <set>
#include <utility>

namespace cursor_proxy::capture {

class CaptureObserver : public observer::Observer {
public:
    explicit CaptureObserver(EventQueue& queue) : queue_(queue) {}

    bool wants_bodies() const override { return true; }
    void connection_opened(const observer::ConnectionInfo& info) override;
    void connection_closed(std::uint64_t connection_id, std::string_view reason) override;
    void request_headers(observer::StreamKey key, const observer::Headers& headers) override;
    void response_headers(observer::StreamKey key, const observer::Headers& headers) override;
    void body_data(observer::StreamKey key, observer::Direction dir, std::span<const std::uint8_t> bytes) override;
    void trailers(observer::StreamKey key, observer::Direction dir, const observer::Headers& headers) override;
    void stream_closed(observer::StreamKey key, const observer::StreamEnd& end) override;

private:
    void push(CaptureEvent&& event);

    EventQueue& queue_;
    // Streams that lost an event; their next event carries after_loss.
    std::mutex mutex_;
    std::set<std::pair<std::uint64_t, std::uint64_t>> damaged_;
};

}  // namespace cursor_proxy::capture
