#include "sysctl.hpp"

#include <fmt/format.h>

#include <fstream>

#include "text_file.hpp"

namespace cursor_proxy::helper {

std::optional<std::string> read_sysctl(const std::string& key) {
    std::ifstream in("/proc/sys/" + key);
    std::string value;
    if (!in || !std::getline(in, value)) return std::nullopt;
    return value;
}

void write_sysctl(const std::string& key, const std::string& value) {
    write_text_file("/proc/sys/" + key, value + "\n", fmt::format("cannot set sysctl {} to {}", key, value), O_WRONLY);
}

}  // namespace cursor_proxy::helper
