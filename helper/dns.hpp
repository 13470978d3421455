#pragma once
// DNS for the namespace: /etc/netns/NAME/resolv.conf, the file `ip netns exec`
// (and our launcher) bind-mounts over /etc/resolv.conf inside the namespace.
// Resolvers come from the config, else from the host's resolv.conf minus
// loopback ones (a stub like 127.0.0.53 is unreachable from the namespace),
// else from systemd-resolved's upstream list.
#include <string>
#include <vector>

#include "config.hpp"

namespace cursor_proxy::helper {

// Throws BadConfig if no usable resolver is found.
std::vector<std::string> namespace_resolvers(const Config& config);
// Non-loopback IPv4 nameservers listed in resolv.conf text.
std::vector<std::string> usable_nameservers(const std::string& resolv_conf_text);

void write_resolv_conf(const Config& config, const std::vector<std::string>& servers);
// Removes the file (and its directory if then empty) only if the helper
// wrote it; returns whether it removed it.
bool remove_resolv_conf(const Config& config);
bool resolv_conf_is_ours(const Config& config);

}  // namespace cursor_proxy::helper
