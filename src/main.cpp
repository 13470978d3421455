// cursor-proxy: see, record and change what Cursor exchanges with its AI
// servers. This file only dispatches to the subcommands.
#include "cli/commands.hpp"
#include "log/user_error.hpp"

#include <fmt/core.h>

#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view kUsage = R"(NAME
    cursor-proxy - intercept, decode and record the Cursor editor's AI traffic

SYNOPSIS
    cursor-proxy <COMMAND> [OPTIONS]

COMMANDS
    run         Run the proxy (transparent and/or explicit CONNECT listener).
                With no options: a local CONNECT proxy on 127.0.0.1:8080, a
                fresh CA and a capture folder under ./cursor-proxy-data
                (~/.local/state/cursor-proxy when run from under /tmp).
    ca          Create or show the certificate authority (ca init, ca show).
    captures    List, show, follow and export recorded traffic.
    status      Show the running proxy's connections, streams and counters.

    cursor-proxy <COMMAND> --help shows the options of each command.

ENVIRONMENT
    SSLKEYLOGFILE   Write TLS key-log lines for both legs (as --keylog).
    STATE_DIRECTORY Default data directory when started by systemd.
)";

}  // namespace

int main(int argc, char** argv) {
    using namespace cursor_proxy;
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        std::fputs(std::string(kUsage).c_str(), args.empty() ? stderr : stdout);
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version") {
        fmt::print("cursor-proxy 0.1.0\n");
        return 0;
    }
    const std::string command = args[0];
    std::span<const std::string> rest(args.data() + 1, args.size() - 1);
    try {
        if (command == "run") return cli::run_command(rest);
        if (command == "ca") return cli::ca_command(rest);
        if (command == "captures") return cli::captures_command(rest);
        if (command == "status") return cli::status_command(rest);
        throw UsageError(fmt::format("unknown command '{}' (see cursor-proxy --help)", command));
    } catch (const UserError& e) {
        fmt::print(stderr, "cursor-proxy: {}\n", e.what());
        return e.exit_code();
    } catch (const std::exception& e) {
        fmt::print(stderr, "cursor-proxy: internal error: {}\n", e.what());
        return 70;  // EX_SOFTWARE
    }
}
