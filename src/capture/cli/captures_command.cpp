// cursor-proxy captures list|show|tail|export: reads the capture directory
// the daemon writes (docs/capture-format.md).
#include "capture/capture_filter.hpp"
#include "capture/capture_reader.hpp"
#include "capture/har_export.hpp"
#include "capture/cli/default_paths.hpp"
#include "cli/arg_parser.hpp"
#include "cli/commands.hpp"
#include "log/user_error.hpp"
#include "posix/unique_fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <thread>

namespace cursor_proxy::cli {
namespace {

namespace fs = std::filesystem;
using capture::RpcRecord;
using json = nlohmann::json;

constexpr std::string_view kUsage = R"(usage: cursor-proxy captures <list|show|tail|export> [OPTIONS]
    list                  sessions and RPCs: time, host, method, status, sizes, duration
    show ID               one RPC with every message decoded
    tail [-f]             one line per message; -f keeps following
    export --har FILE     HAR 1.2 (or --jsonl FILE: the raw event lines)
'cursor-proxy captures <sub> --help' shows each one's options.
)";

void add_dir_option(ArgParser& p) {
    p.option("dir", "DIR", "Capture directory.", capture::default_capture_dir().string());
}

std::string size_text(std::uint64_t bytes) {
    if (bytes < 10 * 1024) return fmt::format("{}B", bytes);
    if (bytes < 10 * 1024 * 1024) return fmt::format("{}K", bytes / 1024);
    return fmt::format("{}M", bytes / (1024 * 1024));
}

// "2026-11-28T21:27:41.123456Z" -> "2026-11-28 21:27:41"
std::string short_time(const std::string& iso) {
    if (iso.size() < 19) return iso;
    return iso.substr(0, 10) + " " + iso.substr(11, 8);
}

std::string one_line(const json& value, std::size_t max) {
    std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
    if (text.size() > max) text = text.substr(0, max - 3) + "...";
    return text;
}

json summary_json(const RpcRecord& r) {
    return {{"id", r.id()}, {"session", r.session}, {"rpc", r.rpc}, {"time", r.time}, {"host", r.host},
            {"method", r.method}, {"path", r.path}, {"status", r.status}, {"content_type", r.content_type},
            {"request_messages", r.request_messages}, {"response_messages", r.response_messages},
            {"request_bytes", r.request_bytes}, {"response_bytes", r.response_bytes},
            {"duration_ms", r.duration_ms}, {"ended", r.ended}, {"complete", r.complete}};
}

bool rpc_selected(const RpcRecord& r, const std::vector<std::string>& hosts, const std::vector<std::string>& rpcs) {
    return capture::glob_match_any(hosts, r.host) && capture::glob_match_any(rpcs, r.path);
}

int list(std::span<const std::string> args) {
    ArgParser p("cursor-proxy captures list", "List recorded sessions and RPCs.");
    add_dir_option(p);
    p.flag("json", "Print JSON (one object with sessions and rpcs).");
    p.multi("host", "GLOB", "Only RPCs to these hosts.");
    p.multi("rpc", "GLOB", "Only RPCs whose path matches, e.g. '*ChatService*'.");
    const ParsedArgs a = p.parse(args);
    if (a.help_requested) { fmt::print("{}", p.help()); return 0; }
    const auto contents = capture::read_captures(a.get("dir"), {.keep_messages = false, .only_id = {}});
    std::vector<const RpcRecord*> shown;
    for (const RpcRecord& r : contents.rpcs) {
        if (rpc_selected(r, a.all("host"), a.all("rpc"))) shown.push_back(&r);
    }
    if (a.has("json")) {
        json out = {{"sessions", contents.sessions}, {"rpcs", json::array()}};
        for (const RpcRecord* r : shown) out["rpcs"].push_back(summary_json(*r));
        fmt::print("{}\n", out.dump(2));
        return 0;
    }
    std::string session;
    for (const RpcRecord* r : shown) {
        if (r->session != session) {
            session = r->session;
            fmt::print("session {}\n{:<10} {:<19} {:<22} {:<52} {:>6} {:>14} {:>14} {:>9}\n", session, "ID", "TIME",
                       "HOST", "METHOD", "STATUS", "REQUEST", "RESPONSE", "DURATION");
        }
        const std::string status = r->ended ? fmt::format("{}{}", r->status, r->reset ? "/rst" : "") : "open";
        fmt::print("{:<10} {:<19} {:<22} {:<52} {:>6} {:>14} {:>14} {:>8.0f}ms{}\n", r->rpc, short_time(r->time), r->host,
                   fmt::format("{} {}", r->method, r->path), status,
                   fmt::format("{}/{}msg", size_text(r->request_bytes), r->request_messages),
                   fmt::format("{}/{}msg", size_text(r->response_bytes), r->response_messages), r->duration_ms,
                   r->complete ? "" : " (incomplete)");
    }
    if (shown.empty()) fmt::print("no RPCs recorded in {}\n", a.get("dir"));
    if (contents.bad_lines > 0) fmt::print(stderr, "note: {} damaged line(s) skipped\n", contents.bad_lines);
    return 0;
}

const RpcRecord& find_one(const capture::CaptureContents& contents, const std::string& id, const std::string& dir) {
    if (contents.rpcs.empty()) {
        throw UserError(fmt::format("no RPC '{}' in {} (see 'cursor-proxy captures list --dir {}')", id, dir, dir));
    }
    return contents.rpcs.back();  // a short id matching in several sessions: the newest
}

// A hand-edited file may hold any JSON here: non-strings are shown as JSON.
void print_headers(const json& pairs) {
    if (!pairs.is_array()) return;
    const auto text = [](const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
    for (const json& h : pairs) {
        if (h.is_array() && h.size() == 2) fmt::print("    {}: {}\n", text(h[0]), text(h[1]));
    }
}

void print_indented(const std::string& text, std::string_view indent) {
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = text.find('\n', start);
        fmt::print("{}{}\n", indent, text.substr(start, end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
}

int show(std::span<const std::string> args) {
    ArgParser p("cursor-proxy captures show", "Show one RPC with every message decoded.");
    p.positional("ID", "The RPC's id from 'captures list' (<connection>.<stream>, or <session>/<connection>.<stream>).");
    add_dir_option(p);
    p.flag("json", "Print JSON: the RPC's headers, messages (decoded) and end.");
    const ParsedArgs a = p.parse(args);
    if (a.help_requested) { fmt::print("{}", p.help()); return 0; }
    const std::string id = a.positionals.at(0);
    const auto contents = capture::read_captures(a.get("dir"), {.keep_messages = true, .only_id = id});
    const RpcRecord& r = find_one(contents, id, a.get("dir"));
    if (a.has("json")) {
        json out = summary_json(r);
        out["url_path"] = r.url_path;
        out["alpn"] = r.alpn;
        out["response_content_type"] = r.response_content_type;
        out["request_headers"] = r.request_headers;
        out["response_headers"] = r.response_headers;
        out["trailers"] = r.trailers;
        out["messages"] = r.messages;
        out["reset"] = r.reset ? *r.reset : json(nullptr);
        out["error_details"] = r.error_details;
        fmt::print("{}\n", out.dump(2, ' ', false, json::error_handler_t::replace));
        return 0;
    }
    fmt::print("{}  {} https://{}{}\n", r.id(), r.method, r.host, r.url_path.empty() ? r.path : r.url_path);
    fmt::print("  started {}  status {}  {:.1f} ms  request {} in {} message(s)  response {} in {} message(s){}\n",
               r.time, r.status, r.duration_ms, size_text(r.request_bytes), r.request_messages,
               size_text(r.response_bytes), r.response_messages, r.complete ? "" : "  (events were lost)");
    fmt::print("\n  request headers\n");
    print_headers(r.request_headers);
    fmt::print("\n  response headers\n");
    print_headers(r.response_headers);
    for (const json& m : r.messages) {
        const bool request = m.value("dir", "") == "request";
        fmt::print("\n  {} {} #{} {} {} {}{}{}{}\n", request ? ">>" : "<<", m.value("time", ""), m.value("index", 0),
                   m.value("kind", ""), m.value("form", ""), size_text(m.value("wire_size", 0)),
                   m.value("compressed", false) ? " gzip" : "", m.value("truncated", false) ? " TRUNCATED" : "",
                   m.contains("type_name") ? " " + m.value("type_name", "") : "");
        if (m.contains("error")) fmt::print("    error: {}\n", m.value("error", ""));
        if (m.contains("decoded")) print_indented(m["decoded"].dump(2, ' ', false, json::error_handler_t::replace), "    ");
    }
    for (const json& t : r.trailers) {
        fmt::print("\n  {} trailers\n", t.value("dir", ""));
        print_headers(t["headers"]);
    }
    if (!r.error_details.is_null()) {
        fmt::print("\n  error details\n");
        print_indented(r.error_details.dump(2, ' ', false, json::error_handler_t::replace), "    ");
    }
    if (r.reset) fmt::print("\n  reset by {}: {}\n", r.reset->value("by", ""), r.reset->value("error", ""));
    return 0;
}

// Follows the directory's newest .jsonl files, printing one line per message.
class Tail {
public:
    Tail(fs::path dir, std::vector<std::string> rpcs) : dir_(std::move(dir)), rpcs_(std::move(rpcs)) {}

    // Reads what is new in every file; returns the message lines seen.
    std::vector<json> poll() {
        std::vector<json> out;
        for (const fs::path& f : capture::capture_files(dir_)) {
            std::ifstream in(f, std::ios::binary);
            std::streamoff& offset = offsets_[f.string()];
            in.seekg(offset);
            std::string text;
            while (std::getline(in, text)) {
                if (in.eof()) break;  // no newline yet: the writer is mid-line
                offset += static_cast<std::streamoff>(text.size()) + 1;
                json line = json::parse(text, nullptr, false);
                if (!line.is_object() || line.value("type", "") != "message") continue;
                if (!capture::glob_match_any(rpcs_, line.value("path", ""))) continue;
                out.push_back(std::move(line));
            }
        }
        return out;
    }

private:
    fs::path dir_;
    std::vector<std::string> rpcs_;
    std::map<std::string, std::streamoff> offsets_;
};

void print_message_line(const json& m) {
    const std::string time = m.value("time", "");
    fmt::print("{} {:<8} {}{} {} #{} {} {}\n", time.size() >= 23 ? time.substr(11, 12) : time, m.value("rpc", ""),
               m.value("host", ""), m.value("path", ""), m.value("dir", "") == "request" ? ">>" : "<<",
               m.value("index", 0), size_text(m.value("wire_size", 0)),
               m.contains("decoded") ? one_line(m["decoded"], 160) : m.value("error", ""));
    std::fflush(stdout);
}

int tail(std::span<const std::string> args) {
    ArgParser p("cursor-proxy captures tail", "Print recorded messages, one line each; -f follows new ones.");
    add_dir_option(p);
    p.flag("follow", "Keep running and print messages as they are recorded (also -f).");
    p.multi("rpc", "GLOB", "Only messages of RPCs whose path matches, e.g. '*StreamUnifiedChat*'.");
    p.option("lines", "N", "How many of the messages already recorded to print first.", "20");
    std::vector<std::string> expanded;
    for (const std::string& s : args) expanded.push_back(s == "-f" ? "--follow" : s);
    const ParsedArgs a = p.parse(expanded);
    if (a.help_requested) { fmt::print("{}", p.help()); return 0; }
    const auto lines = static_cast<std::size_t>(a.get_int("lines", 0, 1'000'000));
    Tail t(a.get("dir"), a.all("rpc"));
    const std::vector<json> existing = t.poll();
    for (std::size_t i = existing.size() > lines ? existing.size() - lines : 0; i < existing.size(); ++i) {
        print_message_line(existing[i]);
    }
    while (a.has("follow")) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        for (const json& m : t.poll()) print_message_line(m);
    }
    return 0;
}

// Export files hold what the capture holds: owner-only, like the capture.
void write_private_file(const std::string& path, const std::string& text) {
    if (path == "-") {
        std::fwrite(text.data(), 1, text.size(), stdout);
        return;
    }
    posix::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) throw UserError(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw UserError(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
        done += static_cast<std::size_t>(n);
    }
    if (::close(fd.release()) != 0) throw UserError(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
}

int export_captures(std::span<const std::string> args) {
    ArgParser p("cursor-proxy captures export", "Export recorded RPCs as HAR 1.2 or JSON Lines.");
    add_dir_option(p);
    p.option("har", "FILE", "Write HAR 1.2 here ('-': standard output).");
    p.option("jsonl", "FILE", "Write every event line of the selected RPCs here, in order ('-': standard output).");
    p.multi("host", "GLOB", "Only RPCs to these hosts.");
    p.multi("rpc", "GLOB", "Only RPCs whose path matches.");
    p.option("id", "ID", "Only this RPC.");
    const ParsedArgs a = p.parse(args);
    if (a.help_requested) { fmt::print("{}", p.help()); return 0; }
    if (a.has("har") == a.has("jsonl")) throw UsageError("captures export: give exactly one of --har FILE or --jsonl FILE");
    auto contents = capture::read_captures(a.get("dir"), {.keep_messages = true, .only_id = a.get("id")});
    std::vector<RpcRecord> chosen;
    for (RpcRecord& r : contents.rpcs) {
        if (rpc_selected(r, a.all("host"), a.all("rpc"))) chosen.push_back(std::move(r));
    }
    if (a.has("har")) {
        write_private_file(a.get("har"), capture::to_har(chosen).dump(1, ' ', false, json::error_handler_t::replace) + "\n");
        if (a.get("har") != "-") fmt::print(stderr, "wrote {} RPC(s) to {}\n", chosen.size(), a.get("har"));
        return 0;
    }
    // JSON Lines: the original lines of the chosen RPCs, plus session and connection lines.
    std::set<std::string> ids;
    for (const RpcRecord& r : chosen) ids.insert(r.session + "/" + r.rpc);
    std::string out;
    std::size_t written = 0;
    for (const fs::path& f : capture::capture_files(a.get("dir"))) {
        std::ifstream in(f);
        for (std::string text; std::getline(in, text);) {
            json line = json::parse(text, nullptr, false);
            if (!line.is_object()) continue;
            const std::string type = line.value("type", "");
            const bool keep = type == "session" || type == "connection" || type == "connection_closed" ||
                              ids.count(line.value("session", "") + "/" + line.value("rpc", "")) != 0;
            if (!keep) continue;
            out += text;
            out += '\n';
            ++written;
        }
    }
    write_private_file(a.get("jsonl"), out);
    if (a.get("jsonl") != "-") fmt::print(stderr, "wrote {} line(s) of {} RPC(s) to {}\n", written, chosen.size(), a.get("jsonl"));
    return 0;
}

}  // namespace

int captures_command(std::span<const std::string> args) {
    if (args.empty()) {
        std::fputs(std::string(kUsage).c_str(), stderr);
        return 2;
    }
    const std::string sub = args[0];
    const auto rest = args.subspan(1);
    if (sub == "list") return list(rest);
    if (sub == "show") return show(rest);
    if (sub == "tail") return tail(rest);
    if (sub == "export") return export_captures(rest);
    if (sub == "--help" || sub == "-h" || sub == "help") {
        std::fputs(std::string(kUsage).c_str(), stdout);
        return 0;
    }
    throw UsageError(fmt::format("captures: unknown subcommand '{}' (list, show, tail, export)", sub));
}

}  // namespace cursor_proxy::cli
