#include "capture/har_export.hpp"

#include <catch2/catch.hpp>

using namespace cursor_proxy::capture;
using json = nlohmann::json;

namespace {
RpcRecord streaming_rpc() {
    RpcRecord r;
    r.session = "S";
    r.rpc = "1.3";
    r.time = "2026-01-01T00:00:00.000000Z";
    r.host = "api2.cursor.sh";
    r.method = "POST";
    r.path = "/aiserver.v1.ChatService/StreamUnifiedChatWithTools";
    r.url_path = r.path + "?a=1&b";
    r.content_type = r.response_content_type = "application/connect+proto";
    r.alpn = "h2";
    r.status = 200;
    r.request_headers = json::array({{":method", "POST"}, {":path", r.path}, {"content-type", r.content_type}});
    r.response_headers = json::array({{":status", "200"}});
    r.messages = {{{"dir", "request"}, {"index", 0}, {"time", r.time}, {"decoded", {{"1", "hi"}}}},
                  {{"dir", "response"}, {"index", 0}, {"time", r.time}, {"decoded", {{"1", "a"}}}},
                  {{"dir", "response"}, {"index", 1}, {"time", r.time}, {"decoded", {{"1", "b"}}}}};
    r.request_messages = 1;
    r.response_messages = 2;
    r.ended = true;
    r.duration_ms = 12.5;
    r.request_bytes = 10;
    r.response_bytes = 20;
    return r;
}
}  // namespace

TEST_CASE("HAR log has the 1.2 structure") {
    const json har = to_har({streaming_rpc()});
    const json& log = har.at("log");
    CHECK(log.at("version") == "1.2");
    CHECK(log.at("creator").at("name").is_string());
    CHECK(log.at("creator").at("version").is_string());
    REQUIRE(log.at("entries").size() == 1);
    const json& e = log["entries"][0];
    CHECK(e.at("startedDateTime") == "2026-01-01T00:00:00.000000Z");
    CHECK(e.at("time").get<double>() == Approx(12.5));
    CHECK(e.at("cache").is_object());
    for (const char* k : {"send", "wait", "receive"}) CHECK(e.at("timings").at(k).get<double>() >= 0);
    const json& req = e.at("request");
    CHECK(req.at("method") == "POST");
    CHECK(req.at("url") == "https://api2.cursor.sh/aiserver.v1.ChatService/StreamUnifiedChatWithTools?a=1&b");
    CHECK(req.at("httpVersion") == "HTTP/2");
    CHECK(req.at("cookies").is_array());
    CHECK(req.at("headers").size() == 1);  // pseudo-headers left out
    CHECK(req.at("headers")[0].at("name") == "content-type");
    CHECK(req.at("queryString").size() == 2);
    CHECK(req.at("queryString")[1].at("name") == "b");
    CHECK(req.at("headersSize") == -1);
    CHECK(req.at("postData").at("mimeType") == "application/connect+proto");
    const json& resp = e.at("response");
    CHECK(resp.at("status") == 200);
    CHECK(resp.at("redirectURL") == "");
    CHECK(resp.at("content").at("mimeType") == "application/connect+proto");
}

TEST_CASE("streamed messages are joined one per line and listed in _messages") {
    const json e = to_har({streaming_rpc()})["log"]["entries"][0];
    CHECK(e["request"]["postData"]["text"] == "{\"1\":\"hi\"}\n");
    CHECK(e["response"]["content"]["text"] == "{\"1\":\"a\"}\n{\"1\":\"b\"}\n");
    CHECK(e["response"]["content"]["size"] == std::string("{\"1\":\"a\"}\n{\"1\":\"b\"}\n").size());
    REQUIRE(e["_messages"].size() == 3);
    CHECK(e["_messages"][0]["type"] == "send");
    CHECK(e["_messages"][2]["type"] == "receive");
    CHECK(e["_messages"][2]["data"] == "{\"1\":\"b\"}");
}

TEST_CASE("an RPC whose request line was lost is left out") {
    RpcRecord r = streaming_rpc();
    r.time.clear();
    CHECK(to_har({r})["log"]["entries"].empty());
}
