#pragma once
// Process-wide named counters, read by `cursor-proxy status`.
// Each component looks its counters up once (static local) and then only
// touches an atomic, so counting costs nothing on the hot path:
//
//   static auto& accepted = stats::counter("connections.accepted");
//   accepted.fetch_add(1, std::memory_order_relaxed);
//
// Names are dotted, lower case, grouped by component ("tls.", "http2.",
// "capture.", "ca."). Gauges (values that go up and down) use the same type.
#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace cursor_proxy::stats {

using Counter = std::atomic<std::int64_t>;

// Returns the counter with this name, creating it at zero. The reference stays
// valid for the life of the process. Thread-safe.
Counter& counter(std::string_view name);

// A consistent-enough copy of every counter, sorted by name.
std::map<std::string, std::int64_t> snapshot();

}  // namespace cursor_proxy::stats
