#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "errors.hpp"
#include "text_file.hpp"

using namespace cursor_proxy::helper;

namespace {
std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string temp_dir() {
    std::string pattern = "/tmp/helper-text-file-XXXXXX";
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    return pattern;
}
}  // namespace

TEST_CASE("write_text_file replaces the file's contents with the given mode") {
    const auto dir = temp_dir();
    const auto path = dir + "/state";
    write_text_file(path, "a much longer first version\n", "cannot write state");
    struct stat st {};
    REQUIRE(stat(path.c_str(), &st) == 0);
    const auto first_mode = st.st_mode & 0777;
    write_text_file(path, "eth0 1\n", "cannot write state", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(read(path) == "eth0 1\n");
    REQUIRE(stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == first_mode);  // an existing file keeps its mode
    unlink(path.c_str());
    write_text_file(path, "x", "cannot write state", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    unlink(path.c_str());
    rmdir(dir.c_str());
}

TEST_CASE("write_text_file names the errno of the call that failed") {
    try {
        write_text_file("/nonexistent-dir-for-test/resolv.conf", "nameserver 10.0.0.1\n", "cannot write resolv.conf");
        FAIL("writing into a missing directory succeeded");
    } catch (const HelperError& e) {
        CHECK(std::string(e.dbus_name()) == error_name::system);
        CHECK(std::string(e.what()) == "cannot write resolv.conf: No such file or directory");
    }
    // Without O_CREAT (a sysctl), a missing key is ENOENT too, not a stale errno.
    try {
        write_text_file("/proc/sys/net/ipv4/conf/no-such-interface0/forwarding", "1\n", "cannot set sysctl", O_WRONLY);
        FAIL("writing a missing sysctl succeeded");
    } catch (const HelperError& e) {
        CHECK(std::string(e.what()) == "cannot set sysctl: No such file or directory");
    }
}
