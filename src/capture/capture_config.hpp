#pragma once
// Every setting of capture, read once from `run`'s command line. The limits
// are named here with their defaults; docs/capture-format.md explains them.
#include "capture/capture_filter.hpp"
#include "cli/arg_parser.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace cursor_proxy::capture {

struct QueueLimits {
    // Worst case memory held by the queue: max_bytes of copied bodies and
    // headers plus max_events small records (about 200 bytes each).
    std::size_t max_events = 16384;
    std::size_t max_bytes = 64u << 20;
};

struct StoreLimits {
    // Total of every .jsonl and .raw file in the directory; oldest files go first.
    std::uint64_t max_bytes = 2ull << 30;
    // Files last written more than this many days ago are deleted (0: keep).
    int retention_days = 30;
};

struct CaptureConfig {
    bool enabled = true;
    std::filesystem::path dir;
    bool redact = true;
    std::vector<std::string> redacted_headers;  // lower case, defaults included
    bool store_raw = false;                     // --capture-raw
    std::filesystem::path descriptors;          // --descriptors (may be empty)
    std::size_t max_message_bytes = 4u << 20;   // larger messages: raw, truncated
    QueueLimits queue;
    StoreLimits store;
    CaptureFilter filter;
};

// Header names whose values never reach the disk unless --no-redact.
const std::vector<std::string>& default_redacted_headers();

// Parses the options add_run_options() declared. Throws UsageError/UserError
// for bad values, including a capture directory under /tmp or /var/tmp.
CaptureConfig config_from_args(const cli::ParsedArgs& args, const std::filesystem::path& default_dir);

// "64M", "2G", "65536" -> bytes. Throws UsageError naming the option.
std::uint64_t parse_size(std::string_view option, std::string_view text);

// Throws UserError when dir lies under /tmp or /var/tmp (world-writable,
// often cleaned by others, sometimes shared): captures hold secrets.
void refuse_temporary_dir(const std::filesystem::path& dir);

}  // namespace cursor_proxy::capture
