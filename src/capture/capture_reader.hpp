#pragma once
// Reads a capture directory back (for captures list/show/tail/export): the
// event-log lines of every session, grouped into one record per RPC.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cursor_proxy::capture {

struct RpcRecord {
    std::string session;
    std::string rpc;  // "<connection>.<stream>", unique within the session
    std::string id() const { return session + "/" + rpc; }

    std::string time;  // of the request headers
    std::string host, method, path, url_path, content_type, response_content_type;
    std::string alpn;  // of its connection, when that line was recorded
    int status = 0;
    nlohmann::json request_headers = nlohmann::json::array();   // [[name, value], ...]
    nlohmann::json response_headers = nlohmann::json::array();
    nlohmann::json trailers = nlohmann::json::array();          // trailer lines
    std::vector<nlohmann::json> messages;                       // message lines, in order written
    std::size_t request_messages = 0, response_messages = 0;
    std::optional<nlohmann::json> reset;  // reset line
    // The RPC's error details (decode/error_details.hpp), from whichever line
    // carried them: response headers, trailers, or a message; null when none.
    nlohmann::json error_details;
    bool ended = false;                   // an end line was read
    bool complete = true;                 // no events lost
    double duration_ms = 0;
    std::uint64_t request_bytes = 0, response_bytes = 0;
};

struct ReadOptions {
    bool keep_messages = true;  // false: count them only (list)
    std::string only_id;        // non-empty: keep just this RPC (full id or "<conn>.<stream>")
};

struct CaptureContents {
    std::vector<std::string> sessions;  // in start order
    std::vector<RpcRecord> rpcs;        // in request order
    std::size_t bad_lines = 0;          // lines that did not parse (a crash mid-line)
};

// The .jsonl files of dir, oldest first. Throws UserError if dir is unreadable.
std::vector<std::filesystem::path> capture_files(const std::filesystem::path& dir);

CaptureContents read_captures(const std::filesystem::path& dir, const ReadOptions& options = {});

// Whether id (full or "<conn>.<stream>") names this record.
bool matches_id(const RpcRecord& r, std::string_view id);

}  // namespace cursor_proxy::capture
