// Placeholder until cursor-proxy captures lands; replaced by the real command.
#include "cli/commands.hpp"
#include "log/user_error.hpp"

namespace cursor_proxy::cli {

int captures_command(std::span<const std::string>) { throw UserError("cursor-proxy captures is not built yet"); }

}  // namespace cursor_proxy::cli
