"""Helpers for the HTTP/1.1 relay tests: a local upstream HTTP/1.1 server, a
WebSocket echo server (python3-websockets) and the tests/tools/plain-relay
process. Everything listens on 127.0.0.1 only."""
import asyncio
import http.server
import json
import os
import pathlib
import socket
import subprocess
import threading
import time

from process_support import ServedInThread, status_kib, stop

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("BUILDDIR", ROOT / "build"))
PLAIN_RELAY = BUILD / "tests" / "tools" / "plain-relay"
BLOCK = 256 * 1024


class UpstreamHandler(http.server.BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1 server with a few endpoints:
    GET|HEAD /bytes/N   N zero bytes with Content-Length, streamed
    GET /chunked        chunked body "hello world" with a trailer
    POST /echo          echoes the body (Content-Length or chunked in)
    GET /bad-response   a broken status line
    """
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.do_GET(head=True)

    def do_GET(self, head=False):
        if self.path.startswith("/bytes/"):
            n = int(self.path.split("?")[0].split("/")[2])
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(n))
            self.end_headers()
            if not head:
                block = bytes(BLOCK)
                while n > 0:
                    self.wfile.write(block[:min(n, BLOCK)])
                    n -= min(n, BLOCK)
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Trailer", "X-Trailer")
            self.end_headers()
            self.wfile.write(b"6;ext=1\r\nhello \r\n5\r\nworld\r\n0\r\nX-Trailer: done\r\n\r\n")
        elif self.path == "/bad-response":
            self.wfile.write(b"HTTP/1.1 OK\r\n\r\n")
            self.close_connection = True
        else:
            self.send_error(404)

    def do_POST(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b""):
                        pass
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Upstream(ServedInThread):
    def __init__(self):
        self.serve(http.server.ThreadingHTTPServer(("127.0.0.1", 0), UpstreamHandler))


class WebSocketEcho:
    """python3-websockets echo server on its own event loop thread."""

    def __init__(self):
        import websockets  # Debian: python3-websockets
        self.loop = asyncio.new_event_loop()
        started = threading.Event()

        async def echo(ws, _path=None):
            async for message in ws:
                await ws.send(message)

        async def main():
            self.server = await websockets.serve(echo, "127.0.0.1", 0, max_size=None)
            self.port = self.server.sockets[0].getsockname()[1]
            started.set()
            await self.server.wait_closed()

        self.thread = threading.Thread(target=lambda: self.loop.run_until_complete(main()), daemon=True)
        self.thread.start()
        assert started.wait(10), "websocket echo server did not start"

    def close(self):
        self.loop.call_soon_threadsafe(self.server.close)
        self.thread.join(10)


class PlainRelay:
    """tests/tools/plain-relay in front of 127.0.0.1:upstream_port; collects its JSON lines."""

    def __init__(self, upstream_port, *extra, tmp_path):
        assert PLAIN_RELAY.exists(), f"{PLAIN_RELAY} missing: build the tests first (scripts/build)"
        self.stderr_path = tmp_path / f"plain-relay-{upstream_port}.stderr"
        self.stderr_file = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([str(PLAIN_RELAY), "--listen", "0", "--upstream", str(upstream_port), *extra],
                                     stdout=subprocess.PIPE, stderr=self.stderr_file)
        first = json.loads(self.proc.stdout.readline())
        assert first["event"] == "listening", first
        self.port = first["port"]
        self.events = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.events.append(json.loads(line))

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def stderr(self):
        self.stderr_file.flush()
        return self.stderr_path.read_text(errors="replace")

    def wait_for(self, predicate, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in list(self.events) if predicate(e)]
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no matching relay event within {timeout}s; events: {self.events[-10:]}")

    def rss_kib(self):
        return status_kib(self.proc.pid, "VmRSS")

    def close(self):
        stop(self.proc)
        self.reader.join(5)
        self.stderr_file.close()


def raw_exchange(port, data, timeout=5.0):
    """Sends bytes on a fresh connection, then reads until the peer closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        received = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return received
            received += chunk


def recv_until(sock, done, timeout=5.0):
    """Reads from sock until done(data) is true; fails if the peer closes first."""
    sock.settimeout(timeout)
    data = b""
    while not done(data):
        chunk = sock.recv(65536)
        assert chunk, f"connection closed early; got {data[:300]!r}"
        data += chunk
    return data
