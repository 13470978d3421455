#include "capture/capture_reader.hpp"

#include "log/user_error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>

namespace cursor_proxy::capture {
namespace {

namespace fs = std::filesystem;

std::string str(const nlohmann::json& line, const char* key) {
    auto it = line.find(key);
    return it != line.end() && it->is_string() ? it->get<std::string>() : std::string();
}

template <typename T>
T num(const nlohmann::json& line, const char* key) {
    auto it = line.find(key);
    return it != line.end() && it->is_number() ? it->get<T>() : T{};
}

// Applies one line to the RPC it belongs to.
void apply(RpcRecord& r, const std::string& type, nlohmann::json& line, bool keep_messages) {
    if (const auto it = line.find("error_details"); it != line.end() && it->is_object()) r.error_details = *it;
    if (type == "request") {
        r.time = str(line, "time");
        r.host = str(line, "host");
        r.method = str(line, "method");
        r.path = str(line, "path");
        r.url_path = str(line, "url_path");
        r.content_type = str(line, "content_type");
        r.request_headers = std::move(line["headers"]);
    } else if (type == "response") {
        r.status = num<int>(line, "status");
        r.response_content_type = str(line, "content_type");
        r.response_headers = std::move(line["headers"]);
    } else if (type == "message") {
        (str(line, "dir") == "request" ? r.request_messages : r.response_messages) += 1;
        if (keep_messages) r.messages.push_back(std::move(line));
    } else if (type == "trailers") {
        r.trailers.push_back({{"dir", str(line, "dir")}, {"headers", std::move(line["headers"])}});
    } else if (type == "reset") {
        r.reset = std::move(line);
    } else if (type == "lost") {
        r.complete = false;
    } else if (type == "end") {
        r.ended = true;
        r.status = r.status != 0 ? r.status : num<int>(line, "status");
        r.duration_ms = num<double>(line, "duration_ms");
        r.request_bytes = num<std::uint64_t>(line, "request_bytes");
        r.response_bytes = num<std::uint64_t>(line, "response_bytes");
        if (line.value("complete", true) == false) r.complete = false;
    }
    if (r.host.empty()) r.host = str(line, "host");
    if (r.path.empty()) r.path = str(line, "path");
}

}  // namespace

bool matches_id(const RpcRecord& r, std::string_view id) { return id == r.id() || id == r.rpc; }

std::vector<fs::path> capture_files(const fs::path& dir) {
    std::error_code ec;
    std::vector<fs::path> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().extension() == ".jsonl") files.push_back(it->path());
    }
    if (ec) {
        throw UserError(fmt::format("cannot read capture directory {}: {} (give the directory with --dir; "
                                    "the daemon writes to <data dir>/captures)",
                                    dir.string(), ec.message()));
    }
    std::sort(files.begin(), files.end());
    return files;
}

CaptureContents read_captures(const fs::path& dir, const ReadOptions& options) {
    CaptureContents out;
    std::map<std::pair<std::string, std::string>, std::size_t> by_id;       // (session, rpc) -> index
    std::map<std::pair<std::string, std::uint64_t>, std::string> alpn_of;  // (session, conn) -> alpn
    for (const fs::path& file : capture_files(dir)) {
        std::ifstream in(file);
        for (std::string text; std::getline(in, text);) {
            nlohmann::json line = nlohmann::json::parse(text, nullptr, false);
            if (line.is_discarded() || !line.is_object()) {
                ++out.bad_lines;
                continue;
            }
            const std::string type = str(line, "type");
            const std::string session = str(line, "session");
            // The session's first file may have been deleted by the size cap:
            // any line names its session.
            if (!session.empty() && (out.sessions.empty() || out.sessions.back() != session) &&
                std::find(out.sessions.begin(), out.sessions.end(), session) == out.sessions.end()) {
                out.sessions.push_back(session);
            }
            if (type == "session") continue;
            if (type == "connection") {
                alpn_of[{session, num<std::uint64_t>(line, "conn")}] = str(line, "alpn");
                continue;
            }
            const std::string rpc = str(line, "rpc");
            if (rpc.empty()) continue;
            auto [it, added] = by_id.try_emplace({session, rpc}, out.rpcs.size());
            if (added) {
                RpcRecord r;
                r.session = session;
                r.rpc = rpc;
                auto a = alpn_of.find({session, num<std::uint64_t>(line, "conn")});
                if (a != alpn_of.end()) r.alpn = a->second;
                out.rpcs.push_back(std::move(r));
            }
            RpcRecord& r = out.rpcs[it->second];
            if (!options.only_id.empty() && !matches_id(r, options.only_id)) continue;
            apply(r, type, line, options.keep_messages);
        }
    }
    if (!options.only_id.empty()) {
        std::erase_if(out.rpcs, [&](const RpcRecord& r) { return !matches_id(r, options.only_id); });
    }
    return out;
}

}  // namespace cursor_proxy::capture
