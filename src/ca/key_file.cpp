#include "ca/key_file.hpp"

#include "log/user_error.hpp"
#include "posix/unique_fd.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace cursor_proxy::ca {
namespace {

using posix::UniqueFd;

std::string errno_text() { return std::strerror(errno); }

[[noreturn]] void fail(const std::filesystem::path& path, std::string_view action) {
    throw UserError(fmt::format("cannot write {}: {} failed: {}; check that the directory exists and is writable",
                                path.string(), action, errno_text()));
}

void write_all(int fd, std::string_view data, const std::filesystem::path& path) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail(path, "write");
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view contents, mode_t mode) {
    const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    std::string temp = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
    // mkstemp creates the file 0600, so a secret is never visible to others,
    // not even before the fchmod below.
    UniqueFd fd(::mkstemp(temp.data()));
    if (fd.get() < 0) fail(path, fmt::format("creating a temporary file in {}", dir.string()));
    try {
        if (::fchmod(fd.get(), mode) != 0) fail(path, "fchmod");
        write_all(fd.get(), contents, path);
        if (::fsync(fd.get()) != 0) fail(path, "fsync");
        if (::close(fd.release()) != 0) fail(path, "close");
        if (::rename(temp.c_str(), path.c_str()) != 0) fail(path, "rename");
    } catch (...) {
        ::unlink(temp.c_str());
        throw;
    }
    // Make the rename itself durable.
    UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir_fd.get() < 0 || ::fsync(dir_fd.get()) != 0) fail(path, "fsync of the directory");
}

std::string read_file(const std::filesystem::path& path, std::string_view what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw UserError(fmt::format("cannot read {} {}: {}", what, path.string(), errno_text()));
    }
    std::ostringstream out;
    out << in.rdbuf();
    if (in.bad()) throw UserError(fmt::format("cannot read {} {}: read error", what, path.string()));
    return out.str();
}

void require_owner_only(const std::filesystem::path& path, std::string_view what) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        throw UserError(fmt::format("cannot use {} {}: {}", what, path.string(), errno_text()));
    }
    if (!S_ISREG(st.st_mode)) {
        throw UserError(fmt::format("cannot use {} {}: not a regular file", what, path.string()));
    }
    const mode_t perms = st.st_mode & 07777;
    if ((perms & 077) != 0) {
        const char* who = (perms & 007) != 0 ? "others" : "its group";
        throw UserError(fmt::format("cannot use {} {}: mode {:04o} is readable by {}; run chmod 600 {}",
                                    what, path.string(), perms, who, path.string()));
    }
}

}  // namespace cursor_proxy::ca
