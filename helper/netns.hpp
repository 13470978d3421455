#pragma once
// Network namespaces pinned the way iproute2 pins them, so `ip netns` sees
// ours: /run/netns is a shared mount point, and /run/netns/NAME is a bind
// mount of a namespace created by unshare(CLONE_NEWNET) on a helper thread.
//
// Work inside a namespace happens on a short-lived thread that setns()es into
// it (namespaces are per thread); sockets opened there stay in that
// namespace for their whole life, so the main thread can use them.
#include <exception>
#include <functional>
#include <string>

#include "raii.hpp"

namespace cursor_proxy::helper {

inline constexpr const char* netns_run_dir = "/run/netns";

// True if `path` is a mounted namespace file (nsfs), not just a leftover file.
bool namespace_pinned(const std::string& path);
// Creates a fresh namespace and pins it at `path` (which must not be pinned).
// A plain file left there by a crash is replaced.
void pin_new_namespace(const std::string& path);
// Unmounts and removes the pin; a missing pin is not an error.
void unpin_namespace(const std::string& path);
Fd open_namespace(const std::string& path);

// Runs `work` on a thread inside the namespace `ns_fd`; rethrows its exception.
void run_in_namespace(int ns_fd, const std::function<void()>& work);

}  // namespace cursor_proxy::helper
