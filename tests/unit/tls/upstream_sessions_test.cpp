#include "tls/upstream_sessions.hpp"

#include "../ca/ca_test_support.hpp"
#include "ca/leaf_cache.hpp"

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <catch2/catch.hpp>

#include <ctime>
#include <vector>

using namespace cursor_proxy;
using tls::UpstreamSessions;

namespace {

// Sessions the client side of one in-memory handshake received.
std::vector<bssl::UniquePtr<SSL_SESSION>> received;

int collect(SSL*, SSL_SESSION* session) {
    received.emplace_back(session);
    return 1;
}

// A BoringSSL client and server talking through a BIO pair: real sessions
// and tickets, no sockets.
class InMemoryTls {
public:
    explicit InMemoryTls(std::uint16_t max_version) : server_(SSL_CTX_new(TLS_method())), client_(SSL_CTX_new(TLS_method())) {
        const auto& authority = ca_test::ecdsa_authority();
        leaf_ = leaves_.get({"server.test", {}, {}});
        REQUIRE(SSL_CTX_use_certificate(server_.get(), leaf_.get()) == 1);
        REQUIRE(SSL_CTX_use_PrivateKey(server_.get(), authority.leaf_key()) == 1);
        SSL_CTX_set_max_proto_version(client_.get(), max_version);
        SSL_CTX_set_session_cache_mode(client_.get(), SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
        SSL_CTX_sess_set_new_cb(client_.get(), collect);
    }

    // Returns whether the handshake resumed `offer`; new sessions land in `received`.
    bool handshake(SSL_SESSION* offer = nullptr) {
        bssl::UniquePtr<SSL> client(SSL_new(client_.get()));
        bssl::UniquePtr<SSL> server(SSL_new(server_.get()));
        BIO* client_bio = nullptr;
        BIO* server_bio = nullptr;
        REQUIRE(BIO_new_bio_pair(&client_bio, 0, &server_bio, 0) == 1);
        SSL_set_bio(client.get(), client_bio, client_bio);
        SSL_set_bio(server.get(), server_bio, server_bio);
        SSL_set_connect_state(client.get());
        SSL_set_accept_state(server.get());
        if (offer != nullptr) REQUIRE(SSL_set_session(client.get(), offer) == 1);
        bool client_done = false;
        bool server_done = false;
        for (int round = 0; round < 20 && !(client_done && server_done); ++round) {
            client_done = client_done || SSL_do_handshake(client.get()) == 1;
            server_done = server_done || SSL_do_handshake(server.get()) == 1;
        }
        REQUIRE(client_done);
        REQUIRE(server_done);
        // TLS 1.3 tickets come after the handshake: a read on the client takes them in.
        REQUIRE(SSL_write(server.get(), "x", 1) == 1);
        char byte = 0;
        REQUIRE(SSL_read(client.get(), &byte, 1) == 1);
        return SSL_session_reused(client.get()) == 1;
    }

private:
    ca::LeafCache leaves_{ca_test::ecdsa_authority()};
    std::shared_ptr<X509> leaf_;
    bssl::UniquePtr<SSL_CTX> server_;
    bssl::UniquePtr<SSL_CTX> client_;
};

// The server certificate's end, for put(): far off unless a test says otherwise.
const std::time_t kCertificateEnd = std::time(nullptr) + 30L * 86400;

std::vector<bssl::UniquePtr<SSL_SESSION>> sessions_from(InMemoryTls& tls, int handshakes) {
    received.clear();
    for (int i = 0; i < handshakes; ++i) tls.handshake();
    return std::move(received);
}

}  // namespace

TEST_CASE("a TLS 1.3 ticket is offered once and then leaves the cache") {
    InMemoryTls tls(TLS1_3_VERSION);
    auto sessions = sessions_from(tls, 1);
    REQUIRE(sessions.size() >= 1);
    REQUIRE(SSL_SESSION_should_be_single_use(sessions[0].get()) == 1);
    UpstreamSessions cache;
    const std::time_t now = std::time(nullptr);
    const std::size_t count = sessions.size();
    for (auto& session : sessions) cache.put("server.test\n\n10.0.0.1:443", std::move(session), kCertificateEnd);
    CHECK(cache.sessions("server.test\n\n10.0.0.1:443") == count);
    for (std::size_t i = 0; i < count; ++i) CHECK(cache.take("server.test\n\n10.0.0.1:443", now));
    CHECK_FALSE(cache.take("server.test\n\n10.0.0.1:443", now));
    CHECK(cache.servers() == 0);
}

TEST_CASE("a cached ticket really resumes, and the resumed handshake brings a fresh one") {
    InMemoryTls tls(TLS1_3_VERSION);
    auto sessions = sessions_from(tls, 1);
    UpstreamSessions cache;
    for (auto& session : sessions) cache.put("server", std::move(session), kCertificateEnd);
    auto offer = cache.take("server", std::time(nullptr));
    REQUIRE(offer);
    received.clear();
    CHECK(tls.handshake(offer.get()));
    CHECK_FALSE(received.empty());
}

TEST_CASE("a TLS 1.2 session can be offered again and stays cached") {
    InMemoryTls tls(TLS1_2_VERSION);
    auto sessions = sessions_from(tls, 1);
    REQUIRE(sessions.size() == 1);
    REQUIRE(SSL_SESSION_should_be_single_use(sessions[0].get()) == 0);
    SSL_SESSION* original = sessions[0].get();
    UpstreamSessions cache;
    cache.put("server", std::move(sessions[0]), kCertificateEnd);
    const std::time_t now = std::time(nullptr);
    auto first = cache.take("server", now);
    auto second = cache.take("server", now);
    CHECK(first.get() == original);
    CHECK(second.get() == original);
    CHECK(cache.sessions("server") == 1);
    CHECK(tls.handshake(first.get()));
}

TEST_CASE("each server keeps its newest sessions; the least recently used server goes at capacity") {
    InMemoryTls tls(TLS1_3_VERSION);
    auto sessions = sessions_from(tls, 4);
    REQUIRE(sessions.size() >= 4);
    UpstreamSessions cache(2, 3);
    SSL_SESSION* newest = sessions.back().get();
    for (auto& session : sessions) cache.put("a", std::move(session), kCertificateEnd);
    CHECK(cache.sessions("a") == 3);
    const std::time_t now = std::time(nullptr);
    CHECK(cache.take("a", now).get() == newest);

    auto more = sessions_from(tls, 2);
    cache.put("b", std::move(more[0]), kCertificateEnd);
    cache.take("a", now);              // a is now the most recently used
    cache.put("c", std::move(more[1]), kCertificateEnd);  // evicts b
    CHECK(cache.servers() == 2);
    CHECK(cache.sessions("a") == 1);
    CHECK(cache.sessions("b") == 0);
    CHECK(cache.sessions("c") == 1);
    CHECK_FALSE(cache.take("b", now));
}

TEST_CASE("a session is not offered once the server's certificate has expired") {
    InMemoryTls tls(TLS1_3_VERSION);
    auto sessions = sessions_from(tls, 1);
    UpstreamSessions cache;
    const std::time_t now = std::time(nullptr);
    cache.put("server", std::move(sessions[0]), now + 60);
    CHECK_FALSE(cache.take("server", now + 61));  // the ticket itself would still be good
    CHECK(cache.servers() == 0);
}

TEST_CASE("an expired session is never offered") {
    InMemoryTls tls(TLS1_3_VERSION);
    auto sessions = sessions_from(tls, 1);
    UpstreamSessions cache;
    cache.put("server", std::move(sessions[0]), kCertificateEnd);
    CHECK_FALSE(cache.take("server", std::time(nullptr) + 365L * 86400));
    CHECK(cache.servers() == 0);
    cache.put("server", nullptr, kCertificateEnd);  // ignored
    CHECK(cache.servers() == 0);
}
