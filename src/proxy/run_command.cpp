// Placeholder until cursor-proxy run lands; replaced by the real command.
#include "cli/commands.hpp"
#include "log/user_error.hpp"

namespace cursor_proxy::cli {

int run_command(std::span<const std::string>) { throw UserError("cursor-proxy run is not built yet"); }

}  // namespace cursor_proxy::cli
