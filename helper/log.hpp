#pragma once
// The helper's own tiny logger: one line per event on stderr, quiet by default
// (warnings and errors only; --verbose adds info). Under systemd, journald
// takes stderr, so lines carry a <N> syslog priority prefix there.
#include <fmt/format.h>

#include <string_view>

namespace cursor_proxy::helper::log {

enum class Level { info = 6, warning = 4, error = 3 };

void set_verbose(bool verbose);
void write(Level level, std::string_view message);

template <typename... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
    write(Level::info, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void warning(fmt::format_string<Args...> format, Args&&... args) {
    write(Level::warning, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> format, Args&&... args) {
    write(Level::error, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace cursor_proxy::helper::log
