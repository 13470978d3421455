"""Helpers for the capture tests: scripted observer events fed to the real
capture service through tests/tools/capture-feed, private capture
directories (never under /tmp, which capture refuses), tiny file systems."""
import contextlib
import json
import os
import pathlib
import shutil
import struct
import subprocess
import tempfile

from conftest import BUILD
from proxy_support import DATA_ROOT

FEED = BUILD / "tests" / "tools" / "capture-feed"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYXB0dXJlLXRlc3QiLCJleHAiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
CHAT_PATH = "/aiserver.v1.ChatService/StreamUnifiedChatWithTools"


@contextlib.contextmanager
def private_dir():
    """A temporary directory under DATA_ROOT, removed afterwards. Not below the
    build tree: a checkout under /tmp (as CI's may be) would put it where
    captures refuse to go."""
    DATA_ROOT.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = pathlib.Path(tempfile.mkdtemp(prefix="capture-it-", dir=DATA_ROOT))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def tiny_tmpfs(size="16k", read_only=False):
    """A tmpfs of `size` mounted on a fresh directory; unmounted and removed
    afterwards, even on failure."""
    with private_dir() as mnt:
        opts = f"size={size},mode=0700" + (",ro" if read_only else "")
        subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "capture-test", str(mnt)], check=True)
        try:
            yield mnt
        finally:
            subprocess.run(["umount", "-l", str(mnt)], check=False)


def envelope(message: bytes, flags: int = 0) -> bytes:
    return bytes([flags]) + struct.pack(">I", len(message)) + message


def pb_string(field: int, text: str) -> bytes:
    data = text.encode()
    assert len(data) < 128
    return bytes([(field << 3) | 2, len(data)]) + data


def chat_rpc(conn: int, stream: int, request_texts, response_texts, host="api2.cursor.sh", token=TOKEN):
    """Script events of one Connect streaming RPC with one message per text."""
    req_body = [envelope(pb_string(1, t)) for t in request_texts]
    resp_body = [envelope(pb_string(1, t)) for t in response_texts] + [envelope(b"{}", 2)]
    ev = [{"event": "request", "conn": conn, "stream": stream, "headers": [
        [":method", "POST"], [":scheme", "https"], [":authority", host], [":path", CHAT_PATH],
        ["content-type", "application/connect+proto"], ["connect-protocol-version", "1"],
        ["authorization", f"Bearer {token}"], ["x-cursor-checksum", "checksum-value-123"]]}]
    ev += [{"event": "body", "conn": conn, "stream": stream, "dir": "request", "hex": b.hex()} for b in req_body]
    ev.append({"event": "response", "conn": conn, "stream": stream,
               "headers": [[":status", "200"], ["content-type", "application/connect+proto"]]})
    ev += [{"event": "body", "conn": conn, "stream": stream, "dir": "response", "hex": b.hex()} for b in resp_body]
    ev.append({"event": "end", "conn": conn, "stream": stream,
               "request_bytes": sum(map(len, req_body)), "response_bytes": sum(map(len, resp_body))})
    return ev


def open_conn(conn: int, sni="api2.cursor.sh"):
    return {"event": "open", "conn": conn, "sni": sni, "alpn": "h2", "destination": "127.0.0.1:443"}


def feed(events, *args, check=True):
    """Runs capture-feed with the events; returns (completed process, counters)."""
    assert FEED.exists(), f"{FEED} missing: run scripts/build first"
    script = "".join(json.dumps(e) + "\n" for e in events)
    r = subprocess.run([str(FEED), *map(str, args)], input=script, capture_output=True, text=True, timeout=120)
    if check:
        assert r.returncode == 0, f"capture-feed failed ({r.returncode}): {r.stderr}"
    counters = json.loads(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 else {}
    return r, counters


def capture_lines(directory: pathlib.Path):
    """Every line of every .jsonl file, oldest file first, each parsed (a line
    that does not parse fails the test: files must hold whole lines only)."""
    lines = []
    for f in sorted(directory.glob("*.jsonl")):
        for text in f.read_text().splitlines():
            lines.append(json.loads(text))
    return lines


def all_bytes(directory: pathlib.Path) -> bytes:
    return b"".join(p.read_bytes() for p in directory.rglob("*") if p.is_file())
