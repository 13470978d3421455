#pragma once
// Structured, quiet-by-default logging to stderr (journald picks it up).
// A line reads:  <level> <component>: <message> key=value key=value
// With JOURNAL_STREAM set (running under systemd) lines get a <N> syslog
// priority prefix instead of a textual level, so journald files them right.
#include <fmt/format.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace cursor_proxy::log {

enum class Level { debug = 0, info = 1, warning = 2, error = 3 };

// Lines below this level are dropped. Default: warning (quiet).
void set_level(Level level);
Level level();
bool enabled(Level level);

struct Field {
    std::string_view key;
    std::string value;
    template <typename T>
    Field(std::string_view k, const T& v) : key(k), value(fmt::format("{}", v)) {}
};

void write(Level level, std::string_view component, std::string_view message,
           std::initializer_list<Field> fields = {});

inline void debug(std::string_view component, std::string_view message, std::initializer_list<Field> fields = {}) {
    if (enabled(Level::debug)) write(Level::debug, component, message, fields);
}
inline void info(std::string_view component, std::string_view message, std::initializer_list<Field> fields = {}) {
    if (enabled(Level::info)) write(Level::info, component, message, fields);
}
inline void warning(std::string_view component, std::string_view message, std::initializer_list<Field> fields = {}) {
    if (enabled(Level::warning)) write(Level::warning, component, message, fields);
}
inline void error(std::string_view component, std::string_view message, std::initializer_list<Field> fields = {}) {
    write(Level::error, component, message, fields);
}

}  // namespace cursor_proxy::log
