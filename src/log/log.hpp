#pragma once
// Structured, quiet-by-default logging to stderr (journald picks it up).
// A line reads:  <level> <component>: <message> key=value key=value
// With JOURNAL_STREAM set (running under systemd) lines get a <N> syslog
// priority prefix instead of a textual level, so journald files them right.
#include <fmt/format.h>

#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

namespace cursor_proxy::log {

enum class Level { debug = 0, info = 1, warning = 2, error = 3 };

// Lines below this level are dropped. Default: warning (quiet).
void set_level(Level level);
Level level();
bool enabled(Level level);

// A key and a reference to its value, formatted only if the line is written:
// callers pass fields to debug()/info() on hot paths, and with the default
// level those lines are dropped, so nothing should be formatted up front.
// A Field refers to its value, so it lives only within the log call's full
// expression (which is how the braced lists below are always used).
struct Field {
    std::string_view key;
    const void* value;
    void (*append)(std::string& out, const void* value);

    template <typename T>
    Field(std::string_view k, const T& v)
        : key(k), value(&v), append([](std::string& out, const void* p) {
              fmt::format_to(std::back_inserter(out), "{}", *static_cast<const T*>(p));
          }) {}
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
