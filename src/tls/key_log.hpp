#pragma once
// NSS key-log file (what Wireshark reads to decrypt a capture), written for
// both legs of every intercepted connection. Lines are appended under a mutex
// and flushed at once so a crash loses nothing.
#include <openssl/base.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string_view>

namespace cursor_proxy::tls {

class KeyLog {
public:
    // Opens path for appending, created 0600. Throws UserError naming the path.
    explicit KeyLog(const std::filesystem::path& path);

    // Makes every connection made from ctx write its secrets here. The KeyLog
    // must outlive ctx's connections.
    void attach(SSL_CTX* ctx);

    void write_line(std::string_view line);
    const std::filesystem::path& path() const { return path_; }

private:
    struct FileCloser {
        void operator()(std::FILE* f) const { std::fclose(f); }
    };
    std::filesystem::path path_;
    std::mutex mutex_;
    std::unique_ptr<std::FILE, FileCloser> file_;
};

}  // namespace cursor_proxy::tls
