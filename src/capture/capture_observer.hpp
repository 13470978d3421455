#pragma once
// The observer the relays call: copies each call into the event queue and
// returns. Runs on the relay thread; never blocks beyond the queue's mutex.
#include "capture/capture_filter.hpp"
#include "capture/event_queue.hpp"
#include "observer/observer.hpp"

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>

namespace cursor_proxy::capture {

class CaptureObserver : public observer::Observer {
public:
    // filter: RPCs it rejects get only their headers and end queued (for the
    // per-host counts), never their bodies. Must outlive the observer.
    CaptureObserver(EventQueue& queue, const CaptureFilter& filter) : queue_(queue), filter_(filter) {}

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
    bool filtered(observer::StreamKey key);

    using Key = std::pair<std::uint64_t, std::uint64_t>;
    void forget_connection(std::set<Key>& set, std::uint64_t connection_id);

    EventQueue& queue_;
    const CaptureFilter& filter_;
    std::mutex mutex_;
    std::set<Key> damaged_;   // lost an event; their next event carries after_loss
    std::set<Key> filtered_;  // rejected by the filter: bodies and trailers not copied
    // SNI of each open connection: the filter's host when a request names none,
    // as the recorder's (rpc_host), so both decide alike.
    std::map<std::uint64_t, std::string> sni_;
};

}  // namespace cursor_proxy::capture
