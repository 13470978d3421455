#include "capture/journal_store.hpp"

#include "log/log.hpp"
#include "stats/counters.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <system_error>
#include <vector>

namespace cursor_proxy::capture {
namespace {

namespace fs = std::filesystem;
constexpr auto kRetryDelay = std::chrono::seconds(5);
constexpr auto kRetentionCheckEvery = std::chrono::hours(1);
constexpr std::uint64_t kMinPartBytes = 16 * 1024;
constexpr std::uint64_t kMaxPartBytes = 64ull << 20;

// Counters read by `cursor-proxy status`.
stats::Counter& counter_write_errors = stats::counter("capture.write_errors");
stats::Counter& counter_lost_events = stats::counter("capture.lost_events");
stats::Counter& counter_deleted_files = stats::counter("capture.deleted_files");

int utc_day(JournalStore::Clock::time_point t) {
    return static_cast<int>(std::chrono::duration_cast<std::chrono::hours>(t.time_since_epoch()).count() / 24);
}

bool is_capture_file(const fs::path& p) { return p.extension() == ".jsonl" || p.extension() == ".raw"; }

std::string fix_for(int err) {
    switch (err) {
        case ENOSPC:
        case EDQUOT: return "free space on that file system or lower --capture-max-bytes";
        case EACCES:
        case EPERM:
        case EROFS: return "make the directory writable by the proxy's user, or choose another --capture-dir";
        default: return "check the directory, or choose another --capture-dir";
    }
}

}  // namespace

JournalStore::JournalStore(fs::path dir, std::string session, StoreLimits limits)
    : dir_(std::move(dir)),
      session_(std::move(session)),
      limits_(limits),
      part_bytes_(std::clamp<std::uint64_t>(limits.max_bytes / 8, kMinPartBytes, kMaxPartBytes)) {}

std::string JournalStore::new_session_name(Clock::time_point now) {
    const std::time_t t = Clock::to_time_t(now);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z-{}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                       tm.tm_min, tm.tm_sec, ::getpid());
}

std::string JournalStore::current_file() const {
    return part_ < 0 ? std::string() : fmt::format("{}_{:04}.jsonl", session_, part_);
}

void JournalStore::fail(std::string_view what, const fs::path& path, int err) {
    counter_write_errors.fetch_add(1, std::memory_order_relaxed);
    failing_ = true;
    retry_at_ = Clock::now() + kRetryDelay;
    if (failure_logged_) return;
    failure_logged_ = true;
    log::error("capture", fmt::format("cannot {}; traffic continues but is not recorded (see capture.lost_events)", what),
               {{"path", path.string()}, {"error", std::strerror(err)}, {"fix", fix_for(err)}});
}

void JournalStore::recovered() {
    if (!failing_) return;
    failing_ = false;
    failure_logged_ = false;
    log::warning("capture", "recording again", {{"dir", dir_.string()}});
}

bool JournalStore::open_part(Clock::time_point now) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) {
        fail("create the capture directory", dir_, ec.value());
        return false;
    }
    struct stat st {};
    if (::stat(dir_.c_str(), &st) != 0) {
        fail("read the capture directory", dir_, errno);
        return false;
    }
    if (st.st_uid != ::geteuid()) {
        fail("use a capture directory owned by another user", dir_, EPERM);
        return false;
    }
    if ((st.st_mode & 07777) != 0700) {
        if (::chmod(dir_.c_str(), 0700) != 0) {
            fail("make the capture directory private (mode 0700)", dir_, errno);
            return false;
        }
    }
    journal_.reset();
    raw_.reset();
    ++part_;
    part_day_ = utc_day(now);
    const fs::path path = dir_ / current_file();
    journal_ = posix::UniqueFd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!journal_) {
        fail("create a capture file", path, errno);
        return false;
    }
    journal_size_ = 0;
    raw_size_ = 0;
    rotate_due_ = false;
    enforce_limits(now);
    return true;
}

bool JournalStore::ready(Clock::time_point now) {
    if (failing_ && Clock::now() < retry_at_) return false;
    if (!journal_ || utc_day(now) != part_day_ || rotate_due_) return open_part(now);
    return true;
}

