#include "log.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "errors.hpp"

namespace cursor_proxy::helper {

void throw_errno(const char* dbus_name, const std::string& what, int err) {
    throw HelperError(dbus_name, fmt::format("{}: {}", what, std::strerror(err)));
}

namespace log {
namespace {
bool g_verbose = false;
}

void set_verbose(bool verbose) { g_verbose = verbose; }

void write(Level level, std::string_view message) {
    if (level == Level::info && !g_verbose) return;
    static const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
    if (journal) {
        fmt::print(stderr, "<{}>{}\n", static_cast<int>(level), message);
    } else {
        const char* name = level == Level::info ? "info" : level == Level::warning ? "warning" : "error";
        fmt::print(stderr, "cursor-proxy-helper: {}: {}\n", name, message);
    }
    std::fflush(stderr);
}

}  // namespace log
}  // namespace cursor_proxy::helper
