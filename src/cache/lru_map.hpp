#pragma once
// A map that keeps at most `capacity` entries and drops the least recently
// used one when full: the shape of every cache in the proxy (leaf
// certificates, verified upstream chains, upstream TLS sessions). Not
// thread-safe; its owner holds the lock.
#include <algorithm>
#include <cstddef>
#include <functional>
#include <list>
#include <unordered_map>
#include <utility>

namespace cursor_proxy::cache {

template <class Key, class Value, class Hash = std::hash<Key>>
class LruMap {
public:
    explicit LruMap(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}
    // Entries hold iterators into order_: a copy would point into the original.
    // A move keeps them valid (std::list moves its nodes).
    LruMap(const LruMap&) = delete;
    LruMap& operator=(const LruMap&) = delete;
    LruMap(LruMap&&) noexcept = default;
    LruMap& operator=(LruMap&&) noexcept = default;

    // The value, now the most recently used; null when absent.
    Value* find(const Key& key) {
        const auto it = entries_.find(key);
        if (it == entries_.end()) return nullptr;
        order_.splice(order_.begin(), order_, it->second.position);
        return &it->second.value;
    }

    // The value without counting as a use; null when absent.
    const Value* peek(const Key& key) const {
        const auto it = entries_.find(key);
        return it == entries_.end() ? nullptr : &it->second.value;
    }

    // Inserts (or replaces) as the most recently used, evicting at capacity.
    Value& put(const Key& key, Value value) {
        if (auto* existing = find(key)) {
            *existing = std::move(value);
            return *existing;
        }
        order_.push_front(key);
        auto& entry = entries_.emplace(key, Entry{std::move(value), order_.begin()}).first->second;
        while (entries_.size() > capacity_) {
            entries_.erase(order_.back());
            order_.pop_back();
        }
        return entry.value;
    }

    void erase(const Key& key) {
        const auto it = entries_.find(key);
        if (it == entries_.end()) return;
        order_.erase(it->second.position);
        entries_.erase(it);
    }

    std::size_t size() const { return entries_.size(); }

private:
    struct Entry {
        Value value;
        typename std::list<Key>::iterator position;
    };

    std::size_t capacity_;
    std::list<Key> order_;  // most recently used first
    std::unordered_map<Key, Entry, Hash> entries_;
};

}  // namespace cursor_proxy::cache