bool JournalStore::write_all(int fd, std::string_view bytes, const fs::path& path) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int err = n < 0 ? errno : ENOSPC;
            // Cut a partial line back off so the file holds whole lines only
            // (O_APPEND: the file ends with the `done` bytes just written).
            const off_t partial = static_cast<off_t>(done);
            const off_t end = done > 0 ? ::lseek(fd, 0, SEEK_END) : -1;
            if (done > 0 && end >= partial && ::ftruncate(fd, end - partial) != 0) {
                log::warning("capture", "could not remove a partial line", {{"path", path.string()}});
            }
            fail("write to the capture file", path, err);
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

bool JournalStore::append(std::string_view line, Clock::time_point now) {
    if (!ready(now)) {
        counter_lost_events.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    std::string text;
    text.reserve(line.size() + 1);
    text.append(line);
    text += '\n';
    if (!write_all(journal_.get(), text, dir_ / current_file())) {
        counter_lost_events.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    recovered();
    journal_size_ += text.size();
    total_bytes_ += text.size();
    written_since_check_ += text.size();
    // Raw bodies count too (else --capture-raw could grow one part past the
    // cap, where nothing may delete it). Decided after a line, so a message
    // line and the raw bytes it points to land in the same part.
    if (journal_size_ + raw_size_ >= part_bytes_) rotate_due_ = true;
    if (total_bytes_ > limits_.max_bytes || written_since_check_ >= part_bytes_ / 4 ||
        now - last_retention_check_ >= kRetentionCheckEvery) {
        enforce_limits(now);
    }
    return true;
}

std::optional<RawRef> JournalStore::append_raw(std::span<const std::uint8_t> bytes, Clock::time_point now) {
    if (!ready(now)) return std::nullopt;
    const std::string name = fmt::format("{}_{:04}.raw", session_, part_);
    const fs::path path = dir_ / name;
    if (!raw_) {
        raw_ = posix::UniqueFd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!raw_) {
            fail("create a raw body file", path, errno);
            return std::nullopt;
        }
    }
    RawRef ref{name, raw_size_, bytes.size()};
    if (!write_all(raw_.get(), {reinterpret_cast<const char*>(bytes.data()), bytes.size()}, path)) return std::nullopt;
    raw_size_ += bytes.size();
    total_bytes_ += bytes.size();
    written_since_check_ += bytes.size();
    return ref;
}

void JournalStore::enforce_limits(Clock::time_point now) {
    written_since_check_ = 0;
    struct Entry {
        std::string name;
        std::uint64_t size;
        fs::file_time_type mtime;
    };
    std::vector<Entry> files;
    std::error_code ec;
    for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
        if (!it->is_regular_file(ec) || !is_capture_file(it->path())) continue;
        const auto size = it->file_size(ec);
        const auto mtime = it->last_write_time(ec);
        if (!ec) files.push_back({it->path().filename().string(), size, mtime});
        ec.clear();
    }
    std::sort(files.begin(), files.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
    const std::string current_stem = fmt::format("{}_{:04}.", session_, part_);
    auto removable = [&](const Entry& e) { return e.name.rfind(current_stem, 0) != 0; };
    auto remove = [&](const Entry& e) {
        std::error_code rm;
        if (fs::remove(dir_ / e.name, rm)) counter_deleted_files.fetch_add(1, std::memory_order_relaxed);
        return !rm;
    };

    std::uint64_t total = 0;
    std::vector<Entry> kept;
    const bool check_age = limits_.retention_days > 0 && now - last_retention_check_ >= kRetentionCheckEvery;
    const auto oldest_allowed = fs::file_time_type::clock::now() - std::chrono::hours(24) * limits_.retention_days;
    if (check_age) last_retention_check_ = now;
    for (const Entry& e : files) {
        if (check_age && removable(e) && e.mtime < oldest_allowed && remove(e)) continue;
        total += e.size;
        kept.push_back(e);
    }
    for (const Entry& e : kept) {
        if (total <= limits_.max_bytes) break;
        if (removable(e) && remove(e)) total -= e.size;
    }
    total_bytes_ = total;
}

}  // namespace cursor_proxy::capture
