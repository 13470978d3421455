#include "log/log.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <unistd.h>

namespace {

// Counts how often it is formatted, to show dropped lines format nothing.
struct Probe {
    int* formatted;
};

// Runs fn with stderr redirected to a temporary file and returns what it wrote.
template <typename Fn>
std::string capture_stderr(Fn fn) {
    std::fflush(stderr);
    std::FILE* sink = std::tmpfile();
    REQUIRE(sink != nullptr);
    const int saved = ::dup(2);
    ::dup2(::fileno(sink), 2);
    fn();
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    std::string out;
    std::rewind(sink);
    for (int c; (c = std::fgetc(sink)) != EOF;) out += static_cast<char>(c);
    std::fclose(sink);
    return out;
}

}  // namespace

template <>
struct fmt::formatter<Probe> : fmt::formatter<std::string_view> {
    template <typename Context>
    auto format(const Probe& p, Context& ctx) const {
        ++*p.formatted;
        return fmt::formatter<std::string_view>::format("probe", ctx);
    }
};

using namespace cursor_proxy;

TEST_CASE("fields of dropped lines are never formatted") {
    int formatted = 0;
    log::set_level(log::Level::warning);
    const std::string out = capture_stderr([&] { log::info("test", "dropped", {{"p", Probe{&formatted}}}); });
    CHECK(out.empty());
    CHECK(formatted == 0);
}

TEST_CASE("written lines carry component, message and quoted fields") {
    int formatted = 0;
    log::set_level(log::Level::warning);
    const std::string out = capture_stderr([&] {
        log::warning("proxy", "upstream refused", {{"host", "api2.cursor.sh"}, {"reason", std::string("bad cert")},
                                                    {"n", 3}, {"p", Probe{&formatted}}});
    });
    CHECK(formatted == 1);
    CHECK_THAT(out, Catch::Contains("proxy: upstream refused host=api2.cursor.sh reason=\"bad cert\" n=3 p=probe\n"));
}
