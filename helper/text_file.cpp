#include "text_file.hpp"

#include <unistd.h>

#include <cerrno>

#include "errors.hpp"
#include "raii.hpp"

namespace cursor_proxy::helper {

void write_text_file(const std::string& path, std::string_view text, const std::string& what, int flags,
                     mode_t mode) {
    Fd fd(::open(path.c_str(), flags | O_CLOEXEC, mode));
    if (!fd) throw_errno(error_name::system, what, errno);
    while (!text.empty()) {
        const ssize_t n = ::write(fd.get(), text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno(error_name::system, what, errno);
        if (n == 0) throw_errno(error_name::system, what, EIO);  // no progress: never loop on it
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    // /proc/sys reports a rejected value at write(); a full disk may only show at close().
    if (::close(fd.release()) < 0) throw_errno(error_name::system, what, errno);
}

}  // namespace cursor_proxy::helper
