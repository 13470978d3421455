// cursor-proxy status: asks the running daemon's control socket for its
// counters and prints them grouped, or as JSON.
#include "capture/cli/default_paths.hpp"
#include "cli/arg_parser.hpp"
#include "cli/commands.hpp"
#include "log/user_error.hpp"

#include <asio.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <map>

namespace cursor_proxy::cli {
namespace {

using json = nlohmann::json;

json read_status(const std::string& path) {
    asio::io_context io;
    asio::local::stream_protocol::socket socket(io);
    std::error_code ec;
    socket.connect(asio::local::stream_protocol::endpoint(path), ec);
    if (ec) {
        throw UserError(fmt::format("cannot reach the proxy's status socket {}: {} (is 'cursor-proxy run' running? "
                                    "give its socket with --socket)", path, ec.message()));
    }
    std::string text;
    asio::read(socket, asio::dynamic_buffer(text), ec);
    if (ec != asio::error::eof) throw UserError(fmt::format("reading {}: {}", path, ec.message()));
    json doc = json::parse(text, nullptr, false);
    if (!doc.is_object()) throw UserError(fmt::format("{} answered something that is not a status document", path));
    return doc;
}

// "capture.dropped_events" -> group "capture", name "dropped_events".
void print_counters(const json& counters) {
    std::map<std::string, std::vector<std::pair<std::string, std::int64_t>>> groups;
    std::vector<std::pair<std::string, std::int64_t>> per_host;
    for (const auto& [name, value] : counters.items()) {
        const std::int64_t v = value.is_number() ? value.get<std::int64_t>() : 0;
        if (name.rfind("rpcs.host.", 0) == 0) {
            per_host.emplace_back(name.substr(10), v);
            continue;
        }
        const auto dot = name.find('.');
        groups[dot == std::string::npos ? std::string("other") : name.substr(0, dot)].emplace_back(
            dot == std::string::npos ? name : name.substr(dot + 1), v);
    }
    for (const auto& [group, values] : groups) {
        fmt::print("\n{}\n", group);
        for (const auto& [name, v] : values) fmt::print("  {:<32} {:>12}\n", name, v);
    }
    if (!per_host.empty()) {
        std::sort(per_host.begin(), per_host.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
        fmt::print("\nRPCs per host\n");
        for (const auto& [host, v] : per_host) fmt::print("  {:<32} {:>12}\n", host, v);
    }
}

}  // namespace

int status_command(std::span<const std::string> args) {
    ArgParser p("cursor-proxy status", "Show the running proxy's connections, streams, bytes and capture counters.");
    p.option("socket", "PATH", "The daemon's status socket.", capture::default_status_socket().string());
    p.flag("json", "Print the daemon's status document as JSON.");
    p.description(
        "    Counters are grouped by component. Capture: queue_events/queue_bytes (waiting to be written),\n"
        "    dropped_events (queue full), lost_events and write_errors (disk full or unwritable).");
    const ParsedArgs a = p.parse(args);
    if (a.help_requested) { fmt::print("{}", p.help()); return 0; }
    const json doc = read_status(a.get("socket"));
    if (a.has("json")) {
        fmt::print("{}\n", doc.dump(2));
        return 0;
    }
    fmt::print("cursor-proxy pid {}, up {:.0f} s\n", doc.value("pid", 0), doc.value("uptime_seconds", 0.0));
    for (const auto& [key, value] : doc.items()) {
        if (key == "pid" || key == "uptime_seconds" || key == "counters") continue;
        if (value.is_array()) {
            fmt::print("\n{} ({})\n", key, value.size());
            for (const json& item : value) fmt::print("  {}\n", item.is_string() ? item.get<std::string>() : item.dump());
        } else {
            fmt::print("\n{}: {}\n", key, value.is_string() ? value.get<std::string>() : value.dump());
        }
    }
    if (doc.contains("counters")) print_counters(doc["counters"]);
    return 0;
}

}  // namespace cursor_proxy::cli
