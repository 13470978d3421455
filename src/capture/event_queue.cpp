#include "capture/event_queue.hpp"

#include "stats/counters.hpp"

namespace cursor_proxy::capture {
namespace {

// Named references made at start-up, so `status` shows them (at 0) at once.
stats::Counter& counter_queue_events = stats::counter("capture.queue_events");
stats::Counter& counter_queue_bytes = stats::counter("capture.queue_bytes");
stats::Counter& counter_dropped_events = stats::counter("capture.dropped_events");
stats::Counter& counter_dropped_bytes = stats::counter("capture.dropped_bytes");

constexpr auto kRelaxed = std::memory_order_relaxed;

}  // namespace

std::size_t CaptureEvent::cost() const {
    std::size_t n = sizeof(CaptureEvent) + body.size() + reason.size() + connection.sni.size() +
                    connection.alpn.size() + connection.client_address.size() + connection.original_destination.size();
    for (const observer::Header& h : headers) n += sizeof h + h.name.size() + h.value.size();
    return n;
}

EventQueue::EventQueue(QueueLimits limits) : limits_(limits) {}

bool EventQueue::push(CaptureEvent&& event) {
    const std::size_t cost = event.cost();
    {
        std::lock_guard lock(mutex_);
        if (!closed_ && events_.size() < limits_.max_events && bytes_ + cost <= limits_.max_bytes) {
            events_.push_back(std::move(event));
            bytes_ += cost;
            counter_queue_events.store(static_cast<std::int64_t>(events_.size()), kRelaxed);
            counter_queue_bytes.store(static_cast<std::int64_t>(bytes_), kRelaxed);
            ready_.notify_one();
            return true;
        }
    }
    counter_dropped_events.fetch_add(1, kRelaxed);
    counter_dropped_bytes.fetch_add(static_cast<std::int64_t>(event.body.size()), kRelaxed);
    return false;
}

bool EventQueue::pop_all(std::deque<CaptureEvent>& out, std::chrono::milliseconds wait) {
    std::unique_lock lock(mutex_);
    ready_.wait_for(lock, wait, [&] { return closed_ || !events_.empty(); });
    if (events_.empty()) return !closed_;
    if (out.empty()) out.swap(events_);
    else {
        for (CaptureEvent& e : events_) out.push_back(std::move(e));
        events_.clear();
    }
    bytes_ = 0;
    counter_queue_events.store(0, kRelaxed);
    counter_queue_bytes.store(0, kRelaxed);
    return true;
}

void EventQueue::close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    ready_.notify_all();
}

}  // namespace cursor_proxy::capture
