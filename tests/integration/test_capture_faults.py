"""Capture failures never stop traffic: a full or read-only file system, and
a refused /tmp directory, driven through the real capture service."""
import os
import stat
import subprocess

from capture_support import FEED, capture_lines, chat_rpc, feed, open_conn, private_dir, tiny_tmpfs


def many_rpcs(count, text_size=100):
    events = [open_conn(1)]
    for i in range(count):
        events += chat_rpc(1, 2 * i + 1, ["q" * text_size], ["a" * text_size, "b" * text_size])
    events.append({"event": "close", "conn": 1, "reason": "done"})
    return events


def test_full_filesystem_logs_once_counts_losses_and_keeps_whole_lines():
    with tiny_tmpfs("16k") as mnt:
        directory = mnt / "captures"
        r, counters = feed(many_rpcs(200), "--capture-dir", directory)
        # The service went on to the end and stopped cleanly.
        assert r.returncode == 0
        assert counters["capture.lost_events"] > 0
        assert counters["capture.write_errors"] >= 1
        errors = [l for l in r.stderr.splitlines() if "cannot" in l and "capture" in l]
        assert len(errors) == 1, r.stderr
        assert "No space left on device" in errors[0]
        assert "--capture-max-bytes" in errors[0]  # says what to do
        lines = capture_lines(directory)  # every line parses: no partial line left
        assert lines and lines[0]["type"] == "session"
        assert sum(1 for l in lines if l["type"] == "message") < 200 * 4


def test_read_only_directory_is_not_fatal():
    with tiny_tmpfs("64k", read_only=True) as mnt:
        r, counters = feed(many_rpcs(3), "--capture-dir", mnt / "captures")
        assert r.returncode == 0
        assert counters["capture.lost_events"] > 0
        errors = [l for l in r.stderr.splitlines() if "capture" in l and "error" in l.lower()]
        assert len(errors) == 1, r.stderr
        assert "Read-only file system" in errors[0]


def test_capture_dir_under_tmp_is_refused_with_the_reason():
    for directory in ("/tmp/cursor-proxy-captures", "/var/tmp/caps"):
        r = subprocess.run([str(FEED), "--capture-dir", directory], input="", capture_output=True, text=True)
        assert r.returncode == 1
        assert "captures hold secrets" in r.stderr
        assert not os.path.exists(directory)


def test_directory_and_files_are_private():
    with private_dir() as d:
        directory = d / "captures"
        feed(many_rpcs(1), "--capture-dir", directory)
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        files = list(directory.iterdir())
        assert files
        for f in files:
            assert stat.S_IMODE(f.stat().st_mode) == 0o600
            assert f.stat().st_uid == os.geteuid()


def test_bad_capture_options_are_usage_errors():
    with private_dir() as d:
        for args, message in ((["--capture-max-bytes", "huge"], "not a size"),
                              (["--capture-retention-days", "x"], "not a whole number"),
                              (["--descriptors", d / "missing.pb"], "cannot read")):
            r = subprocess.run([str(FEED), "--capture-dir", d / "c", *map(str, args)], input="",
                               capture_output=True, text=True)
            assert r.returncode in (1, 2), r.stderr
            assert message in r.stderr


def test_full_queue_drops_and_counts_without_waiting_and_marks_the_streams():
    # Every body event (8 KiB) is larger than the whole queue (4 KiB), so each
    # one is dropped at once; the small header and end events fit (the pauses
    # let the writer empty the queue between them).
    events = [open_conn(1)]
    for i in range(20):
        for e in chat_rpc(1, 2 * i + 1, ["x"], ["y"]):
            if e["event"] == "body":
                e["hex"] = (b"\0" * 8192).hex()
                events.append(e)
            else:
                events += [e, {"event": "sleep", "ms": 20}]
    bodies = sum(1 for e in events if e["event"] == "body")
    with private_dir() as d:
        directory = d / "captures"
        r, counters = feed(events, "--capture-dir", directory, "--capture-queue-bytes", "4K")
        assert r.returncode == 0
        assert counters["capture.dropped_bytes"] == bodies * 8192
        assert counters["capture.dropped_events"] == bodies
        lines = capture_lines(directory)
        lost = {l["rpc"] for l in lines if l["type"] == "lost"}
        assert len(lost) == 20  # every stream says it lost events
        ends = [l for l in lines if l["type"] == "end"]
        assert len(ends) == 20 and not any(l["complete"] for l in ends)
        assert not [l for l in lines if l["type"] == "message"]
