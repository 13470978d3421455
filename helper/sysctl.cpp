#include "sysctl.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <fstream>

#include "errors.hpp"

namespace cursor_proxy::helper {

std::optional<std::string> read_sysctl(const std::string& key) {
    std::ifstream in("/proc/sys/" + key);
    std::string value;
    if (!in || !std::getline(in, value)) return std::nullopt;
    return value;
}

void write_sysctl(const std::string& key, const std::string& value) {
    std::ofstream out("/proc/sys/" + key);
    if (out) out << value << '\n';
    if (out) out.flush();
    if (!out) throw_errno(error_name::system, fmt::format("cannot set sysctl {} to {}", key, value), errno);
}

}  // namespace cursor_proxy::helper
