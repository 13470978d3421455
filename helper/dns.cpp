#include "dns.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "errors.hpp"
#include "log.hpp"
#include "text_file.hpp"

namespace cursor_proxy::helper {
namespace {

constexpr const char* marker = "# Written by cursor-proxy-helper";

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    if (in) s << in.rdbuf();
    return s.str();
}

}  // namespace

std::vector<std::string> usable_nameservers(const std::string& text) {
    std::vector<std::string> servers;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        std::istringstream words(line);
        std::string keyword, address;
        if (!(words >> keyword >> address) || keyword != "nameserver") continue;
        auto ip = parse_ipv4(address);
        if (ip && (*ip >> 24) != 127) servers.push_back(address);
    }
    return servers;
}

std::vector<std::string> namespace_resolvers(const Config& config) {
    if (!config.dns.empty()) return config.dns;
    for (const char* path : {"/etc/resolv.conf", "/run/systemd/resolve/resolv.conf"}) {
        auto servers = usable_nameservers(read_file(path));
        if (!servers.empty()) return servers;
    }
    throw HelperError(error_name::config,
                      "no DNS resolver usable from the namespace: /etc/resolv.conf lists only loopback or IPv6 "
                      "servers; set 'dns = ADDRESS' in the helper's config");
}

void write_resolv_conf(const Config& config, const std::vector<std::string>& servers) {
    for (const auto& d : {config.etc_netns_dir, config.etc_netns_path()})
        if (mkdir(d.c_str(), 0755) < 0 && errno != EEXIST)
            throw_errno(error_name::system, fmt::format("cannot create {}", d), errno);
    auto path = config.resolv_conf_path();
    auto tmp = path + ".tmp";
    std::string text = fmt::format("{} for namespace {}; removed by Down.\n", marker, config.namespace_name);
    for (const auto& server : servers) text += "nameserver " + server + "\n";
    write_text_file(tmp, text, fmt::format("cannot write {}", tmp));
    if (chmod(tmp.c_str(), 0644) < 0 || std::rename(tmp.c_str(), path.c_str()) < 0) {
        int err = errno;
        unlink(tmp.c_str());
        throw_errno(error_name::system, fmt::format("cannot install {}", path), err);
    }
}

bool resolv_conf_is_ours(const Config& config) {
    return read_file(config.resolv_conf_path()).rfind(marker, 0) == 0;
}

bool remove_resolv_conf(const Config& config) {
    if (!resolv_conf_is_ours(config)) return false;
    auto path = config.resolv_conf_path();
    if (unlink(path.c_str()) < 0 && errno != ENOENT)
        throw_errno(error_name::system, fmt::format("cannot remove {}", path), errno);
    auto dir = config.etc_netns_path();
    if (rmdir(dir.c_str()) < 0 && errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT)
        log::warning("cannot remove {}: {}", dir, std::strerror(errno));  // someone else's files may live there
    return true;
}

}  // namespace cursor_proxy::helper
