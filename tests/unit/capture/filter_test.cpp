#include "capture/capture_filter.hpp"

#include <catch2/catch.hpp>

using namespace cursor_proxy::capture;

TEST_CASE("an empty filter records everything") {
    CaptureFilter f;
    CHECK(f.accepts("api2.cursor.sh", "/aiserver.v1.ChatService/StreamUnifiedChatWithTools", "application/connect+proto"));
    CHECK(f.accepts("metrics.cursor.sh", "/", ""));
}

TEST_CASE("host, method and content-type globs all have to match") {
    CaptureFilter f;
    f.hosts = {"api2.cursor.sh", "*.api5.cursor.sh"};
    f.methods = {"*ChatService*"};
    f.content_types = {"application/connect+*"};
    CHECK(f.accepts("api2.cursor.sh", "/aiserver.v1.ChatService/StreamUnifiedChatWithTools", "application/connect+proto"));
    CHECK(f.accepts("agent.api5.cursor.sh", "/aiserver.v1.ChatService/X", "application/connect+json"));
    CHECK(f.accepts("API2.Cursor.SH", "/aiserver.v1.ChatService/X", "application/connect+proto"));
    CHECK_FALSE(f.accepts("repo42.cursor.sh", "/aiserver.v1.ChatService/X", "application/connect+proto"));
    CHECK_FALSE(f.accepts("api2.cursor.sh", "/aiserver.v1.AuthService/GetEmail", "application/connect+proto"));
    CHECK_FALSE(f.accepts("api2.cursor.sh", "/aiserver.v1.ChatService/X", "application/proto"));
}

TEST_CASE("--no-capture-telemetry excludes the telemetry hosts only") {
    CaptureFilter f;
    f.exclude_telemetry = true;
    CHECK_FALSE(f.accepts("metrics.cursor.sh", "/", "application/json"));
    CHECK_FALSE(f.accepts("api3.cursor.sh", "/tev1/v1/rgstr", "application/json"));
    CHECK_FALSE(f.accepts_host("eu.metrics.cursor.sh"));
    CHECK(f.accepts("api2.cursor.sh", "/aiserver.v1.ChatService/X", "application/connect+proto"));
    CHECK(is_telemetry_host("api3.cursor.sh"));
    CHECK_FALSE(is_telemetry_host("api2.cursor.sh"));
}
