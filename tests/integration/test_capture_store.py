"""Size cap and retention of the capture directory, across proxy sessions."""
import os
import time

from capture_support import capture_lines, chat_rpc, feed, open_conn, private_dir


def rpcs(count, conn=1):
    events = [open_conn(conn)]
    for i in range(count):
        events += chat_rpc(conn, 2 * i + 1, ["x" * 100], ["y" * 100])
    return events


def test_size_cap_deletes_oldest_files_and_keeps_the_newest():
    with private_dir() as d:
        directory = d / "captures"
        feed(rpcs(150), "--capture-dir", directory, "--capture-max-bytes", "64K")
        first_session = sorted(directory.glob("*.jsonl"))
        assert len(first_session) > 1  # rotated into parts
        time.sleep(1.1)  # the next session's name sorts after this one's
        feed(rpcs(150), "--capture-dir", directory, "--capture-max-bytes", "64K")
        files = sorted(directory.glob("*.jsonl"))
        total = sum(f.stat().st_size for f in directory.iterdir())
        assert total <= 64 * 1024 + 16 * 1024, total
        assert first_session[0] not in files  # the oldest went first
        newest_session = files[-1].name.split("_")[0]
        assert newest_session != first_session[0].name.split("_")[0]
        # The newest lines are all still there: the last RPC ends the last file.
        last = capture_lines(directory)[-1]
        assert last["type"] == "end" and last["rpc"] == "1.299"


def test_files_past_retention_are_deleted_at_start():
    with private_dir() as d:
        directory = d / "captures"
        feed(rpcs(1), "--capture-dir", directory)
        old = sorted(directory.glob("*.jsonl"))
        ten_days_ago = time.time() - 10 * 86400
        for f in old:
            os.utime(f, (ten_days_ago, ten_days_ago))
        time.sleep(1.1)
        feed(rpcs(1), "--capture-dir", directory, "--capture-retention-days", "7")
        remaining = sorted(directory.glob("*.jsonl"))
        assert remaining and not set(old) & set(remaining)
