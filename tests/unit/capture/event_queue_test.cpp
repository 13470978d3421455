#include "capture/capture_observer.hpp"
#include "capture/event_queue.hpp"
#include "stats/counters.hpp"

#include <catch2/catch.hpp>

using namespace cursor_proxy;
using namespace cursor_proxy::capture;

namespace {
CaptureEvent body_event(std::size_t bytes) {
    CaptureEvent e;
    e.kind = EventKind::body_data;
    e.body.assign(bytes, 0x41);
    return e;
}
std::int64_t count(const char* name) { return stats::counter(name).load(); }
}  // namespace

TEST_CASE("the queue drops events beyond its count limit and counts them") {
    EventQueue q({.max_events = 3, .max_bytes = 1 << 20});
    const auto dropped_before = count("capture.dropped_events");
    int accepted = 0;
    for (int i = 0; i < 5; ++i) accepted += q.push(body_event(10)) ? 1 : 0;
    CHECK(accepted == 3);
    CHECK(count("capture.dropped_events") - dropped_before == 2);
    CHECK(count("capture.queue_events") == 3);

    std::deque<CaptureEvent> out;
    REQUIRE(q.pop_all(out, std::chrono::milliseconds(0)));
    CHECK(out.size() == 3);
    CHECK(count("capture.queue_events") == 0);
    CHECK(q.push(body_event(10)));  // room again after the writer took them
}

TEST_CASE("the queue drops events beyond its byte limit") {
    EventQueue q({.max_events = 1000, .max_bytes = 3000});
    const auto dropped_bytes_before = count("capture.dropped_bytes");
    CHECK(q.push(body_event(1000)));
    CHECK(q.push(body_event(1000)));
    CHECK_FALSE(q.push(body_event(1000)));  // 3 x (1000 + overhead) > 3000
    CHECK(count("capture.dropped_bytes") - dropped_bytes_before == 1000);
    CHECK(count("capture.queue_bytes") > 2000);
}

TEST_CASE("push never waits, even with nobody consuming") {
    EventQueue q({.max_events = 10, .max_bytes = 1 << 20});
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 100000; ++i) q.push(body_event(100));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
}

TEST_CASE("a closed queue wakes the consumer and reports the end") {
    EventQueue q({.max_events = 10, .max_bytes = 1 << 20});
    q.push(body_event(1));
    q.close();
    CHECK_FALSE(q.push(body_event(1)));
    std::deque<CaptureEvent> out;
    CHECK(q.pop_all(out, std::chrono::milliseconds(0)));
    CHECK(out.size() == 1);
    out.clear();
    CHECK_FALSE(q.pop_all(out, std::chrono::milliseconds(1000)));
}

TEST_CASE("after a drop, the stream's next event is marked as following a loss") {
    EventQueue q({.max_events = 2, .max_bytes = 1 << 20});
    const CaptureFilter everything;
    CaptureObserver obs(q, everything);
    const observer::StreamKey key{7, 1};
    obs.request_headers(key, {{":path", "/a"}});
    const std::uint8_t data[] = {1, 2, 3};
    obs.body_data(key, observer::Direction::request, data);
    obs.body_data(key, observer::Direction::request, data);  // dropped: queue full
    std::deque<CaptureEvent> out;
    REQUIRE(q.pop_all(out, std::chrono::milliseconds(0)));
    REQUIRE(out.size() == 2);
    CHECK_FALSE(out[1].after_loss);
    obs.body_data(key, observer::Direction::request, data);
    out.clear();
    REQUIRE(q.pop_all(out, std::chrono::milliseconds(0)));
    REQUIRE(out.size() == 1);
    CHECK(out[0].after_loss);
    CHECK(out[0].body == std::vector<std::uint8_t>{1, 2, 3});
}

TEST_CASE("bodies of RPCs the filter rejects are never copied into the queue") {
    EventQueue q({.max_events = 100, .max_bytes = 1 << 20});
    CaptureFilter no_telemetry;
    no_telemetry.exclude_telemetry = true;
    CaptureObserver obs(q, no_telemetry);
    const std::uint8_t data[] = {1, 2, 3};
    obs.request_headers({1, 1}, {{":authority", "metrics.cursor.sh"}, {":path", "/tev1/v1/rgstr"}});
    obs.body_data({1, 1}, observer::Direction::request, data);
    obs.trailers({1, 1}, observer::Direction::response, {{"grpc-status", "0"}});
    obs.stream_closed({1, 1}, {});
    obs.request_headers({1, 3}, {{":authority", "api2.cursor.sh"}, {":path", "/a.B/C"}});
    obs.body_data({1, 3}, observer::Direction::request, data);
    std::deque<CaptureEvent> out;
    REQUIRE(q.pop_all(out, std::chrono::milliseconds(0)));
    std::vector<EventKind> kinds;
    for (const CaptureEvent& e : out) kinds.push_back(e.kind);
    CHECK(kinds == std::vector<EventKind>{EventKind::request_headers, EventKind::stream_closed,
                                          EventKind::request_headers, EventKind::body_data});
    CHECK(out[3].key.stream_id == 3);
}

TEST_CASE("a request naming no host is filtered under its connection's SNI, as the recorder does") {
    EventQueue q({.max_events = 100, .max_bytes = 1 << 20});
    CaptureFilter no_telemetry;
    no_telemetry.exclude_telemetry = true;
    CaptureObserver obs(q, no_telemetry);
    const std::uint8_t data[] = {1, 2, 3};
    observer::ConnectionInfo info;
    info.id = 1;
    info.sni = "metrics.cursor.sh";
    obs.connection_opened(info);
    obs.request_headers({1, 1}, {{":method", "POST"}, {":path", "/tev1/v1/rgstr"}});
    obs.body_data({1, 1}, observer::Direction::request, data);
    obs.connection_closed(1, "done");
    // The SNI is forgotten with its connection.
    obs.request_headers({1, 3}, {{":method", "POST"}, {":path", "/a.B/C"}});
    obs.body_data({1, 3}, observer::Direction::request, data);
    std::deque<CaptureEvent> out;
    REQUIRE(q.pop_all(out, std::chrono::milliseconds(0)));
    std::vector<EventKind> kinds;
    for (const CaptureEvent& e : out) kinds.push_back(e.kind);
    CHECK(kinds == std::vector<EventKind>{EventKind::connection_opened, EventKind::request_headers,
                                          EventKind::connection_closed, EventKind::request_headers,
                                          EventKind::body_data});
}
