#include "capture/journal_store.hpp"
#include "capture/recorder.hpp"
#include "capture_test_support.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace cursor_proxy;
using namespace cursor_proxy::capture;

namespace {

const std::string kToken = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJyZWNvcmRlci10ZXN0In0.c2lnbmF0dXJl";

struct Fixture {
    capture_test::TempDir tmp;
    CaptureConfig config;
    std::unique_ptr<JournalStore> store;
    std::unique_ptr<Recorder> recorder;
    std::chrono::system_clock::time_point t0 = std::chrono::system_clock::now();

    explicit Fixture(CaptureConfig c = {}) : config(std::move(c)) {
        config.redacted_headers = default_redacted_headers();
        store = std::make_unique<JournalStore>(tmp.path(), "S1", config.store);
        recorder = std::make_unique<Recorder>(config, *store, nullptr, "S1");
    }
    void send(CaptureEvent e, int ms) {
        e.time = t0 + std::chrono::milliseconds(ms);
        recorder->handle(e);
    }
    CaptureEvent ev(EventKind kind, std::uint64_t stream = 1) {
        CaptureEvent e;
        e.kind = kind;
        e.key = {5, stream};
        return e;
    }
    void one_rpc(std::uint64_t stream, const std::string& host, const std::string& path) {
        CaptureEvent req = ev(EventKind::request_headers, stream);
        req.headers = {{":method", "POST"}, {":scheme", "https"}, {":authority", host + ":443"}, {":path", path + "?q=1"},
                       {"content-type", "text/plain; charset=utf-8"}, {"authorization", "Bearer " + kToken}};
        send(req, 0);
        CaptureEvent body = ev(EventKind::body_data, stream);
        body.body = {'h', 'e', 'l', 'l', 'o'};
        send(body, 1);
        CaptureEvent resp = ev(EventKind::response_headers, stream);
        resp.direction = observer::Direction::response;
        resp.headers = {{":status", "200"}, {"content-type", "text/plain"}, {"set-cookie", "sid=42"}};
        send(resp, 2);
        CaptureEvent rbody = ev(EventKind::body_data, stream);
        rbody.direction = observer::Direction::response;
        rbody.body = {'w', 'o', 'r', 'l', 'd'};
        send(rbody, 3);
        CaptureEvent end = ev(EventKind::stream_closed, stream);
        end.end = {.error_code = 0, .reset_by = observer::Direction::request, .request_bytes = 5, .response_bytes = 5};
        send(end, 10);
    }
    std::string all_bytes() const {
        std::string out;
        for (const auto& e : std::filesystem::directory_iterator(tmp.path())) {
            std::ifstream in(e.path(), std::ios::binary);
            std::stringstream ss;
            ss << in.rdbuf();
            out += ss.str();
        }
        return out;
    }
};

std::vector<nlohmann::json> of_type(const std::vector<nlohmann::json>& lines, const std::string& type) {
    std::vector<nlohmann::json> out;
    for (const auto& l : lines) {
        if (l["type"] == type) out.push_back(l);
    }
    return out;
}

}  // namespace

