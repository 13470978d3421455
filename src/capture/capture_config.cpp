#include "capture/capture_config.hpp"

#include "capture/capture_service.hpp"
#include "log/user_error.hpp"
#include "text/ascii.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace cursor_proxy::capture {
namespace {

using text::lower;

bool is_under(const std::filesystem::path& path, const std::filesystem::path& root) {
    auto [root_end, path_it] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
    return root_end == root.end();
}

}  // namespace

const std::vector<std::string>& default_redacted_headers() {
    static const std::vector<std::string> names = {"authorization", "proxy-authorization", "cookie", "set-cookie",
                                                   "x-client-key", "x-cursor-checksum"};
    return names;
}

void add_run_options(cli::ArgParser& p) {
    p.option("capture-dir", "DIR", "Where captures are written (mode 0700, files 0600; never under /tmp). "
                                   "Default: <data dir>/captures.");
    p.flag("no-capture", "Record nothing (the relay still works; status still counts).");
    p.flag("capture-raw", "Also store every message's raw bytes in a .raw file beside the event log.");
    p.flag("no-redact", "Store credentials (authorization, cookie, ...) in clear text. Logs a warning at start.");
    p.multi("redact-header", "NAME", "Also redact this header. Always redacted: authorization, "
                                     "proxy-authorization, cookie, set-cookie, x-client-key, x-cursor-checksum.");
    p.option("capture-max-bytes", "SIZE", "Total size cap of the capture directory (K, M, G suffixes); "
                                          "oldest files are deleted first.", "2G");
    p.option("capture-retention-days", "DAYS", "Delete capture files older than this (0: keep).", "30");
    p.multi("capture-host", "GLOB", "Record only these hosts, e.g. 'api2.cursor.sh' or '*.api5.cursor.sh'.");
    p.multi("capture-method", "GLOB", "Record only RPCs whose path matches, e.g. '*ChatService*'.");
    p.multi("capture-content-type", "GLOB", "Record only these content types, e.g. 'application/connect+*'.");
    p.flag("no-capture-telemetry", "Do not record telemetry hosts (metrics.cursor.sh, api3.cursor.sh).");
    p.option("capture-queue-bytes", "SIZE", "Memory the capture queue may hold before events are dropped.", "64M");
    p.option("capture-queue-events", "N", "Events the capture queue may hold before events are dropped.", "16384");
    p.option("capture-message-limit", "SIZE", "Messages larger than this are stored undecoded and marked truncated.", "4M");
    p.option("descriptors", "FILE", "A FileDescriptorSet (protoc -o / buf build -o) naming fields and messages.");
}

std::uint64_t parse_size(std::string_view option, std::string_view text) {
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    std::string_view suffix(end, static_cast<std::size_t>(text.data() + text.size() - end));
    int shift = -1;
    if (suffix.empty()) shift = 0;
    else if (suffix == "K" || suffix == "k" || suffix == "KiB") shift = 10;
    else if (suffix == "M" || suffix == "m" || suffix == "MiB") shift = 20;
    else if (suffix == "G" || suffix == "g" || suffix == "GiB") shift = 30;
    if (ec != std::errc() || shift < 0 || (value >> (63 - shift)) != 0) {
        throw UsageError(fmt::format("--{}: '{}' is not a size (examples: 65536, 512K, 64M, 2G)", option, text));
    }
    return value << shift;
}

void refuse_temporary_dir(const std::filesystem::path& dir) {
    const std::filesystem::path full = std::filesystem::weakly_canonical(std::filesystem::absolute(dir));
    for (const char* root : {"/tmp", "/var/tmp"}) {
        if (is_under(full, root)) {
            throw UserError(fmt::format(
                "capture directory {} is under {}: captures hold secrets and {} is shared and cleaned by others; "
                "choose a private directory (e.g. --capture-dir /var/lib/cursor-proxy/captures)",
                full.string(), root, root));
        }
    }
}

CaptureConfig config_from_args(const cli::ParsedArgs& args, const std::filesystem::path& default_dir) {
    CaptureConfig c;
    c.enabled = !args.has("no-capture");
    c.dir = args.has("capture-dir") ? std::filesystem::path(args.get("capture-dir")) : default_dir;
    if (c.dir.empty()) throw UsageError("--capture-dir: needs a directory");
    if (c.enabled) refuse_temporary_dir(c.dir);
    c.redact = !args.has("no-redact");
    c.redacted_headers = default_redacted_headers();
    for (const std::string& name : args.all("redact-header")) {
        if (name.empty() || name.find_first_of(" :\t") != std::string::npos) {
            throw UsageError(fmt::format("--redact-header: '{}' is not a header name", name));
        }
        c.redacted_headers.push_back(lower(name));
    }
    c.store_raw = args.has("capture-raw");
    c.descriptors = args.get("descriptors");
    c.store.max_bytes = parse_size("capture-max-bytes", args.get("capture-max-bytes"));
    if (c.store.max_bytes < 64 * 1024) {
        throw UsageError(fmt::format("--capture-max-bytes: {} is below the minimum of 64K", c.store.max_bytes));
    }
    c.store.retention_days = static_cast<int>(args.get_int("capture-retention-days", 0, 36500));
    c.queue.max_bytes = parse_size("capture-queue-bytes", args.get("capture-queue-bytes"));
    c.queue.max_events = static_cast<std::size_t>(args.get_int("capture-queue-events", 1, 10'000'000));
    c.max_message_bytes = parse_size("capture-message-limit", args.get("capture-message-limit"));
    c.filter.hosts = args.all("capture-host");
    c.filter.methods = args.all("capture-method");
    c.filter.content_types = args.all("capture-content-type");
    c.filter.exclude_telemetry = args.has("no-capture-telemetry");
    return c;
}

}  // namespace cursor_proxy::capture
