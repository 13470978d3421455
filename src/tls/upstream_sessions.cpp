#include "tls/upstream_sessions.hpp"

#include <openssl/ssl.h>

#include <algorithm>

namespace cursor_proxy::tls {
namespace {

bool still_valid(const SSL_SESSION* session, std::time_t expires, std::time_t now) {
    const auto made = static_cast<std::time_t>(SSL_SESSION_get_time(session));
    const auto lifetime = static_cast<std::time_t>(SSL_SESSION_get_timeout(session));
    return SSL_SESSION_is_resumable(session) == 1 && now >= made && now < made + lifetime && now < expires;
}

}  // namespace

UpstreamSessions::UpstreamSessions(std::size_t capacity, std::size_t per_server)
    : per_server_(std::max<std::size_t>(per_server, 1)), servers_(capacity) {}

bssl::UniquePtr<SSL_SESSION> UpstreamSessions::take(const std::string& server, std::time_t now) {
    std::lock_guard lock(mutex_);
    Sessions* sessions = servers_.find(server);
    if (sessions == nullptr) return nullptr;
    bssl::UniquePtr<SSL_SESSION> found;
    while (!sessions->empty() && !found) {
        SSL_SESSION* newest = sessions->front().session.get();
        if (!still_valid(newest, sessions->front().expires, now)) {
            sessions->pop_front();
        } else if (SSL_SESSION_should_be_single_use(newest) == 1) {
            found = std::move(sessions->front().session);
            sessions->pop_front();
        } else {
            SSL_SESSION_up_ref(newest);
            found.reset(newest);
        }
    }
    if (sessions->empty()) servers_.erase(server);
    return found;
}

void UpstreamSessions::put(const std::string& server, bssl::UniquePtr<SSL_SESSION> session, std::time_t expires) {
    if (!session) return;
    std::lock_guard lock(mutex_);
    Sessions* sessions = servers_.find(server);
    if (sessions == nullptr) sessions = &servers_.put(server, {});
    sessions->push_front({std::move(session), expires});
    while (sessions->size() > per_server_) sessions->pop_back();
}

std::size_t UpstreamSessions::servers() const {
    std::lock_guard lock(mutex_);
    return servers_.size();
}

std::size_t UpstreamSessions::sessions(const std::string& server) const {
    std::lock_guard lock(mutex_);
    const Sessions* sessions = servers_.peek(server);
    return sessions == nullptr ? 0 : sessions->size();
}

}  // namespace cursor_proxy::tls
