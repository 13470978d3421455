// Placeholder until cursor-proxy ca lands; replaced by the real command.
#include "cli/commands.hpp"
#include "log/user_error.hpp"

namespace cursor_proxy::cli {

int ca_command(std::span<const std::string>) { throw UserError("cursor-proxy ca is not built yet"); }

}  // namespace cursor_proxy::cli
