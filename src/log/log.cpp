#include "log/log.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace cursor_proxy::log {
namespace {

std::atomic<Level> g_level{Level::warning};
std::mutex g_write_mutex;

bool under_journald() {
    static const bool journald = std::getenv("JOURNAL_STREAM") != nullptr;
    return journald;
}

std::string_view level_name(Level level) {
    switch (level) {
        case Level::debug: return "debug";
        case Level::info: return "info";
        case Level::warning: return "warning";
        case Level::error: return "error";
    }
    return "?";
}

int syslog_priority(Level level) {
    switch (level) {
        case Level::debug: return 7;
        case Level::info: return 6;
        case Level::warning: return 4;
        case Level::error: return 3;
    }
    return 6;
}

// Values with spaces, quotes or '=' are quoted so lines stay machine-splittable.
void append_value(std::string& out, std::string_view value) {
    bool plain = !value.empty();
    for (char c : value) {
        if (c == ' ' || c == '"' || c == '=' || c == '\n' || c == '\t') { plain = false; break; }
    }
    if (plain) { out += value; return; }
    out += '"';
    for (char c : value) {
        if (c == '"' || c == '\\') { out += '\\'; out += c; }
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    out += '"';
}

}  // namespace

void set_level(Level level) { g_level.store(level, std::memory_order_relaxed); }
Level level() { return g_level.load(std::memory_order_relaxed); }
bool enabled(Level l) { return static_cast<int>(l) >= static_cast<int>(level()); }

void write(Level level, std::string_view component, std::string_view message,
           std::initializer_list<Field> fields) {
    std::string line;
    line.reserve(128);
    if (under_journald()) {
        line += fmt::format("<{}>", syslog_priority(level));
    } else {
        line += level_name(level);
        line += ' ';
    }
    line += component;
    line += ": ";
    line += message;
    std::string value;
    for (const Field& f : fields) {
        line += ' ';
        line += f.key;
        line += '=';
        value.clear();
        f.append(value, f.value);
        append_value(line, value);
    }
    line += '\n';
    std::lock_guard lock(g_write_mutex);
    std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace cursor_proxy::log
