#include "capture/capture_config.hpp"
#include "capture/capture_service.hpp"
#include "log/user_error.hpp"

#include <catch2/catch.hpp>

using namespace cursor_proxy;
using namespace cursor_proxy::capture;

namespace {
CaptureConfig parse(std::vector<std::string> args, std::filesystem::path def = "/var/lib/cursor-proxy/captures") {
    cli::ArgParser p("cursor-proxy run", "test");
    add_run_options(p);
    return config_from_args(p.parse(args), def);
}
}  // namespace

TEST_CASE("defaults: capture on, redaction on, the default directory") {
    const CaptureConfig c = parse({});
    CHECK(c.enabled);
    CHECK(c.redact);
    CHECK(c.dir == "/var/lib/cursor-proxy/captures");
    CHECK(c.store.max_bytes == 2ull << 30);
    CHECK(c.store.retention_days == 30);
    CHECK(std::find(c.redacted_headers.begin(), c.redacted_headers.end(), "x-cursor-checksum") != c.redacted_headers.end());
}

TEST_CASE("every capture option is read") {
    const CaptureConfig c = parse({"--capture-dir", "/srv/cap", "--no-redact", "--redact-header", "X-Session-Id",
                                   "--capture-max-bytes", "512M", "--capture-retention-days", "3", "--capture-host",
                                   "api2.cursor.sh", "--capture-method", "*Chat*", "--capture-content-type",
                                   "application/connect+*", "--no-capture-telemetry", "--capture-raw",
                                   "--capture-queue-bytes", "1M", "--capture-queue-events", "100",
                                   "--capture-message-limit", "64K"});
    CHECK(c.dir == "/srv/cap");
    CHECK_FALSE(c.redact);
    CHECK(c.redacted_headers.back() == "x-session-id");
    CHECK(c.store.max_bytes == 512ull << 20);
    CHECK(c.store.retention_days == 3);
    CHECK(c.filter.hosts == std::vector<std::string>{"api2.cursor.sh"});
    CHECK(c.filter.methods == std::vector<std::string>{"*Chat*"});
    CHECK(c.filter.content_types == std::vector<std::string>{"application/connect+*"});
    CHECK(c.filter.exclude_telemetry);
    CHECK(c.store_raw);
    CHECK(c.queue.max_bytes == 1u << 20);
    CHECK(c.queue.max_events == 100);
    CHECK(c.max_message_bytes == 64 * 1024);
}

TEST_CASE("a capture directory under /tmp or /var/tmp is refused with the reason") {
    for (const char* dir : {"/tmp/caps", "/tmp", "/var/tmp/x/y", "/var/../tmp/z"}) {
        try {
            parse({"--capture-dir", dir});
            FAIL("accepted " << dir);
        } catch (const UserError& e) {
            CHECK(std::string(e.what()).find("captures hold secrets") != std::string::npos);
        }
    }
    CHECK(parse({"--capture-dir", "/tmpfoo/caps"}).dir == "/tmpfoo/caps");
    CHECK_NOTHROW(parse({"--capture-dir", "/tmp/caps", "--no-capture"}));
}

TEST_CASE("bad sizes and numbers are usage errors naming the option") {
    CHECK_THROWS_WITH(parse({"--capture-max-bytes", "lots"}), Catch::Contains("--capture-max-bytes") && Catch::Contains("not a size"));
    CHECK_THROWS_WITH(parse({"--capture-max-bytes", "12T"}), Catch::Contains("not a size"));
    CHECK_THROWS_WITH(parse({"--capture-max-bytes", "1K"}), Catch::Contains("below the minimum"));
    CHECK_THROWS_WITH(parse({"--capture-retention-days", "-1"}), Catch::Contains("--capture-retention-days"));
    CHECK_THROWS_AS(parse({"--redact-header", "bad name"}), UsageError);
    CHECK(parse_size("x", "2G") == 2ull << 30);
    CHECK(parse_size("x", "100") == 100);
}
