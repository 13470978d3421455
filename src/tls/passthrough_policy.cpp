#include "tls/passthrough_policy.hpp"

#include "text/ascii.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <cctype>

namespace cursor_proxy::tls {
namespace {

using text::lower;

// Bounds the table when a client hits many distinct names (one abort each).
constexpr std::size_t kMaxTrackedHosts = 4096;

}  // namespace

bool glob_matches(std::string_view pattern, std::string_view host) {
    return ::fnmatch(lower(pattern).c_str(), lower(host).c_str(), 0) == 0;
}

PassthroughPolicy::PassthroughPolicy(std::vector<std::string> globs, unsigned auto_after)
    : globs_(std::move(globs)), auto_after_(auto_after) {}

bool PassthroughPolicy::passes_through(std::string_view host) const {
    for (const auto& glob : globs_) {
        if (glob_matches(glob, host)) return true;
    }
    std::lock_guard lock(mutex_);
    return learned_.contains(lower(host));
}

bool PassthroughPolicy::record_client_abort(std::string_view host) {
    if (auto_after_ == 0) return false;
    std::lock_guard lock(mutex_);
    const std::string key = lower(host);
    if (learned_.contains(key)) return false;
    if (aborts_.size() >= kMaxTrackedHosts && !aborts_.contains(key)) aborts_.clear();
    if (++aborts_[key] < auto_after_) return false;
    aborts_.erase(key);
    learned_.insert(key);
    return true;
}

std::vector<std::string> PassthroughPolicy::learned_hosts() const {
    std::lock_guard lock(mutex_);
    return {learned_.begin(), learned_.end()};
}

}  // namespace cursor_proxy::tls
