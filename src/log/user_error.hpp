#pragma once
// An error meant for the person running the program: the message says what
// failed, on which file/host/address, and how to fix it. main() prints it as
// "cursor-proxy: <message>" and exits 1 (or 2 for bad usage).
#include <stdexcept>
#include <string>

namespace cursor_proxy {

class UserError : public std::runtime_error {
public:
    explicit UserError(const std::string& message, int exit_code = 1)
        : std::runtime_error(message), exit_code_(exit_code) {}
    int exit_code() const { return exit_code_; }

private:
    int exit_code_;
};

// Bad command line: exit code 2, like getopt-based tools.
class UsageError : public UserError {
public:
    explicit UsageError(const std::string& message) : UserError(message, 2) {}
};

}  // namespace cursor_proxy
