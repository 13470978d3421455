// capture-feed: drives the real capture service without a proxy. Reads
// scripted observer events (JSON Lines on standard input), calls the
// service's observer with each, stops the service (flushing the queue) and
// prints the counters as JSON. Arguments are `cursor-proxy run`'s capture
// options (--capture-dir DIR is required).
//
// Script lines ("conn"/"stream" default to 1; "dir" is request|response):
//   {"event":"open","conn":1,"sni":"api2.cursor.sh","alpn":"h2","destination":"10.0.0.1:443"}
//   {"event":"request","stream":1,"headers":[[":method","POST"],[":path","/a.B/C"]]}
//   {"event":"response","stream":1,"headers":[[":status","200"]]}
//   {"event":"body","stream":1,"dir":"request","hex":"000000000548656c6c6f"}   (or "text":"...")
//   {"event":"trailers","stream":1,"dir":"response","headers":[["grpc-status","0"]]}
//   {"event":"end","stream":1,"error_code":0,"request_bytes":10,"response_bytes":0}
//   {"event":"close","conn":1,"reason":"done"}
//   {"event":"sleep","ms":100}     (lets the writer catch up)
//   {"event":"wait_file","path":"/x"}  (waits, up to 60 s, until the test creates it)
// --status-socket PATH also serves the status socket meanwhile.
#include "capture/capture_service.hpp"
#include "control/status_server.hpp"
#include "log/user_error.hpp"
#include "stats/counters.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>
#include <string>
#include <thread>

using namespace cursor_proxy;
using json = nlohmann::json;

namespace {

observer::Headers headers_of(const json& line) {
    observer::Headers out;
    for (const json& h : line.value("headers", json::array())) out.push_back({h.at(0), h.at(1)});
    return out;
}

std::vector<std::uint8_t> body_of(const json& line) {
    if (line.contains("text")) {
        const std::string text = line["text"];
        return {text.begin(), text.end()};
    }
    const std::string hex = line.value("hex", "");
    if (hex.size() % 2 != 0) throw std::runtime_error("hex body of odd length");
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i < hex.size(); i += 2) out.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

void feed(observer::Observer& obs, const json& line) {
    const std::string event = line.at("event");
    const std::uint64_t conn = line.value("conn", 1);
    const observer::StreamKey key{conn, line.value("stream", std::uint64_t{1})};
    const auto dir = line.value("dir", "request") == "request" ? observer::Direction::request : observer::Direction::response;
    if (event == "open") {
        observer::ConnectionInfo info;
        info.id = conn;
        info.client_address = line.value("client", "127.0.0.1:40000");
        info.original_destination = line.value("destination", "127.0.0.1:443");
        info.sni = line.value("sni", "");
        info.alpn = line.value("alpn", "h2");
        info.opened = std::chrono::system_clock::now();
        obs.connection_opened(info);
    } else if (event == "request") {
        obs.request_headers(key, headers_of(line));
    } else if (event == "response") {
        obs.response_headers(key, headers_of(line));
    } else if (event == "body") {
        obs.body_data(key, dir, body_of(line));
    } else if (event == "trailers") {
        obs.trailers(key, dir, headers_of(line));
    } else if (event == "end") {
        observer::StreamEnd end;
        end.error_code = line.value("error_code", 0u);
        end.reset_by = line.value("reset_by", "request") == "request" ? observer::Direction::request : observer::Direction::response;
        end.request_bytes = line.value("request_bytes", 0u);
        end.response_bytes = line.value("response_bytes", 0u);
        obs.stream_closed(key, end);
    } else if (event == "close") {
        obs.connection_closed(conn, line.value("reason", "closed"));
    } else if (event == "wait_file") {
        const std::filesystem::path path = line.at("path").get<std::string>();
        for (int i = 0; i < 600 && !std::filesystem::exists(path); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } else if (event == "sleep") {
        std::this_thread::sleep_for(std::chrono::milliseconds(line.value("ms", 10)));
    } else {
        throw std::runtime_error("unknown event '" + event + "'");
    }
}

}  // namespace

int main(int argc, char** argv) {
    try {
        cli::ArgParser parser("capture-feed", "Feed scripted observer events to the capture service.");
        capture::add_run_options(parser);
        parser.option("status-socket", "PATH", "Also serve the status socket here while feeding.");
        const std::vector<std::string> args(argv + 1, argv + argc);
        const cli::ParsedArgs parsed = parser.parse(args);
        if (!parsed.has("capture-dir")) throw UsageError("capture-feed: --capture-dir DIR is required");
        auto service = capture::CaptureService::start(parsed, parsed.get("capture-dir"));
        std::unique_ptr<control::StatusServer> status;
        if (parsed.has("status-socket")) {
            status = control::StatusServer::start(parsed.get("status-socket"),
                                                  [] { return std::string(R"({"passthrough_hosts":["feed.example"]})"); });
        }
        std::size_t number = 0;
        for (std::string text; std::getline(std::cin, text);) {
            ++number;
            if (text.empty()) continue;
            try {
                feed(service->observer(), json::parse(text));
            } catch (const std::exception& e) {
                throw UserError(fmt::format("script line {}: {}", number, e.what()));
            }
        }
        service->stop();
        std::cout << json(stats::snapshot()).dump() << "\n";
        return 0;
    } catch (const UserError& e) {
        std::cerr << "capture-feed: " << e.what() << "\n";
        return e.exit_code();
    }
}
