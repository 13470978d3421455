#include "ca/leaf_cache.hpp"

#include "ca/leaf_certificate.hpp"
#include "ca/x509_builder.hpp"
#include "cache/lru_map.hpp"
#include "log/log.hpp"
#include "log/user_error.hpp"
#include "stats/counters.hpp"

#include <openssl/x509.h>

#include <fmt/format.h>

#include <future>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace cursor_proxy::ca {

using Leaf = std::shared_ptr<X509>;

// `entries`: the signed certificates by name key, least recently used evicted
// first. `in_flight` holds the futures of certificates being signed right
// now, so a second request for the same key waits for the first signature
// instead of signing again.
struct LeafCache::Impl {
    const Authority* authority;
    LeafOptions options;
    std::vector<std::string> permitted_domains;  // the CA's name constraints

    mutable std::mutex mutex;
    cache::LruMap<std::string, Leaf> entries{1};
    std::unordered_map<std::string, std::shared_future<Leaf>> in_flight;
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
};

LeafCache::LeafCache(const Authority& authority, LeafOptions options) : impl_(std::make_shared<Impl>()) {
    if (options.cache_capacity == 0) throw UserError("the leaf certificate cache needs a capacity of at least 1");
    if (options.validity <= std::chrono::hours(0) || options.validity >= std::chrono::hours(24 * 398)) {
        throw UserError(fmt::format("leaf certificate validity must be between 1 hour and 397 days (got {} hours): "
                                    "clients reject longer-lived server certificates",
                                    options.validity.count()));
    }
    impl_->authority = &authority;
    impl_->options = options;
    impl_->entries = cache::LruMap<std::string, Leaf>(options.cache_capacity);
    impl_->permitted_domains = permitted_dns_names(authority.certificate());
}

std::shared_ptr<X509> LeafCache::get(const LeafRequest& request) {
    static auto& minted = stats::counter("ca.leaf_minted");
    static auto& cache_hits = stats::counter("ca.leaf_cache_hits");

    const LeafNames names = leaf_names(request, impl_->permitted_domains);
    const std::string key = names.cache_key();

    std::promise<Leaf> promise;
    {
        std::unique_lock lock(impl_->mutex);
        if (const Leaf* cached = impl_->entries.find(key)) {
            ++impl_->hits;
            cache_hits.fetch_add(1, std::memory_order_relaxed);
            return *cached;
        }
        if (auto it = impl_->in_flight.find(key); it != impl_->in_flight.end()) {
            std::shared_future<Leaf> pending = it->second;
            ++impl_->hits;
            cache_hits.fetch_add(1, std::memory_order_relaxed);
            lock.unlock();
            return pending.get();  // rethrows the signer's exception, if any
        }
        ++impl_->misses;
        impl_->in_flight.emplace(key, promise.get_future().share());
    }

    // Sign outside the lock: other hosts need not wait for this one.
    Leaf cert;
    try {
        cert = Leaf(mint_leaf(*impl_->authority, names, impl_->options).release(), X509_free);
    } catch (...) {
        std::lock_guard lock(impl_->mutex);
        impl_->in_flight.erase(key);
        promise.set_exception(std::current_exception());
        throw;
    }
    minted.fetch_add(1, std::memory_order_relaxed);
    log::debug("ca", "minted leaf certificate", {{"names", key}});
    {
        std::lock_guard lock(impl_->mutex);
        impl_->entries.put(key, cert);
        impl_->in_flight.erase(key);
    }
    promise.set_value(cert);
    return cert;
}

std::size_t LeafCache::size() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->entries.size();
}

std::uint64_t LeafCache::hits() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->hits;
}

std::uint64_t LeafCache::misses() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->misses;
}

}  // namespace cursor_proxy::ca
