#pragma once
// Which hosts are spliced through untouched instead of intercepted: the
// --passthrough globs, plus hosts learned at run time because their clients
// kept refusing our certificate (pinning, or our CA missing from the trust
// store the client reads). Thread-safe.
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace cursor_proxy::tls {

class PassthroughPolicy {
public:
    // auto_after: client handshake aborts per host before it is passed
    // through automatically; 0 turns the learning off.
    PassthroughPolicy(std::vector<std::string> globs, unsigned auto_after);

    // host: the SNI, or the destination IP when the client sent none.
    bool passes_through(std::string_view host) const;

    // Counts one abort; returns true when this one switched the host to passthrough.
    bool record_client_abort(std::string_view host);

    std::vector<std::string> learned_hosts() const;
    unsigned auto_after() const { return auto_after_; }

private:
    std::vector<std::string> globs_;
    unsigned auto_after_;
    mutable std::mutex mutex_;
    std::map<std::string, unsigned, std::less<>> aborts_;
    std::set<std::string, std::less<>> learned_;
};

// Shell-style glob ("*.cursor.sh", "api?.cursor.sh"), case-insensitive.
bool glob_matches(std::string_view pattern, std::string_view host);

}  // namespace cursor_proxy::tls
