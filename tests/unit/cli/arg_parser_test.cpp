#include "cli/arg_parser.hpp"
#include "log/user_error.hpp"

#include <catch2/catch.hpp>

using cursor_proxy::UsageError;
using cursor_proxy::cli::ArgParser;

namespace {
ArgParser make_parser() {
    ArgParser p("tool sub", "Does a thing.");
    p.option("dir", "DIR", "Where.", "/var/lib/x")
        .option("port", "N", "Port.")
        .flag("force", "Overwrite.")
        .multi("permit", "NAME", "Allowed name.")
        .positional("target", "What to act on.", false);
    return p;
}
std::vector<std::string> v(std::initializer_list<const char*> items) { return {items.begin(), items.end()}; }
}  // namespace

TEST_CASE("options, flags, repeats, defaults and positionals parse") {
    auto a = make_parser().parse(v({"--dir=/d", "--force", "--permit", "a", "--permit=b", "x"}));
    CHECK(a.get("dir") == "/d");
    CHECK(a.has("force"));
    CHECK(a.all("permit") == v({"a", "b"}));
    CHECK(a.positionals == v({"x"}));
    auto defaults = make_parser().parse({});
    CHECK(defaults.get("dir") == "/var/lib/x");
    CHECK_FALSE(defaults.has("force"));
}

TEST_CASE("bad command lines are usage errors with the option named") {
    CHECK_THROWS_WITH(make_parser().parse(v({"--nope"})), Catch::Contains("unknown option --nope"));
    CHECK_THROWS_WITH(make_parser().parse(v({"--dir"})), Catch::Contains("--dir needs a value"));
    CHECK_THROWS_WITH(make_parser().parse(v({"--force=1"})), Catch::Contains("takes no value"));
    CHECK_THROWS_AS(make_parser().parse(v({"a", "b"})), UsageError);
    auto a = make_parser().parse(v({"--port", "70000"}));
    CHECK_THROWS_WITH(a.get_int("port", 1, 65535), Catch::Contains("out of range"));
    auto b = make_parser().parse(v({"--port", "12x"}));
    CHECK_THROWS_WITH(b.get_int("port", 1, 65535), Catch::Contains("not a whole number"));
}

TEST_CASE("help lists every option with its default") {
    auto p = make_parser();
    CHECK(p.parse(v({"--help"})).help_requested);
    const std::string help = p.help();
    CHECK_THAT(help, Catch::Contains("--dir DIR"));
    CHECK_THAT(help, Catch::Contains("Default: /var/lib/x."));
    CHECK_THAT(help, Catch::Contains("May be given more than once."));
}
