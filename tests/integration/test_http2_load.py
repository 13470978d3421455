"""The HTTP/2 relay under load, through tests/tools/h2c-relay: h2load's many
small requests, and a slow reader of a 1 GiB stream while the proxy's memory
stays bounded (end-to-end backpressure)."""
import re
import subprocess
import time

import pytest

from h2_support import H2Client, H2cRelay, Nghttpd

GIB = 1 << 30


@pytest.fixture
def docroot(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "tiny").write_bytes(b"x")
    (root / "empty").write_bytes(b"")
    with open(root / "gib", "wb") as f:
        f.truncate(GIB)  # sparse: nghttpd reads it as fast as memory
    return root


@pytest.fixture
def nghttpd(docroot, tmp_path):
    server = Nghttpd(docroot, tmp_path)
    yield server
    server.close()


def test_h2load_tiny_and_empty_requests_all_succeed(nghttpd, tmp_path):
    relay = H2cRelay(nghttpd.port, tmp_path=tmp_path)
    try:
        for path in ("/tiny", "/empty"):
            r = subprocess.run(["h2load", "-n", "1000", "-c", "4", "-m", "10", f"http://127.0.0.1:{relay.port}{path}"],
                               capture_output=True, timeout=60, text=True)
            assert "1000 succeeded, 0 failed, 0 errored, 0 timeout" in r.stdout, r.stdout[-1500:]
            assert re.search(r"status codes: 1000 2xx", r.stdout), r.stdout[-1500:]
        relay.wait_event(lambda e: e["event"] == "stream_closed" and e["connection"] == 8, timeout=20)
        closed = relay.events(lambda e: e["event"] == "stream_closed")
        assert len(closed) == 2000 and {e["error_code"] for e in closed} == {0}
        assert "invalid frame" not in relay.stderr() and "session error" not in relay.stderr()
    finally:
        relay.close()


def test_slow_reader_of_one_gib_keeps_proxy_memory_bounded(nghttpd, tmp_path):
    relay = H2cRelay(nghttpd.port, tmp_path=tmp_path)
    client = H2Client(relay.port, window=16 << 20, record_frames=False)
    try:
        sid = client.request("/gib")
        received, peak_rss, started = 0, 0, time.monotonic()
        done = False
        while not done:
            assert time.monotonic() - started < 90, f"only {received} bytes after 90 s"
            events = client.pump()
            assert events is not None, f"relay closed the connection after {received} bytes"
            for e in events:
                if type(e).__name__ == "DataReceived":
                    received += len(e.data)
                if type(e).__name__ in ("StreamEnded", "StreamReset"):
                    done = True
            # python3-h2 parses several times slower than nghttpd writes: the
            # reader is the bottleneck, so without backpressure the relay would
            # hold most of the gigabyte.
            if received % (64 << 20) < (1 << 20):
                peak_rss = max(peak_rss, relay.status_kib("VmRSS"))
        assert received == GIB
        peak = max(peak_rss, relay.status_kib("VmHWM"))
        assert peak < 64 * 1024, f"relay peak RSS {peak} KiB"
    finally:
        client.close()
        relay.close()
