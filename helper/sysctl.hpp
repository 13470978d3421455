#pragma once
// Reading and writing /proc/sys. The values seen are those of the calling
// thread's network namespace, so run these inside run_in_namespace() to act
// on the helper's namespace.
#include <optional>
#include <string>

namespace cursor_proxy::helper {

// `key` is a path below /proc/sys, e.g. "net/ipv4/conf/eth0/forwarding".
std::optional<std::string> read_sysctl(const std::string& key);
void write_sysctl(const std::string& key, const std::string& value);

inline std::string forwarding_key(const std::string& ifname) { return "net/ipv4/conf/" + ifname + "/forwarding"; }

}  // namespace cursor_proxy::helper
