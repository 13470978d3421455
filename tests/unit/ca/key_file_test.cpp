#include "ca/key_file.hpp"
#include "ca_test_support.hpp"
#include "log/user_error.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace cursor_proxy;
using ca_test::TempDir;

TEST_CASE("write_file_atomically replaces a file with the new contents and mode, leaving no temp file") {
    TempDir tmp;
    const auto path = tmp.path() / "secret.key";
    ca::write_file_atomically(path, "old", 0644);
    CHECK(ca_test::mode_of(path) == 0644);
    ca::write_file_atomically(path, "new contents", 0600);
    CHECK(ca_test::mode_of(path) == 0600);
    CHECK(ca::read_file(path, "test file") == "new contents");
    CHECK(std::distance(std::filesystem::directory_iterator(tmp.path()), std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("write_file_atomically into a missing directory names the file") {
    TempDir tmp;
    const auto path = tmp.path() / "missing" / "ca.key";
    CHECK_THROWS_WITH(ca::write_file_atomically(path, "x", 0600),
                      Catch::Contains("cannot write " + path.string()) && Catch::Contains("temporary file"));
}

TEST_CASE("read_file of a missing file names it") {
    TempDir tmp;
    CHECK_THROWS_WITH(ca::read_file(tmp.path() / "nope", "CA certificate"),
                      Catch::Contains("cannot read CA certificate " + (tmp.path() / "nope").string()));
}

TEST_CASE("require_owner_only accepts 0600 and 0400, refuses others, directories and missing files") {
    TempDir tmp;
    const auto path = tmp.path() / "k";
    ca::write_file_atomically(path, "x", 0600);
    CHECK_NOTHROW(ca::require_owner_only(path, "key"));
    REQUIRE(::chmod(path.c_str(), 0400) == 0);
    CHECK_NOTHROW(ca::require_owner_only(path, "key"));
    REQUIRE(::chmod(path.c_str(), 0604) == 0);
    CHECK_THROWS_WITH(ca::require_owner_only(path, "key"), Catch::Contains("mode 0604 is readable by others"));
    CHECK_THROWS_WITH(ca::require_owner_only(tmp.path(), "key"), Catch::Contains("not a regular file"));
    CHECK_THROWS_AS(ca::require_owner_only(tmp.path() / "missing", "key"), UserError);
}