TEST_CASE("each event becomes one self-contained JSON line") {
    Fixture f;
    f.recorder->session_started();
    CaptureEvent open = f.ev(EventKind::connection_opened);
    open.connection = {.id = 5, .client_address = "10.0.0.2:5000", .original_destination = "10.0.0.9:443",
                       .sni = "api2.cursor.sh", .alpn = "h2", .intercepted = true, .opened = f.t0};
    f.send(open, 0);
    f.one_rpc(1, "api2.cursor.sh", "/aiserver.v1.AiService/Ping");
    CaptureEvent close = f.ev(EventKind::connection_closed);
    close.reason = "client closed";
    f.send(close, 20);

    const auto lines = capture_test::read_lines(f.tmp.path());
    for (const auto& l : lines) {
        CHECK(l["v"] == 1);
        CHECK(l["session"] == "S1");
        CHECK(l["time"].get<std::string>().size() == std::string("2026-01-01T00:00:00.000000Z").size());
    }
    REQUIRE(of_type(lines, "session").size() == 1);
    const auto conn = of_type(lines, "connection");
    REQUIRE(conn.size() == 1);
    CHECK(conn[0]["sni"] == "api2.cursor.sh");
    CHECK(conn[0]["alpn"] == "h2");
    CHECK(conn[0]["destination"] == "10.0.0.9:443");

    const auto req = of_type(lines, "request");
    REQUIRE(req.size() == 1);
    CHECK(req[0]["rpc"] == "5.1");
    CHECK(req[0]["host"] == "api2.cursor.sh");
    CHECK(req[0]["path"] == "/aiserver.v1.AiService/Ping");
    CHECK(req[0]["url_path"] == "/aiserver.v1.AiService/Ping?q=1");
    CHECK(req[0]["method"] == "POST");
    CHECK(req[0]["content_type"] == "text/plain");
    CHECK(req[0]["headers"][5][0] == "authorization");
    CHECK(req[0]["headers"][5][1] == redaction_marker("Bearer " + kToken));

    const auto resp = of_type(lines, "response");
    REQUIRE(resp.size() == 1);
    CHECK(resp[0]["status"] == 200);
    CHECK(resp[0]["headers"][2][1] == redaction_marker("sid=42"));

    const auto msgs = of_type(lines, "message");
    REQUIRE(msgs.size() == 2);
    CHECK(msgs[0]["dir"] == "request");
    CHECK(msgs[0]["index"] == 0);
    CHECK(msgs[0]["wire_size"] == 5);
    CHECK(msgs[0]["decoded"].dump().find("hello") != std::string::npos);
    CHECK(msgs[1]["dir"] == "response");
    CHECK(msgs[1]["decoded"].dump().find("world") != std::string::npos);

    const auto end = of_type(lines, "end");
    REQUIRE(end.size() == 1);
    CHECK(end[0]["status"] == 200);
    CHECK(end[0]["request_bytes"] == 5);
    CHECK(end[0]["request_messages"] == 1);
    CHECK(end[0]["response_messages"] == 1);
    CHECK(end[0]["duration_ms"].get<double>() == Approx(10.0));
    CHECK(end[0]["complete"] == true);
    CHECK(of_type(lines, "connection_closed").size() == 1);

    CHECK(f.all_bytes().find(kToken) == std::string::npos);
    CHECK(f.all_bytes().find("sid=42") == std::string::npos);
}

TEST_CASE("a reset stream gets a reset line naming the error and who sent it") {
    Fixture f;
    CaptureEvent req = f.ev(EventKind::request_headers);
    req.headers = {{":method", "POST"}, {":authority", "api2.cursor.sh"}, {":path", "/a.B/C"}};
    f.send(req, 0);
    CaptureEvent end = f.ev(EventKind::stream_closed);
    end.end.error_code = 8;
    end.end.reset_by = observer::Direction::request;
    f.send(end, 1);
    const auto lines = capture_test::read_lines(f.tmp.path());
    const auto reset = of_type(lines, "reset");
    REQUIRE(reset.size() == 1);
    CHECK(reset[0]["error"] == "CANCEL");
    CHECK(reset[0]["by"] == "client");
    CHECK(of_type(lines, "end")[0]["error_code"] == 8);
}

TEST_CASE("filtered RPCs and connections leave no line") {
    CaptureConfig c;
    c.filter.exclude_telemetry = true;
    Fixture f(c);
    CaptureEvent open = f.ev(EventKind::connection_opened);
    open.connection.id = 5;
    open.connection.sni = "metrics.cursor.sh";
    f.send(open, 0);
    f.one_rpc(1, "metrics.cursor.sh", "/tev1/v1/rgstr");
    f.one_rpc(3, "api2.cursor.sh", "/aiserver.v1.AiService/Ping");
    const auto lines = capture_test::read_lines(f.tmp.path());
    CHECK(of_type(lines, "connection").empty());
    const auto req = of_type(lines, "request");
    REQUIRE(req.size() == 1);
    CHECK(req[0]["host"] == "api2.cursor.sh");
    for (const auto& l : of_type(lines, "message")) CHECK(l["host"] == "api2.cursor.sh");
}

TEST_CASE("events after a loss mark the stream, once, and stop its decoding") {
    Fixture f;
    CaptureEvent req = f.ev(EventKind::request_headers);
    req.headers = {{":method", "POST"}, {":authority", "api2.cursor.sh"}, {":path", "/a.B/C"}, {"content-type", "text/plain"}};
    f.send(req, 0);
    for (int i = 0; i < 2; ++i) {
        CaptureEvent body = f.ev(EventKind::body_data);
        body.body = {'x'};
        body.after_loss = true;
        f.send(body, 1 + i);
    }
    CaptureEvent end = f.ev(EventKind::stream_closed);
    f.send(end, 5);
    const auto lines = capture_test::read_lines(f.tmp.path());
    CHECK(of_type(lines, "lost").size() == 1);
    CHECK(of_type(lines, "message").empty());
    CHECK(of_type(lines, "end")[0]["complete"] == false);
}
