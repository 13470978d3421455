#include "ca_test_support.hpp"
#include "cli/commands.hpp"
#include "log/user_error.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace cursor_proxy;
using ca_test::TempDir;

namespace {
int run_ca(std::vector<std::string> args) { return cli::ca_command(args); }
}  // namespace

TEST_CASE("ca init then ca show succeed; a second init needs --force") {
    TempDir tmp;
    const std::string dir = (tmp.path() / "ca").string();
    CHECK(run_ca({"init", "--dir", dir, "--permit-domain", "cursor.sh", "--permit-domain", "cursorapi.com"}) == 0);
    CHECK(run_ca({"show", "--dir", dir}) == 0);
    CHECK(run_ca({"show", "--dir", dir, "--json"}) == 0);
    CHECK_THROWS_WITH(run_ca({"init", "--dir", dir}), Catch::Contains("--force"));
    CHECK(run_ca({"init", "--dir", dir, "--force", "--key-type", "rsa2048"}) == 0);
    CHECK(ca_test::mode_of(tmp.path() / "ca" / "ca.key") == 0600);
}

TEST_CASE("ca rejects unknown subcommands, key types and options as usage errors") {
    TempDir tmp;
    const std::string dir = tmp.path().string();
    CHECK_THROWS_AS(run_ca({"frobnicate"}), UsageError);
    CHECK_THROWS_WITH(run_ca({"init", "--dir", dir, "--key-type", "dsa"}), Catch::Contains("--key-type: 'dsa'"));
    CHECK_THROWS_AS(run_ca({"init", "--dir", dir, "--bogus"}), UsageError);
    CHECK_THROWS_WITH(run_ca({"init", "--dir", dir, "--permit-domain", "bad domain"}), Catch::Contains("--permit-domain"));
    CHECK(run_ca({}) == 2);
}

TEST_CASE("ca show without a CA says how to make one") {
    TempDir tmp;
    CHECK_THROWS_WITH(run_ca({"show", "--dir", tmp.path().string()}),
                      Catch::Contains("ca.crt is missing") && Catch::Contains("cursor-proxy ca init"));
}
