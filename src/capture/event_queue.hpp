#pragma once
// The bounded queue between the relay thread (producer, never waits) and the
// capture writer thread (consumer). When either limit would be exceeded the
// event is dropped and counted ("capture.dropped_events", "capture.dropped_bytes").
// Gauges: "capture.queue_events", "capture.queue_bytes".
#include "capture/capture_config.hpp"
#include "capture/capture_event.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>

namespace cursor_proxy::capture {

class EventQueue {
public:
    explicit EventQueue(QueueLimits limits);

    // Returns false (and counts) when the event did not fit or the queue is closed.
    bool push(CaptureEvent&& event);
    // Moves everything queued into out (so memory peaks at twice the limits:
    // one batch being written plus a full queue), waiting up to `wait` for the first
    // event. Returns false once closed and empty.
    bool pop_all(std::deque<CaptureEvent>& out, std::chrono::milliseconds wait);
    // Wakes the consumer; later pushes are dropped.
    void close();

private:
    QueueLimits limits_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<CaptureEvent> events_;
    std::size_t bytes_ = 0;
    bool closed_ = false;
};

}  // namespace cursor_proxy::capture
