// Placeholder until cursor-proxy status lands; replaced by the real command.
#include "cli/commands.hpp"
#include "log/user_error.hpp"

namespace cursor_proxy::cli {

int status_command(std::span<const std::string>) { throw UserError("cursor-proxy status is not built yet"); }

}  // namespace cursor_proxy::cli
