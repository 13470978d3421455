#pragma once
// The capture directory on disk: append-only JSON Lines files, one series per
// proxy session ("<session>_<part>.jsonl", a new part each UTC day and every
// part_bytes), optional raw bodies beside them ("<session>_<part>.raw"),
// a total size cap enforced oldest file first, and a retention period.
//
// Failures (directory cannot be made, disk full, permission denied) never
// throw: the first one is logged with what to do about it, every lost line
// is counted ("capture.write_errors", "capture.lost_events"), and writing is
// retried every few seconds so capture resumes once the disk has room.
#include "capture/capture_config.hpp"
#include "posix/unique_fd.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cursor_proxy::capture {

struct RawRef {
    std::string file;  // name inside the capture directory
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

class JournalStore {
public:
    using Clock = std::chrono::system_clock;

    JournalStore(std::filesystem::path dir, std::string session, StoreLimits limits);

    // One complete line (no newline). A partial write is cut back off, so a
    // file only ever holds whole lines. Returns false if not recorded.
    bool append(std::string_view line, Clock::time_point now = Clock::now());
    // Raw body bytes for the current part; nullopt if not recorded.
    // `now`: the time of the line that will point to these bytes, so both
    // land in the same part (a part also ends at midnight UTC).
    std::optional<RawRef> append_raw(std::span<const std::uint8_t> bytes, Clock::time_point now = Clock::now());

    // Deletes files past retention and, oldest name first, files beyond the
    // size cap. The part being written is never deleted.
    void enforce_limits(Clock::time_point now = Clock::now());

    const std::filesystem::path& dir() const { return dir_; }
    std::string current_file() const;

    // New session name: "20261128T212741Z-1234" (start time, process id).
    static std::string new_session_name(Clock::time_point now = Clock::now());

private:
    bool ready(Clock::time_point now);
    bool open_part(Clock::time_point now);
    bool write_all(int fd, std::string_view bytes, const std::filesystem::path& path);
    void fail(std::string_view what, const std::filesystem::path& path, int err);
    void recovered();

    std::filesystem::path dir_;
    std::string session_;
    StoreLimits limits_;
    std::uint64_t part_bytes_;  // rotate after this many bytes in one part

    int part_ = -1;
    int part_day_ = -1;  // days since epoch (UTC) of the open part
    posix::UniqueFd journal_;
    posix::UniqueFd raw_;
    std::uint64_t journal_size_ = 0;
    std::uint64_t raw_size_ = 0;
    bool rotate_due_ = false;  // this part (lines + raw bodies) is full: the next write opens a new one
    std::uint64_t total_bytes_ = 0;      // estimate of the directory total
    std::uint64_t written_since_check_ = 0;
    Clock::time_point last_retention_check_{};

    bool failing_ = false;
    bool failure_logged_ = false;
    Clock::time_point retry_at_{};
};

}  // namespace cursor_proxy::capture
