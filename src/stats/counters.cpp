#include "stats/counters.hpp"

#include <memory>
#include <mutex>

namespace cursor_proxy::stats {
namespace {

struct Registry {
    std::mutex mutex;
    // unique_ptr keeps each atomic at a stable address as the map grows.
    std::map<std::string, std::unique_ptr<Counter>, std::less<>> counters;
};

Registry& registry() {
    static Registry r;
    return r;
}

}  // namespace

Counter& counter(std::string_view name) {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    auto it = r.counters.find(name);
    if (it == r.counters.end()) {
        it = r.counters.emplace(std::string(name), std::make_unique<Counter>(0)).first;
    }
    return *it->second;
}

std::map<std::string, std::int64_t> snapshot() {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    std::map<std::string, std::int64_t> out;
    for (const auto& [name, value] : r.counters) out.emplace(name, value->load(std::memory_order_relaxed));
    return out;
}

}  // namespace cursor_proxy::stats
