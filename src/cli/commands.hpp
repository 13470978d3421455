#pragma once
// The subcommands of `cursor-proxy`. Each lives with its component and gets
// the arguments after its own name ("cursor-proxy ca init --dir D" calls
// ca_command({"init", "--dir", "D"})). Each returns the process exit code and
// may throw UserError/UsageError, which main() prints.
#include <span>
#include <string>

namespace cursor_proxy::cli {

int ca_command(std::span<const std::string> args);        // src/ca/ca_command.cpp
int run_command(std::span<const std::string> args);       // src/proxy/run_command.cpp
int captures_command(std::span<const std::string> args);  // src/capture/cli/captures_command.cpp
int status_command(std::span<const std::string> args);    // src/capture/cli/status_command.cpp

}  // namespace cursor_proxy::cli
