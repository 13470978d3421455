#include "netns.hpp"

#include <fmt/format.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "errors.hpp"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

namespace cursor_proxy::helper {
namespace {

// iproute2's netns_add: make /run/netns a shared mount (bind-mounting it onto
// itself first if it is not a mount point yet), so that unmounting a pin in
// one mount namespace unmounts it in all of them.
void make_run_dir_shared() {
    if (mkdir(netns_run_dir, 0755) < 0 && errno != EEXIST)
        throw_errno(error_name::namespace_failed, fmt::format("cannot create {}", netns_run_dir), errno);
    bool made_mount_point = false;
    while (mount("", netns_run_dir, "none", MS_SHARED | MS_REC, nullptr) < 0) {
        if (errno != EINVAL || made_mount_point)
            throw_errno(error_name::namespace_failed, fmt::format("cannot make {} a shared mount", netns_run_dir), errno);
        if (mount(netns_run_dir, netns_run_dir, "none", MS_BIND | MS_REC, nullptr) < 0)
            throw_errno(error_name::namespace_failed, fmt::format("cannot bind-mount {} onto itself", netns_run_dir), errno);
        made_mount_point = true;
    }
}

}  // namespace

bool namespace_pinned(const std::string& path) {
    Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return false;
    struct statfs fs {};
    return fstatfs(fd.get(), &fs) == 0 && static_cast<unsigned long>(fs.f_type) == NSFS_MAGIC;
}

void pin_new_namespace(const std::string& path) {
    make_run_dir_shared();
    // A plain file here is a crash between creating the pin and mounting it.
    if (!namespace_pinned(path)) unlink(path.c_str());
    Fd file(open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0));
    if (!file) throw_errno(error_name::namespace_failed, fmt::format("cannot create namespace pin {}", path), errno);
    file.reset();

    int err = 0;
    const char* failed = nullptr;
    std::thread([&] {
        if (unshare(CLONE_NEWNET) < 0) { err = errno; failed = "unshare(CLONE_NEWNET)"; return; }
        if (mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) < 0) {
            err = errno; failed = "bind mount of the new namespace";
        }
    }).join();
    if (failed) {
        unlink(path.c_str());
        throw_errno(error_name::namespace_failed, fmt::format("cannot pin a namespace at {}: {}", path, failed), err);
    }
}

void unpin_namespace(const std::string& path) {
    if (umount2(path.c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        throw_errno(error_name::namespace_failed, fmt::format("cannot unmount namespace pin {}", path), errno);
    if (unlink(path.c_str()) < 0 && errno != ENOENT)
        throw_errno(error_name::namespace_failed, fmt::format("cannot remove namespace pin {}", path), errno);
}

Fd open_namespace(const std::string& path) {
    Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno(error_name::namespace_failed, fmt::format("cannot open namespace {}", path), errno);
    return fd;
}

void run_in_namespace(int ns_fd, const std::function<void()>& work) {
    std::exception_ptr failure;
    std::thread([&] {
        try {
            if (setns(ns_fd, CLONE_NEWNET) < 0)
                throw_errno(error_name::namespace_failed, "cannot enter the namespace (setns)", errno);
            work();
        } catch (...) {
            failure = std::current_exception();
        }
    }).join();
    if (failure) std::rethrow_exception(failure);
}

}  // namespace cursor_proxy::helper
