#include "tls/key_log.hpp"

#include "log/log.hpp"
#include "log/user_error.hpp"
#include "posix/unique_fd.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cursor_proxy::tls {
namespace {

int keylog_index() {
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

void on_keylog_line(const SSL* ssl, const char* line) {
    auto* keylog = static_cast<KeyLog*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), keylog_index()));
    if (keylog != nullptr) keylog->write_line(line);
}

}  // namespace

KeyLog::KeyLog(const std::filesystem::path& path) : path_(path) {
    posix::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    if (!fd) {
        throw UserError(fmt::format("cannot open key log {}: {} (check --keylog / SSLKEYLOGFILE)", path.string(),
                                    std::strerror(errno)));
    }
    file_.reset(::fdopen(fd.get(), "a"));
    if (!file_) {
        throw UserError(fmt::format("cannot open key log {}: {}", path.string(), std::strerror(errno)));
    }
    fd.release();  // the FILE owns it now
    log::warning("tls", "writing TLS session secrets to the key log; anyone who reads it can decrypt captured traffic",
                 {{"file", path.string()}});
}

void KeyLog::attach(SSL_CTX* ctx) {
    SSL_CTX_set_ex_data(ctx, keylog_index(), this);
    SSL_CTX_set_keylog_callback(ctx, on_keylog_line);
}

void KeyLog::write_line(std::string_view line) {
    std::lock_guard lock(mutex_);
    if (std::fprintf(file_.get(), "%.*s\n", static_cast<int>(line.size()), line.data()) < 0 ||
        std::fflush(file_.get()) != 0) {
        static bool reported = false;
        if (!reported) log::error("tls", "cannot write the key log", {{"file", path_.string()}, {"error", std::strerror(errno)}});
        reported = true;
    }
}

}  // namespace cursor_proxy::tls
