#pragma once
// Writing a small text file (a sysctl, resolv.conf, the saved forwarding
// state) with open(2)/write(2)/close(2), so a failure names the errno of the
// call that failed; std::ofstream leaves errno to chance.
#include <fcntl.h>
#include <sys/types.h>

#include <string>
#include <string_view>

namespace cursor_proxy::helper {

// Throws HelperError (org.cursorproxy.Helper1.Error.System): "<what>: <strerror>".
void write_text_file(const std::string& path, std::string_view text, const std::string& what,
                     int flags = O_WRONLY | O_CREAT | O_TRUNC, mode_t mode = 0644);

}  // namespace cursor_proxy::helper
