#include "capture/journal_store.hpp"
#include "capture_test_support.hpp"
#include "stats/counters.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <set>

using namespace cursor_proxy;
using namespace cursor_proxy::capture;
namespace fs = std::filesystem;

namespace {
mode_t mode_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}
std::set<std::string> names_in(const fs::path& dir) {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
    return out;
}
}  // namespace

TEST_CASE("lines are appended whole to a 0600 file in a 0700 directory") {
    capture_test::TempDir tmp;
    const fs::path dir = tmp.path() / "captures";
    JournalStore store(dir, "20260101T000000Z-1", {});
    REQUIRE(store.append(R"({"a":1})"));
    REQUIRE(store.append(R"({"b":2})"));
    CHECK(mode_of(dir) == 0700);
    CHECK(mode_of(dir / store.current_file()) == 0600);
    const auto lines = capture_test::read_lines(dir);
    REQUIRE(lines.size() == 2);
    CHECK(lines[1]["b"] == 2);
    CHECK(store.current_file() == "20260101T000000Z-1_0000.jsonl");
}

TEST_CASE("an existing directory with loose permissions is made private") {
    capture_test::TempDir tmp;
    const fs::path dir = tmp.path() / "captures";
    fs::create_directory(dir);
    ::chmod(dir.c_str(), 0755);
    JournalStore store(dir, "s", {});
    REQUIRE(store.append("{}"));
    CHECK(mode_of(dir) == 0700);
}

TEST_CASE("the size cap deletes the oldest files and keeps the newest") {
    capture_test::TempDir tmp;
    const fs::path dir = tmp.path();
    const std::string old_line(1000, 'o');
    {
        JournalStore older(dir, "20250101T000000Z-1", {.max_bytes = 64 * 1024, .retention_days = 0});
        for (int i = 0; i < 60; ++i) REQUIRE(older.append("\"" + old_line + "\""));
    }
    const std::size_t files_before = names_in(dir).size();
    REQUIRE(files_before >= 4);  // parts of max_bytes / 8 (but at least 16K)
    JournalStore newer(dir, "20250102T000000Z-2", {.max_bytes = 64 * 1024, .retention_days = 0});
    const auto deleted_before = stats::counter("capture.deleted_files").load();
    for (int i = 0; i < 50; ++i) REQUIRE(newer.append("\"" + std::string(1000, 'n') + "\""));

    std::uint64_t total = 0;
    for (const auto& e : fs::directory_iterator(dir)) total += e.file_size();
    CHECK(total <= 64 * 1024 + 16 * 1024);  // cap, plus at most the part being written
    const auto names = names_in(dir);
    CHECK(names.count(newer.current_file()) == 1);
    CHECK(names.count("20250101T000000Z-1_0000.jsonl") == 0);  // oldest went first
    CHECK(stats::counter("capture.deleted_files").load() > deleted_before);
    // Every remaining older file is newer than every deleted one.
    for (const std::string& n : names) CHECK(n > "20250101T000000Z-1_0000.jsonl");
}

TEST_CASE("files older than the retention period are deleted") {
    capture_test::TempDir tmp;
    const fs::path dir = tmp.path();
    {
        JournalStore old_session(dir, "20240101T000000Z-1", {});
        REQUIRE(old_session.append("{}"));
    }
    {
        JournalStore recent(dir, "20240105T000000Z-2", {});
        REQUIRE(recent.append("{}"));
    }
    fs::last_write_time(dir / "20240101T000000Z-1_0000.jsonl",
                        fs::file_time_type::clock::now() - std::chrono::hours(24 * 10));
    JournalStore store(dir, "20240110T000000Z-3", {.max_bytes = 1 << 30, .retention_days = 7});
    REQUIRE(store.append("{}"));
    const auto names = names_in(dir);
    CHECK(names.count("20240101T000000Z-1_0000.jsonl") == 0);
    CHECK(names.count("20240105T000000Z-2_0000.jsonl") == 1);
    CHECK(names.count(store.current_file()) == 1);
}

TEST_CASE("an unwritable directory loses lines, counts them, and never throws") {
    if (::geteuid() == 0) {
        // root ignores permissions: use a path below a regular file instead.
        capture_test::TempDir tmp;
        std::ofstream(tmp.path() / "file") << "x";
        JournalStore store(tmp.path() / "file" / "captures", "s", {});
        const auto lost = stats::counter("capture.lost_events").load();
        const auto errors = stats::counter("capture.write_errors").load();
        CHECK_FALSE(store.append("{}"));
        CHECK_FALSE(store.append("{}"));  // within the retry delay: not even tried
        CHECK(stats::counter("capture.lost_events").load() - lost == 2);
        CHECK(stats::counter("capture.write_errors").load() - errors == 1);
        return;
    }
    capture_test::TempDir tmp;
    ::chmod(tmp.path().c_str(), 0500);
    JournalStore store(tmp.path() / "captures", "s", {});
    const auto lost = stats::counter("capture.lost_events").load();
    CHECK_FALSE(store.append("{}"));
    CHECK(stats::counter("capture.lost_events").load() - lost == 1);
}

TEST_CASE("session names sort by start time") {
    const auto t = std::chrono::system_clock::from_time_t(1767225600);  // 2026-01-01T00:00:00Z
    const std::string name = JournalStore::new_session_name(t);
    CHECK(name.rfind("20260101T000000Z-", 0) == 0);
}

TEST_CASE("raw bodies count towards rotation, so --capture-raw stays within the size cap") {
    capture_test::TempDir tmp;
    const fs::path dir = tmp.path();
    JournalStore store(dir, "20250103T000000Z-3", {.max_bytes = 128 * 1024, .retention_days = 0});
    const std::vector<std::uint8_t> body(6000, 0x2a);
    std::set<std::string> raw_files;
    for (int i = 0; i < 200; ++i) {  // 1.2 MB of bodies, a short line each
        const auto ref = store.append_raw(body);
        REQUIRE(ref);
        raw_files.insert(ref->file);
        REQUIRE(store.append(R"({"raw":")" + ref->file + "\"}"));
        // The line and the bytes it points to are in the same part.
        CHECK(ref->file.substr(0, ref->file.size() - 4) ==
              store.current_file().substr(0, store.current_file().size() - 6));
    }
    CHECK(raw_files.size() > 8);  // parts rotated on raw bytes (max_bytes / 8 each)
    std::uint64_t total = 0;
    for (const auto& e : fs::directory_iterator(dir)) total += e.file_size();
    CHECK(total <= 128 * 1024 + 16 * 1024 + body.size());  // cap, plus at most the part being written
}

TEST_CASE("raw bytes go to the part of the event's day, with the line that points to them") {
    capture_test::TempDir tmp;
    const fs::path dir = tmp.path();
    JournalStore store(dir, "20250101T000000Z-4", {.max_bytes = 1 << 20, .retention_days = 0});
    // An event from just before midnight, written whenever the queue gets to it.
    const auto event_time = JournalStore::Clock::from_time_t(1735775999);  // 2025-01-01T23:59:59Z
    const std::vector<std::uint8_t> body(100, 0x2a);
    const auto ref = store.append_raw(body, event_time);
    REQUIRE(ref);
    REQUIRE(store.append(R"({"raw":")" + ref->file + "\"}", event_time));
    CHECK(ref->file.substr(0, ref->file.size() - 4) == store.current_file().substr(0, store.current_file().size() - 6));
    CHECK(names_in(dir).size() == 2);  // one .jsonl and its .raw
}
